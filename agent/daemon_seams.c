/* Integration between the daemon and the modules built alongside it: the live sources
 * (collector/tail.h) feed the correlation engine (correlate/engine.h), whose alerts go to
 * ev_daemon_alert().
 *
 * Sources: one collector_tail on the daemon's loop, positions in the state directory,
 * new files and the journal read from their end on the first start. The tail keeps
 * pointers into its configuration, so the seams own a private copy loaded at start-up;
 * a reload that changes sources.* is reported and applies at the next start.
 * Engine: rules from rules.paths (default: the shipped starter pack), decoders from
 * rules.decoders (default: the shipped ones). A reload builds and compiles a complete new
 * engine first; any rule error keeps the old engine. Correlation state does not survive
 * a reload or a restart (the new engine starts with empty windows).
 * Watermark: a 1 s timer advances the engine with the wall clock so deadlines (absence
 * rules, `lt` conditions) fire on a quiet host. The clock is also the reference for
 * far-future events (rules.max_future): they never move the watermark; they and late
 * events are counted in status and logged at most once a minute.
 * Sealing on request is in daemon_seal.c. Automatic seals on alerts (actions policy,
 * rate limit, lookahead wait, coalescing) are not wired yet: see ev_daemon_alert(). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/daemon.h"
#include "agent/daemon_log.h"
#include "agent/replay_rules.h"
#include "agent/selectors.h"
#include "collector/tail.h"
#include "correlate/engine.h"
#include "util/clock.h"
#include "util/timefmt.h"

struct seams {
	struct ev_config *src_cfg; /* what the tail was built from (it keeps pointers) */
	struct collector_tail_file *files;
	struct collector_tail *tail;
	struct correlate_engine *engine;
	sd_event_source *advance_timer, *checkpoint_timer, *rescan_timer;
	uint64_t checkpoint_interval, stat_interval;
	uint64_t feed_errors, checkpoint_errors;
	uint64_t logged_future, logged_late; /* counters at the last log line about them */
	int64_t logged_at;                   /* µs, CLOCK_REALTIME */
};

static void on_alert(void *ctx, const struct correlate_alert *a) {
	struct ev_daemon *d = ctx;
	json_error_t je;
	json_t *j = json_loads(a->json, 0, &je);
	if (!j) {
		ev_dlog(LOG_ERR, "engine produced an alert that is not JSON (%s); rule %s", je.text,
		        a->rule_id ? a->rule_id : "?");
		return;
	}
	ev_daemon_alert(d, j);
	json_decref(j);
}

static int on_record(void *userdata, const struct ev_record *rec) {
	struct ev_daemon *d = userdata;
	struct seams *s = d->seams;
	d->lines++;
	/* The tail hands over a record it resets before the next one; decoders add fields
	 * to it during the call, which the contract allows (valid during the call only). */
	if (s->engine && correlate_engine_feed(s->engine, (struct ev_record *)rec) < 0) {
		if (s->feed_errors++ == 0)
			ev_dlog(LOG_ERR, "correlation engine: out of memory; records are counted "
			                 "but not matched");
	}
	return 0;
}

/* Events the engine could not correlate because of their time are logged, at most once a
 * minute (the first at once): a hostile line must not flood the log either. */
static void log_time_outliers(struct seams *s, int64_t now) {
	struct correlate_stats cs;
	correlate_engine_get_stats(s->engine, &cs);
	if ((cs.future == s->logged_future && cs.late == s->logged_late) ||
	    (s->logged_at && now - s->logged_at < 60 * 1000000LL))
		return;
	if (cs.future > s->logged_future) {
		char t[48];
		ev_format_rfc3339_us(cs.last_future_us, t, sizeof(t));
		ev_dlog(LOG_WARNING,
		        "correlation: %" PRIu64
		        " event%s dated more than rules.max_future ahead of "
		        "the clock (last: %s): not correlated, the watermark keeps to the clock, "
		        "alerts flagged time_suspect",
		        cs.future - s->logged_future, cs.future - s->logged_future == 1 ? "" : "s",
		        t);
	}
	if (cs.late > s->logged_late)
		ev_dlog(LOG_NOTICE,
		        "correlation: %" PRIu64 " late event%s (older than the watermark, "
		        "rules.allowed_lateness) not correlated",
		        cs.late - s->logged_late, cs.late - s->logged_late == 1 ? "" : "s");
	s->logged_future = cs.future;
	s->logged_late = cs.late;
	s->logged_at = now;
}

