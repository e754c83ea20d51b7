/* Automatic seals on alerts (actions.seal_on, lookback, lookahead, seal_rate_per_hour).
 *
 * An alert whose level, rule id or one of whose tags is listed in actions.seal_on opens a
 * pending seal for its rule, unless one is already pending for that rule: then the alert
 * joins it (coalesced, counted). A pending seal waits `lookahead` of wall-clock time after
 * its first alert (so the lines that follow the attack are on disk), then is queued as a
 * seal of [first event - lookback, last event + lookahead] over every configured source,
 * the rule and its alerts in the note. A rule may open at most seal_rate_per_hour seals in
 * any hour (a sliding window of the opening times); alerts beyond that are counted and
 * logged once per rule per window, never sealed, never queued. Nothing waits in the loop.
 *
 * The seal's manifest records its alerts: the trigger is {"kind":"rule", "rule", "title",
 * "level", "alert_count", "alert_ids", "alerts" (summaries)}; when the seal is done the
 * association goes to the sinks as {"type":"sealed", "bundle", "bundle_id", ..., "rule",
 * "alert_ids", "alert_count"} (autoseal_sealed), so every sealed alert, identified by
 * its "alert_id", finds its bundle.
 *
 * Limits: at most EV_AUTOSEAL_RULES rules are tracked (rules beyond it are rate-limited as
 * a whole: counted); a pending seal lists at most EV_AUTOSEAL_NOTE_ALERTS alerts in its
 * note and at most EV_AUTOSEAL_ALERT_IDS alert ids (the count is exact; beyond the cap
 * "alert_ids_truncated" is true). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/daemon/daemon.h"
#include "agent/daemon/daemon_log.h"
#include "agent/selectors.h"
#include "correlate/engine.h"
#include "util/clock.h"
#include "util/timefmt.h"

#define EV_AUTOSEAL_RULES       1024
#define EV_AUTOSEAL_NOTE_ALERTS 20
#define EV_AUTOSEAL_ALERT_IDS   4096 /* ~80 KiB in the seal's argv (one argument < 128 KiB) */
#define RATE_MAX                3600 /* seal_rate_per_hour is at most 3600 (schema) */

struct rule_state {
	char *rule;
	uint64_t *opened; /* CLOCK_MONOTONIC µs of the openings of the last hour, oldest first */
	size_t n, alloc;  /* n <= seal_rate_per_hour <= 3600 */
	bool limited_logged;
	/* the pending seal, if any */
	bool pending;
	int64_t first_us, last_us;
	uint64_t n_alerts;
	json_t *summaries;
	json_t *alert_ids;
	json_t *rule_info; /* {"title", "level"} of the first alert */
	sd_event_source *timer;
	struct ev_daemon *d;
};

struct ev_autoseal {
	struct rule_state **rules;
	size_t n_rules;
	uint64_t opened, coalesced, rate_limited, queued_failed;
};

