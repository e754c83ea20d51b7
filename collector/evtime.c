/* Event time arithmetic and zone conversion with a per-hour offset cache.
 *
 * Invariant: a zone's offset is looked up only on a cache miss, i.e. about once per local
 * hour of input; everything else is integer arithmetic. Named zones are read from their
 * TZif file once, at init (collector/tzfile.c), and converted without the C library's
 * process-wide zone: nothing here calls setenv("TZ") or tzset(). Only "local" asks the C
 * library (mktime/localtime_r under the process's own TZ, which is read, never changed). */
#include "collector/evtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/tzfile.h"
#include "util/macro.h"
#include "util/timefmt.h"

static int parse_fixed(const char *s, int32_t *ret) {
	if ((s[0] != '+' && s[0] != '-') || strlen(s) > 6)
		return -EINVAL;
	int v[4], n = 0;
	for (const char *p = s + 1; *p; p++) {
		if (*p == ':' && n == 2)
			continue;
		if (*p < '0' || *p > '9' || n == 4)
			return -EINVAL;
		v[n++] = *p - '0';
	}
	if (n != 4 && n != 2)
		return -EINVAL;
	int h = v[0] * 10 + v[1], m = n == 4 ? v[2] * 10 + v[3] : 0;
	if (h > 23 || m > 59)
		return -EINVAL;
	*ret = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return 0;
}

int collector_tz_init(struct collector_tz *tz, const char *name) {
	memset(tz, 0, sizeof(*tz));
	tz->hour_key[0] = tz->hour_key[1] = INT64_MIN;
	if (!name || !*name || strcmp(name, "local") == 0)
		return 0;
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Z") == 0 || strcmp(name, "utc") == 0 ||
	    strcmp(name, "Etc/UTC") == 0) {
		tz->utc = true;
		return 0;
	}
	int32_t off;
	if (parse_fixed(name, &off) == 0) {
		tz->utc = true;
		tz->fixed = off;
		return 0;
	}
	/* a tz database name: no absolute paths, no "..", and the file must exist */
	if (name[0] == '/' || strstr(name, "..") || strlen(name) > 200)
		return -EINVAL;
	char path[256];
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
	int r = collector_tzdata_load(path, &tz->data);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return -EINVAL;
	tz->name = strdup(name);
	if (!tz->name) {
		tz->data = collector_tzdata_free(tz->data);
		return -ENOMEM;
	}
	return 0;
}

void collector_tz_done(struct collector_tz *tz) {
	free(tz->name);
	tz->name = NULL;
	tz->data = collector_tzdata_free(tz->data);
}

static int32_t lookup_offset(struct collector_tz *tz, int64_t local_secs) {
	int y;
	unsigned m, d;
	int64_t days = local_secs >= 0 ? local_secs / 86400 : -((-local_secs + 86399) / 86400);
	int64_t sod = local_secs - days * 86400;
	ev_civil_from_days(days, &y, &m, &d);
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = (int)m - 1,
	                .tm_mday = (int)d,
	                .tm_hour = (int)(sod / 3600),
	                .tm_min = (int)(sod / 60 % 60),
	                .tm_sec = (int)(sod % 60),
	                .tm_isdst = -1};
	if (tz->data)
		return (int32_t)(local_secs - collector_tzdata_local_to_utc(tz->data, local_secs));
	time_t t = mktime(&tm); /* the process's local zone */
	if (t == (time_t)-1)
		return 0;
	return (int32_t)(local_secs - (int64_t)t);
}

int64_t collector_tz_local_to_utc(struct collector_tz *tz, int64_t local_secs) {
	if (tz->utc)
		return local_secs - tz->fixed;
	int64_t key = local_secs >= 0 ? local_secs / 3600 : -((-local_secs + 3599) / 3600);
	for (int i = 0; i < 2; i++)
		if (tz->hour_key[i] == key)
			return local_secs - tz->hour_off[i];
	/* offsets are constant within an hour except at half-hour transitions; ask for
	 * the start of the hour so every line of the hour agrees */
	int32_t off = lookup_offset(tz, key * 3600);
	int slot = tz->next_slot;
	tz->next_slot ^= 1;
	tz->hour_key[slot] = key;
	tz->hour_off[slot] = off;
	return local_secs - off;
}

int32_t collector_tz_offset_at_utc(struct collector_tz *tz, int64_t utc_secs) {
	if (tz->utc)
		return tz->fixed;
	if (tz->data)
		return collector_tzdata_offset_at(tz->data, utc_secs);
	time_t t = (time_t)utc_secs;
	struct tm tm;
	struct tm *ok = localtime_r(&t, &tm);
	return ok ? (int32_t)tm.tm_gmtoff : 0;
}

