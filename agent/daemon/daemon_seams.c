/* The daemon's pipeline (agent/daemon/daemon_seams.h): the live sources (collector/tail.h) feed
 * the correlation engine (correlate/engine.h), whose typed alerts go to the consumer the
 * daemon gave at start (ev_daemon_alert). Nothing here knows struct ev_daemon.
 *
 * Sources: one collector_tail on the daemon's loop, built by agent/pipeline.c from the
 * configuration as `evident tail` builds it, positions in the state directory, new files
 * and the journal read from their end on the first start. The tail keeps pointers into
 * its configuration, so the seams own a private copy loaded at start-up; a reload that
 * changes sources.* is reported and applies at the next start. The tail runs its own
 * rescan (sources.stat_interval) and checkpoint (sources.checkpoint_interval) timers; a
 * failing checkpoint is logged once (from the 1 s tick) and counted in status.
 * Engine: built by agent/pipeline.c as every command builds it: rules from rules.paths
 * (default: the shipped starter pack), decoders from rules.decoders (default: the shipped
 * ones). A reload builds and compiles a complete new
 * engine first; any rule error keeps the old engine. Correlation state does not survive
 * a reload or a restart (the new engine starts with empty windows).
 * Watermark: a 1 s timer advances the engine with the wall clock so deadlines (absence
 * rules, `lt` conditions) fire on a quiet host. The clock is also the reference for
 * far-future events (rules.max_future): they never move the watermark; they and late
 * events are counted in status and logged at most once a minute.
 * Sealing on request is in daemon_seal.c, automatic seals on alerts in
 * daemon_autoseal.c, both reached from the daemon's alert consumer. */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/daemon/daemon_seams.h"
#include "agent/daemon/daemon_log.h"
#include "agent/feed.h"
#include "agent/pipeline.h"
#include "agent/replay_rules.h"
#include "agent/selectors.h"
#include "collector/tail.h"
#include "correlate/engine.h"
#include "util/clock.h"
#include "util/timefmt.h"

struct ev_seams {
	struct ev_seams_consumer consumer;
	sd_event *event;
	uint64_t lines;            /* records read from the sources */
	struct ev_config *src_cfg; /* what the tail was built from (it keeps pointers) */
	struct ev_pipeline_sources sources;
	struct collector_tail *tail;
	struct correlate_engine *engine;
	struct ev_feed feed; /* category records (audit events, Sysmon) */
	bool feed_ok;
	bool quiet; /* the engine reads lines no rule can match for their time only */
	sd_event_source *advance_timer;
	uint64_t feed_errors;
	bool logged_checkpoint_error;
	uint64_t logged_future, logged_late; /* counters at the last log line about them */
	uint64_t logged_caps;                /* sum of the cap counters at the last log line */
	int64_t logged_at;                   /* µs, CLOCK_MONOTONIC */
	int64_t tick_real, tick_mono;        /* both clocks at the last tick (0: none yet) */
	int64_t ahead;                       /* µs the wall clock was stepped forward, net */
	uint64_t clock_steps;                /* wall clock steps seen */
};

/* A wall clock that moves this much more or less than the monotonic clock between two
 * ticks (one second apart) was stepped. */
#define CLOCK_STEP_MIN (2 * 1000000LL)

static void on_alert(void *ctx, const struct correlate_alert *a) {
	struct ev_seams *s = ctx;
	if (s->consumer.alert)
		s->consumer.alert(s->consumer.ctx, a);
}

static void on_notice(void *userdata, const char *msg) {
	ev_dlog(LOG_WARNING, "%s", msg);
}

static int on_record(void *userdata, struct ev_record *rec) {
	struct ev_seams *s = userdata;
	s->lines++;
	/* The tail lends the record writable (collector/tail.h): the engine's decoders add
	 * their fields to it during the call. */
	if (s->engine && s->feed_ok && ev_feed_record(&s->feed, s->engine, rec) < 0) {
		if (s->feed_errors++ == 0)
			ev_dlog(LOG_ERR, "correlation engine: out of memory; records are counted "
			                 "but not matched");
	}
	return 0;
}

