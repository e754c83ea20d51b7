/* Correlation engine: Sigma detection and correlation rules over records, in one pass.
 *
 * Two users:
 *  - replay: new -> add rules/decoders -> compile -> feed every record in order ->
 *    finish; alerts arrive through the callback, deterministically (same input, same
 *    bytes, whichever matcher).
 *  - the daemon: the same, plus correlate_engine_advance() with the clock while idle so
 *    deadlines fire on a quiet host; a reload builds a new engine and swaps it in.
 *
 * All times are event times in µs since the epoch (UTC). Windows are inclusive; see
 * docs/rules.md for the exact semantics (event_count, value_count, temporal,
 * temporal_ordered, absence, suppression, watermark, eviction).
 *
 * The engine never prints; errors go to an ev_errlist as FILE:LINE:COL: message. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/record.h"
#include "correlate/alert.h"
#include "util/err.h"

/* The matcher this build uses by default: "vectorscan+pcre2" or "pcre2". */
const char *correlate_engine_name(void);

struct correlate_opts {
	const char *engine;          /* "auto" (NULL), "vectorscan", "pcre2" */
	int64_t allowed_lateness_us; /* < 0: default 10 s */
	size_t max_groups;           /* per correlation; 0: default 100000 */
	size_t max_values;           /* value_count: distinct values per group; 0: 100000 */
	/* An event more than this ahead of the reference clock is "far future": it does not
	 * move the watermark, is not correlated, is counted and its alerts carry
	 * "time_suspect":"future". The reference is the host clock once
	 * correlate_engine_advance() or _set_clock() gave one (the daemon), else the input
	 * itself (replay; see docs/rules.md). 0: default 5 min. */
	int64_t max_future_us;
	bool no_jit; /* force the PCRE2 interpreter (tests, hardening) */
	/* A record with the field "service" (a file source's `service:`) belongs to the
	 * logsource service of that name as well as to those its program, unit and facility
	 * give. Off: the field is not looked at (no cost per record). */
	bool service_field;
	/* A directory for compiled Vectorscan databases (correlate/dbcache.h), copied; NULL:
	 * every database is compiled. A directory or file that is not the running user's
	 * alone is not used: compile() names it in its warnings. */
	const char *db_cache_dir;
};

/* The alert handed to the callback: see correlate/alert.h for its contract (borrowed,
 * valid only during the callback; correlate_alert_copy() to keep it). */
typedef void (*correlate_alert_fn)(void *ctx, const struct correlate_alert *a);

struct correlate_rule_stats {
	const char *id, *title, *name;
	const char *level;       /* may be NULL */
	const char *const *tags; /* as written in the rule, n_tags of them */
	size_t n_tags;
	uint64_t matches; /* detection matches (or correlation alerts) */
};

struct correlate_stats {
	size_t rules; /* loaded */
	size_t detections, correlations;
	uint64_t records;
	uint64_t matches;        /* detection matches, all rules */
	uint64_t alerts;         /* alerts delivered */
	uint64_t late;           /* events older than the watermark, not correlated */
	uint64_t future;         /* records far ahead of the reference clock, not correlated */
	int64_t last_future_us;  /* the time of the last such record (INT64_MIN: none) */
	uint64_t evicted;        /* groups evicted at the cap (max_groups) */
	uint64_t values_dropped; /* value_count: distinct values dropped at max_values */
	uint64_t times_dropped;  /* temporal, value_count: event times dropped past 1,024 a group */
	uint64_t captures_dropped; /* named captures dropped past 64 a record */
	uint64_t sources_capped;   /* samples labelled "(source)": more than 4,096 sources */
	uint64_t suppressed;       /* events ignored in a suppressed group */
	uint64_t unchained;        /* temporal_ordered: later-step events without the step before */
	uint64_t live_groups;
	uint64_t decoded;       /* records a decoder added fields to */
	uint64_t candidates;    /* leaves the Vectorscan prefilter marked, once per record */
	uint64_t block_records; /* records whose message a block scan served */
	uint64_t quiet_records; /* records fed for their time only (EV_REC_QUIET) */
	bool vectorscan;        /* the Vectorscan prefilter is in use */
	unsigned db_loaded;     /* Vectorscan databases taken from the cache (db_cache_dir) */
	unsigned db_compiled;   /* Vectorscan databases compiled */
	bool jit;               /* every pattern is JIT-compiled */
	int64_t watermark_us;
	int64_t max_time_us; /* the largest accepted event time (INT64_MIN: none yet) */
};

