/* Triage, shared by the agent and `evident triage --offline` (see triage.h). The check
 * comes first and writes nothing; the seal runs where the caller runs it; the record
 * opens or extends the incident with signed entries. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "agent/cmd/timeparse.h"
#include "agent/incident/incident.h"
#include "agent/incident/policy.h"
#include "agent/incident/triage.h"
#include "agent/notify/outbox.h"
#include "agent/settings.h"
#include "store/ledger.h"
#include "util/timefmt.h"

/* A time field: absent is fine; present, it must parse and not lie ahead of now. */
static int check_time(const json_t *rq, const char *k, int64_t now, int64_t *ret, char *msg,
                      size_t len) {
	const char *s = json_string_value(json_object_get(rq, k));
	*ret = EV_T_UNSET;
	if (!json_object_get(rq, k))
		return 0;
	if (!s || ev_parse_time(s, now, ret) < 0) {
		snprintf(msg, len, "%s: '%s' is not a time (%s)", k, s ? s : "(not a string)",
		         EV_TIME_FORMS);
		return -EINVAL;
	}
	if (*ret > now + 60 * 1000000LL) {
		snprintf(msg, len, "%s: '%s' is in the future", k, s);
		return -EINVAL;
	}
	return 0;
}

static int check_set(const json_t *rq, const char *k, const char *const *set, char *msg,
                     size_t len) {
	const char *v = json_string_value(json_object_get(rq, k));
	if (v && ev_incident_index(set, v) >= 0)
		return 0;
	char c[300];
	ev_incident_choices(set, c, sizeof(c));
	if (v)
		snprintf(msg, len, "unknown %s '%s' (expected %s)", k, v, c);
	else
		snprintf(msg, len, "%s is required (%s)", k, c);
	return -EINVAL;
}

int ev_triage_check(const json_t *rq, int64_t now, char *msg, size_t len) {
	const char *id = json_string_value(json_object_get(rq, "incident"));
	if (!id) {
		snprintf(msg, len, "incident is required");
		return -EINVAL;
	}
	if (ev_incident_id_check(id, msg, len) < 0 ||
	    check_set(rq, "impact", ev_incident_impacts, msg, len) < 0 ||
	    check_set(rq, "urgency", ev_incident_urgencies, msg, len) < 0)
		return -EINVAL;
	json_t *u = json_object_get(rq, "affected_users");
	if (u && (!json_is_integer(u) || json_integer_value(u) < 0)) {
		snprintf(msg, len, "affected_users must be a count (0 or more)");
		return -EINVAL;
	}
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(rq, "services"), i, s) {
		const char *v = json_string_value(s);
		if (!v || ev_incident_id_check(v, msg, len) < 0) {
			snprintf(msg, len,
			         "service '%s' is not a service name (letters, digits, '.', "
			         "'_', '-')",
			         v ? v : "(not a string)");
			return -EINVAL;
		}
	}
	int64_t imp, det;
	if (check_time(rq, "impact_started", now, &imp, msg, len) < 0 ||
	    check_time(rq, "detected", now, &det, msg, len) < 0)
		return -EINVAL;
	if (imp != EV_T_UNSET && det != EV_T_UNSET && imp > det) {
		snprintf(msg, len, "impact_started is after detected (the impact starts first)");
		return -EINVAL;
	}
	return 0;
}

int ev_triage_state_check(const char *state_dir, const json_t *rq, char *msg, size_t len) {
	const char *id = json_string_value(json_object_get(rq, "incident"));
	struct ev_incident inc;
	if (ev_incident_load(state_dir, id, NULL, NULL, &inc) < 0)
		return 0; /* new (or unreadable: the record says why) */
	bool closed = !strcmp(inc.state, "closed");
	ev_incident_done(&inc);
	if (!closed)
		return 0;
	snprintf(msg, len,
	         "incident %s is closed: reopen it first ('evident incident reopen %s "
	         "--reason TEXT')",
	         id, id);
	return -EEXIST;
}

json_t *ev_triage_classify(const struct ev_config *cfg, const json_t *rq) {
	int impact = ev_incident_index(ev_incident_impacts,
	                               json_string_value(json_object_get(rq, "impact")));
	int urgency = ev_incident_index(ev_incident_urgencies,
	                                json_string_value(json_object_get(rq, "urgency")));
	json_t *u = json_object_get(rq, "affected_users");
	bool many = false;
	int sev = ev_incident_severity(cfg, impact, urgency, u ? json_integer_value(u) : -1, &many);
	if (sev < 0)
		return NULL;
	char every[64] = "", ack[64];
	uint64_t e = ev_incident_update_every(cfg, sev);
	if (e)
		ev_format_duration(e, every, sizeof(every));
	ev_format_duration(cfg->incidents.ack_within, ack, sizeof(ack));
	const char *impact_s = ev_incident_impacts[impact];
	json_t *scope = json_pack("{s:[], s:[], s:[]}", "units", "programs", "files");
	json_t *unscoped = json_array();
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(rq, "services"), i, s) {
		json_t *one = json_array();
		json_array_append(one, s);
		const char *unknown = NULL;
		json_t *sc = ev_incident_scope(cfg, one, &unknown);
		if (!sc)
			json_array_append(unscoped, s);
		for (const char *f = "units"; sc && f; f = !strcmp(f, "units")      ? "programs"
		                                           : !strcmp(f, "programs") ? "files"
		                                                                    : NULL)
			json_array_extend(json_object_get(scope, f), json_object_get(sc, f));
		json_decref(sc);
		json_decref(one);
	}
	const char *rb = ev_incident_list_get(&cfg->incidents.runbooks, impact_s);
	return json_pack(
	        "{s:s, s:b, s:o, s:s?, s:s, s:o, s:s?, s:o, s:o}", "severity",
	        ev_incident_severities[sev], "many_users", many, "teams",
	        ev_incident_routing(cfg, sev), "update_every", e ? every : NULL, "ack_within", ack,
	        "containment",
	        ev_incident_words(ev_incident_list_get(&cfg->incidents.containment, impact_s)),
	        "runbook", rb, "scope", scope, "unscoped_services", unscoped);
}

