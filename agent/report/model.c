/* The report model (model.h): the incident's ledger folded into report sections, each
 * evidence bundle verified at report time, custody entries from the stores the bundles sit
 * in, the communication history (update_sent entries) and the action items. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/timeparse.h"
#include "agent/report/actions.h"
#include "agent/report/model.h"
#include "store/bundle.h"
#include "store/ledger.h"
#include "util/timefmt.h"

static const char *str(const json_t *o, const char *k) {
	return json_string_value(json_object_get(o, k));
}

static int64_t to_us(const char *s) {
	int64_t us;
	return s && ev_parse_time(s, 0, &us) == 0 ? us : EV_T_UNSET;
}

int64_t ev_report_incident_downtime(const struct ev_incident *inc, const char **ret_source) {
	enum ev_tstamp a = inc->t[EV_T_IMPACT] != EV_T_UNSET ? EV_T_IMPACT : EV_T_DETECT;
	enum ev_tstamp b = inc->t[EV_T_MITIGATE] != EV_T_UNSET ? EV_T_MITIGATE : EV_T_RESOLVE;
	if (inc->t[a] == EV_T_UNSET || inc->t[b] == EV_T_UNSET || inc->t[b] < inc->t[a])
		return EV_IMPACT_UNSET;
	static char src[64];
	snprintf(src, sizeof(src), "incident (%s .. %s)", ev_tstamp_names[a], ev_tstamp_names[b]);
	*ret_source = src;
	return inc->t[b] - inc->t[a];
}

/* One line of what an entry records: what happened, never who is to blame. */
static char *describe(const char *k, const json_t *d) {
	char *s = NULL;
	const char *text = str(d, "text") ?: str(d, "note");
	int r = -1;
	if (!strcmp(k, "opened"))
		r = asprintf(&s, "incident declared%s%s", str(d, "summary") ? ": " : "",
		             str(d, "summary") ?: "");
	else if (!strcmp(k, "triaged"))
		r = asprintf(&s, "classified %s, urgency %s: severity %s", str(d, "impact") ?: "?",
		             str(d, "urgency") ?: "?", str(d, "severity") ?: "?");
	else if (!strcmp(k, "evidence"))
		r = asprintf(&s, "evidence bundle %s (%s)", str(d, "bundle_id") ?: "?",
		             str(d, "why") ?: "sealed");
	else if (!strcmp(k, "decision"))
		r = asprintf(&s, "decision: %s (rationale: %s)", str(d, "decision") ?: "",
		             str(d, "rationale") ?: "");
	else if (!strcmp(k, "role"))
		r = asprintf(&s, "role %s assigned", str(d, "role") ?: "?");
	else if (!strcmp(k, "action_proposed") || !strcmp(k, "action_approved"))
		r = asprintf(&s, "containment %s %s", str(d, "action") ?: "?",
		             k[7] == 'p' ? "proposed" : "approved");
	else if (!strcmp(k, "action_run"))
		r = asprintf(&s, "containment %s ran", str(d, "action") ?: "?");
	else if (!strcmp(k, "correction"))
		r = asprintf(&s, "%s corrected: %s", str(d, "field") ?: "?",
		             str(d, "reason") ?: "");
	else if (!strcmp(k, "action_item"))
		r = asprintf(&s, "action item %s added (%s): %s", str(d, "item") ?: "?",
		             str(d, "kind") ?: "?", str(d, "what") ?: "");
	else if (!strcmp(k, "action_item_done"))
		r = asprintf(&s, "action item %s done", str(d, "item") ?: "?");
	else if (!strcmp(k, "report_sealed"))
		r = asprintf(&s, "report sealed in bundle %s", str(d, "bundle_id") ?: "?");
	else if (!strcmp(k, "reopened"))
		r = asprintf(&s, "reopened: %s", str(d, "reason") ?: "");
	else
		r = asprintf(&s, "%s%s%s", k, text ? ": " : "", text ?: "");
	return r < 0 ? NULL : s;
}

static json_t *event(int64_t at, const char *what, const char *detail, const char *by,
                     const char *source) {
	return json_pack("{s:I, s:o, s:s, s:s?, s:s?, s:s}", "at_us", (json_int_t)at, "at",
	                 ev_incident_time_json(at), "event", what, "detail", detail, "by", by,
	                 "source", source);
}

static int64_t entry_at(const json_t *e) {
	int64_t at = to_us(str(json_object_get(e, "details"), "at"));
	return at != EV_T_UNSET ? at : to_us(str(e, "time"));
}