static int on_advance(sd_event_source *src, uint64_t usec, void *userdata) {
	struct ev_daemon *d = userdata;
	struct seams *s = d->seams;
	if (s->engine) {
		int64_t now = ev_now_realtime_us();
		correlate_engine_advance(s->engine, now);
		log_time_outliers(s, now);
	}
	sd_event_source_set_time(src, usec + 1000000);
	sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
	return 0;
}

/* Positions are saved on our own timer too: the contract allows it, and it keeps the
 * promise of sources.checkpoint_interval even if the tail's own timer does not repeat. */
static int on_checkpoint(sd_event_source *src, uint64_t usec, void *userdata) {
	struct ev_daemon *d = userdata;
	struct seams *s = d->seams;
	struct ev_errlist errs = {0};
	if (s->tail && collector_tail_checkpoint(s->tail, &errs) < 0 && s->checkpoint_errors++ == 0)
		for (size_t i = 0; i < errs.n; i++) {
			char *m = ev_error_format(&errs.v[i]);
			ev_dlog(LOG_ERR, "checkpoint: %s (further failures are only counted)",
			        m ? m : "?");
			free(m);
		}
	ev_errlist_clear(&errs);
	sd_event_source_set_time(src, usec + s->checkpoint_interval);
	sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
	return 0;
}

/* A rescan at sources.stat_interval (new files matching a glob, rotation missed by
 * inotify), driven from here as well: the tail's own periodic stat did not repeat when
 * this was written (its timer is one-shot), and a source must never go unnoticed. */
static int on_rescan(sd_event_source *src, uint64_t usec, void *userdata) {
	struct ev_daemon *d = userdata;
	struct seams *s = d->seams;
	if (s->tail)
		collector_tail_poll(s->tail);
	sd_event_source_set_time(src, usec + s->stat_interval);
	sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
	return 0;
}

static void log_warnings(struct ev_errlist *warns, const char *prefix) {
	for (size_t i = 0; i < warns->n; i++) {
		char *m = ev_error_format(&warns->v[i]);
		if (m)
			ev_dlog(LOG_WARNING, "%s%s", prefix, m);
		free(m);
	}
	ev_errlist_clear(warns);
}

/* Build and compile an engine for cfg. Errors to errs (then NULL); warnings, those of the
 * rules and of actions.seal_on's selectors against them, are logged. */
static struct correlate_engine *engine_build(const struct ev_config *cfg, struct ev_errlist *errs) {
	struct ev_errlist warns = {0}, sel = {0};
	struct correlate_engine *e = replay_rules_engine_for_config(cfg, errs, &warns);
	if (e)
		ev_selectors_check(cfg, e, &sel);
	log_warnings(&warns, "rules: ");
	log_warnings(&sel, "");
	return e;
}

static void log_errs(const struct ev_errlist *errs) {
	for (size_t i = 0; i < errs->n; i++) {
		char *m = ev_error_format(&errs->v[i]);
		if (m)
			ev_dlog(LOG_ERR, "%s", m);
		free(m);
	}
}

