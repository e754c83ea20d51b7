/* A service's logs read for maintenance: the traffic per hour of the week (window
 * planning) and the error lines of a span (the before/after comparison of a change).
 * The files are the service's patterns (incidents.services file:...) and their
 * uncompressed rotated generations (PATH.N); each line is parsed as the agent parses it
 * (collector/parse.h, format auto) for its time and priority. Lines longer than
 * EV_MAINT_LINE_MAX are counted with their first EV_MAINT_LINE_MAX bytes. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define EV_MAINT_LINE_MAX      (64 * 1024)
#define EV_MAINT_MESSAGES_MAX  1000 /* distinct normalised error messages kept per span */
#define EV_MAINT_WINDOWS_SHOWN 5

/* Windows of `duration_us` (rounded up to whole hours) starting on each hour of the
 * week, from the lines of the last `days` days before now_us, lowest traffic first:
 * {"days", "weeks", "lines", "windows":[{"start":"Tue 03:00", "next":RFC3339, "hours",
 * "expected_lines" (average per week), "peak_hour_lines"}] (the first `top`)}, in UTC.
 * NULL on OOM. */
json_t *ev_maint_plan(const json_t *patterns, int64_t now_us, unsigned days, uint64_t duration_us,
                      size_t top);
/* The lines of [from_us, to_us): {"lines", "error_lines", "errors_per_hour",
 * "messages":{normalised message: count}}. An error line has a syslog priority of err or
 * worse, or (priority unknown) a word such as error, failed, fatal, panic, exception or
 * refused in its message. Normalised: digit runs become '#', hex words of 8+ characters
 * '%'. NULL on OOM. */
json_t *ev_maint_errors(const json_t *patterns, int64_t from_us, int64_t to_us);
/* What regressed from `before` to `after` (ev_maint_errors results of equal spans):
 * {"regressed":B, "reasons":[text], "new_messages":[...]}: the error lines at least
 * doubled and grew by at least 3, or an error message appeared that the span before
 * did not have. */
json_t *ev_maint_errors_compare(const json_t *before, const json_t *after);
