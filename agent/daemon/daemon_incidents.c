/* The incident clocks in the agent: every incidents.check_interval (and once at start,
 * so a restart catches up at once) the incident ledgers under the state directory are
 * read and every deadline missed since (agent/incident/deadlines.h) is written to the
 * incident's ledger, signed with store.key, by the agent as actor, and sent to the alert
 * sinks and the hook as {"type":"incident_deadline", "incident", "kind", ...}. Nothing is
 * kept in memory between ticks: the ledger says what was already written, so the
 * deadlines survive a restart. A ledger that does not verify is skipped (logged once per
 * start). The work is small (a few files) and runs in the loop thread. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon/daemon.h"
#include "agent/daemon/daemon_log.h"
#include "agent/daemon/daemon_notify.h"
#include "agent/incident/deadlines.h"
#include "agent/selectors.h"
#include "agent/incident/triage.h"
#include "util/clock.h"

struct ev_incident_clock {
	sd_event_source *timer;
	bool no_key_logged, broken_logged;
	uint64_t written;
	json_t *opening; /* {incident id: monotonic µs}: triages of open_incident in flight */
	uint64_t alerts_coalesced;
};

/* While a rule's first triage seals, its further alerts are only counted (at most the
 * seal's time limit; then the ledger exists, or the triage failed and may be tried again). */
static bool opening(struct ev_incident_clock *c, const char *id) {
	json_t *t = json_object_get(c->opening, id);
	uint64_t now = ev_now_monotonic_us();
	if (t && now - (uint64_t)json_integer_value(t) < EV_SEAL_TIMEOUT_USEC)
		return true;
	if (json_object_size(c->opening) > 1024)
		json_object_clear(c->opening);
	json_object_set_new(c->opening, id, json_integer((json_int_t)now));
	return false;
}

static void record(struct ev_daemon *d, const struct store_key *key, const struct ev_incident *inc,
                   json_t *due, const json_t *actor) {
	const char *id = inc->id;
	const char *kind = json_string_value(json_object_get(due, "kind"));
	json_t *payload = json_object_get(due, "payload");
	struct ev_errlist errs = {0};
	int r = ev_incident_append(d->state_dir, id, key, kind, NULL, json_incref(payload), actor,
	                           &errs);
	if (r < 0) {
		char *m = errs.n ? ev_error_format(&errs.v[0]) : NULL;
		ev_dlog(LOG_WARNING, "incident %s: cannot write %s: %s", id, kind,
		        m ? m : strerror(-r));
		free(m);
		ev_errlist_clear(&errs);
		return;
	}
	d->incident_clock->written++;
	ev_dlog(LOG_WARNING, "incident %s: %s", id,
	        !strcmp(kind, "escalated") ? "not acknowledged: escalated" : "an update is due");
	json_t *ev = json_deep_copy(payload);
	json_object_set_new(ev, "type", json_string("incident_deadline"));
	json_object_set_new(ev, "incident", json_string(id));
	json_object_set_new(ev, "kind", json_string(kind));
	if (d->sinks)
		ev_sinks_emit_incident(d->sinks, ev);
	if (!strcmp(kind, "update_due"))
		ev_notifier_update_due(d, inc, ev);
	else
		ev_notifier_event(d, kind, id, ev);
	json_decref(ev);
}

