/* Calendar arithmetic and RFC 3339 formatting (see timefmt.h).
 *
 * Day numbers to dates and back after Howard Hinnant's "chrono-compatible low-level date
 * algorithms" (public domain arithmetic): integers only, exact for every int64_t day. The
 * common case is written digit by digit; snprintf only for years outside 0..9999 or a
 * buffer too small for the whole timestamp. */
#include "config.h"

#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>

#include "util/macro.h"

int64_t ev_days_from_civil(int64_t y, unsigned m, unsigned d) {
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void ev_civil_from_days(int64_t z, int *ret_y, unsigned *ret_m, unsigned *ret_d) {
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t y = (int64_t)yoe + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	const unsigned d = doy - (153 * mp + 2) / 5 + 1;
	const unsigned m = mp < 10 ? mp + 3 : mp - 9;
	*ret_y = (int)(y + (m <= 2));
	*ret_m = m;
	*ret_d = d;
}

static void put2(char *p, unsigned v) {
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

size_t ev_format_rfc3339_us(int64_t us, char *out, size_t size) {
	/* floored division, without overflow down to INT64_MIN */
	int64_t s = us / 1000000, frac = us % 1000000;
	if (frac < 0)
		frac += 1000000, s--;
	int64_t days = s / 86400, sod = s % 86400;
	if (sod < 0)
		sod += 86400, days--;
	int y;
	unsigned m, d;
	ev_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999 || size < 28) {
		int k = snprintf(out, size, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", y, m, d,
		                 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
		                 (int)frac);
		return k < 0 ? 0 : MIN((size_t)k, size ? size - 1 : 0);
	}
	put2(out, (unsigned)y / 100);
	put2(out + 2, (unsigned)y % 100);
	out[4] = '-';
	put2(out + 5, m);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 'T';
	put2(out + 11, (unsigned)(sod / 3600));
	out[13] = ':';
	put2(out + 14, (unsigned)(sod / 60 % 60));
	out[16] = ':';
	put2(out + 17, (unsigned)(sod % 60));
	out[19] = '.';
	unsigned f = (unsigned)frac;
	for (int i = 25; i >= 20; i--) {
		out[i] = (char)('0' + f % 10);
		f /= 10;
	}
	out[26] = 'Z';
	out[27] = 0;
	return 27;
}

size_t ev_format_rfc3339(int64_t us, char *out, size_t size) {
	char b[EV_RFC3339_MAX];
	size_t n = ev_format_rfc3339_us(us, b, sizeof(b));
	/* drop ".uuuuuu" and keep the 'Z' */
	memmove(b + n - 8, b + n - 1, 2);
	n -= 7;
	if (size) {
		size_t k = MIN(n, size - 1);
		memcpy(out, b, k);
		out[k] = 0;
		return k;
	}
	return 0;
}
