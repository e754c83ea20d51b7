/* Alerts, engine side: an alert's data (struct alert_data, from matching and the
 * correlation windows) becomes the typed `struct correlate_alert` (correlate/alert.h)
 * handed to the callback. Nothing is rendered here: consumers serialise at the edge
 * (correlate/alert_json.c). The pieces are built in scratch the engine reuses: the fields
 * sorted and made unique (later entries win), the group likewise (the first wins), the
 * rule's "rule" object rendered once per rule and kept. Also the RFC 3339 time helpers. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <time.h>

#include "correlate/internal.h"
#include "util/timefmt.h"

int correlate_parse_time(const char *s, int64_t *ret_us) {
	struct tm tm = {0};
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || n != 10)
		return -EINVAL;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return -EINVAL;
	const char *p = s + 11;
	if (sscanf(p, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 3 || n != 8)
		return -EINVAL;
	p += 8;
	int64_t frac = 0;
	if (*p == '.') {
		int digits = 0;
		p++;
		while (*p >= '0' && *p <= '9') {
			if (digits < 6)
				frac = frac * 10 + (*p - '0'), digits++;
			p++;
		}
		if (!digits)
			return -EINVAL;
		while (digits++ < 6)
			frac *= 10;
	}
	int64_t off = 0;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		int hh, mm;
		if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5)
			return -EINVAL;
		off = (hh * 3600 + mm * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else
		return -EINVAL;
	if (*p)
		return -EINVAL;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	*ret_us = ((int64_t)t - off) * 1000000 + frac;
	return 0;
}

/* Scratch reused from alert to alert, and each rule's rendered "rule" object. */
struct alert_scratch {
	struct correlate_alert_event *evs;
	size_t alloc_evs;
	struct kv *kv;
	size_t alloc_kv;
	struct correlate_alert_field *fields;
	size_t alloc_fields;
	char **rule_json; /* per rule index, rendered at its first alert */
	size_t *rule_json_len;
	size_t n_rules;
	struct correlate_alert_buf buf;
};

struct kv {
	struct ev_str k, v;
	size_t order; /* the entry with the highest order wins for one key */
};

static int kv_cmp(const void *a, const void *b) {
	const struct kv *x = a, *y = b;
	int c = memcmp(x->k.p, y->k.p, MIN(x->k.len, y->k.len));
	if (c)
		return c;
	if (x->k.len != y->k.len)
		return x->k.len < y->k.len ? -1 : 1;
	return x->order > y->order ? -1 : x->order < y->order; /* winner first */
}

/* Sort v[0..n) (kv_cmp is a total order: any sort gives the same result) and write the
 * winner of each key to out; returns how many. An alert has a dozen fields or so: an
 * insertion sort up to 32, qsort beyond. */
static size_t kv_unique(struct kv *v, size_t n, struct correlate_alert_field *out) {
	if (n > 32)
		qsort(v, n, sizeof(*v), kv_cmp);
	else
		for (size_t i = 1; i < n; i++) {
			struct kv x = v[i];
			size_t j = i;
			for (; j > 0 && kv_cmp(&v[j - 1], &x) > 0; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && v[i].k.len == v[i - 1].k.len &&
		    !memcmp(v[i].k.p, v[i - 1].k.p, v[i].k.len))
			continue;
		out[k++] = (struct correlate_alert_field){v[i].k, v[i].v};
	}
	return k;
}

static bool grow(void **p, size_t *alloc, size_t n, size_t size) {
	if (n <= *alloc)
		return true;
	size_t na = MAX(n, *alloc * 2);
	void *np = realloc(*p, na * size);
	if (!np)
		return false;
	*p = np;
	*alloc = na;
	return true;
}

static struct alert_scratch *scratch(struct correlate_engine *e) {
	if (!e->alert_scratch)
		e->alert_scratch = calloc(1, sizeof(struct alert_scratch));
	return e->alert_scratch;
}

void alert_scratch_free(struct correlate_engine *e) {
	struct alert_scratch *s = e->alert_scratch;
	if (!s)
		return;
	for (size_t i = 0; i < s->n_rules; i++)
		free(s->rule_json[i]);
	free(s->rule_json);
	free(s->rule_json_len);
	free(s->evs);
	free(s->kv);
	free(s->fields);
	correlate_alert_buf_done(&s->buf);
	free(s);
	e->alert_scratch = NULL;
}

/* The rule's "rule" object, rendered at its first alert (NULL on OOM: the renderer then
 * renders it each time). */
static void rule_json(struct correlate_engine *e, struct alert_scratch *s, const struct rule *r,
                      struct correlate_alert *al) {
	size_t i = (size_t)(r - e->rules.v);
	if (i >= e->rules.n)
		return;
	if (!s->rule_json) {
		s->rule_json = calloc(e->rules.n, sizeof(char *));
		s->rule_json_len = calloc(e->rules.n, sizeof(size_t));
		if (!s->rule_json || !s->rule_json_len) {
			free(s->rule_json);
			free(s->rule_json_len);
			s->rule_json = NULL;
			s->rule_json_len = NULL;
			return;
		}
		s->n_rules = e->rules.n;
	}
	if (!s->rule_json[i]) {
		size_t n;
		const char *j = correlate_alert_render_rule(al, &s->buf, &n);
		if (!j || !(s->rule_json[i] = strndup(j, n)))
			return;
		s->rule_json_len[i] = n;
	}
	al->rule_json = s->rule_json[i];
	al->rule_json_len = s->rule_json[i] ? s->rule_json_len[i] : 0;
}