json_t *ev_triage_seal_request(const json_t *rq, const json_t *cls) {
	json_t *r = json_pack("{s:s, s:O}", "request", "triage", "incident",
	                      json_object_get(rq, "incident"));
	if (!r)
		return NULL;
	json_t *scope = json_object_get(cls, "scope");
	json_t *files = json_object_get(scope, "files"), *units = json_object_get(scope, "units");
	if (json_array_size(files) || json_array_size(units) ||
	    json_array_size(json_object_get(scope, "programs"))) {
		json_t *src = json_deep_copy(files);
		if (json_array_size(units) || json_array_size(json_object_get(scope, "programs")))
			json_array_append_new(src, json_string("journal"));
		json_object_set_new(r, "sources", src);
		if (json_array_size(units))
			json_object_set(r, "units", units);
	}
	if (json_is_string(json_object_get(rq, "drill_log"))) /* a drill's records */
		json_object_set_new(r, "copies",
		                    json_pack("[O]", json_object_get(rq, "drill_log")));
	char *note = NULL;
	char *fields = json_dumps(rq, JSON_COMPACT | JSON_SORT_KEYS);
	if (fields && asprintf(&note, "%striage %s severity %s",
	                       json_is_true(json_object_get(rq, "drill")) ? "DRILL: " : "", fields,
	                       json_string_value(json_object_get(cls, "severity"))) < 0)
		note = NULL;
	if (note)
		json_object_set_new(r, "note", json_string(note));
	free(fields);
	free(note);
	return r;
}

int ev_incident_key(const struct ev_config *cfg, struct store_key **ret, struct store_keyring *kr,
                    struct ev_errlist *errs) {
	if (!cfg->store.key) {
		ev_errlist_add(errs, cfg->origin, 0, 0,
		               "store.key is not set: incident ledgers are signed with it");
		return -ENOKEY;
	}
	int r = store_key_load_private(cfg->store.key, ret, errs);
	if (r < 0)
		return r;
	if (kr && (r = store_keyring_add_public(kr, *ret, true)) < 0) {
		store_key_free(*ret);
		*ret = NULL;
	}
	return r;
}

/* The `triaged` payload: the request's fields, the classification, and on a re-triage
 * the previous classification and why it changed. */
static json_t *triaged_payload(const json_t *rq, const json_t *cls,
                               const struct ev_incident *prev) {
	json_t *p = json_deep_copy(rq);
	json_object_del(p, "request");
	json_object_del(p, "as");
	json_object_del(p, "incident");
	json_object_del(p, "detected");
	json_object_update(p, (json_t *)cls);
	if (prev && prev->triage) {
		json_object_set_new(p, "previous",
		                    json_pack("{s:O?, s:O?, s:O?, s:O?}", "impact",
		                              json_object_get(prev->triage, "impact"), "urgency",
		                              json_object_get(prev->triage, "urgency"), "severity",
		                              json_object_get(prev->triage, "severity"),
		                              "affected_users",
		                              json_object_get(prev->triage, "affected_users")));
		if (!json_object_get(p, "reason"))
			json_object_set_new(p, "reason",
			                    json_string("re-triaged (no reason given)"));
	}
	return p;
}

/* Why an existing incident cannot be triaged now (its ledger does not verify, it is
 * closed), or 0; lr is what loading it returned (-ENOENT: it is new). */
static int triage_refused(const char *id, int lr, const struct ev_incident *inc,
                          struct ev_errlist *errs) {
	if (lr < 0 && lr != -ENOENT) {
		ev_errlist_add(errs, id, 0, 0, "cannot read the incident: %s", strerror(-lr));
		return lr;
	}
	if (lr == -ENOENT)
		return 0;
	if (inc->n_invalid) {
		ev_errlist_add(errs, id, 0, 0,
		               "the incident's ledger does not verify (%zu bad "
		               "lines): nothing written; see 'evident verify'",
		               inc->n_invalid);
		return -EBADMSG;
	}
	if (!strcmp(inc->state, "closed")) {
		ev_errlist_add(errs, id, 0, 0,
		               "the incident is closed: reopen it first "
		               "('evident incident reopen %s --reason TEXT')",
		               id);
		return -EEXIST;
	}
	return 0;
}

