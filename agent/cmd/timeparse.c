/* The command line's time parser (see agent/cmd/timeparse.h). Absolute forms are read field by
 * field (no strptime: its %Y-%m-%d accepts things like "2026-1-2x"); zone-less ones go
 * through mktime with tm_isdst = -1 so daylight saving time is the one in force that day.
 * Relative forms use ev_parse_duration(), the configuration's duration syntax. */
#include "config.h"

#include "agent/cmd/timeparse.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent/settings.h"

#define USEC 1000000LL

/* Local midnight of the day `now_us` falls on, moved by `days`. */
static int local_midnight(int64_t now_us, int days, int64_t *ret_us) {
	time_t t = (time_t)(now_us / USEC);
	struct tm tm;
	if (!localtime_r(&t, &tm))
		return -ERANGE;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += days;
	tm.tm_isdst = -1;
	time_t m = mktime(&tm);
	if (m == (time_t)-1)
		return -ERANGE;
	*ret_us = (int64_t)m * USEC;
	return 0;
}

/* A duration with optional spaces between its parts ("1h 30min"), into µs. A bare number
 * is seconds, as systemd reads it. */
static int relative(const char *s, size_t len, uint64_t *ret_us) {
	char buf[64];
	size_t n = 0;
	bool digits = true;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ' ')
			continue;
		if (n + 2 >= sizeof(buf)) /* room for the 's' below and the NUL */
			return -EINVAL;
		digits = digits && isdigit((unsigned char)s[i]);
		buf[n++] = s[i];
	}
	if (n == 0)
		return -EINVAL;
	if (digits)
		buf[n++] = 's';
	buf[n] = '\0';
	return ev_parse_duration(buf, ret_us);
}

static int shift(int64_t now_us, uint64_t d, int sign, int64_t *ret_us) {
	int64_t t;
	if (d > (uint64_t)INT64_MAX || (sign < 0 ? __builtin_sub_overflow(now_us, (int64_t)d, &t)
	                                         : __builtin_add_overflow(now_us, (int64_t)d, &t)))
		return -ERANGE;
	*ret_us = t;
	return 0;
}