struct correlate_engine;

/* Returns 0, -EINVAL (unknown engine name, or vectorscan asked for in a build without it;
 * message in errs), -ENOMEM. */
int correlate_engine_new(const struct correlate_opts *o, struct correlate_engine **ret,
                         struct ev_errlist *errs);
/* Load rules from a file or directory tree. Rules with errors are rejected whole (one
 * message each in errs). Returns the number of rules loaded from `path`, or -errno when
 * the path cannot be read. */
int correlate_engine_add_rules(struct correlate_engine *e, const char *path,
                               struct ev_errlist *errs);
int correlate_engine_add_rules_buffer(struct correlate_engine *e, const char *name, const char *buf,
                                      size_t len, struct ev_errlist *errs);
/* Load decoders (file or directory of *.yml). Returns the number loaded or -errno. */
int correlate_engine_add_decoders(struct correlate_engine *e, const char *path,
                                  struct ev_errlist *errs);
/* The same from `len` bytes named `name` (the fuzz target; messages name `name`). */
int correlate_engine_add_decoders_buffer(struct correlate_engine *e, const char *name,
                                         const char *buf, size_t len, struct ev_errlist *errs);
/* Extend the logsource table: service NAME is any of these programs or units. */
int correlate_engine_add_logsource(struct correlate_engine *e, const char *service,
                                   const char *const *programs, size_t n_programs,
                                   const char *const *units, size_t n_units);
/* The same from one line of configuration, "SERVICE: WORD...", where a WORD is a program
 * name, `unit:NAME` or `facility:N` (0..23); for example
 * "myapp: myapp myapp-worker unit:myapp.service facility:16". Returns 0, or -EINVAL with a
 * message naming `origin` in errs. */
int correlate_engine_add_logsource_spec(struct correlate_engine *e, const char *spec,
                                        const char *origin, struct ev_errlist *errs);
/* Define a placeholder for `|expand` values from one line of configuration,
 * "NAME: VALUE..." (values separated by spaces), before loading the rules that use
 * `%NAME%`. Returns 0, or -EINVAL with a message naming `origin` in errs, -EBUSY after
 * correlate_engine_compile(), -ENOMEM. */
int correlate_engine_add_placeholder_spec(struct correlate_engine *e, const char *spec,
                                          const char *origin, struct ev_errlist *errs);
/* Resolve references and logsources, compile patterns and the Vectorscan database.
 * Rules that cannot be resolved are dropped with a message; warnings (a rule that can
 * never match on this host, a reference to a rule that is not loaded) go to `warnings`.
 * Returns 0 or -ENOMEM / -EINVAL (the prefilter could not be built at all). */
int correlate_engine_compile(struct correlate_engine *e, struct ev_errlist *errs,
                             struct ev_errlist *warnings);
void correlate_engine_set_callback(struct correlate_engine *e, correlate_alert_fn fn, void *ctx);

/* Feed one record. The engine may add decoded fields to `rec` (ev_record_add_field): the
 * caller hands a record it owns and may change until the call returns. Alerts for matches are
 * delivered at once; correlation alerts as the watermark passes. Returns 0 or -ENOMEM. */
