/* The analysis of a window (see analysis.h). Everything is accumulated in one pass over
 * the records; the order of services and traces is the order of arrival, so the same
 * input gives the same output. */
#include "config.h"

#include "agent/analyze/analysis.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/recjson.h"
#include "util/macro.h"
#include "util/timefmt.h"

void analyze_init(struct analysis *a, struct miner *m, int64_t since_us, int64_t until_us,
                  const char *const *trace_fields) {
	*a = (struct analysis){.since_us = since_us, .until_us = until_us, .miner = m};
	a->prior_us = since_us - (until_us - since_us) - 1;
	a->n_known = miner_count(m);
	a->trace_fields = trace_fields;
}

void analyze_done(struct analysis *a) {
	for (size_t i = 0; i < a->n_svc; i++)
		free(a->svc[i].name);
	for (size_t i = 0; i < a->n_traces; i++)
		free(a->traces[i].id);
	for (size_t i = 0; i < a->n_markers; i++) {
		free(a->markers[i].kind);
		free(a->markers[i].label);
		free(a->markers[i].host);
	}
	free(a->traces);
	free(a->ts);
	*a = (struct analysis){0};
}

static bool str_is(const struct ev_str *s, const char *w) {
	return s && s->len == strlen(w) && strncasecmp(s->p, w, s->len) == 0;
}

bool analyze_record_is_error(const struct ev_record *rec, int *ret_priority) {
	static const char *const errs[] = {"err",      "error", "fatal", "crit",
	                                   "critical", "alert", "emerg", "panic"};
	int prio = rec->priority;
	bool err = prio >= 0 && prio <= 3;
	const struct ev_str *lv = ev_record_get(rec, "level");
	if (!lv)
		lv = ev_record_get(rec, "severity");
	for (size_t i = 0; lv && i < ELEMENTSOF(errs); i++)
		if (str_is(lv, errs[i])) {
			err = true;
			if (prio < 0 || prio > 3)
				prio = 3;
		}
	*ret_priority = prio;
	return err;
}

struct ev_str analyze_record_service(const struct ev_record *rec) {
	const struct ev_str *s = ev_record_get(rec, "service");
	if (s && s->len)
		return *s;
	if (rec->program.len)
		return rec->program;
	if (rec->unit.len)
		return rec->unit;
	return (struct ev_str){"-", 1};
}

/* Names and ids as valid UTF-8 without NULs, for JSON and SVG: when `in` is not, a copy
 * in buf (cut at cap - 1 bytes) where NUL and bytes >= 0x80 read '?'. */
static struct ev_str clean(struct ev_str in, char *buf, size_t cap) {
	if (!memchr(in.p, '\0', in.len) && collector_utf8_valid(in.p, in.len))
		return in;
	size_t n = MIN(in.len, cap - 1);
	for (size_t i = 0; i < n; i++)
		buf[i] = in.p[i] == '\0' || (unsigned char)in.p[i] >= 0x80 ? '?' : in.p[i];
	buf[n] = '\0';
	return (struct ev_str){buf, n};
}

static int service_index(struct analysis *a, struct ev_str name) {
	char buf[256];
	name = clean(name, buf, sizeof(buf));
	for (size_t i = 0; i < a->n_svc; i++)
		if (strlen(a->svc[i].name) == name.len && !memcmp(a->svc[i].name, name.p, name.len))
			return (int)i;
	if (a->n_svc == ANALYZE_MAX_SERVICES - 1) {
		if (strcmp(a->svc[a->n_svc - 1].name, "other") == 0)
			return (int)a->n_svc - 1;
		name = (struct ev_str){"other", 5};
	}
	struct analyze_service *s = &a->svc[a->n_svc];
	*s = (struct analyze_service){.first_error_us = ANALYZE_NONE, .first_error_tpl = -1};
	s->name = strndup(name.p, name.len);
	if (!s->name)
		return -ENOMEM;
	return (int)a->n_svc++;
}

static int tstat_grow(struct analysis *a, size_t n) {
	if (n <= a->n_ts)
		return 0;
	struct analyze_tstat *v = realloc(a->ts, n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = a->n_ts; i < n; i++)
		v[i] = (struct analyze_tstat){.first_us = ANALYZE_NONE,
		                              .last_us = ANALYZE_NONE,
		                              .first_error_us = ANALYZE_NONE,
		                              .worst_priority = -1};
	a->ts = v;
	a->n_ts = n;
	return 0;
}

static int trace_add(struct analysis *a, const struct ev_str *raw, int svc, bool err) {
	char buf[256];
	struct ev_str cid = clean(*raw, buf, sizeof(buf));
	const struct ev_str *id = &cid;
	for (size_t i = a->n_traces; i-- > 0;) { /* recent ids first */
		struct analyze_trace *t = &a->traces[i];
		if (strlen(t->id) != id->len || memcmp(t->id, id->p, id->len))
			continue;
		t->error = t->error || err;
		if (t->n_hops < ANALYZE_MAX_HOPS && t->hops[t->n_hops - 1] != svc &&
		    !memchr(t->hops, svc, t->n_hops))
			t->hops[t->n_hops++] = (uint8_t)svc;
		return 0;
	}
	if (a->n_traces == ANALYZE_MAX_TRACES) {
		a->traces_dropped++;
		return 0;
	}
	if (a->n_traces == a->alloc_traces) {
		size_t na = a->alloc_traces ? a->alloc_traces * 2 : 64;
		struct analyze_trace *v = realloc(a->traces, na * sizeof(*v));
		if (!v)
			return -ENOMEM;
		a->traces = v;
		a->alloc_traces = na;
	}
	struct analyze_trace *t = &a->traces[a->n_traces];
	*t = (struct analyze_trace){.hops = {(uint8_t)svc}, .n_hops = 1, .error = err};
	if (!(t->id = strndup(id->p, id->len)))
		return -ENOMEM;
	a->n_traces++;
	return 0;
}