static json_t *ledger_timeline(const struct ev_incident *inc, bool blameless) {
	json_t *tl = json_array();
	/* the two moments the ledger holds as data rather than as entries of their own */
	if (inc->t[EV_T_IMPACT] != EV_T_UNSET)
		json_array_append_new(tl, event(inc->t[EV_T_IMPACT], "impact_started",
		                                "the impact began (t_impact)", NULL,
		                                "incident ledger"));
	if (inc->t[EV_T_DETECT] != EV_T_UNSET)
		json_array_append_new(tl, event(inc->t[EV_T_DETECT], "detected",
		                                "the incident was detected (t_detect)", NULL,
		                                "incident ledger"));
	size_t i;
	const json_t *e;
	json_array_foreach(inc->entries, i, e) {
		const char *k = str(e, "action");
		if (!k || !json_is_true(json_object_get(e, "_valid")))
			continue;
		char *d = describe(k, json_object_get(e, "details"));
		const json_t *a = json_object_get(e, "actor");
		json_array_append_new(tl, event(entry_at(e), k, d ? d : k,
		                                blameless ? NULL : str(a, "name") ?: str(a, "user"),
		                                "incident ledger"));
		free(d);
	}
	return tl;
}

static int by_time(const void *a, const void *b) {
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t p = json_integer_value(json_object_get(x, "at_us"));
	json_int_t q = json_integer_value(json_object_get(y, "at_us"));
	if (p != q)
		return p < q ? -1 : 1;
	json_int_t s = json_integer_value(json_object_get(x, "_n"));
	json_int_t t = json_integer_value(json_object_get(y, "_n"));
	return s < t ? -1 : s > t;
}

void ev_report_timeline_merge(json_t *model, const json_t *events) {
	json_t *tl = json_object_get(model, "timeline");
	size_t i, n;
	json_t *v;
	json_array_foreach(events, i, v) json_array_append(tl, v);
	n = json_array_size(tl);
	json_t **arr = calloc(n ? n : 1, sizeof(*arr));
	if (!arr)
		return;
	json_array_foreach(tl, i, v) {
		arr[i] = json_incref(v);
		json_object_set_new(v, "_n", json_integer((json_int_t)i));
	}
	qsort(arr, n, sizeof(*arr), by_time);
	json_array_clear(tl);
	for (i = 0; i < n; i++) {
		json_object_del(arr[i], "_n");
		json_array_append_new(tl, arr[i]);
	}
	free(arr);
}

/* Verify one bundle now: {status, verified, findings, host (from the manifest when it
 * authenticates)}. */
static json_t *verify_now(const char *path, const char *want_sha256, const struct store_keyring *kr,
                          json_t **manifest) {
	struct store_report rep = {0};
	struct store_bundle_info info = {0};
	const char *status = "verified";
	json_t *findings = json_array();
	int fd = path ? open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY) : -1;
	if (fd < 0)
		status = "MISSING";
	else {
		struct store_verify_limits lim = {0};
		int r = store_bundle_verify_fd(fd, path, kr, &lim, NULL, &rep, &info);
		close(fd);
		for (size_t i = 0; i < rep.n; i++)
			json_array_append_new(findings,
			                      json_pack("{s:s, s:s?, s:s?}", "code",
			                                store_finding_name(rep.v[i].code), "where",
			                                rep.v[i].where, "message", rep.v[i].msg));
		char mh[STORE_HEX_LEN + 1];
		store_hex(info.manifest_sha256, STORE_HASH_LEN, mh);
		if (r < 0)
			status = "UNREADABLE";
		else if (rep.n)
			status = "FAILED";
		else if (!info.authenticated)
			status = "UNKNOWN_KEY";
		else if (!want_sha256 || strcmp(mh, want_sha256)) {
			/* a valid bundle, but not the one the incident recorded */
			status = "FAILED";
			json_array_append_new(
			        findings, json_pack("{s:s, s:s, s:s}", "code", "MANIFEST_MISMATCH",
			                            "where", path, "message",
			                            "the manifest hash differs from the one the "
			                            "incident recorded"));
		}
	}
	*manifest = info.manifest ? json_incref(info.manifest) : NULL;
	store_report_clear(&rep);
	store_bundle_info_clear(&info);
	return json_pack("{s:s, s:b, s:o}", "status", status, "verified",
	                 !strcmp(status, "verified"), "findings", findings);
}

/* The custody entries naming bundle `bid` in the custody ledger of `store` (appended to
 * out, each with the store it came from). */