/* The ledger entries of one triage: "opened" for a new incident (announcing the key),
 * "triaged", and "evidence" when it sealed. */
static int triage_append(const char *state_dir, const char *id, const struct store_key *key,
                         const json_t *rq, const json_t *cls, const json_t *seal_result,
                         const json_t *actor, const struct ev_incident *inc,
                         struct ev_errlist *errs) {
	int r = 0;
	if (!inc) {
		/* the key is announced in the first entry: `evident verify` without --pub
		 * trusts it (unpinned), as a store trusts the key it began with */
		char *pem = store_key_public_pem(key);
		json_t *o = json_pack("{s:O?, s:O?, s:s?}", "detected_at",
		                      json_object_get(rq, "detected"), "summary",
		                      json_object_get(rq, "summary"), "public_key", pem);
		if (o && json_is_true(json_object_get(rq, "drill"))) /* a drill's incident */
			json_object_set_new(o, "drill", json_true());
		free(pem);
		r = ev_incident_append(state_dir, id, key, "opened", NULL, o, actor, errs);
	}
	if (r >= 0)
		r = ev_incident_append(state_dir, id, key, "triaged", NULL,
		                       triaged_payload(rq, cls, inc), actor, errs);
	const char *bundle = json_string_value(json_object_get(seal_result, "bundle_id"));
	if (r >= 0 && seal_result)
		r = ev_incident_append(
		        state_dir, id, key, "evidence", bundle,
		        json_pack("{s:O?, s:O?, s:O?, s:O?, s:s}", "bundle",
		                  json_object_get(seal_result, "bundle"), "bundle_id",
		                  json_object_get(seal_result, "bundle_id"), "manifest_sha256",
		                  json_object_get(seal_result, "manifest_sha256"), "sequence",
		                  json_object_get(seal_result, "sequence"), "why", "triage"),
		        actor, errs);
	return r;
}

/* The answer of a recorded triage: the classification, the incident, its ledger, the
 * bundle, the notifications queued for a new one, its state and acknowledge deadline. */
static json_t *triage_answer(const struct ev_config *cfg, const char *state_dir, const char *id,
                             struct store_keyring *kr, const json_t *cls, const json_t *seal_result,
                             const json_t *actor, bool created) {
	/* channels taking "opened" (queued; the agent delivers): never fails the triage */
	int nq = created ? ev_notify_queue_event(cfg, state_dir, "opened", id, cls, actor) : 0;
	json_t *a = json_deep_copy(cls);
	if (nq > 0)
		json_object_set_new(a, "notifications_queued", json_integer(nq));
	else if (nq < 0)
		json_object_set_new(a, "notifications_error", json_string(strerror(-nq)));
	char p[4096];
	ev_incident_ledger_path(state_dir, id, p, sizeof(p));
	json_object_set_new(a, "incident", json_string(id));
	json_object_set_new(a, "created", json_boolean(created));
	json_object_set_new(a, "ledger", json_string(p));
	json_object_set(a, "bundle",
	                seal_result ? json_object_get(seal_result, "bundle") : json_null());
	json_object_set(a, "manifest_sha256",
	                seal_result ? json_object_get(seal_result, "manifest_sha256")
	                            : json_null());
	/* the acknowledge deadline runs from detection */
	struct ev_incident now = {0};
	if (ev_incident_load(state_dir, id, kr, NULL, &now) == 0) {
		json_object_set_new(a, "state", json_string(now.state));
		json_object_set_new(
		        a, "ack_deadline",
		        ev_incident_time_json(
		                now.t[EV_T_ACK] != EV_T_UNSET
		                        ? EV_T_UNSET
		                        : now.t[EV_T_DETECT] + (int64_t)cfg->incidents.ack_within));
		ev_incident_done(&now);
	}
	return a;
}

int ev_triage_record(const struct ev_config *cfg, const char *state_dir, const json_t *rq,
                     const json_t *cls, const json_t *seal_result, const json_t *actor,
                     json_t **ret_answer, struct ev_errlist *errs) {
	const char *id = json_string_value(json_object_get(rq, "incident"));
	struct store_key *key = NULL;
	struct store_keyring kr = {0};
	struct ev_incident inc = {0};
	int r = ev_incident_key(cfg, &key, &kr, errs);
	if (r < 0)
		return r;
	int lr = ev_incident_load(state_dir, id, &kr, NULL, &inc);
	bool created = lr == -ENOENT;
	r = triage_refused(id, lr, &inc, errs);
	if (r >= 0)
		r = triage_append(state_dir, id, key, rq, cls, seal_result, actor,
		                  created ? NULL : &inc, errs);
	if (r >= 0)
		*ret_answer =
		        triage_answer(cfg, state_dir, id, &kr, cls, seal_result, actor, created);
	if (!created)
		ev_incident_done(&inc);
	store_keyring_clear(&kr);
	store_key_free(key);
	return r;
}
