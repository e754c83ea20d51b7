/* Incident metrics (see metrics.h for every definition). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/incident/metrics.h"
#include "agent/incident/policy.h"

#define REPEAT_WINDOW_US (30LL * 86400 * 1000000)

static const struct {
	const char *name, *definition;
	enum ev_tstamp from, to; /* _EV_T_MAX as `to`: the first human entry */
} defs[] = {
        {"time_to_detect", "t_detect - t_impact", EV_T_IMPACT, EV_T_DETECT},
        {"time_to_acknowledge", "t_ack - t_detect", EV_T_DETECT, EV_T_ACK},
        {"time_to_respond", "first human entry - t_detect", EV_T_DETECT, _EV_T_MAX},
        {"time_to_contain", "t_contain - t_detect", EV_T_DETECT, EV_T_CONTAIN},
        {"time_to_resolve", "t_resolve - t_detect", EV_T_DETECT, EV_T_RESOLVE},
        {"impact_to_resolve", "t_resolve - t_impact", EV_T_IMPACT, EV_T_RESOLVE},
};
#define N_DEFS (sizeof(defs) / sizeof(defs[0]))

static int cmp_i64(const void *a, const void *b) {
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* One metric's duration for an incident, or EV_T_UNSET. */
static int64_t span(const struct ev_incident *inc, size_t d) {
	int64_t a = inc->t[defs[d].from];
	int64_t b = defs[d].to == _EV_T_MAX ? inc->t_first_human : inc->t[defs[d].to];
	return a == EV_T_UNSET || b == EV_T_UNSET ? EV_T_UNSET : b - a;
}

/* {median, p90, mean, n} in seconds over the incidents selected by `in`. */
static json_t *stats(const struct ev_incident *v, const bool *in, size_t n, size_t d) {
	int64_t *x = calloc(n + 1, sizeof(int64_t));
	size_t k = 0;
	for (size_t i = 0; x && i < n; i++)
		if (in[i] && span(&v[i], d) != EV_T_UNSET)
			x[k++] = span(&v[i], d);
	json_t *o;
	if (!k)
		o = json_pack("{s:n, s:n, s:n, s:i}", "median", "p90", "mean", "n", 0);
	else {
		qsort(x, k, sizeof(*x), cmp_i64);
		double sum = 0;
		for (size_t i = 0; i < k; i++)
			sum += (double)x[i];
		double med =
		        k % 2 ? (double)x[k / 2] : ((double)x[k / 2 - 1] + (double)x[k / 2]) / 2;
		size_t rank = (size_t)ceil(0.9 * (double)k);
		o = json_pack("{s:f, s:f, s:f, s:I}", "median", med / 1e6, "p90",
		              (double)x[rank - 1] / 1e6, "mean", sum / (double)k / 1e6, "n",
		              (json_int_t)k);
	}
	free(x);
	return o;
}

static json_t *all_stats(const struct ev_incident *v, const bool *in, size_t n) {
	json_t *o = json_object();
	for (size_t d = 0; d < N_DEFS; d++)
		json_object_set_new(o, defs[d].name, stats(v, in, n, d));
	return o;
}

/* impact|services|rules, each list sorted: what makes two incidents the same problem. */
static char *fingerprint(const struct ev_incident *inc) {
	json_t *parts = json_array();
	json_array_append_new(
	        parts,
	        json_string(json_string_value(json_object_get(inc->triage, "impact")) ?: "-"));
	const char *lists[] = {"services", "rules"};
	for (size_t l = 0; l < 2; l++) {
		json_t *a = json_deep_copy(json_object_get(inc->triage, lists[l]));
		size_t n = json_array_size(a);
		for (size_t i = 0; i + 1 < n; i++) /* small lists: a selection sort */
			for (size_t j = i + 1; j < n; j++)
				if (strcmp(json_string_value(json_array_get(a, i)) ?: "",
				           json_string_value(json_array_get(a, j)) ?: "") > 0) {
					json_t *t = json_incref(json_array_get(a, i));
					json_array_set(a, i, json_array_get(a, j));
					json_array_set_new(a, j, t);
				}
		json_array_append_new(parts, a ? a : json_array());
	}
	char *s = json_dumps(parts, JSON_COMPACT);
	json_decref(parts);
	return s;
}

static bool is_repeat(const struct ev_incident *v, size_t n, size_t i) {
	char *fi = fingerprint(&v[i]);
	bool rep = false;
	int64_t decl = v[i].t[EV_T_DECLARE];
	for (size_t j = 0; fi && j < n && !rep; j++) {
		int64_t res = v[j].t[EV_T_RESOLVE];
		if (j == i || v[j].drill || res == EV_T_UNSET || res > decl ||
		    res < decl - REPEAT_WINDOW_US)
			continue;
		char *fj = fingerprint(&v[j]);
		rep = fj && !strcmp(fi, fj);
		free(fj);
	}
	free(fi);
	return rep;
}

static json_t *share(size_t k, size_t of) {
	return json_pack("{s:I, s:I, s:o}", "count", (json_int_t)k, "of", (json_int_t)of, "percent",
	                 of ? json_real(100.0 * (double)k / (double)of) : json_null());
}

/* The seed's KPI targets: the mean (or the share) against the target. */
static json_t *kpis(json_t *overall, json_t *high_resolve, json_t *rep, json_t *doc) {
	static const struct {
		const char *name, *metric, *target;
		double limit;
	} k[] = {{"mttd", "time_to_detect", "mean < 300s", 300},
	         {"acknowledge", "time_to_acknowledge", "mean < 300s", 300},
	         {"containment", "time_to_contain", "mean < 900s", 900},
	         {"resolve_high", NULL, "mean < 3600s (critical and high severity)", 3600}};
	json_t *out = json_array();
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		json_t *m = k[i].metric ? json_object_get(overall, k[i].metric) : high_resolve;
		json_t *mean = json_object_get(m, "mean");
		json_array_append_new(
		        out, json_pack("{s:s, s:s, s:O, s:o}", "kpi", k[i].name, "target",
		                       k[i].target, "value", mean, "met",
		                       json_is_number(mean)
		                               ? json_boolean(json_number_value(mean) < k[i].limit)
		                               : json_null()));
	}
	json_t *rp = json_object_get(rep, "percent"), *dp = json_object_get(doc, "percent");
	json_array_append_new(out,
	                      json_pack("{s:s, s:s, s:O, s:o}", "kpi", "repeats", "target", "< 5%",
	                                "value", rp, "met",
	                                json_is_number(rp) ? json_boolean(json_number_value(rp) < 5)
	                                                   : json_null()));
	json_array_append_new(out, json_pack("{s:s, s:s, s:O, s:o}", "kpi", "documentation",
	                                     "target", "100%", "value", dp, "met",
	                                     json_is_number(dp)
	                                             ? json_boolean(json_number_value(dp) >= 100)
	                                             : json_null()));
	return out;
}

