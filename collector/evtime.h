/* Event time: civil dates to µs since the epoch, time zones with a conversion cache, and
 * the timestamp syntaxes the line parsers share (RFC 3164, RFC 3339 / ISO 8601).
 *
 * Conversions never call mktime/strftime per line: dates are turned into days with pure
 * arithmetic, and a zone's UTC offset is looked up once per local hour and cached. Named
 * zones are read from their TZif file: the process environment (TZ) is never changed. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/clock.h"
#include "util/timefmt.h"

/* A time zone for zone-less timestamps. */
struct collector_tzdata;

struct collector_tz {
	char *name; /* NULL = local (the process TZ), "UTC", or a tz database name */
	struct collector_tzdata *data; /* a named zone's rules (owned), NULL otherwise */
	bool utc;                      /* fixed offset, no lookups */
	int32_t fixed;                 /* offset in seconds when utc (e.g. "+02:00" zones) */
	/* cache: local hour -> offset (seconds east of UTC) */
	int64_t hour_key[2];
	int32_t hour_off[2];
	int next_slot;
};

/* Initialise a zone from a name: NULL or "local" (process local time), "UTC"/"Z", a fixed
 * offset "+HH:MM"/"-HHMM", or a name found under /usr/share/zoneinfo. Returns 0 or
 * -EINVAL (unknown zone), -ENOMEM. */
int collector_tz_init(struct collector_tz *tz, const char *name);
void collector_tz_done(struct collector_tz *tz);
/* Local wall-clock seconds (days*86400 + seconds of day) in `tz` to UTC seconds. */
int64_t collector_tz_local_to_utc(struct collector_tz *tz, int64_t local_secs);
/* UTC seconds to the zone's offset at that instant (for year inference of "now"). */
int32_t collector_tz_offset_at_utc(struct collector_tz *tz, int64_t utc_secs);

/* Parse "Mmm dd hh:mm:ss" (day space- or zero-padded) at p. Returns the number of bytes
 * used (15) and the month (1..12), day and second of day, or 0 when it is not one. */
size_t collector_parse_bsd_time(const char *p, size_t len, unsigned *ret_mon, unsigned *ret_day,
                                unsigned *ret_sod);
/* Parse an RFC 3339 / ISO 8601 timestamp at p: "YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|±hh:mm|±hhmm]".
 * Zone-less times are read in `tz`. Returns the bytes used, or 0 when it is not one. */
size_t collector_parse_iso_time(const char *p, size_t len, struct collector_tz *tz,
                                int64_t *ret_us);