/* One Vectorscan scan per block of a file's lines (correlate_engine_set_block); a new
 * engine after a reload scans records alone until the next block. */
static void on_block(void *userdata, const char *p, size_t len, uint64_t off) {
	struct ev_seams *s = userdata;
	if (s->engine)
		correlate_engine_set_block(s->engine, p, len, off);
}

/* Lines no rule of the engine can match are read for their time only, as in replay
 * (correlate_engine_can_quiet); not while the feed mines templates, which need every
 * message. Asked again for each engine installed. */
static void set_quiet(struct ev_seams *s) {
	s->quiet = s->engine && !s->feed.miner && correlate_engine_can_quiet(s->engine);
}

static bool on_quiet(void *userdata, uint64_t off, size_t len) {
	struct ev_seams *s = userdata;
	return s->quiet && s->feed_ok && correlate_engine_line_quiet(s->engine, off, len);
}

static uint64_t caps_sum(const struct correlate_stats *cs) {
	return cs->evicted + cs->values_dropped + cs->times_dropped + cs->captures_dropped +
	       cs->sources_capped;
}

/* Events the engine could not correlate because of their time, and the caps it reached,
 * are logged at most once a minute (the first at once; `now` is monotonic, so a clock
 * step cannot mute it): a hostile line must not flood the log either. */