static void custody_of(const char *store, const char *bid, json_t *out) {
	char p[4200], *buf = NULL;
	size_t len = 0;
	snprintf(p, sizeof(p), "%s/custody.jsonl", store);
	if (!bid || store_read_file(p, STORE_LEDGER_CAP, &buf, &len) < 0)
		return;
	for (char *line = buf, *nl; line < buf + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(buf + len - line));
		if (!nl)
			nl = buf + len;
		json_t *e = json_loadb(line, (size_t)(nl - line), 0, NULL);
		const char *b = str(e, "bundle");
		if (b && strstr(b, bid)) {
			const json_t *a = json_object_get(e, "actor");
			json_array_append_new(
			        out, json_pack("{s:O?, s:O?, s:s, s:s?, s:s?, s:s}", "time",
			                       json_object_get(e, "time"), "action",
			                       json_object_get(e, "action"), "bundle", b, "actor",
			                       str(a, "name") ?: str(a, "user"), "host",
			                       str(a, "host"), "store", store));
		}
		json_decref(e);
	}
	free(buf);
}

/* The alerts an automatic seal's manifest records (trigger kind "rule": one event per
 * alert summary, at the alert's time; at most 50), appended to out. */
static void trigger_events(const json_t *m, const char *host, json_t *out) {
	const json_t *t = json_object_get(m, "trigger"), *alerts = json_object_get(t, "alerts");
	const char *rule = str(t, "rule");
	if (!rule)
		return;
	size_t n = json_array_size(alerts);
	for (size_t i = 0; i < (n ? MIN(n, (size_t)50) : 1); i++) {
		const json_t *a = json_array_get(alerts, i);
		char *d = NULL;
		if (asprintf(&d, "alert of rule %s (%s) on %s, sealed in bundle %s", rule,
		             str(t, "title") ?: "", host ? host : "?",
		             str(m, "bundle_id") ?: "?") < 0)
			return;
		int64_t at = to_us(str(a, "time") ?: str(m, "created"));
		json_array_append_new(out, event(at, "alert", d, NULL, "bundle manifest"));
		free(d);
	}
}

static json_t *artifacts(const struct ev_report_opts *o, json_t *alerts) {
	json_t *bundles = json_array(), *custody = json_array(), *comms = json_array();
	size_t i;
	const json_t *v;
	json_array_foreach(o->inc->evidence, i, v) {
		const char *path = str(v, "bundle"), *bid = str(v, "bundle_id");
		json_t *m = NULL, *b = verify_now(path, str(v, "manifest_sha256"), o->kr, &m);
		const json_t *host = json_object_get(m ? m : v, "host");
		const char *hn = json_is_object(host) ? str(host, "hostname") : str(v, "host");
		json_object_set_new(b, "bundle_id", bid ? json_string(bid) : json_null());
		json_object_set_new(b, "host", hn ? json_string(hn) : json_null());
		json_object_set(b, "manifest_sha256", json_object_get(v, "manifest_sha256"));
		json_object_set_new(b, "path", path ? json_string(path) : json_null());
		json_object_set(b, "why", json_object_get(v, "why"));
		/* alerts only from a bundle that verifies now */
		if (m && json_is_true(json_object_get(b, "verified")))
			trigger_events(m, hn, alerts);
		json_array_append_new(bundles, b);
		/* the custody of the store it sits in, and this host's (imports are recorded here)
		 */
		char *store = path ? ev_store_of_bundle(path) : NULL;
		char *rs = store ? realpath(store, NULL) : NULL,
		     *rl = realpath(o->cfg->store.path, NULL);
		if (store)
			custody_of(store, bid, custody);
		if (rl && (!rs || strcmp(rs, rl)))
			custody_of(o->cfg->store.path, bid, custody);
		free(rs);
		free(rl);
		free(store);
		json_decref(m);
	}
	json_array_foreach(o->inc->entries, i, v) {
		if (!json_is_true(json_object_get(v, "_valid")) ||
		    strcmp(str(v, "action") ?: "", "update_sent"))
			continue;
		const json_t *a = json_object_get(v, "actor");
		json_array_append_new(comms, json_pack("{s:o, s:s?, s:s?}", "at",
		                                       ev_incident_time_json(entry_at(v)), "text",
		                                       str(json_object_get(v, "details"), "text"),
		                                       "by", str(a, "name") ?: str(a, "user")));
	}
	size_t failing = 0;
	json_array_foreach(bundles, i, v) failing += !json_is_true(json_object_get(v, "verified"));
	return json_pack("{s:o, s:o, s:o, s:I, s:b}", "bundles", bundles, "custody", custody,
	                 "communications", comms, "failing", (json_int_t)failing, "all_verified",
	                 failing == 0);
}