/* Exactly `n` digits at *p into *ret; advances *p. */
static bool num(const char **p, int n, int *ret) {
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

/* "hh:mm[:ss[.ffffff]]" into tm and *frac (µs). */
static bool clock_part(const char **p, struct tm *tm, int64_t *frac) {
	if (!num(p, 2, &tm->tm_hour) || **p != ':')
		return false;
	(*p)++;
	if (!num(p, 2, &tm->tm_min))
		return false;
	tm->tm_sec = 0;
	*frac = 0;
	if (**p == ':') {
		(*p)++;
		if (!num(p, 2, &tm->tm_sec))
			return false;
		if (**p == '.' || **p == ',') {
			int64_t scale = 100000;
			(*p)++;
			if (!isdigit((unsigned char)**p))
				return false;
			for (; isdigit((unsigned char)**p); (*p)++) {
				*frac += (**p - '0') * scale;
				scale /= 10;
			}
		}
	}
	return tm->tm_hour < 24 && tm->tm_min < 60 && tm->tm_sec <= 60;
}

/* The zone after a time: "" (local: returns 1), Z, UTC, +hh, +hhmm, +hh:mm (returns 0
 * with *ret_off seconds east of UTC), anything else -EINVAL. */
static int zone_part(const char *p, long *ret_off) {
	if (*p == ' ')
		p++;
	if (!*p)
		return 1;
	if (!strcmp(p, "Z") || !strcmp(p, "z") || !strcasecmp(p, "UTC") || !strcmp(p, "GMT")) {
		*ret_off = 0;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return -EINVAL;
	int sign = *p == '-' ? -1 : 1, hh, mm = 0;
	p++;
	if (!num(&p, 2, &hh))
		return -EINVAL;
	if (*p == ':')
		p++;
	if (*p && !num(&p, 2, &mm))
		return -EINVAL;
	if (*p || hh > 23 || mm > 59)
		return -EINVAL;
	*ret_off = sign * (hh * 3600L + mm * 60L);
	return 0;
}

static bool valid_day(const struct tm *tm) {
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (tm->tm_mon < 0 || tm->tm_mon > 11 || tm->tm_mday < 1)
		return false;
	int y = tm->tm_year + 1900;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return tm->tm_mday <= mdays[tm->tm_mon] - (tm->tm_mon == 1 && !leap);
}

/* [YYYY-MM-DD][( |T)hh:mm[:ss[.f]]][zone]; at least one of the date and the time. */
static int absolute(const char *s, int64_t now_us, int64_t *ret_us) {
	struct tm tm = {0};
	int64_t frac = 0;
	const char *p = s;
	bool date = false;
	if (strlen(s) >= 10 && s[4] == '-') {
		int y, m, d;
		if (!num(&p, 4, &y) || *p++ != '-' || !num(&p, 2, &m) || *p++ != '-' ||
		    !num(&p, 2, &d))
			return -EINVAL;
		tm = (struct tm){.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
		if (y < 1970 || !valid_day(&tm))
			return -EINVAL;
		date = true;
		if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1])))
			p++;
	}
	if (isdigit((unsigned char)*p)) {
		if (!clock_part(&p, &tm, &frac))
			return -EINVAL;
	} else if (!date)
		return -EINVAL;
	long off = 0;
	int z = zone_part(p, &off);
	if (z < 0)
		return z;
	if (!date) { /* a bare time: today's date, in the zone given or the local one */
		time_t t = (time_t)(now_us / USEC);
		struct tm today;
		if (!(z ? localtime_r(&t, &today) : gmtime_r(&t, &today)))
			return -ERANGE;
		tm.tm_year = today.tm_year, tm.tm_mon = today.tm_mon, tm.tm_mday = today.tm_mday;
	}
	time_t t;
	if (z) {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	} else
		t = timegm(&tm);
	if (t == (time_t)-1)
		return -ERANGE;
	*ret_us = ((int64_t)t - off) * USEC + frac;
	return 0;
}

static int epoch(const char *s, int64_t *ret_us) {
	int64_t sec = 0, frac = 0, scale = 100000;
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (sec > (INT64_MAX / USEC - 9) / 10)
			return -ERANGE;
		sec = sec * 10 + (*p - '0');
	}
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	if (*p)
		return -EINVAL;
	*ret_us = sec * USEC + frac;
	return 0;
}

static bool suffix(const char *s, size_t len, const char *word, size_t *ret_len) {
	size_t w = strlen(word);
	if (len <= w || s[len - w - 1] != ' ' || strncasecmp(s + len - w, word, w) != 0)
		return false;
	*ret_len = len - w - 1;
	return true;
}

int ev_parse_time(const char *s, int64_t now_us, int64_t *ret_us) {
	while (*s == ' ')
		s++;
	size_t len = strlen(s), n;
	while (len && s[len - 1] == ' ')
		len--;
	char buf[80];
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	uint64_t d;
	int r;
	if (!strcasecmp(buf, "now")) {
		*ret_us = now_us;
		return 0;
	}
	if (!strcasecmp(buf, "today"))
		return local_midnight(now_us, 0, ret_us);
	if (!strcasecmp(buf, "yesterday"))
		return local_midnight(now_us, -1, ret_us);
	if (!strcasecmp(buf, "tomorrow"))
		return local_midnight(now_us, 1, ret_us);
	if (buf[0] == '@')
		return epoch(buf + 1, ret_us);
	if (buf[0] == '-' || buf[0] == '+') {
		if ((r = relative(buf + 1, len - 1, &d)) < 0)
			return r;
		return shift(now_us, d, buf[0] == '-' ? -1 : 1, ret_us);
	}
	if (suffix(buf, len, "ago", &n) || suffix(buf, len, "left", &n)) {
		if ((r = relative(buf, n, &d)) < 0)
			return r;
		return shift(now_us, d, buf[n + 1] == 'a' || buf[n + 1] == 'A' ? -1 : 1, ret_us);
	}
	return absolute(buf, now_us, ret_us);
}