int ev_seams_start(struct ev_daemon *d) {
	struct seams *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	d->seams = s;
	struct ev_errlist errs = {0};
	s->engine = engine_build(d->cfg, &errs);
	if (!s->engine) {
		log_errs(&errs);
		ev_dlog(LOG_ERR, "rules: %zu error%s, not starting", ev_errlist_count(&errs),
		        ev_errlist_count(&errs) == 1 ? "" : "s");
		ev_errlist_clear(&errs);
		return -EINVAL;
	}
	correlate_engine_set_callback(s->engine, on_alert, d);
	/* the host clock is the reference for far-future events at once; it drives the
	 * watermark from the first tick, so the backlog read at start-up is still correlated */
	correlate_engine_set_clock(s->engine, ev_now_realtime_us());
	struct correlate_stats cs;
	correlate_engine_get_stats(s->engine, &cs);
	ev_dlog(LOG_INFO, "rules: %zu loaded (%zu detections, %zu correlations), %s%s", cs.rules,
	        cs.detections, cs.correlations, cs.vectorscan ? "vectorscan+pcre2" : "pcre2",
	        cs.jit ? " with JIT" : ", PCRE2 JIT unavailable: interpreter (slower)");

	int r = ev_config_load(d->opts.config_path, &s->src_cfg, &errs);
	if (r < 0) {
		log_errs(&errs);
		ev_errlist_clear(&errs);
		return r;
	}
	const struct ev_config *c = s->src_cfg;
	if (c->sources.n_files || c->sources.journal) {
		s->files = calloc(c->sources.n_files + 1, sizeof(*s->files));
		if (!s->files)
			return -ENOMEM;
		for (size_t i = 0; i < c->sources.n_files; i++)
			s->files[i] = (struct collector_tail_file){
			        .path = c->sources.files[i].path,
			        .format = c->sources.files[i].format,
			        .tz = c->sources.files[i].tz,
			        .max_line = c->sources.files[i].max_line};
		struct collector_tail_config tc = {
		        .files = s->files,
		        .n_files = c->sources.n_files,
		        .journal = c->sources.journal,
		        .journal_dir = c->sources.journal_dir,
		        .journal_units = (const char *const *)c->sources.journal_units.v,
		        .journal_identifiers =
		                (const char *const *)c->sources.journal_identifiers.v,
		        .journal_max_priority = (int)c->sources.journal_max_priority,
		        .journal_field_cap = c->sources.journal_field_cap,
		        .max_line = c->sources.max_line,
		        .stat_interval_us = c->sources.stat_interval,
		        .checkpoint_interval_us = c->sources.checkpoint_interval,
		        .index_interval = c->sources.index_interval,
		        .state_dir = d->state_dir,
		        .from_end = true,
		};
		r = collector_tail_new(d->event, &tc, on_record, d, &s->tail, &errs);
		if (r < 0) {
			log_errs(&errs);
			ev_errlist_clear(&errs);
			return r;
		}
	} else
		ev_dlog(LOG_NOTICE,
		        "no sources configured (sources.files empty, sources.journal false)");
	ev_errlist_clear(&errs);
	r = sd_event_add_time_relative(d->event, &s->advance_timer, CLOCK_MONOTONIC, 1000000,
	                               100000, on_advance, d);
	if (r >= 0 && s->tail) {
		collector_tail_poll(s->tail); /* every configured file is followed before READY */
		s->stat_interval = c->sources.stat_interval;
		r = sd_event_add_time_relative(d->event, &s->rescan_timer, CLOCK_MONOTONIC,
		                               s->stat_interval, 10000, on_rescan, d);
	}
	if (r >= 0 && s->tail) {
		s->checkpoint_interval = c->sources.checkpoint_interval;
		r = sd_event_add_time_relative(d->event, &s->checkpoint_timer, CLOCK_MONOTONIC,
		                               s->checkpoint_interval, 10000, on_checkpoint, d);
	}
	return r < 0 ? r : 0;
}

static bool sources_differ(const struct ev_config *a, const struct ev_config *b) {
	if (a->sources.n_files != b->sources.n_files || a->sources.journal != b->sources.journal ||
	    (a->sources.journal_dir == NULL) != (b->sources.journal_dir == NULL) ||
	    (a->sources.journal_dir && strcmp(a->sources.journal_dir, b->sources.journal_dir)))
		return true;
	for (size_t i = 0; i < a->sources.n_files; i++)
		if (strcmp(a->sources.files[i].path, b->sources.files[i].path) != 0)
			return true;
	return false;
}

struct correlate_engine *ev_seams_build_engine(const struct ev_config *next,
                                               struct ev_errlist *errs) {
	return engine_build(next, errs);
}

bool ev_seams_reload_empties(struct ev_daemon *d, const struct correlate_engine *next_engine,
                             const struct ev_config *next, struct ev_errlist *errs) {
	struct seams *s = d->seams;
	size_t running = s && s->engine ? correlate_engine_n_rules(s->engine) : 0;
	if (running == 0 || correlate_engine_n_rules(next_engine) > 0)
		return false;
	char where[512];
	if (next->rules.paths.n)
		snprintf(where, sizeof(where), "%s%s", next->rules.paths.v[0],
		         next->rules.paths.n > 1 ? " ..." : "");
	else
		snprintf(where, sizeof(where), "the shipped pack %s",
		         replay_rules_datadir("rules"));
	ev_errlist_add(errs, next->origin, 0, 0,
	               "the new configuration loads no rules (rules.paths: %s) while %zu rule%s "
	               "run: reload refused so that detection does not silently stop (restart "
	               "the agent to run without rules)",
	               where, running, running == 1 ? "" : "s");
	return true;
}