static void log_time_outliers(struct ev_seams *s, int64_t now) {
	struct correlate_stats cs;
	correlate_engine_get_stats(s->engine, &cs);
	if ((cs.future == s->logged_future && cs.late == s->logged_late &&
	     caps_sum(&cs) == s->logged_caps) ||
	    (s->logged_at && now - s->logged_at < 60 * 1000000LL))
		return;
	if (caps_sum(&cs) != s->logged_caps)
		ev_dlog(LOG_WARNING,
		        "correlation caps reached (totals): %" PRIu64
		        " groups evicted (rules.max_groups), %" PRIu64
		        " values dropped (rules.max_values), %" PRIu64
		        " event times dropped (1024 a group), %" PRIu64
		        " captures dropped (64 a record), %" PRIu64
		        " samples without source (4096 sources)",
		        cs.evicted, cs.values_dropped, cs.times_dropped, cs.captures_dropped,
		        cs.sources_capped);
	s->logged_caps = caps_sum(&cs);
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

/* The tail checkpoints on its own timer; its first failure is logged here. */
static void log_checkpoint_error(struct ev_seams *s) {
	if (!s->tail || s->logged_checkpoint_error)
		return;
	struct collector_tail_stats ts;
	collector_tail_get_stats(s->tail, &ts);
	if (!ts.checkpoint_errors)
		return;
	ev_dlog(LOG_ERR, "checkpoint: %s (further failures are only counted)",
	        ts.checkpoint_error ? ts.checkpoint_error : "failed");
	s->logged_checkpoint_error = true;
}

/* Intervals run on the monotonic clock; the wall clock only dates events. A step of the
 * wall clock is logged. A step back lowers the engine's watermark, or every event stamped
 * by the new clock would be "late" until the clock caught up again. A step forward is
 * kept in `ahead`: the watermark advances on its own by the monotonic clock (the wall
 * clock less `ahead`), so no event-time deadline fires early; event times still move it. */
static void check_clock_step(struct ev_seams *s, int64_t real, int64_t mono) {
	int64_t prev_real = s->tick_real, prev_mono = s->tick_mono;
	s->tick_real = real;
	s->tick_mono = mono;
	if (!prev_mono)
		return;
	int64_t step = (real - prev_real) - (mono - prev_mono);
	if (step > -CLOCK_STEP_MIN && step < CLOCK_STEP_MIN)
		return;
	s->clock_steps++;
	char was[48], is[48];
	ev_format_rfc3339_us(prev_real + (mono - prev_mono), was, sizeof(was));
	ev_format_rfc3339_us(real, is, sizeof(is));
	ev_dlog(LOG_WARNING,
	        "clock: the wall clock was stepped %s by %.3f s (expected %s, now %s); "
	        "timers run on the monotonic clock%s",
	        step > 0 ? "forward" : "back", (double)(step > 0 ? step : -step) / 1e6, was, is,
	        step > 0 ? "; deadlines do not jump with it (the watermark advances by the "
	                   "monotonic clock, and by event times)"
	                 : "; the watermark follows the clock back");
	s->ahead = step > 0 || s->ahead + step > 0 ? s->ahead + step : 0;
	if (step < 0)
		correlate_engine_clock_stepped_back(s->engine, real);
}

/* The clock the watermark advances by on its own: the wall clock less a forward step,
 * until events stamped by the new clock arrive; from the largest event time on it runs
 * with the monotonic clock again (`ahead` shrinks to what the events have not shown). */
static int64_t idle_clock(struct ev_seams *s, int64_t now) {
	if (s->ahead <= 0)
		return now;
	struct correlate_stats cs;
	correlate_engine_get_stats(s->engine, &cs);
	if (cs.max_time_us != INT64_MIN && cs.max_time_us > now - s->ahead)
		s->ahead = cs.max_time_us < now ? now - cs.max_time_us : 0;
	return now - s->ahead;
}

static int on_advance(sd_event_source *src, uint64_t usec, void *userdata) {
	struct ev_seams *s = userdata;
	if (s->engine) {
		int64_t now = ev_now_realtime_us(), mono = (int64_t)ev_now_monotonic_us();
		check_clock_step(s, now, mono);
		int64_t idle = idle_clock(s, now); /* the wall clock less a forward step */
		if (s->feed_ok) /* audit events open for half the lateness are complete */
			ev_feed_expire(&s->feed, s->engine, idle - s->feed.horizon_us);
		correlate_engine_advance_idle(s->engine, now, idle);
		log_time_outliers(s, mono);
	}
	log_checkpoint_error(s);
	sd_event_source_set_time(src, usec + 1000000);
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
	if (warns->dropped)
		ev_dlog(LOG_WARNING, "%s(%zu more warnings not shown)", prefix, warns->dropped);
	ev_errlist_clear(warns);
}

/* Build and compile an engine for cfg, its compiled databases kept in STATE_DIR/cache.
 * Errors to errs (then NULL); warnings, those of the rules and of actions.seal_on's
 * selectors against them, are logged. */
static struct correlate_engine *engine_build(const struct ev_config *cfg, const char *state_dir,
                                             struct ev_errlist *errs) {
	struct ev_errlist warns = {0}, sel = {0};
	char *cache = NULL;
	if (state_dir && asprintf(&cache, "%s/cache", state_dir) < 0)
		cache = NULL; /* out of memory: the user's cache is not the agent's; none */
	struct correlate_engine *e =
	        ev_pipeline_engine_for_agent(cfg, cache ? cache : "", errs, &warns);
	free(cache);
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

/* A configured file the agent's user cannot read is skipped by the tail: say so at start
 * (the unit runs as its own user; the fix is a group such as adm, or an ACL). */
static void warn_unreadable(const struct ev_config *c) {
	for (size_t i = 0; i < c->sources.n_files; i++) {
		glob_t g;
		if (glob(c->sources.files[i].path, GLOB_NOSORT, NULL, &g) != 0)
			continue;
		for (size_t k = 0; k < g.gl_pathc; k++)
			if (access(g.gl_pathv[k], R_OK) < 0 && errno == EACCES)
				ev_dlog(LOG_WARNING,
				        "sources.files: %s: not readable by uid %u: %s; it is not "
				        "tailed (give the agent's user a group such as adm, or an "
				        "ACL)",
				        g.gl_pathv[k], (unsigned)geteuid(), strerror(EACCES));
		globfree(&g);
	}
}

static int seams_start(struct ev_seams *s, const struct ev_config *cfg, const char *config_path,
                       const char *state_dir) {
	struct ev_errlist errs = {0};
	s->engine = engine_build(cfg, state_dir, &errs);
	if (!s->engine) {
		log_errs(&errs);
		ev_dlog(LOG_ERR, "rules: %zu error%s, not starting", ev_errlist_count(&errs),
		        ev_errlist_count(&errs) == 1 ? "" : "s");
		ev_errlist_clear(&errs);
		return -EINVAL;
	}
	correlate_engine_set_callback(s->engine, on_alert, s);
	/* the host clock is the reference for far-future events at once; it drives the
	 * watermark from the first tick, so the backlog read at start-up is still correlated */
	correlate_engine_set_clock(s->engine, ev_now_realtime_us());
	/* both clocks now, so a step before the first tick is seen too */
	check_clock_step(s, ev_now_realtime_us(), (int64_t)ev_now_monotonic_us());
	struct correlate_stats cs;
	correlate_engine_get_stats(s->engine, &cs);
	ev_dlog(LOG_INFO, "rules: %zu loaded (%zu detections, %zu correlations), %s%s", cs.rules,
	        cs.detections, cs.correlations, cs.vectorscan ? "vectorscan+pcre2" : "pcre2",
	        cs.jit ? " with JIT" : ", PCRE2 JIT unavailable: interpreter (slower)");

	int r = ev_config_load(config_path, &s->src_cfg, &errs);
	if (r < 0) {
		log_errs(&errs);
		ev_errlist_clear(&errs);
		return r;
	}
	const struct ev_config *c = s->src_cfg;
	r = ev_feed_init(&s->feed, (int64_t)c->rules.allowed_lateness);
	if (r >= 0 && c->analyze.template_fields && (r = ev_feed_enable_templates(&s->feed)) < 0)
		ev_feed_done(&s->feed);
	s->feed_ok = r >= 0;
	if (r < 0)
		return r;
	set_quiet(s);
	if (c->sources.n_files || c->sources.journal) {
		r = ev_pipeline_sources(c, state_dir, true, &s->sources);
		s->sources.tc.notice = on_notice;
		if (r >= 0)
			r = collector_tail_new(s->event, &s->sources.tc, on_record, s, &s->tail,
			                       &errs);
		if (r >= 0) {
			collector_tail_set_block_fn(s->tail, on_block, s);
			collector_tail_set_quiet_fn(s->tail, on_quiet, s);
		}
		if (r < 0) {
			log_errs(&errs);
			ev_errlist_clear(&errs);
			return r;
		}
		warn_unreadable(c);
	} else
		ev_dlog(LOG_NOTICE,
		        "no sources configured (sources.files empty, sources.journal false)");
	ev_errlist_clear(&errs);
	r = sd_event_add_time_relative(s->event, &s->advance_timer, CLOCK_MONOTONIC, 1000000,
	                               100000, on_advance, s);
	if (r >= 0 && s->tail)
		collector_tail_poll(s->tail); /* every configured file is followed before READY */
	return r < 0 ? r : 0;
}

int ev_seams_start(sd_event *event, const struct ev_config *cfg, const char *config_path,
                   const char *state_dir, const struct ev_seams_consumer *consumer,
                   struct ev_seams **ret) {
	struct ev_seams *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->event = event;
	s->consumer = *consumer;
	int r = seams_start(s, cfg, config_path, state_dir);
	if (r < 0) {
		ev_seams_stop(s);
		return r;
	}
	*ret = s;
	return 0;
}

int ev_seams_inject(struct ev_seams *s, struct ev_record *rec) {
	if (!s || !s->engine || !s->feed_ok)
		return -EAGAIN;
	return ev_feed_record(&s->feed, s->engine, rec);
}

uint64_t ev_seams_lines(const struct ev_seams *s) {
	return s ? s->lines : 0;
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

struct correlate_engine *ev_seams_build_engine(const struct ev_config *next, const char *state_dir,
                                               struct ev_errlist *errs) {
	return engine_build(next, state_dir, errs);
}

bool ev_seams_reload_empties(const struct ev_seams *s, const struct correlate_engine *next_engine,
                             const struct ev_config *next, struct ev_errlist *errs) {
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

void ev_seams_install_engine(struct ev_seams *s, struct correlate_engine *e,
                             const struct ev_config *next) {
	if (!s) { /* nothing to install into (start-up failed): drop it */
		correlate_engine_free(e);
		return;
	}
	correlate_engine_set_callback(e, on_alert, s);
	correlate_engine_set_clock(e, ev_now_realtime_us());
	correlate_engine_free(s->engine);
	s->engine = e;
	set_quiet(s);
	s->logged_future = s->logged_late = 0; /* the new engine counts from zero */
	s->logged_caps = 0;
	if (s->src_cfg && sources_differ(s->src_cfg, next))
		ev_dlog(LOG_WARNING, "sources changed: takes effect after a restart");
}

struct ev_seams *ev_seams_stop(struct ev_seams *s) {
	if (!s)
		return NULL;
	if (s->tail) {
		struct ev_errlist errs = {0};
		collector_tail_poll(s->tail); /* what is already written is handled: drain */
		if (collector_tail_checkpoint(s->tail, &errs) < 0)
			log_errs(&errs);
		ev_errlist_clear(&errs);
	}
	s->tail = collector_tail_free(s->tail);
	s->advance_timer = sd_event_source_disable_unref(s->advance_timer);
	if (s->feed_ok)
		ev_feed_done(&s->feed);
	s->engine = correlate_engine_free(s->engine);
	ev_pipeline_sources_done(&s->sources);
	ev_config_free(s->src_cfg);
	free(s);
	return NULL;
}

json_t *ev_seams_status(const struct ev_seams *s, const struct ev_config *cfg) {
	json_t *sources = json_array();
	json_t *o = json_pack("{s:o, s:{s:s}, s:{s:s, s:s}}", "sources", sources, "collector",
	                      "state", s && s->tail ? "running" : "no sources", "store", "state",
	                      cfg->actions.seal_on.n
	                              ? "seal requests and automatic seals (actions.seal_on)"
	                              : "seal requests only (actions.seal_on is empty)",
	                      "path", cfg->store.path);
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
			if (j && !x->journal)
				json_object_set_new(j, "formats", json_string(x->formats));
			if (j)
				json_array_append_new(sources, j);
		}
		json_object_set_new(o, "checkpoints", json_integer((json_int_t)ts.checkpoints));
		json_object_set_new(o, "links_refused", json_integer((json_int_t)ts.links_refused));
		json_object_set_new(o, "files_over_cap",
		                    json_integer((json_int_t)ts.files_over_cap));
		json_object_set_new(o, "checkpoint_errors",
		                    json_integer((json_int_t)ts.checkpoint_errors));
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
		json_t *eo = json_object_get(o, "engine");
		json_object_set_new(eo, "times_dropped",
		                    json_integer((json_int_t)cs.times_dropped));
		json_object_set_new(eo, "captures_dropped",
		                    json_integer((json_int_t)cs.captures_dropped));
		json_object_set_new(eo, "sources_capped",
		                    json_integer((json_int_t)cs.sources_capped));
		json_object_set_new(eo, "unchained", json_integer((json_int_t)cs.unchained));
		json_object_set_new(eo, "quiet_records",
		                    json_integer((json_int_t)cs.quiet_records));
		json_object_set_new(eo, "clock_steps", json_integer((json_int_t)s->clock_steps));
	}
	return o;
}

json_t *ev_seams_rules(const struct ev_seams *s, const char **ret_code, char **ret_error) {
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