static struct rule_state *rule_find(struct ev_autoseal *a, const char *rule, bool create) {
	for (size_t i = 0; i < a->n_rules; i++)
		if (strcmp(a->rules[i]->rule, rule) == 0)
			return a->rules[i];
	if (!create || a->n_rules >= EV_AUTOSEAL_RULES)
		return NULL;
	struct rule_state **nv = realloc(a->rules, (a->n_rules + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	a->rules = nv;
	struct rule_state *r = calloc(1, sizeof(*r));
	if (!r || !(r->rule = strdup(rule))) {
		free(r);
		return NULL;
	}
	a->rules[a->n_rules++] = r;
	return r;
}

/* Openings within the last hour, after dropping older ones. */
static size_t rate_count(struct rule_state *r, uint64_t now) {
	size_t drop = 0;
	while (drop < r->n && now - r->opened[drop] >= 3600ULL * 1000000)
		drop++;
	if (drop) {
		memmove(r->opened, r->opened + drop, (r->n - drop) * sizeof(uint64_t));
		r->n -= drop;
	}
	return r->n;
}

static int rate_add(struct rule_state *r, uint64_t now) {
	if (r->n == r->alloc) {
		size_t na = MIN(MAX(r->alloc * 2, (size_t)8), (size_t)RATE_MAX);
		if (na <= r->n)
			return -ENOSPC;
		uint64_t *nv = realloc(r->opened, na * sizeof(uint64_t));
		if (!nv)
			return -ENOMEM;
		r->opened = nv;
		r->alloc = na;
	}
	r->opened[r->n++] = now;
	return 0;
}

/* An automatic seal is done: tell the sinks (stdout line {"type":"sealed",...}, journal)
 * and the log which bundle holds which alerts (the request's trigger: rule, alert_ids,
 * alert_count; the seal's result: bundle, bundle_id, ...). */
static void autoseal_sealed(struct ev_daemon *d, const json_t *req, const json_t *result) {
	const json_t *trigger = json_object_get(req, "trigger");
	json_t *o = json_pack("{s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "type",
	                      "sealed", "bundle", json_object_get(result, "bundle"), "bundle_id",
	                      json_object_get(result, "bundle_id"), "sequence",
	                      json_object_get(result, "sequence"), "manifest_sha256",
	                      json_object_get(result, "manifest_sha256"), "rule",
	                      json_object_get(trigger, "rule"), "alert_count",
	                      json_object_get(trigger, "alert_count"), "alert_ids",
	                      json_object_get(trigger, "alert_ids"), "alert_ids_truncated",
	                      json_object_get(trigger, "alert_ids_truncated"));
	if (!o)
		return;
	ev_dlog(LOG_INFO,
	        "automatic seal for rule %s: bundle %s holds its %" JSON_INTEGER_FORMAT " alert(s)",
	        json_string_value(json_object_get(trigger, "rule")) ?: "?",
	        json_string_value(json_object_get(result, "bundle_id")) ?: "?",
	        json_integer_value(json_object_get(trigger, "alert_count")));
	if (d->sinks)
		ev_sinks_emit_sealed(d->sinks, o);
	json_decref(o);
}

static int on_fire(sd_event_source *s, uint64_t usec, void *userdata) {
	struct rule_state *r = userdata;
	struct ev_daemon *d = r->d;
	char from[64], to[64];
	ev_format_rfc3339_us(r->first_us - (int64_t)d->cfg->actions.lookback, from, sizeof(from));
	ev_format_rfc3339_us(r->last_us + (int64_t)d->cfg->actions.lookahead, to, sizeof(to));
	char *alerts = json_dumps(r->summaries, JSON_COMPACT);
	char *note = NULL;
	if (asprintf(&note, "automatic seal: rule %s, %" PRIu64 " alert%s: %s", r->rule,
	             r->n_alerts, r->n_alerts == 1 ? "" : "s", alerts ? alerts : "[]") < 0)
		note = NULL;
	free(alerts);
	json_t *trigger =
	        json_pack("{s:s, s:s, s:O?, s:O?, s:I, s:O, s:b, s:O}", "kind", "rule", "rule",
	                  r->rule, "title", json_object_get(r->rule_info, "title"), "level",
	                  json_object_get(r->rule_info, "level"), "alert_count",
	                  (json_int_t)r->n_alerts, "alert_ids", r->alert_ids, "alert_ids_truncated",
	                  r->n_alerts > json_array_size(r->alert_ids), "alerts", r->summaries);
	json_t *req = json_pack("{s:s, s:s, s:s, s:s?, s:o?}", "request", "seal", "from", from,
	                        "to", to, "note", note, "trigger", trigger);
	free(note);
	/* the ledger names the rule (daemon_seal.c reads it from the trigger) */
	struct ev_peer self = {.uid = getuid(), .gid = getgid(), .pid = getpid()};
	json_t *err = ev_daemon_submit_seal(d, req, &self, 0, autoseal_sealed);
	if (err) {
		d->autoseal->queued_failed++;
		ev_dlog(LOG_WARNING, "automatic seal for rule %s not queued: %s", r->rule,
		        json_string_value(json_object_get(err, "error")));
		json_decref(err);
	} else
		ev_dlog(LOG_INFO,
		        "automatic seal for rule %s queued (%" PRIu64 " alerts, %s .. %s)", r->rule,
		        r->n_alerts, from, to);
	r->pending = false;
	r->summaries = (json_decref(r->summaries), NULL);
	r->alert_ids = (json_decref(r->alert_ids), NULL);
	r->rule_info = (json_decref(r->rule_info), NULL);
	r->timer = sd_event_source_disable_unref(r->timer);
	return 0;
}

/* An alert of a rule whose seal is being prepared joins it. */
static void join_pending(struct ev_autoseal *a, struct rule_state *r,
                         const struct correlate_alert *al, json_t *summary, json_t *alert_id) {
	a->coalesced++;
	r->n_alerts++;
	r->first_us = MIN(r->first_us, al->first_us);
	r->last_us = MAX(r->last_us, al->last_us);
	if (summary && json_array_size(r->summaries) < EV_AUTOSEAL_NOTE_ALERTS)
		json_array_append(r->summaries, summary);
	if (alert_id && json_array_size(r->alert_ids) < EV_AUTOSEAL_ALERT_IDS)
		json_array_append(r->alert_ids, alert_id);
}

/* Whether the rule may open another seal within its hourly rate (counted when so; logged
 * once when it may not). */
static bool rate_allows(struct ev_daemon *d, struct ev_autoseal *a, struct rule_state *r,
                        const char *id) {
	uint64_t now = ev_now_monotonic_us();
	int64_t rate = d->cfg->actions.seal_rate_per_hour;
	if ((int64_t)rate_count(r, now) >= rate) {
		a->rate_limited++;
		if (!r->limited_logged) {
			ev_dlog(LOG_WARNING,
			        "automatic seals for rule %s: rate limit of %" PRId64
			        " per hour reached; further alerts of this rule are counted, not "
			        "sealed",
			        id, rate);
			r->limited_logged = true;
		}
		return false;
	}
	if (rate_add(r, now) < 0)
		return false;
	r->limited_logged = false;
	return true;
}

/* Open the rule's pending seal with its first alert; it fires after the look-ahead. */
static void open_pending(struct ev_daemon *d, struct ev_autoseal *a, struct rule_state *r,
                         const struct correlate_alert *al, json_t *summary, json_t *alert_id,
                         const json_t *rule, const char *id) {
	r->pending = true;
	r->d = d;
	r->first_us = al->first_us;
	r->last_us = al->last_us;
	r->n_alerts = 1;
	r->summaries = json_array();
	if (summary && r->summaries)
		json_array_append(r->summaries, summary);
	r->alert_ids = json_array();
	if (alert_id && r->alert_ids)
		json_array_append(r->alert_ids, alert_id);
	json_decref(r->rule_info);
	r->rule_info = json_pack("{s:O?, s:O?}", "title", json_object_get(rule, "title"), "level",
	                         json_object_get(rule, "level"));
	a->opened++;
	int e = sd_event_add_time_relative(d->event, &r->timer, CLOCK_MONOTONIC,
	                                   MAX(d->cfg->actions.lookahead, 1), 10000, on_fire, r);
	if (e < 0) {
		ev_dlog_errno(LOG_ERR, e, "automatic seal for rule %s: cannot schedule", id);
		r->pending = false;
	}
}

void ev_autoseal_alert(struct ev_daemon *d, const struct correlate_alert *al,
                       const char *alert_id_str) {
	struct ev_autoseal *a = d->autoseal;
	if (!a || !d->cfg->actions.seal_on.n || !ev_selectors_match(&d->cfg->actions.seal_on, al))
		return;
	const char *id = al->rule_id ? al->rule_id : al->rule_title;
	if (!id)
		id = "(unnamed rule)";
	struct rule_state *r = rule_find(a, id, true);
	if (!r) {
		if (a->rate_limited++ == 0)
			ev_dlog(LOG_WARNING,
			        "automatic seals: more than %d rules tracked, further rules are "
			        "not sealed",
			        EV_AUTOSEAL_RULES);
		return;
	}
	/* serialised here, at the edge, for the seal's note */
	json_t *alert = correlate_alert_to_json(al, alert_id_str);
	json_t *alert_id = json_object_get(alert, "alert_id");
	json_t *summary =
	        json_pack("{s:O?, s:O?, s:O?, s:O?}", "alert_id", alert_id, "time",
	                  json_object_get(alert, "time"), "count", json_object_get(alert, "count"),
	                  "group", json_object_get(alert, "group"));
	if (r->pending)
		join_pending(a, r, al, summary, alert_id);
	else if (rate_allows(d, a, r, id))
		open_pending(d, a, r, al, summary, alert_id, json_object_get(alert, "rule"), id);
	json_decref(summary);
	json_decref(alert);
}

int ev_autoseal_new(struct ev_autoseal **ret) {
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

struct ev_autoseal *ev_autoseal_free(struct ev_autoseal *a) {
	if (!a)
		return NULL;
	for (size_t i = 0; i < a->n_rules; i++) {
		struct rule_state *r = a->rules[i];
		if (r->pending)
			ev_dlog(LOG_WARNING,
			        "automatic seal for rule %s dropped: the agent is stopping "
			        "(%" PRIu64 " alerts)",
			        r->rule, r->n_alerts);
		sd_event_source_disable_unref(r->timer);
		json_decref(r->summaries);
		json_decref(r->alert_ids);
		json_decref(r->rule_info);
		free(r->opened);
		free(r->rule);
		free(r);
	}
	free(a->rules);
	free(a);
	return NULL;
}

json_t *ev_autoseal_status(const struct ev_autoseal *a) {
	size_t pending = 0;
	for (size_t i = 0; a && i < a->n_rules; i++)
		pending += a->rules[i]->pending;
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "opened", (json_int_t)(a ? a->opened : 0),
	                 "coalesced", (json_int_t)(a ? a->coalesced : 0), "rate_limited",
	                 (json_int_t)(a ? a->rate_limited : 0), "not_queued",
	                 (json_int_t)(a ? a->queued_failed : 0), "pending", (json_int_t)pending);
}