static json_t *impact_section(const struct ev_report_opts *o) {
	struct ev_impact_in in = o->impact;
	const json_t *tr = o->inc->triage;
	if (in.users < 0 && json_is_integer(json_object_get(tr, "affected_users")))
		in.users = json_integer_value(json_object_get(tr, "affected_users"));
	if (in.total_users < 0 && o->cfg->incidents.user_base > 0)
		in.total_users = o->cfg->incidents.user_base;
	if (in.downtime_us < 0)
		in.downtime_us = ev_report_incident_downtime(o->inc, &in.downtime_source);
	json_t *im = ev_impact_compute(&in);
	json_object_set_new(im, "services",
	                    o->inc->services ? json_incref(o->inc->services) : json_array());
	return im;
}

static json_t *decisions(const struct ev_incident *inc) {
	json_t *out = json_array();
	size_t i;
	const json_t *e;
	json_array_foreach(inc->entries, i, e) {
		if (!json_is_true(json_object_get(e, "_valid")) ||
		    strcmp(str(e, "action") ?: "", "decision"))
			continue;
		const json_t *d = json_object_get(e, "details");
		json_array_append_new(out, json_pack("{s:o, s:s?, s:s?}", "at",
		                                     ev_incident_time_json(entry_at(e)), "decision",
		                                     str(d, "decision"), "rationale",
		                                     str(d, "rationale")));
	}
	return out;
}

static json_t *times(const struct ev_incident *inc) {
	json_t *t = json_array();
	for (int i = 0; i < _EV_T_MAX; i++)
		if (inc->t[i] != EV_T_UNSET)
			json_array_append_new(t, json_pack("{s:s, s:o}", "name", ev_tstamp_names[i],
			                                   "at", ev_incident_time_json(inc->t[i])));
	return t;
}

static json_t *roles(const struct ev_incident *inc) {
	json_t *r = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(inc->roles, k, v)
	        json_array_append_new(r, json_pack("{s:s, s:O}", "role", k, "person", v));
	return r;
}

json_t *ev_report_model(const struct ev_report_opts *o) {
	const struct ev_incident *inc = o->inc;
	const json_t *tr = inc->triage;
	json_t *alerts = json_array();
	json_t *items = ev_action_items(inc->entries, o->now);
	size_t overdue = 0, i;
	json_t *v;
	json_array_foreach(items, i, v) overdue += json_is_true(json_object_get(v, "overdue"));
	const char *summary = NULL;
	json_array_foreach(inc->entries, i, v) if (!strcmp(str(v, "action") ?: "", "opened"))
	        summary = str(json_object_get(v, "details"), "summary");
	if (str(tr, "summary"))
		summary = str(tr, "summary");
	json_t *m = json_pack(
	        "{s:s, s:s, s:b, s:o, s:b, s:s, s:O?, s:O?, s:O?, s:s?, s:o, s:o, s:o, s:o, s:o,"
	        " s:s?, s:s?, s:o, s:o, s:I, s:o, s:b}",
	        "incident", inc->id, "title", o->postmortem ? "Postmortem" : "Incident report",
	        "postmortem", o->postmortem, "generated_at", ev_incident_time_json(o->now), "drill",
	        inc->drill, "state", inc->state, "severity", json_object_get(tr, "severity"),
	        "impact_type", json_object_get(tr, "impact"), "urgency",
	        json_object_get(tr, "urgency"), "summary", summary, "services",
	        inc->services ? json_incref(inc->services) : json_array(), "roles", roles(inc),
	        "times", times(inc), "timeline", ledger_timeline(inc, o->postmortem), "impact",
	        impact_section(o), "root_cause", inc->root_cause, "resolution", inc->resolution,
	        "decisions", decisions(inc), "action_items", items, "overdue_items",
	        (json_int_t)overdue, "chart_svg",
	        o->chart_svg ? json_string(o->chart_svg) : json_null(), "ledger_verified",
	        inc->n_invalid == 0);
	if (!m) {
		json_decref(alerts);
		return NULL;
	}
	json_object_set_new(m, "artifacts", artifacts(o, alerts));
	ev_report_timeline_merge(m, alerts);
	json_decref(alerts);
	return m;
}