static const char *const std_fields[] = {"host", "program", "pid", "unit", "priority", "facility"};

/* The matching record's fields, decoded fields and captures, sorted and unique. */
static bool alert_fields(struct alert_scratch *s, const struct alert_data *a,
                         struct correlate_alert *al) {
	const struct ev_record *rec = a->rec;
	size_t n = ELEMENTSOF(std_fields) + rec->n_fields + a->n_caps, k = 0;
	if (!grow((void **)&s->kv, &s->alloc_kv, n + 1, sizeof(*s->kv)) ||
	    !grow((void **)&s->fields, &s->alloc_fields, n + 64 + 1, sizeof(*s->fields)))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(std_fields); i++) {
		const struct ev_str *x = ev_record_get(rec, std_fields[i]);
		if (x && x->len)
			s->kv[k] = (struct kv){{std_fields[i], strlen(std_fields[i])}, *x, k}, k++;
	}
	for (size_t i = 0; i < rec->n_fields; i++)
		s->kv[k] = (struct kv){rec->fields[i].name, rec->fields[i].value, k}, k++;
	for (size_t i = 0; i < a->n_caps; i++)
		s->kv[k] = (struct kv){{a->caps[i].name, a->caps[i].name_len},
		                       {a->caps[i].value, a->caps[i].value_len},
		                       k},
		k++;
	al->has_fields = true;
	al->fields = s->fields + 64; /* the group takes the first 64 */
	al->n_fields = kv_unique(s->kv, k, s->fields + 64);
	return true;
}

/* The typed alert for `a` in the engine's scratch; false on OOM. */
static bool alert_build(struct correlate_engine *e, const struct alert_data *a,
                        struct correlate_alert *al) {
	struct alert_scratch *s = scratch(e);
	const struct rule *r = a->rule;
	size_t ne = a->n_samples + (a->rec ? 1 : 0);
	if (!s || !grow((void **)&s->evs, &s->alloc_evs, ne + 1, sizeof(*s->evs)) ||
	    !grow((void **)&s->fields, &s->alloc_fields, 64 + 1, sizeof(*s->fields)) ||
	    !grow((void **)&s->kv, &s->alloc_kv, 64 + 1, sizeof(*s->kv)))
		return false;
	*al = (struct correlate_alert){.rule_id = r->id,
	                               .rule_title = r->title ? r->title : r->name,
	                               .level = r->level,
	                               .tags = (const char *const *)r->tags,
	                               .n_tags = r->n_tags,
	                               .kind = a->kind,
	                               .time_us = a->time,
	                               .first_us = a->first,
	                               .last_us = a->last,
	                               .count = a->count,
	                               .has_distinct = a->has_distinct,
	                               .distinct = a->distinct,
	                               .time_suspect_future = a->future};
	size_t k = 0;
	if (a->rec)
		s->evs[k++] = (struct correlate_alert_event){
		        a->rec->time_us,
		        a->rec->source,
		        {a->rec->message.p, MIN(a->rec->message.len, (size_t)SAMPLE_MSG_CAP)}};
	for (size_t i = 0; i < a->n_samples; i++) {
		const struct sample *x = a->samples[i];
		const char *src = sample_src(e, x);
		s->evs[k++] = (struct correlate_alert_event){
		        x->time, {src, strlen(src)}, {x->msg, x->msg_len}};
	}
	al->events = s->evs;
	al->n_events = k;
	size_t ng = MIN(a->n_g, (size_t)64); /* the first 64 group-by fields */
	for (size_t i = 0; i < ng; i++)
		s->kv[i] = (struct kv){{a->gnames[i], strlen(a->gnames[i])}, a->gvals[i], ng - i};
	al->n_group = kv_unique(s->kv, ng, s->fields);
	if (a->rec && !alert_fields(s, a, al))
		return false;
	al->group = s->fields; /* alert_fields may have moved the array */
	rule_json(e, s, r, al);
	return true;
}

void alert_emit(struct correlate_engine *e, const struct alert_data *a) {
	struct correlate_alert al;
	if (!alert_build(e, a, &al)) {
		e->st.alerts++; /* out of memory: counted, not delivered */
		return;
	}
	if (e->holding) {
		/* the next record decides whether this one's time holds: keep a copy */
		struct correlate_alert *c = correlate_alert_copy(&al);
		if (c) {
			timeguard_hold_alert(e, c);
			return;
		}
		e->held_oom = true;
		al.time_suspect_future = true;
	}
	e->st.alerts++;
	if (e->cb)
		e->cb(e->cb_ctx, &al);
}
