/* Missed incident deadlines, from the ledger (see deadlines.h). */
#include "config.h"

#include <string.h>

#include "agent/incident/deadlines.h"
#include "agent/incident/policy.h"
#include "util/timefmt.h"

/* Whether the ledger holds a valid entry of `kind` whose payload's `key` is `v`. */
static bool written(const struct ev_incident *inc, const char *kind, const char *key, json_t *v) {
	size_t i;
	json_t *e;
	json_array_foreach(inc->entries, i, e) {
		if (json_is_true(json_object_get(e, "_valid")) &&
		    !strcmp(json_string_value(json_object_get(e, "action")) ?: "", kind) &&
		    json_equal(json_object_get(json_object_get(e, "details"), key), v)) {
			json_decref(v);
			return true;
		}
	}
	json_decref(v);
	return false;
}

/* Who step k notifies: each routed team's k-th contact (its last when it has fewer), or
 * the team itself when it has none. */
static json_t *notify(const struct ev_incident *inc, size_t k) {
	json_t *out = json_array();
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(inc->triage, "teams"), i, t) {
		json_t *c = json_object_get(t, "contacts");
		size_t n = json_array_size(c);
		json_array_append(out, n ? json_array_get(c, k < n ? k : n - 1)
		                         : json_object_get(t, "team"));
	}
	return out;
}

static void escalations(const struct ev_config *cfg, const struct ev_incident *inc, int64_t now,
                        json_t *out) {
	if (inc->t[EV_T_ACK] != EV_T_UNSET || inc->t[EV_T_DETECT] == EV_T_UNSET)
		return;
	for (size_t k = 0; k < cfg->incidents.escalation.n; k++) {
		uint64_t after;
		if (ev_parse_duration(cfg->incidents.escalation.v[k], &after) < 0)
			continue;
		int64_t due = inc->t[EV_T_DETECT] + (int64_t)after;
		if (now < due || written(inc, "escalated", "step", json_integer((json_int_t)k + 1)))
			continue;
		json_array_append_new(out, json_pack("{s:s, s:{s:s, s:I, s:s, s:o, s:o}}", "kind",
		                                     "escalated", "payload", "deadline",
		                                     "acknowledge", "step", (json_int_t)k + 1,
		                                     "after", cfg->incidents.escalation.v[k], "due",
		                                     ev_incident_time_json(due), "notify",
		                                     notify(inc, k)));
	}
}

static void updates(const struct ev_config *cfg, const struct ev_incident *inc, int64_t now,
                    json_t *out) {
	uint64_t every = inc->severity >= 0 ? ev_incident_update_every(cfg, inc->severity) : 0;
	if (!every || inc->t_last_update == EV_T_UNSET || now < inc->t_last_update + (int64_t)every)
		return;
	json_int_t missed = (now - inc->t_last_update) / (int64_t)every;
	/* one entry per missed update since the last one sent: keyed by when that was */
	char key[96], last[EV_RFC3339_MAX];
	ev_format_rfc3339_us(inc->t_last_update, last, sizeof(last));
	snprintf(key, sizeof(key), "%s+%lld", last, (long long)missed);
	if (written(inc, "update_due", "key", json_string(key)))
		return;
	char ev[64];
	ev_format_duration(every, ev, sizeof(ev));
	json_array_append_new(
	        out, json_pack("{s:s, s:{s:o, s:I, s:s, s:o, s:s}}", "kind", "update_due",
	                       "payload", "due",
	                       ev_incident_time_json(inc->t_last_update + missed * (int64_t)every),
	                       "missed", missed, "every", ev, "last_update",
	                       ev_incident_time_json(inc->t_last_update), "key", key));
}

json_t *ev_incident_due(const struct ev_config *cfg, const struct ev_incident *inc, int64_t now) {
	json_t *out = json_array();
	if (!out || inc->drill || !strcmp(inc->state, "resolved") || !strcmp(inc->state, "closed"))
		return out;
	escalations(cfg, inc, now, out);
	updates(cfg, inc, now, out);
	return out;
}