int correlate_engine_feed(struct correlate_engine *e, struct ev_record *rec);
/* Block scanning (Vectorscan builds; a no-op otherwise). The records fed from now on
 * may come from the complete lines in `p` (`len` bytes; `off` is the stream offset of
 * p[0], the coordinate of ev_record.offset): the engine scans these bytes once, a chunk
 * at a time, instead of each record's message on its own. A record is served by the block
 * only when its message is, byte for byte, the end of its line there (ev_record.offset
 * and .length, less a '\r'), and records are served in line order; any other record is
 * scanned alone, so the results are the same either way. The bytes must not change until
 * the next call; call it with `len` 0 before they do (the reader refills its buffer).
 * The pointer is borrowed. */
void correlate_engine_set_block(struct correlate_engine *e, const char *p, size_t len,
                                uint64_t off);
/* Can no rule match the line at stream offset `off` (`len` bytes) of the announced block,
 * whatever its parse gives? True only when every rule is gated by a literal of the block
 * database (no rule runs on every record, but those of a Sigma category, which only see
 * the category records of audit and Sysmon lines; none on the fields a parse adds, no
 * pattern-database leaf), the line holds no hit of that database (a hit anywhere in the
 * line, header included, says no), nor a sign of an audit or Sysmon line ("type=",
 * "node=", "<Event"), which the feed turns into category records. Lines are asked in
 * order, at most once each; a true answer consumes the line, which is then fed with
 * EV_REC_QUIET (its time only); after a false one it is fed as it is. Vectorscan builds;
 * false otherwise. */
bool correlate_engine_line_quiet(struct correlate_engine *e, uint64_t off, size_t len);
/* Can any line be quiet with these rules (the conditions above but for the line's own)?
 * When false, correlate_engine_line_quiet is always false: do not ask. */
bool correlate_engine_can_quiet(const struct correlate_engine *e);
/* Daemon: the clock says `now_us`; the watermark advances to now - lateness, and the
 * clock becomes the reference for far-future events. */
int correlate_engine_advance(struct correlate_engine *e, int64_t now_us);
/* The same with two clocks: `clock_us` (the host's wall clock) becomes the reference for
 * far-future events, and the watermark advances to `idle_us` - lateness. The daemon's
 * `idle_us` is the wall clock less any forward step, so a step forward does not fire
 * deadlines early; event times still move the watermark. */
int correlate_engine_advance_idle(struct correlate_engine *e, int64_t clock_us, int64_t idle_us);
/* Only make `now_us` the reference clock for far-future events (the watermark stays);
 * the daemon calls it before the first record. */
int correlate_engine_set_clock(struct correlate_engine *e, int64_t now_us);
/* Daemon: the host clock was stepped back to `now_us`. The watermark and the largest
 * event time drop to it (less the lateness), so events stamped by the new clock are not
 * "late"; buffered events and pending deadlines stay, and fire no earlier than before. */
void correlate_engine_clock_stepped_back(struct correlate_engine *e, int64_t now_us);
/* End of input: release every buffered event and fire every pending deadline (a record
 * still waiting for confirmation of a far-ahead time is accepted first). */
int correlate_engine_finish(struct correlate_engine *e);

void correlate_engine_get_stats(const struct correlate_engine *e, struct correlate_stats *ret);
size_t correlate_engine_n_rules(const struct correlate_engine *e);
/* Per-rule numbers for summaries; NULL past the end. */
bool correlate_engine_rule_stats(const struct correlate_engine *e, size_t i,
                                 struct correlate_rule_stats *ret);
/* One rule's listing as JSON (id, title, level, logsource, kind, file, line, and live:
 * false when its logsource is never observed on this host); caller frees. */
char *correlate_engine_rule_json(const struct correlate_engine *e, size_t i);
struct correlate_engine *correlate_engine_free(struct correlate_engine *e);

/* Parse RFC 3339 ("2024-01-02T03:04:05[.ffffff](Z|+hh:mm)"). Returns 0 or -EINVAL. */
int correlate_parse_time(const char *s, int64_t *ret_us);
