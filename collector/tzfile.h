/* Time zone rules read from a TZif file (RFC 8536: /usr/share/zoneinfo), so that named
 * zones are converted without touching the process environment (no setenv("TZ"), no
 * tzset(): the agent has worker threads, and the C library keeps one zone per process).
 *
 * The transition table answers for instants it covers; later instants follow the file's
 * footer, a POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"). Leap second records are
 * ignored (the "right/" zones are not supported for event time). Untrusted-input caps:
 * 1 MiB per file, 10,000 transitions, 256 types; anything malformed is -EINVAL. */
#pragma once
#include <stdint.h>

struct collector_tzdata;

/* Load the TZif file at `path`. 0, -EINVAL (not a valid TZif file), -ENOMEM, -errno. */
int collector_tzdata_load(const char *path, struct collector_tzdata **ret);
/* NULL is fine; returns NULL. */
struct collector_tzdata *collector_tzdata_free(struct collector_tzdata *z);
/* The zone's UTC offset (seconds east) at a UTC instant. */
int32_t collector_tzdata_offset_at(const struct collector_tzdata *z, int64_t utc_secs);
/* Local wall-clock seconds to UTC seconds. A local time that occurs twice (clocks set
 * back) is the first of the two; one that does not occur (clocks set forward) is read
 * with the offset in force before the change (as mktime does with tm_isdst = -1). */
int64_t collector_tzdata_local_to_utc(const struct collector_tzdata *z, int64_t local_secs);
