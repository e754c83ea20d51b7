/* RFC 3339 timestamps and calendar arithmetic: the one formatter every module uses, checked
 * against the C library's gmtime_r/strftime over a wide range, both sides of 1970. */
#include "tests/unit/unit.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The reference: gmtime_r and snprintf, fraction floored. */
static void reference(int64_t us, bool frac, char *buf, size_t size) {
	int64_t s = us / 1000000, f = us % 1000000;
	if (f < 0)
		f += 1000000, s--;
	time_t t = (time_t)s;
	struct tm tm;
	CU_ASSERT_PTR_NOT_NULL_FATAL(gmtime_r(&t, &tm));
	if (frac)
		snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)f);
	else
		snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void check(int64_t us) {
	char a[EV_RFC3339_MAX], b[80];
	reference(us, true, b, sizeof(b));
	CU_ASSERT_EQUAL(ev_format_rfc3339_us(us, a, sizeof(a)), strlen(b));
	CU_ASSERT_STRING_EQUAL(a, b);
	reference(us, false, b, sizeof(b));
	CU_ASSERT_EQUAL(ev_format_rfc3339(us, a, sizeof(a)), strlen(b));
	CU_ASSERT_STRING_EQUAL(a, b);
}

TEST(test_util_timefmt_known) {
	char b[EV_RFC3339_MAX];
	CU_ASSERT_EQUAL(ev_format_rfc3339_us(0, b, sizeof(b)), 27);
	CU_ASSERT_STRING_EQUAL(b, "1970-01-01T00:00:00.000000Z");
	ev_format_rfc3339_us(-1, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "1969-12-31T23:59:59.999999Z");
	ev_format_rfc3339_us(1709287200500000LL, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "2024-03-01T10:00:00.500000Z");
	CU_ASSERT_EQUAL(ev_format_rfc3339(1709287200999999LL, b, sizeof(b)), 20);
	CU_ASSERT_STRING_EQUAL(b, "2024-03-01T10:00:00Z");
	/* truncated like snprintf, NUL-terminated */
	char small[11];
	CU_ASSERT_EQUAL(ev_format_rfc3339_us(1709287200500000LL, small, sizeof(small)), 10);
	CU_ASSERT_STRING_EQUAL(small, "2024-03-01");
	CU_ASSERT_EQUAL(ev_format_rfc3339(1709287200500000LL, small, sizeof(small)), 10);
	CU_ASSERT_STRING_EQUAL(small, "2024-03-01");
	/* beyond 9999 and before year 0: as many digits as needed */
	ev_format_rfc3339_us(INT64_MAX, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "294247-01-10T04:00:54.775807Z");
	ev_format_rfc3339_us(INT64_MIN, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "-290308-12-21T19:59:05.224192Z");
}

TEST(test_util_timefmt_matches_gmtime) {
	/* every ~37 hours and a few µs from year -1000 to 12000, plus the edges of years */
	for (int64_t s = -93755372800LL; s < 316536601600LL; s += 133333 + 7)
		check(s * 1000000 + s % 1000000);
	static const int64_t edges[] = {-62167219200LL, -62135596800LL, -1, 0, 1, 951782400LL,
	                                253402300799LL, 253402300800LL};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		for (int64_t d = -1; d <= 1; d++)
			check((edges[i] + d) * 1000000 + d * 1);
}

TEST(test_util_timefmt_days) {
	for (int64_t z = -800000; z < 4000000; z += 17) {
		int y;
		unsigned m, d;
		ev_civil_from_days(z, &y, &m, &d);
		CU_ASSERT_EQUAL_FATAL(ev_days_from_civil(y, m, d), z);
	}
	CU_ASSERT_EQUAL(ev_days_from_civil(2024, 3, 1), 19783);
	CU_ASSERT_EQUAL(ev_days_from_civil(1970, 1, 1), 0);
}
