/* Calendar arithmetic and RFC 3339 timestamps: one formatter for every module (records,
 * alerts, ledgers, bundles, custody lines, command output).
 *
 * Times are µs since 1970-01-01 UTC in an int64_t; the calendar is the proleptic
 * Gregorian one, so every such value has a date (years -290308..294247). Fractions are
 * floored: -1 µs is 1969-12-31T23:59:59.999999Z. No locale, no time zone, no stdio on the
 * common path (years 0..9999), so the formatters are cheap enough for every record. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Enough for any int64_t µs value in either form, with the NUL. */
#define EV_RFC3339_MAX 32

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31). */
int64_t ev_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The date of a day number (days since 1970-01-01). */
void ev_civil_from_days(int64_t z, int *ret_y, unsigned *ret_m, unsigned *ret_d);

/* "YYYY-MM-DDThh:mm:ss.uuuuuuZ" (27 characters for years 0..9999; other years print as
 * many digits as they need, with a '-' when negative). Writes at most `size` bytes, always
 * NUL-terminated when size > 0 (truncated like snprintf), and returns the length written
 * without the NUL. */
size_t ev_format_rfc3339_us(int64_t us, char *buf, size_t size);
/* The same to the second: "YYYY-MM-DDThh:mm:ssZ" (the fraction is dropped, not rounded). */
size_t ev_format_rfc3339(int64_t us, char *buf, size_t size);
