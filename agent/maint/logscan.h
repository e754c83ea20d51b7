/* A service's logs read for maintenance: the traffic per hour of the week (window
 * planning) and the error lines before and after a change (the comparison of `finish`).
 * The files are the service's patterns (incidents.services file:...) with their rotated
 * generations, .gz included (collector/files.h); each line is read as `evident analyze`
 * reads it (collector reader, format auto) for its time and priority. Lines longer than
 * EV_MAINT_LINE_MAX are cut there. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define EV_MAINT_LINE_MAX      (64 * 1024)
#define EV_MAINT_MESSAGES_MAX  1000 /* new error templates listed (more are counted) */
#define EV_MAINT_WINDOWS_SHOWN 5

/* Windows of `duration_us` (rounded up to whole hours) starting on each hour of the
 * week, from the lines of the last `days` days before now_us, lowest traffic first:
 * {"days", "weeks", "lines", "windows":[{"start":"Tue 03:00", "next":RFC3339, "hours",
 * "expected_lines" (average per week), "peak_hour_lines"}] (the first `top`)}, in UTC.
 * NULL on OOM. */
json_t *ev_maint_plan(const json_t *patterns, int64_t now_us, unsigned days, uint64_t duration_us,
                      size_t top);
/* The span before a change, [t0 - span, t0), against the same span from it, [t0, t0 +
 * span]: {"before":{"lines", "error_lines", "errors_per_hour"}, "after":{...},
 * "new_templates":[{"id", "template", "count"}], "new_templates_dropped", "regressed":B,
 * "reasons":[text]}. An error line is one the analysis calls an error
 * (analyze_record_is_error: priority err or worse, or a level field saying so) or, its
 * priority unknown, one with a word such as error, fail, fatal, panic, exception or
 * refused in its message. The error lines of both spans are grouped into templates by the
 * template miner (agent/analyze/analysis.h, correlate/miner.h), in time order; a new
 * template is one with error lines from t0 and none before (at most
 * EV_MAINT_MESSAGES_MAX listed, in the order they first appeared); `marks` (or NULL), see
 * ev_maint_log_marks, decides before and after by position. Regressed: the error lines at
 * least doubled and grew by at least 3, or there is a new error template. NULL on OOM. */
json_t *ev_maint_errors_compare(const json_t *patterns, const json_t *marks, int64_t t0_us,
                                int64_t span_us);
/* Where each of the patterns' uncompressed files ends now: [{"path", "dev", "ino",
 * "size"}], taken when a change starts. Given to ev_maint_errors_compare, a line of a
 * marked file (found by device and inode, so a rotated file still counts) is before the
 * change when it starts before the file's marked size and after it otherwise, whatever
 * its whole-second time says; lines of other files (new since, truncated since, or
 * compressed) are split by time. NULL on OOM. */
json_t *ev_maint_log_marks(const json_t *patterns);