static void account_window(struct analysis *a, const struct ev_record *rec, int ti, int si,
                           bool err, int prio) {
	struct analyze_tstat *t = &a->ts[ti];
	struct analyze_service *s = &a->svc[si];
	t->in++;
	if (t->first_us == ANALYZE_NONE)
		t->first_us = rec->time_us;
	t->last_us = rec->time_us;
	t->services |= 1ull << si;
	if (prio >= 0 && (t->worst_priority < 0 || prio < t->worst_priority))
		t->worst_priority = prio;
	s->lines++;
	if (!err)
		return;
	t->errors++;
	s->errors++;
	if (t->first_error_us == ANALYZE_NONE)
		t->first_error_us = rec->time_us;
	if (s->first_error_us == ANALYZE_NONE || rec->time_us < s->first_error_us) {
		s->first_error_us = rec->time_us;
		s->first_error_tpl = ti;
	}
	uint64_t span = (uint64_t)(a->until_us - a->since_us) + 1;
	uint64_t bin = (uint64_t)(rec->time_us - a->since_us) * ANALYZE_BINS / span;
	s->bins[MIN(bin, ANALYZE_BINS - 1)]++;
}

int analyze_add(struct analysis *a, const struct ev_record *rec) {
	if (rec->time_us > a->until_us || rec->time_us <= a->prior_us)
		return 0;
	int ti = miner_add(a->miner, rec->message.p ? rec->message.p : "", rec->message.len);
	if (ti < 0 || tstat_grow(a, miner_count(a->miner)) < 0)
		return -ENOMEM;
	a->lines++;
	if (rec->time_us < a->since_us) {
		a->ts[ti].prior++;
		return 0;
	}
	int si = service_index(a, analyze_record_service(rec));
	if (si < 0)
		return si;
	int prio;
	bool err = analyze_record_is_error(rec, &prio);
	account_window(a, rec, ti, si, err, prio);
	for (size_t i = 0; a->trace_fields && a->trace_fields[i]; i++) {
		const struct ev_str *id = ev_record_get(rec, a->trace_fields[i]);
		if (id && id->len && id->len < 256)
			return trace_add(a, id, si, err);
	}
	return 0;
}

int analyze_add_marker(struct analysis *a, int64_t t_us, const char *kind, const char *label) {
	return analyze_add_marker_host(a, t_us, kind, label, NULL);
}

int analyze_add_marker_host(struct analysis *a, int64_t t_us, const char *kind, const char *label,
                            const char *host) {
	if (a->n_markers == ANALYZE_MAX_MARKERS)
		return -E2BIG;
	struct analyze_marker *m = &a->markers[a->n_markers];
	m->t_us = t_us;
	char kb[64], lb[256];
	struct ev_str k = clean((struct ev_str){kind, strlen(kind)}, kb, sizeof(kb));
	struct ev_str l = clean((struct ev_str){label ? label : "", label ? strlen(label) : 0}, lb,
	                        sizeof(lb));
	m->kind = strndup(k.p, k.len);
	m->label = strndup(l.p, l.len);
	m->host = NULL;
	if (host) {
		char hb[256];
		struct ev_str h = clean((struct ev_str){host, strlen(host)}, hb, sizeof(hb));
		m->host = strndup(h.p, h.len);
	}
	if (!m->kind || !m->label || (host && !m->host)) {
		free(m->kind);
		free(m->label);
		free(m->host);
		return -ENOMEM;
	}
	a->n_markers++;
	return 0;
}

size_t analyze_failure_order(const struct analysis *a, size_t *ret, size_t max) {
	size_t n = 0;
	for (size_t i = 0; i < a->n_svc && n < max; i++) {
		if (a->svc[i].first_error_us == ANALYZE_NONE)
			continue;
		size_t k = n++;
		while (k > 0) {
			const struct analyze_service *p = &a->svc[ret[k - 1]], *s = &a->svc[i];
			if (p->first_error_us < s->first_error_us ||
			    (p->first_error_us == s->first_error_us &&
			     strcmp(p->name, s->name) <= 0))
				break;
			ret[k] = ret[k - 1];
			k--;
		}
		ret[k] = i;
	}
	return n;
}

bool analyze_template_new(const struct analysis *a, size_t i) {
	return i >= a->n_known && i < a->n_ts && a->ts[i].prior == 0 && a->ts[i].in > 0;
}

double analyze_template_surge(const struct analysis *a, size_t i) {
	return i < a->n_ts ? (double)(a->ts[i].in + 1) / (double)(a->ts[i].prior + 1) : 0.0;
}
