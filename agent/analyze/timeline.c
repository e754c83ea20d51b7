/* The analysis timeline and its JSON form (see analysis.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/analyze/analysis.h"
#include "util/macro.h"
#include "util/timefmt.h"

static int kind_rank(const char *k) {
	static const char *const order[] = {"incident", "alert", "first_error", "new_pattern",
	                                    "pattern_onset"};
	for (size_t i = 0; i < ELEMENTSOF(order); i++)
		if (!strcmp(k, order[i]))
			return (int)i;
	return (int)ELEMENTSOF(order);
}

static int event_cmp(const void *x, const void *y) {
	const struct analyze_event *a = x, *b = y;
	if (a->t_us != b->t_us)
		return a->t_us < b->t_us ? -1 : 1;
	int r = kind_rank(a->kind) - kind_rank(b->kind);
	if (r)
		return r;
	r = strcmp(a->service ? a->service : "", b->service ? b->service : "");
	r = r ? r : strcmp(a->text, b->text);
	return r ? r : strcmp(a->host ? a->host : "", b->host ? b->host : "");
}

static int push(struct analyze_event **v, size_t *n, int64_t t, const char *kind, const char *svc,
                const char *text, const char *host) {
	struct analyze_event *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	struct analyze_event *e = &nv[*n];
	*e = (struct analyze_event){.t_us = t, .kind = kind};
	e->service = svc ? strdup(svc) : NULL;
	e->text = strdup(text);
	e->host = host ? strdup(host) : NULL;
	if ((svc && !e->service) || !e->text || (host && !e->host)) {
		free(e->service);
		free(e->text);
		free(e->host);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

static const char *tpl_text(const struct analysis *a, int i) {
	const struct miner_template *t = i >= 0 ? miner_template(a->miner, (size_t)i) : NULL;
	return t ? t->text : "";
}

int analyze_timeline(const struct analysis *a, struct analyze_event **ret) {
	struct analyze_event *v = NULL;
	size_t n = 0;
	int r = 0;
	for (size_t i = 0; i < a->n_svc && r >= 0; i++)
		if (a->svc[i].first_error_us != ANALYZE_NONE)
			r = push(&v, &n, a->svc[i].first_error_us, "first_error", a->svc[i].name,
			         tpl_text(a, a->svc[i].first_error_tpl), NULL);
	for (size_t i = 0; i < a->n_ts && r >= 0; i++)
		if (a->ts[i].first_error_us != ANALYZE_NONE)
			r = push(&v, &n, a->ts[i].first_error_us,
			         analyze_template_new(a, i) ? "new_pattern" : "pattern_onset", NULL,
			         tpl_text(a, (int)i), NULL);
	for (size_t i = 0; i < a->n_markers && r >= 0; i++)
		r = push(&v, &n, a->markers[i].t_us, a->markers[i].kind, NULL, a->markers[i].label,
		         a->markers[i].host);
	if (r < 0) {
		analyze_timeline_free(v, n);
		return r;
	}
	if (n)
		qsort(v, n, sizeof(*v), event_cmp);
	*ret = v;
	return (int)n;
}

void analyze_timeline_free(struct analyze_event *v, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free(v[i].service);
		free(v[i].text);
		free(v[i].host);
	}
	free(v);
}

static json_t *jtime(int64_t us) {
	char buf[64];
	if (us == ANALYZE_NONE)
		return json_null();
	ev_format_rfc3339_us(us, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *jid(uint64_t id) {
	char buf[17];
	snprintf(buf, sizeof(buf), "%016" PRIx64, id);
	return json_string(buf);
}

static json_t *template_json(const struct analysis *a, size_t i) {
	const struct miner_template *t = miner_template(a->miner, i);
	const struct analyze_tstat *s = &a->ts[i];
	json_t *o = json_object(), *svcs = json_array();
	json_object_set_new(o, "id", jid(t->id));
	json_object_set_new(o, "template", json_string(t->text));
	json_object_set_new(o, "count", json_integer((json_int_t)s->in));
	json_object_set_new(o, "errors", json_integer((json_int_t)s->errors));
	json_object_set_new(o, "count_before", json_integer((json_int_t)s->prior));
	json_object_set_new(o, "first", jtime(s->first_us));
	json_object_set_new(o, "last", jtime(s->last_us));
	json_object_set_new(o, "first_error", jtime(s->first_error_us));
	json_object_set_new(o, "priority", json_integer(s->worst_priority));
	json_object_set_new(o, "new", json_boolean(analyze_template_new(a, i)));
	json_object_set_new(o, "surge", json_real(analyze_template_surge(a, i)));
	for (size_t k = 0; k < a->n_svc; k++)
		if (s->services & (1ull << k))
			json_array_append_new(svcs, json_string(a->svc[k].name));
	json_object_set_new(o, "services", svcs);
	return o;
}

static json_t *services_json(const struct analysis *a) {
	json_t *arr = json_array();
	for (size_t i = 0; i < a->n_svc; i++) {
		const struct analyze_service *s = &a->svc[i];
		json_t *o = json_object(), *bins = json_array();
		json_object_set_new(o, "service", json_string(s->name));
		json_object_set_new(o, "lines", json_integer((json_int_t)s->lines));
		json_object_set_new(o, "errors", json_integer((json_int_t)s->errors));
		json_object_set_new(o, "first_error", jtime(s->first_error_us));
		if (s->first_error_tpl >= 0)
			json_object_set_new(
			        o, "first_error_template",
			        jid(miner_template(a->miner, (size_t)s->first_error_tpl)->id));
		for (size_t b = 0; b < ANALYZE_BINS; b++)
			json_array_append_new(bins, json_integer(s->bins[b]));
		json_object_set_new(o, "error_series", bins);
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *propagation_json(const struct analysis *a) {
	size_t order[ANALYZE_MAX_SERVICES];
	size_t n = analyze_failure_order(a, order, ELEMENTSOF(order));
	json_t *arr = json_array();
	for (size_t k = 0; k < n; k++) {
		const struct analyze_service *s = &a->svc[order[k]];
		json_t *o = json_object();
		json_object_set_new(o, "service", json_string(s->name));
		json_object_set_new(o, "first_error", jtime(s->first_error_us));
		json_object_set_new(o, "gap_s",
		                    k ? json_real((double)(s->first_error_us -
		                                           a->svc[order[k - 1]].first_error_us) /
		                                  1e6)
		                      : json_real(0.0));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *path_entry(json_t *paths, const char *key) {
	for (size_t i = 0; i < json_array_size(paths); i++) {
		json_t *o = json_array_get(paths, i);
		if (!strcmp(json_string_value(json_object_get(o, "path")), key))
			return o;
	}
	return NULL;
}

static void bump(json_t *o, const char *field) {
	json_object_set_new(o, field,
	                    json_integer(json_integer_value(json_object_get(o, field)) + 1));
}

/* Distinct service paths of the trace ids (two services or more), in order of first
 * appearance, with how many ids took each and how many of those met an error. */
