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
#include "agent/incident/deadlines.h"
#include "agent/incident/triage.h"
#include "util/clock.h"

struct ev_incident_clock {
	sd_event_source *timer;
	bool no_key_logged, broken_logged;
	uint64_t written;
};

static void record(struct ev_daemon *d, const struct store_key *key, const char *id, json_t *due,
                   const json_t *actor) {
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
			json_array_foreach(list, k, due) record(d, key, inc.id, due, actor);
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
	if (!d->incident_clock)
		return -ENOMEM;
	return sd_event_add_time_relative(d->event, &d->incident_clock->timer, CLOCK_MONOTONIC,
	                                  100000, 100000, on_tick, d);
}

void ev_incident_clock_stop(struct ev_daemon *d) {
	if (!d->incident_clock)
		return;
	sd_event_source_disable_unref(d->incident_clock->timer);
	free(d->incident_clock);
	d->incident_clock = NULL;
}

json_t *ev_incident_clock_status(const struct ev_daemon *d) {
	return json_pack("{s:I}", "deadline_entries",
	                 (json_int_t)(d->incident_clock ? d->incident_clock->written : 0));
}