static inline int dig(char c) {
	return c >= '0' && c <= '9' ? c - '0' : -1;
}

static int num2(const char *p) {
	int a = dig(p[0]), b = dig(p[1]);
	return a < 0 || b < 0 ? -1 : a * 10 + b;
}

size_t collector_parse_bsd_time(const char *p, size_t len, unsigned *ret_mon, unsigned *ret_day,
                                unsigned *ret_sod) {
	if (len < 15 || p[3] != ' ' || p[9] != ':' || p[12] != ':')
		return 0;
	unsigned mon;
	/* three letters, case as written by syslog daemons */
	uint32_t k = (uint32_t)(unsigned char)p[0] << 16 | (uint32_t)(unsigned char)p[1] << 8 |
	             (unsigned char)p[2];
	switch (k) {
#define M(a, b, c, n)                                                                              \
	case ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (c)):                                     \
		mon = n;                                                                           \
		break;
		M('J', 'a', 'n', 1)
		M('F', 'e', 'b', 2)
		M('M', 'a', 'r', 3)
		M('A', 'p', 'r', 4)
		M('M', 'a', 'y', 5)
		M('J', 'u', 'n', 6)
		M('J', 'u', 'l', 7)
		M('A', 'u', 'g', 8)
		M('S', 'e', 'p', 9)
		M('O', 'c', 't', 10)
		M('N', 'o', 'v', 11)
		M('D', 'e', 'c', 12)
#undef M
	default:
		return 0;
	}
	int d1 = p[4] == ' ' ? 0 : dig(p[4]), d2 = dig(p[5]);
	if (d1 < 0 || d2 < 0)
		return 0;
	int day = d1 * 10 + d2;
	int h = num2(p + 7), mi = num2(p + 10), s = num2(p + 13);
	if (day < 1 || day > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return 0;
	*ret_mon = mon;
	*ret_day = (unsigned)day;
	*ret_sod = (unsigned)(h * 3600 + mi * 60 + (s == 60 ? 59 : s));
	return 15;
}

static const unsigned char mdays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

size_t collector_parse_iso_time(const char *p, size_t len, struct collector_tz *tz,
                                int64_t *ret_us) {
	if (len < 19 || p[4] != '-' || p[7] != '-' ||
	    (p[10] != 'T' && p[10] != ' ' && p[10] != 't') || p[13] != ':' || p[16] != ':')
		return 0;
	int y1 = num2(p), y2 = num2(p + 2), mo = num2(p + 5), d = num2(p + 8), h = num2(p + 11),
	    mi = num2(p + 14), s = num2(p + 17);
	if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo] || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || s < 0 || s > 60)
		return 0;
	size_t i = 19;
	int64_t frac = 0;
	if (i < len && (p[i] == '.' || p[i] == ',') && i + 1 < len && dig(p[i + 1]) >= 0) {
		i++;
		int nd = 0;
		while (i < len && dig(p[i]) >= 0) {
			if (nd < 6) {
				frac = frac * 10 + dig(p[i]);
				nd++;
			}
			i++;
		}
		while (nd++ < 6)
			frac *= 10;
	}
	int64_t local = ev_days_from_civil(y1 * 100 + y2, (unsigned)mo, (unsigned)d) * 86400 +
	                h * 3600 + mi * 60 + (s == 60 ? 59 : s);
	int64_t utc;
	if (i < len && (p[i] == 'Z' || p[i] == 'z')) {
		utc = local;
		i++;
	} else if (i < len && (p[i] == '+' || p[i] == '-') && i + 3 <= len &&
	           num2(p + i + 1) >= 0) {
		int oh = num2(p + i + 1), om = 0;
		size_t j = i + 3;
		if (j + 3 <= len && p[j] == ':' && num2(p + j + 1) >= 0) {
			om = num2(p + j + 1);
			j += 3;
		} else if (j + 2 <= len && num2(p + j) >= 0) {
			om = num2(p + j);
			j += 2;
		}
		if (oh > 23 || om > 59)
			return 0;
		int off = (oh * 3600 + om * 60) * (p[i] == '-' ? -1 : 1);
		utc = local - off;
		i = j;
	} else
		utc = collector_tz_local_to_utc(tz, local);
	*ret_us = utc * 1000000 + frac;
	return i;
}
