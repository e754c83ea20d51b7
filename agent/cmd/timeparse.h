/* Times people type on the command line (--since, --until, --before, replay --now): one
 * parser for every option that takes a time, reading what `journalctl --since` reads.
 *
 *   2026-11-29T14:00:00Z, 2026-11-29 14:00:00+01:00   RFC 3339 (zone: Z, +hh:mm, +hhmm, UTC)
 *   2026-11-29 14:00:00, 2026-11-29T14:00, 14:00       no zone: local time (today for a
 *   2026-11-29                                         bare time), midnight for a bare date
 *   now, today, yesterday, tomorrow                    midnights are local
 *   -1h30m, +15m, -1w, -30 (seconds), 2h ago, 1d left  relative to now; the units are the
 *                                                      configuration's durations (us, ms,
 *                                                      s, m, h, d, w, and sec, min, hour,
 *                                                      day, week...), spaces allowed
 *   @1795960800[.5]                                    seconds since the epoch
 *
 * Local time comes from localtime_r/mktime with the process's TZ as it is; this code never
 * sets TZ. Fractions of a second are kept to the microsecond. */
#pragma once
#include <stdint.h>

/* Parse `s` against `now_us` (µs since the epoch) into *ret_us. Returns 0, -EINVAL for
 * something that is not a time, or -ERANGE for a time out of range. */
int ev_parse_time(const char *s, int64_t now_us, int64_t *ret_us);

/* One line for usage texts and error messages: the forms ev_parse_time() accepts. */
#define EV_TIME_FORMS                                                                              \
	"'2026-11-29 14:00[:00]' (local), RFC 3339 with a zone, today, yesterday, now, "           \
	"-1h30m, '2h ago', @EPOCH"