static void check_all(struct ev_daemon *d) {
	struct ev_incident_clock *c = d->incident_clock;
	struct store_key *key = NULL;
	struct store_keyring kr = {0};
	struct ev_errlist errs = {0};
	json_t *ids = ev_incident_list_ids(d->state_dir);
	if (!json_array_size(ids))
		goto out;
	if (ev_incident_key(d->cfg, &key, &kr, &errs) < 0) {
		if (!c->no_key_logged)
			ev_dlog(LOG_WARNING, "incident deadlines are not kept: store.key cannot be "
			                     "loaded (the ledgers are signed with it)");
		c->no_key_logged = true;
		goto out;
	}
	json_t *actor = json_pack("{s:b, s:I, s:I, s:s}", "agent", 1, "pid", (json_int_t)getpid(),
	                          "uid", (json_int_t)getuid(), "name", "evident agent");
	int64_t now = ev_now_realtime_us();
	size_t i, k;
	json_t *id, *due;
	json_array_foreach(ids, i, id) {
		struct ev_incident inc;
		if (ev_incident_load(d->state_dir, json_string_value(id), &kr, NULL, &inc) < 0)
			continue;
		if (inc.n_invalid) {
			if (!c->broken_logged)
				ev_dlog(LOG_WARNING,
				        "incident %s: its ledger does not verify; its "
				        "deadlines are not kept (evident verify)",
				        inc.id);
			c->broken_logged = true;
		} else {
			json_t *list = ev_incident_due(d->cfg, &inc, now);
			json_array_foreach(list, k, due) record(d, key, &inc, due, actor);
			json_decref(list);
		}
		ev_incident_done(&inc);
	}
	json_decref(actor);
out:
	ev_errlist_clear(&errs);
	json_decref(ids);
	store_keyring_clear(&kr);
	store_key_free(key);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
	struct ev_daemon *d = userdata;
	check_all(d);
	sd_event_source_set_time(s, usec + d->cfg->incidents.check_interval);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

int ev_incident_clock_start(struct ev_daemon *d) {
	d->incident_clock = calloc(1, sizeof(*d->incident_clock));
	if (!d->incident_clock || !(d->incident_clock->opening = json_object()))
		return -ENOMEM;
	return sd_event_add_time_relative(d->event, &d->incident_clock->timer, CLOCK_MONOTONIC,
	                                  100000, 100000, on_tick, d);
}

void ev_incident_clock_stop(struct ev_daemon *d) {
	if (!d->incident_clock)
		return;
	sd_event_source_disable_unref(d->incident_clock->timer);
	json_decref(d->incident_clock->opening);
	free(d->incident_clock);
	d->incident_clock = NULL;
}

json_t *ev_incident_clock_status(const struct ev_daemon *d) {
	const struct ev_incident_clock *c = d->incident_clock;
	return json_pack("{s:I, s:I}", "deadline_entries", (json_int_t)(c ? c->written : 0),
	                 "alerts_coalesced", (json_int_t)(c ? c->alerts_coalesced : 0));
}

/* The rule's incident id: "R-" and the rule id's allowed characters, then "-N" for the
 * first N whose incident is not closed. */
static void rule_incident(struct ev_daemon *d, const char *prefix, const char *rule, char *id,
                          size_t len, struct ev_incident *ret, bool *ret_exists) {
	char base[48];
	size_t k = 0;
	for (const char *p = rule; *p && k < 40; p++)
		base[k++] =
		        strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
		               *p)
		                ? *p
		                : '_';
	base[k] = 0;
	for (unsigned n = 1; n < 1000; n++) {
		snprintf(id, len, "%s-%s-%u", prefix, base, n);
		*ret_exists = ev_incident_load(d->state_dir, id, NULL, NULL, ret) == 0;
		if (!*ret_exists)
			return;
		if (strcmp(ret->state, "closed"))
			return;
		ev_incident_done(ret);
	}
	*ret_exists = false;
}

