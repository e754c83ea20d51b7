/* An incident as input to evident analyze (incident_in.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/analyze/incident_in.h"
#include "agent/cmd/timeparse.h"
#include "agent/incident/incident.h"
#include "store/bundle.h"
#include "store/store.h"
#include "util/macro.h"

static const char *dstr(const json_t *o, const char *k) {
	return json_string_value(json_object_get(o, k));
}

static int64_t entry_time(const json_t *e, int64_t now_us) {
	int64_t us;
	const char *at = dstr(json_object_get(e, "details"), "at");
	if (at && ev_parse_time(at, now_us, &us) == 0)
		return us;
	const char *t = dstr(e, "time");
	return t && ev_parse_time(t, now_us, &us) == 0 ? us : EV_T_UNSET;
}

static const char *marker_kind(const char *action) {
	static const char *const map[][2] = {
	        {"triaged", "triage"},         {"evidence", "seal"},
	        {"opened", "declared"},        {"resolved", "resolution"},
	        {"action_proposed", "action"}, {"action_approved", "action"},
	        {"action_run", "action"}};
	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (!strcmp(action, map[i][0]))
			return map[i][1];
	return action;
}

/* A short text for an entry: what it says in its own words. */
static char *entry_text(const char *action, const json_t *d) {
	char *s = NULL;
	int r;
	if (!strcmp(action, "evidence"))
		r = asprintf(&s, "bundle %s (%s)", dstr(d, "bundle_id") ?: "?",
		             dstr(d, "why") ?: "seal");
	else if (!strcmp(action, "decision"))
		r = asprintf(&s, "%s (rationale: %s)", dstr(d, "decision") ?: "",
		             dstr(d, "rationale") ?: "");
	else if (!strcmp(action, "triaged"))
		r = asprintf(&s, "impact %s, urgency %s, severity %s", dstr(d, "impact") ?: "-",
		             dstr(d, "urgency") ?: "-", dstr(d, "severity") ?: "-");
	else if (!strncmp(action, "action_", 7))
		r = asprintf(&s, "%s %s", action + 7, dstr(d, "action") ?: "");
	else {
		static const char *const keys[] = {"text", "resolution", "root_cause", "summary",
		                                   "note", "reason",     "person",     "value"};
		const char *t = NULL;
		for (size_t i = 0; !t && i < ELEMENTSOF(keys); i++)
			t = dstr(d, keys[i]);
		r = asprintf(&s, "%s", t ? t : action);
	}
	return r < 0 ? NULL : s;
}

static const char *entry_host(const char *action, const json_t *e) {
	const json_t *d = json_object_get(e, "details");
	const char *h =
	        !strcmp(action, "evidence") ? dstr(json_object_get(d, "host"), "hostname") : NULL;
	return h ? h : dstr(json_object_get(e, "actor"), "host");
}

static int add_bundle(json_t *bundles, const json_t *d) {
	const char *path = dstr(d, "bundle");
	size_t i;
	json_t *b;
	if (!path)
		return 0;
	json_array_foreach(bundles, i, b) if (!strcmp(dstr(b, "bundle"), path)) return 0;
	return json_array_append_new(bundles,
	                             json_pack("{s:s, s:O?}", "bundle", path, "manifest_sha256",
	                                       json_object_get(d, "manifest_sha256")));
}

static int fold(struct analyze_incident_input *in, const json_t *entries, int64_t now_us) {
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e) {
		const char *action = dstr(e, "action");
		int64_t t = entry_time(e, now_us);
		if (!json_is_true(json_object_get(e, "_valid")) || !action || t == EV_T_UNSET)
			continue;
		const json_t *d = json_object_get(e, "details");
		_cleanup_free_ char *text = entry_text(action, d);
		const char *host = entry_host(action, e);
		json_t *ev =
		        text ? json_pack("{s:I, s:s, s:s, s:s?}", "t_us", (json_int_t)t, "kind",
		                         marker_kind(action), "text", text, "host", host)
		             : NULL;
		if (!ev || json_array_append_new(in->events, ev) < 0)
			return -ENOMEM;
		if (!strcmp(action, "evidence") && add_bundle(in->bundles, d) < 0)
			return -ENOMEM;
		if (in->since_us == EV_T_UNSET || t < in->since_us)
			in->since_us =
			        t; /* the first entry, when neither impact nor detect is set */
	}
	return 0;
}

int analyze_incident_read(const struct ev_config *cfg, const char *state_dir, const char *id,
                          int64_t now_us, struct analyze_incident_input *ret,
                          struct ev_errlist *errs) {
	char msg[300];
	if (ev_incident_id_check(id, msg, sizeof(msg)) < 0) {
		ev_errlist_add(errs, NULL, 0, 0, "%s", msg);
		return -EINVAL;
	}
	const char *dir = state_dir ? state_dir : cfg->agent.state_dir;
	struct store_keyring kr = {0};
	struct ev_incident inc = {0};
	if (cfg->store.path)
		store_trusted_keys(cfg->store.path, &kr, NULL);
	int r = ev_incident_load(dir, id, kr.n ? &kr : NULL, NULL, &inc);
	store_keyring_clear(&kr);
	if (r < 0) {
		ev_errlist_add(errs, NULL, 0, 0, "incident %s: %s", id,
		               r == -ENOENT ? "no such incident" : strerror(-r));
		return r;
	}
	*ret = (struct analyze_incident_input){.since_us = EV_T_UNSET,
	                                       .bundles = json_array(),
	                                       .events = json_array(),
	                                       .n_invalid = inc.n_invalid};
	r = ret->bundles && ret->events ? fold(ret, inc.entries, now_us) : -ENOMEM;
	if (inc.t[EV_T_IMPACT] != EV_T_UNSET)
		ret->since_us = inc.t[EV_T_IMPACT];
	else if (inc.t[EV_T_DETECT] != EV_T_UNSET)
		ret->since_us = inc.t[EV_T_DETECT];
	ret->until_us = inc.t[EV_T_RESOLVE] != EV_T_UNSET ? inc.t[EV_T_RESOLVE] : now_us;
	if (ret->since_us == EV_T_UNSET || ret->since_us > ret->until_us)
		ret->since_us = ret->until_us;
	ev_incident_done(&inc);
	if (r < 0) {
		analyze_incident_input_done(ret);
		ev_errlist_add(errs, NULL, 0, 0, "out of memory");
	}
	return r;
}

int analyze_incident_markers(struct analysis *a, const struct analyze_incident_input *in) {
	size_t i;
	json_t *e;
	json_array_foreach(in->events, i, e) {
		int r = analyze_add_marker_host(a, json_integer_value(json_object_get(e, "t_us")),
		                                dstr(e, "kind"), dstr(e, "text"), dstr(e, "host"));
		if (r == -ENOMEM)
			return r;
	}
	return 0;
}

void analyze_incident_input_done(struct analyze_incident_input *in) {
	json_decref(in->bundles);
	json_decref(in->events);
	*in = (struct analyze_incident_input){0};
}
