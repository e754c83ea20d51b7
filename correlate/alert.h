/* Alerts as a type: what the correlation engine hands its consumers.
 *
 * The engine fills a `struct correlate_alert` and passes it to the callback
 * (correlate_engine_set_callback). Consumers read its fields (rule id, level, tags,
 * times, group, fields, events) and serialise it once, at the edge, when they need bytes:
 * correlate_alert_render() (fast, into a reusable buffer) or correlate_alert_to_json()
 * (a jansson object). Both give the same canonical JSON: sorted keys, compact, one line,
 * UTF-8 kept, each byte that is not valid UTF-8 replaced by U+FFFD (tests/unit checks the
 * two renderings byte for byte).
 *
 * Ownership and lifetime: every pointer in an alert the callback receives is borrowed
 * from the engine (its rules, the record being fed, its scratch) and valid ONLY during the
 * callback. A consumer that keeps an alert past the callback copies it with
 * correlate_alert_copy() (one deep copy that owns everything it points to) and releases
 * it with correlate_alert_free(). Strings are `struct ev_str` (pointer and length; may
 * hold NUL or invalid UTF-8, as logs do) except the rule's own strings, which are
 * NUL-terminated. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/record.h"

/* One sample event: the matching record, or a sample a correlation kept. */
struct correlate_alert_event {
	int64_t time_us;
	struct ev_str source; /* file path or "journal" */
	struct ev_str message;
};

struct correlate_alert_field {
	struct ev_str name, value;
};

struct correlate_alert {
	/* the rule (NUL-terminated strings; any may be NULL) */
	const char *rule_id;
	const char *rule_title; /* title, or the rule's name when it has none */
	const char *level;
	const char *const *tags;
	size_t n_tags;
	/* match, event_count, value_count, temporal, temporal_ordered, absence */
	const char *kind;
	int64_t time_us, first_us, last_us; /* event times, µs since the epoch (UTC) */
	uint64_t count;
	bool has_distinct; /* value_count: `distinct` is the number of distinct values */
	uint64_t distinct;
	/* the group-by values: sorted by name, names unique */
	const struct correlate_alert_field *group;
	size_t n_group;
	/* has_fields (detection matches): the record's fields, decoded fields and named
	 * captures, sorted by name, names unique */
	bool has_fields;
	const struct correlate_alert_field *fields;
	size_t n_fields;
	const struct correlate_alert_event *events;
	size_t n_events;
	/* the event time is far ahead of the reference clock: "time_suspect":"future" */
	bool time_suspect_future;
	/* Optional (may be NULL): the rule's "rule" object already rendered, byte-identical to
	 * what rule_id/level/tags/rule_title render to; the renderer copies it instead. */
	const char *rule_json;
	size_t rule_json_len;
};

/* A deep copy that owns all its strings and arrays (one allocation); NULL on OOM. */
struct correlate_alert *correlate_alert_copy(const struct correlate_alert *a);
/* Accepts NULL; returns NULL. Only for alerts from correlate_alert_copy(). */
struct correlate_alert *correlate_alert_free(struct correlate_alert *a);

/* A reusable output buffer for correlate_alert_render(); zero-initialise it, release
 * with correlate_alert_buf_done(). It caches the last rendered second and day. */
struct correlate_alert_buf {
	char *p;
	size_t n, cap;
	bool bad;
	int64_t cached_sec; /* the second in cached_time (valid when have_cache) */
	bool have_cache;
	char cached_time[20]; /* "YYYY-MM-DDTHH:MM:SS" */
};
void correlate_alert_buf_done(struct correlate_alert_buf *b);

/* The canonical JSON of `a` in b (replacing its content), NUL-terminated; with alert_id
 * not NULL, an "alert_id" key first (the daemon's). Returns b->p (length in *ret_len when
 * ret_len is not NULL) or NULL on OOM. */
const char *correlate_alert_render(const struct correlate_alert *a, const char *alert_id,
                                   struct correlate_alert_buf *b, size_t *ret_len);
/* Only the "rule" object ({"id","level","tags","title"}), as rule_json caches it. */
const char *correlate_alert_render_rule(const struct correlate_alert *a,
                                        struct correlate_alert_buf *b, size_t *ret_len);
/* The same as a jansson object (dump it with JSON_COMPACT | JSON_SORT_KEYS for the same
 * bytes); NULL on OOM. */
json_t *correlate_alert_to_json(const struct correlate_alert *a, const char *alert_id);