json_t *ev_incident_metrics(const struct ev_incident *v, size_t n, int64_t since, int64_t until) {
	bool *in = calloc(n + 1, sizeof(bool)), *sel = calloc(n + 1, sizeof(bool));
	json_t *m = json_object(), *defs_o = json_object(), *freq = json_object();
	size_t count = 0, open = 0, drills = 0, repeats = 0, closed = 0, documented = 0;
	for (size_t i = 0; in && sel && i < n; i++) {
		int64_t d = v[i].t[EV_T_DECLARE];
		if (d == EV_T_UNSET || d < since || d >= until)
			continue;
		if (v[i].drill) {
			drills++;
			continue;
		}
		in[i] = true;
		count++;
		bool done = !strcmp(v[i].state, "resolved") || !strcmp(v[i].state, "closed");
		open += !done;
		repeats += is_repeat(v, n, i);
		if (!strcmp(v[i].state, "closed")) {
			closed++;
			documented += v[i].root_cause && *v[i].root_cause && v[i].resolution &&
			              *v[i].resolution && v[i].report;
		}
		const char *imp =
		        json_string_value(json_object_get(v[i].triage, "impact")) ?: "untriaged";
		json_object_set_new(
		        freq, imp,
		        json_integer(json_integer_value(json_object_get(freq, imp)) + 1));
	}
	for (size_t d = 0; d < N_DEFS; d++)
		json_object_set_new(defs_o, defs[d].name, json_string(defs[d].definition));
	json_object_set_new(m, "definitions", defs_o);
	json_object_set_new(m, "incidents", json_integer((json_int_t)count));
	json_object_set_new(m, "open", json_integer((json_int_t)open));
	json_object_set_new(m, "drills_excluded", json_integer((json_int_t)drills));
	json_t *overall = all_stats(v, in, n);
	json_object_set_new(m, "overall", overall);
	const char *const *groups[] = {ev_incident_severities, ev_incident_impacts};
	const char *keys[] = {"by_severity", "by_impact"}, *fields[] = {"severity", "impact"};
	for (size_t g = 0; g < 2; g++) {
		json_t *o = json_object();
		for (size_t k = 0; groups[g][k]; k++) {
			size_t any = 0;
			for (size_t i = 0; i < n; i++) {
				sel[i] = in[i] && !strcmp(json_string_value(json_object_get(
				                                  v[i].triage, fields[g]))
				                                  ?: "",
				                          groups[g][k]);
				any += sel[i];
			}
			if (any) {
				json_t *s = all_stats(v, sel, n);
				json_object_set_new(s, "incidents", json_integer((json_int_t)any));
				json_object_set_new(o, groups[g][k], s);
			}
		}
		json_object_set_new(m, keys[g], o);
	}
	for (size_t i = 0; i < n; i++) {
		int sv = in[i] ? v[i].severity : -1;
		sel[i] = sv == 0 || sv == 1;
	}
	json_t *hr = stats(v, sel, n, 4);
	json_object_set_new(m, "frequency", freq);
	json_t *rep = share(repeats, count), *doc = share(documented, closed);
	json_object_set_new(m, "kpis", kpis(overall, hr, rep, doc));
	json_object_set_new(m, "repeats", rep);
	json_object_set_new(m, "documentation", doc);
	json_decref(hr);
	free(in);
	free(sel);
	return m;
}

