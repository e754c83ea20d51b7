/* The analysis of a window of records: error patterns per template (the miner's), new
 * and surging templates, per service the first error and the error-rate series, the
 * order in which services started failing, the paths of trace/request ids across
 * services, and a timeline. `evident analyze` fills one and prints it; the report embeds
 * its chart (svg.h) and timeline.
 *
 * Window: [since, until] (µs, inclusive); the span before it, [prior, since), counts for
 * "surging" only. Records outside both are ignored. The error-rate series has
 * ANALYZE_BINS equal bins over the window.
 *
 * Caps: ANALYZE_MAX_SERVICES services (later ones count under "other"),
 * ANALYZE_MAX_TRACES trace ids (later ids are not followed; counted in traces_dropped),
 * ANALYZE_MAX_HOPS services per trace path, ANALYZE_MAX_MARKERS markers. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/record.h"
#include "correlate/miner.h"

#define ANALYZE_BINS         60
#define ANALYZE_MAX_SERVICES 64
#define ANALYZE_MAX_TRACES   100000
#define ANALYZE_MAX_HOPS     8
#define ANALYZE_MAX_MARKERS  256
#define ANALYZE_NONE         INT64_MIN
#define ANALYZE_MAX_SOURCES  64 /* groups of inputs merged by time (configured sources) */

struct analyze_service {
	char *name;
	uint64_t lines, errors;
	int64_t first_error_us; /* ANALYZE_NONE: no error in the window */
	int first_error_tpl;    /* template of the first error, -1 */
	uint32_t bins[ANALYZE_BINS];
};

struct analyze_tstat {
	uint64_t in, prior, errors; /* lines in the window, in the span before, errors in window */
	int64_t first_us, last_us;  /* in the window; ANALYZE_NONE when none */
	int64_t first_error_us;     /* first error line in the window, or ANALYZE_NONE */
	uint64_t services;          /* bit i: service i had this template in the window */
	int worst_priority;         /* lowest syslog priority seen in the window, -1 unknown */
};

struct analyze_trace {
	char *id;
	uint8_t hops[ANALYZE_MAX_HOPS]; /* services in order of first appearance */
	uint8_t n_hops;
	bool error;
};

struct analyze_marker {
	int64_t t_us;
	char *kind; /* "alert", "incident", ... */
	char *label;
	char *host; /* NULL when not known */
};

struct analyze_event {
	int64_t t_us;
	const char *kind; /* "first_error", "pattern_onset", "new_pattern", or a marker's kind */
	char *service;    /* may be NULL */
	char *text;
	char *host; /* markers: the host, when known; else NULL */
};

struct analysis {
	int64_t since_us, until_us, prior_us;
	struct miner *miner;             /* borrowed */
	size_t n_known;                  /* templates known before this run (from the store) */
	const char *const *trace_fields; /* NULL-terminated, borrowed */
	struct analyze_tstat *ts;
	size_t n_ts;
	struct analyze_service svc[ANALYZE_MAX_SERVICES];
	size_t n_svc;
	struct analyze_trace *traces;
	size_t n_traces, alloc_traces;
	uint64_t traces_dropped, lines;
	struct analyze_marker markers[ANALYZE_MAX_MARKERS];
	size_t n_markers;
};

/* Start an analysis over [since, until] with the span before it for surges. */
void analyze_init(struct analysis *a, struct miner *m, int64_t since_us, int64_t until_us,
                  const char *const *trace_fields);
void analyze_done(struct analysis *a);

/* Whether a record is an error: syslog priority 0..3, or a level/severity field reading
 * err, error, fatal, crit, critical, alert, emerg or panic (any case). */
bool analyze_record_is_error(const struct ev_record *rec, int *ret_priority);
/* The service of a record: its "service" field, else its program, else its unit, else "-". */
struct ev_str analyze_record_service(const struct ev_record *rec);

/* Account one record (outside the window and its prior span: ignored). Groups the
 * message with the miner. Returns 0, or -ENOMEM. */
int analyze_add(struct analysis *a, const struct ev_record *rec);
/* Add a marker (alert or incident time) for the timeline and the chart. -E2BIG at the
 * cap, -ENOMEM. */
int analyze_add_marker(struct analysis *a, int64_t t_us, const char *kind, const char *label);
/* The same with the host it happened on (NULL: not known). */
int analyze_add_marker_host(struct analysis *a, int64_t t_us, const char *kind, const char *label,
                            const char *host);

/* Services that had errors, in the order their first error came (ties: name). Writes
 * up to max indexes into ret; returns the count. */
size_t analyze_failure_order(const struct analysis *a, size_t *ret, size_t max);
/* Whether template i is new (unknown to the store and first seen in the window) and its
 * surge factor ((in+1)/(prior+1)). */
bool analyze_template_new(const struct analysis *a, size_t i);
double analyze_template_surge(const struct analysis *a, size_t i);

/* The timeline: first errors per service, pattern onsets (first error of each template
 * in the window; "new_pattern" for new ones) and markers, sorted by time (ties: kind
 * order above, then text). Caller frees with analyze_timeline_free. Returns the count or
 * -ENOMEM. */
int analyze_timeline(const struct analysis *a, struct analyze_event **ret);
void analyze_timeline_free(struct analyze_event *v, size_t n);

/* The whole analysis as JSON (see docs/analysis.md for the shape); NULL on OOM. */
json_t *analyze_to_json(const struct analysis *a);

/* ---- for the report: an incident's analysis in one call ----
 *
 * analyze_incident(cfg, state_dir, id, &a, errs) runs what `evident analyze --incident ID
 * [--state-dir DIR]` runs: the incident under state_dir (NULL: cfg->agent.state_dir;
 * ledger checked with the keys of cfg->store.path), its window (t_impact, else t_detect, ..
 *t_resolve, else now), every bundle its ledger records (sealed here or imported; each verified with
 *the keys of the store it sits in and required to have the manifest hash the ledger recorded; only
 * verified log members are read), the template store in that state_dir (read, so
 * ids resolve as they did; not written), cfg->analyze.trace_fields, and the ledger's
 * entries on the timeline (incident_in.h). Returns 0 with *out set (free it with
 * analyze_free), or -ENOENT (no such incident), -EINVAL (bad id), -EIO, -ENOMEM, with a
 * message in errs. Bundles left out are not errors: analyze_inputs() lists them.
 *
 * Example (the report helper):
 *	struct analysis *a;
 *	if (analyze_incident(cfg, NULL, "INC-7", &a, &errs) == 0) {
 *		char *svg = analyze_svg_string(a, NULL);   // self-contained <svg>
 *		json_t *tl = analyze_timeline_json(a);     // [{time, kind, text, service?, host?}]
 *		...
 *		free(svg); json_decref(tl); analyze_free(a);
 *	} */
struct ev_config;
struct ev_errlist;
int analyze_incident(const struct ev_config *cfg, const char *state_dir, const char *id,
                     struct analysis **out, struct ev_errlist *errs);
/* Free what analyze_incident() returned (NULL is fine). */
void analyze_free(struct analysis *a);
/* The bundles of an analyze_incident() result: [{bundle, member?, analysed, reason?}]
 * (borrowed; NULL when there were none). */
json_t *analyze_inputs(const struct analysis *a);
/* The chart as an SVG document (malloc'd, NUL-terminated; length in *ret_len when not
 * NULL), or NULL on OOM. */
char *analyze_svg_string(const struct analysis *a, size_t *ret_len);
/* The timeline as JSON (the "timeline" array of analyze_to_json); new reference. */
json_t *analyze_timeline_json(const struct analysis *a);