void ev_seams_install_engine(struct ev_daemon *d, struct correlate_engine *e,
                             const struct ev_config *next) {
	struct seams *s = d->seams;
	if (!s) { /* nothing to install into (start-up failed): drop it */
		correlate_engine_free(e);
		return;
	}
	correlate_engine_set_callback(e, on_alert, d);
	correlate_engine_set_clock(e, ev_now_realtime_us());
	correlate_engine_free(s->engine);
	s->engine = e;
	s->logged_future = s->logged_late = 0; /* the new engine counts from zero */
	if (s->src_cfg && sources_differ(s->src_cfg, next))
		ev_dlog(LOG_WARNING, "sources changed: takes effect after a restart");
}

void ev_seams_stop(struct ev_daemon *d) {
	struct seams *s = d->seams;
	if (!s)
		return;
	if (s->tail) {
		struct ev_errlist errs = {0};
		collector_tail_poll(s->tail); /* what is already written is handled: drain */
		if (collector_tail_checkpoint(s->tail, &errs) < 0)
			log_errs(&errs);
		ev_errlist_clear(&errs);
	}
	s->tail = collector_tail_free(s->tail);
	s->advance_timer = sd_event_source_disable_unref(s->advance_timer);
	s->checkpoint_timer = sd_event_source_disable_unref(s->checkpoint_timer);
	s->rescan_timer = sd_event_source_disable_unref(s->rescan_timer);
	s->engine = correlate_engine_free(s->engine);
	ev_config_free(s->src_cfg);
	free(s->files);
	free(s);
	d->seams = NULL;
}

json_t *ev_seams_status(struct ev_daemon *d) {
	struct seams *s = d->seams;
	json_t *sources = json_array();
	json_t *o = json_pack("{s:o, s:{s:s}, s:{s:s, s:s}}", "sources", sources, "collector",
	                      "state", s && s->tail ? "running" : "no sources", "store", "state",
	                      d->cfg->actions.seal_on.n
	                              ? "seal requests and automatic seals (actions.seal_on)"
	                              : "seal requests only (actions.seal_on is empty)",
	                      "path", d->cfg->store.path);
	if (!o || !s)
		return o;
	if (s->tail) {
		struct collector_tail_stats ts;
		collector_tail_get_stats(s->tail, &ts);
		for (size_t i = 0; i < ts.n_sources; i++) {
			const struct collector_tail_source_stats *x = &ts.sources[i];
			json_t *j = json_pack(
			        "{s:s, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:s?}", "name",
			        x->name ? x->name : "?", "journal", x->journal, "open", x->open,
			        "records", (json_int_t)x->records, "errors", (json_int_t)x->errors,
			        "offset", (json_int_t)x->offset, "lag_bytes",
			        (json_int_t)(x->size > x->offset ? x->size - x->offset : 0),
			        "last_time_us", (json_int_t)x->last_time_us, "last_error",
			        x->last_error);
			if (j)
				json_array_append_new(sources, j);
		}
		json_object_set_new(o, "checkpoints", json_integer((json_int_t)ts.checkpoints));
	}
	if (s->engine) {
		struct correlate_stats cs;
		correlate_engine_get_stats(s->engine, &cs);
		json_object_set_new(
		        o, "engine",
		        json_pack(
		                "{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		                "state", "running", "matcher",
		                cs.vectorscan ? "vectorscan+pcre2" : "pcre2", "jit", cs.jit,
		                "rules_loaded", (json_int_t)cs.rules, "matches",
		                (json_int_t)cs.matches, "alerts", (json_int_t)cs.alerts, "late",
		                (json_int_t)cs.late, "evicted", (json_int_t)cs.evicted,
		                "live_groups", (json_int_t)cs.live_groups, "watermark_us",
		                (json_int_t)cs.watermark_us, "feed_errors",
		                (json_int_t)s->feed_errors, "future", (json_int_t)cs.future,
		                "values_dropped", (json_int_t)cs.values_dropped));
	}
	return o;
}

json_t *ev_seams_rules(struct ev_daemon *d, const char **ret_code, char **ret_error) {
	struct seams *s = d->seams;
	if (!s || !s->engine) {
		*ret_code = "unavailable";
		*ret_error = strdup("no rules are loaded");
		return NULL;
	}
	json_t *rules = json_array();
	size_t n = correlate_engine_n_rules(s->engine);
	for (size_t i = 0; i < n; i++) {
		char *j = correlate_engine_rule_json(s->engine, i);
		json_t *r = j ? json_loads(j, 0, NULL) : NULL;
		free(j);
		if (r)
			json_array_append_new(rules, r);
	}
	return json_pack("{s:b, s:I, s:o}", "ok", 1, "count", (json_int_t)n, "rules", rules);
}