static void prom_stats(FILE *f, const char *label, const char *val, json_t *group) {
	const char *name;
	json_t *s;
	json_object_foreach(group, name, s) {
		if (!json_is_object(s) || !json_object_get(s, "n"))
			continue;
		const char *st[] = {"median", "p90", "mean"};
		for (size_t i = 0; i < 3; i++)
			if (json_is_number(json_object_get(s, st[i])))
				fprintf(f,
				        "evident_incident_%s_seconds{%s=\"%s\",stat=\"%s\"} %.6f\n",
				        name, label, val, st[i],
				        json_number_value(json_object_get(s, st[i])));
		fprintf(f, "evident_incident_%s_count{%s=\"%s\"} %" JSON_INTEGER_FORMAT "\n", name,
		        label, val, json_integer_value(json_object_get(s, "n")));
	}
}

void ev_incident_metrics_prometheus(const json_t *m, FILE *f) {
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(m, "definitions"), k, v) {
		fprintf(f,
		        "# HELP evident_incident_%s_seconds %s (median, p90 nearest rank, mean)\n",
		        k, json_string_value(v));
		fprintf(f, "# TYPE evident_incident_%s_seconds gauge\n", k);
	}
	prom_stats(f, "severity", "all", json_object_get(m, "overall"));
	json_object_foreach(json_object_get(m, "by_severity"), k, v)
	        prom_stats(f, "severity", k, v);
	json_object_foreach(json_object_get(m, "by_impact"), k, v) prom_stats(f, "impact", k, v);
	fprintf(f, "# TYPE evident_incidents gauge\nevident_incidents %" JSON_INTEGER_FORMAT "\n",
	        json_integer_value(json_object_get(m, "incidents")));
	fprintf(f,
	        "# TYPE evident_incidents_open gauge\nevident_incidents_open %" JSON_INTEGER_FORMAT
	        "\n",
	        json_integer_value(json_object_get(m, "open")));
	fprintf(f, "# TYPE evident_incidents_by_impact gauge\n");
	json_object_foreach(json_object_get(m, "frequency"), k, v)
	        fprintf(f, "evident_incidents_by_impact{impact=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
	                k, json_integer_value(v));
	const char *shares[] = {"repeats", "documentation"};
	for (size_t i = 0; i < 2; i++) {
		json_t *p = json_object_get(json_object_get(m, shares[i]), "percent");
		if (json_is_number(p))
			fprintf(f,
			        "# TYPE evident_incident_%s_percent "
			        "gauge\nevident_incident_%s_percent %.6f\n",
			        shares[i], shares[i], json_number_value(p));
	}
	fprintf(f, "# TYPE evident_incident_kpi_met gauge\n");
	size_t i;
	json_array_foreach(json_object_get(m, "kpis"), i, v) {
		json_t *met = json_object_get(v, "met");
		if (json_is_boolean(met))
			fprintf(f, "evident_incident_kpi_met{kpi=\"%s\"} %d\n",
			        json_string_value(json_object_get(v, "kpi")), json_is_true(met));
	}
}