static json_t *traces_json(const struct analysis *a) {
	json_t *paths = json_array();
	for (size_t i = 0; i < a->n_traces; i++) {
		const struct analyze_trace *t = &a->traces[i];
		char key[ANALYZE_MAX_HOPS * 80] = "";
		size_t len = 0;
		if (t->n_hops < 2)
			continue;
		for (size_t h = 0; h < t->n_hops && len < sizeof(key); h++)
			len += (size_t)snprintf(key + len, sizeof(key) - len, "%s%s",
			                        h ? " -> " : "", a->svc[t->hops[h]].name);
		json_t *o = path_entry(paths, key);
		if (!o) {
			o = json_pack("{s:s,s:i,s:i,s:s}", "path", key, "traces", 0, "with_errors",
			              0, "example", t->id);
			if (!o || json_array_append_new(paths, o) < 0)
				continue;
		}
		bump(o, "traces");
		if (t->error)
			bump(o, "with_errors");
	}
	return paths;
}

json_t *analyze_to_json(const struct analysis *a) {
	json_t *o = json_object(), *tpls = json_array(), *tl = json_array();
	json_object_set_new(o, "since", jtime(a->since_us));
	json_object_set_new(o, "until", jtime(a->until_us));
	json_object_set_new(o, "lines", json_integer((json_int_t)a->lines));
	for (size_t i = 0; i < a->n_ts; i++)
		if (a->ts[i].in)
			json_array_append_new(tpls, template_json(a, i));
	json_object_set_new(o, "templates", tpls);
	json_object_set_new(o, "services", services_json(a));
	json_object_set_new(o, "propagation", propagation_json(a));
	json_object_set_new(o, "trace_paths", traces_json(a));
	json_object_set_new(o, "traces_dropped", json_integer((json_int_t)a->traces_dropped));
	struct analyze_event *ev = NULL;
	int n = analyze_timeline(a, &ev);
	for (int i = 0; i < n; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "time", jtime(ev[i].t_us));
		json_object_set_new(e, "kind", json_string(ev[i].kind));
		if (ev[i].service)
			json_object_set_new(e, "service", json_string(ev[i].service));
		json_object_set_new(e, "text", json_string(ev[i].text));
		if (ev[i].host)
			json_object_set_new(e, "host", json_string(ev[i].host));
		json_array_append_new(tl, e);
	}
	if (n > 0)
		analyze_timeline_free(ev, (size_t)n);
	json_object_set_new(o, "timeline", tl);
	return o;
}