/* The triage request for a rule's alert: urgency from the level, impact from the tags. */
static json_t *alert_triage(const struct correlate_alert *al, const char *id, bool drill) {
	static const char *const urg[][2] = {
	        {"critical", "immediate"}, {"high", "high"}, {"medium", "medium"}};
	const char *u = "low", *impact = "security_violation";
	for (size_t i = 0; al->level && i < ELEMENTSOF(urg); i++)
		if (!strcmp(al->level, urg[i][0]))
			u = urg[i][1];
	for (size_t i = 0; i < al->n_tags; i++) {
		const char *t = al->tags[i] ? al->tags[i] : "";
		if (strstr(t, "exfiltration") || strstr(t, "collection"))
			impact = "data_breach";
		else if (!strcmp(t, "attack.impact") && strcmp(impact, "data_breach"))
			impact = "service_outage";
	}
	int64_t now = ev_now_realtime_us(), det = al->time_us < now ? al->time_us : now;
	int64_t imp = al->first_us && al->first_us <= det ? al->first_us : det;
	char ds[40], is[40], as[300];
	snprintf(ds, sizeof(ds), "@%lld.%06lld", (long long)(det / 1000000),
	         (long long)(det % 1000000));
	snprintf(is, sizeof(is), "@%lld.%06lld", (long long)(imp / 1000000),
	         (long long)(imp % 1000000));
	snprintf(as, sizeof(as), "rule %s", al->rule_id ? al->rule_id : "(unnamed)");
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s], s:s?, s:s, s:b}", "incident", id,
	                 "impact", impact, "urgency", u, "detected", ds, "impact_started", is,
	                 "rules", al->rule_id ? al->rule_id : "", "summary", al->rule_title, "as",
	                 as, "drill", drill);
}

void ev_incident_alert(struct ev_daemon *d, const struct correlate_alert *al, const char *alert_id,
                       const char *drill, char *ret_id, size_t ret_len) {
	if (!d->cfg->actions.open_incident.n ||
	    !ev_selectors_match(&d->cfg->actions.open_incident, al))
		return;
	char id[EV_INCIDENT_ID_MAX + 1], prefix[32] = "R";
	if (drill) /* each drill run has incidents of its own, never a real one's */
		snprintf(prefix, sizeof(prefix), "D-%.24s", drill);
	struct ev_incident inc;
	bool exists = false;
	rule_incident(d, prefix, al->rule_id ? al->rule_id : "unnamed", id, sizeof(id), &inc,
	              &exists);
	snprintf(ret_id, ret_len, "%s", id);
	if (exists) { /* open: one more alert in its ledger, no new seal */
		json_t *due = json_pack("{s:s, s:{s:s, s:s?, s:s?, s:I}}", "kind", "alert",
		                        "payload", "alert_id", alert_id, "rule", al->rule_id,
		                        "level", al->level, "count", (json_int_t)al->count);
		struct store_key *key = NULL;
		struct ev_errlist errs = {0};
		json_t *actor = json_pack("{s:b, s:I, s:s}", "agent", 1, "pid",
		                          (json_int_t)getpid(), "name", "evident agent");
		if (ev_incident_key(d->cfg, &key, NULL, &errs) == 0) {
			ev_incident_append(d->state_dir, id, key,
			                   json_string_value(json_object_get(due, "kind")), NULL,
			                   json_incref(json_object_get(due, "payload")), actor,
			                   &errs);
			store_key_free(key);
		}
		ev_errlist_clear(&errs);
		json_decref(actor);
		json_decref(due);
		ev_incident_done(&inc);
		return;
	}
	if (!d->incident_clock || opening(d->incident_clock, id)) {
		if (d->incident_clock)
			d->incident_clock->alerts_coalesced++;
		return;
	}
	json_t *rq = alert_triage(al, id, drill != NULL);
	char log[4200];
	if (rq && drill && ev_drill_log_path(d->state_dir, drill, log, sizeof(log)) == 0)
		json_object_set_new(rq, "drill_log", json_string(log)); /* sealed as its evidence */
	struct ev_peer self = {.uid = getuid(), .gid = getgid(), .pid = getpid()};
	snprintf(self.exe, sizeof(self.exe), "evident agent");
	json_t *err = rq ? ev_daemon_submit_triage(d, rq, &self, 0) : NULL;
	if (err)
		ev_dlog(LOG_WARNING, "open_incident %s: %s", id,
		        json_string_value(json_object_get(err, "error")) ?: "refused");
	else
		ev_dlog(LOG_NOTICE, "open_incident: alert %s opens incident %s", alert_id, id);
	json_decref(err);
	json_decref(rq);
}
