/* The command line's time parser: every form, exact values for zoned and relative ones,
 * local forms against the C library's own local time, and what must be refused. */
#include <errno.h>
#include <time.h>

#include "agent/cmd/timeparse.h"
#include "tests/unit/unit.h"

#define USEC 1000000LL
/* 2026-11-29T14:00:00Z */
#define T0 (1795960800LL * USEC)

static int64_t parse(const char *s) {
	int64_t t = -1;
	CU_ASSERT_EQUAL_FATAL(ev_parse_time(s, T0, &t), 0);
	return t;
}

static int64_t local(int y, int mon, int d, int h, int min, int sec) {
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = mon - 1,
	                .tm_mday = d,
	                .tm_hour = h,
	                .tm_min = min,
	                .tm_sec = sec,
	                .tm_isdst = -1};
	return (int64_t)mktime(&tm) * USEC;
}

TEST(test_agent_timeparse_zoned) {
	CU_ASSERT_EQUAL(parse("2026-11-29T14:00:00Z"), T0);
	CU_ASSERT_EQUAL(parse("2026-11-29 14:00:00Z"), T0);
	CU_ASSERT_EQUAL(parse("2026-11-29T15:30:00+01:30"), T0);
	CU_ASSERT_EQUAL(parse("2026-11-29T09:00:00-0500"), T0);
	CU_ASSERT_EQUAL(parse("2026-11-29 14:00:00 UTC"), T0);
	CU_ASSERT_EQUAL(parse("2026-11-29T14:00Z"), T0);
	CU_ASSERT_EQUAL(parse("2026-11-29T14:00:00.25Z"), T0 + 250000);
	CU_ASSERT_EQUAL(parse("2026-11-29T14:00:00.000001Z"), T0 + 1);
	CU_ASSERT_EQUAL(parse("2026-11-29 UTC"), T0 - 14 * 3600 * USEC);
	CU_ASSERT_EQUAL(parse("@1795960800"), T0);
	CU_ASSERT_EQUAL(parse("@1795960800.5"), T0 + 500000);
	CU_ASSERT_EQUAL(parse("  now "), T0);
	CU_ASSERT_EQUAL(parse("NOW"), T0);
}

TEST(test_agent_timeparse_relative) {
	CU_ASSERT_EQUAL(parse("-1h30m"), T0 - 5400 * USEC);
	CU_ASSERT_EQUAL(parse("-1h 30min"), T0 - 5400 * USEC);
	CU_ASSERT_EQUAL(parse("+15m"), T0 + 900 * USEC);
	CU_ASSERT_EQUAL(parse("-1w"), T0 - 7 * 86400 * USEC);
	CU_ASSERT_EQUAL(parse("-2weeks"), T0 - 14 * 86400 * USEC);
	CU_ASSERT_EQUAL(parse("-30"), T0 - 30 * USEC);
	CU_ASSERT_EQUAL(parse("-500ms"), T0 - 500000);
	CU_ASSERT_EQUAL(parse("2h ago"), T0 - 7200 * USEC);
	CU_ASSERT_EQUAL(parse("1d 2h ago"), T0 - 26 * 3600 * USEC);
	CU_ASSERT_EQUAL(parse("10min left"), T0 + 600 * USEC);
}

TEST(test_agent_timeparse_local) {
	CU_ASSERT_EQUAL(parse("2026-11-29 14:00:00"), local(2026, 11, 29, 14, 0, 0));
	CU_ASSERT_EQUAL(parse("2026-11-29T14:00:00"), local(2026, 11, 29, 14, 0, 0));
	CU_ASSERT_EQUAL(parse("2026-11-29 14:00"), local(2026, 11, 29, 14, 0, 0));
	CU_ASSERT_EQUAL(parse("2026-11-29"), local(2026, 11, 29, 0, 0, 0));
	CU_ASSERT_EQUAL(parse("2026-07-01 12:00:07"), local(2026, 7, 1, 12, 0, 7));
	CU_ASSERT_EQUAL(parse("2028-02-29"), local(2028, 2, 29, 0, 0, 0));
	/* today and friends: local midnights around T0's local day */
	time_t t = (time_t)(T0 / USEC);
	struct tm tm;
	localtime_r(&t, &tm);
	int y = tm.tm_year + 1900, m = tm.tm_mon + 1, d = tm.tm_mday;
	CU_ASSERT_EQUAL(parse("today"), local(y, m, d, 0, 0, 0));
	CU_ASSERT_EQUAL(parse("yesterday"), local(y, m, d - 1, 0, 0, 0));
	CU_ASSERT_EQUAL(parse("tomorrow"), local(y, m, d + 1, 0, 0, 0));
	CU_ASSERT_EQUAL(parse("08:15"), local(y, m, d, 8, 15, 0));
	CU_ASSERT_EQUAL(parse("08:15:30"), local(y, m, d, 8, 15, 30));
	CU_ASSERT(parse("yesterday") < parse("today") && parse("today") <= T0);
}

TEST(test_agent_timeparse_refused) {
	static const char *const bad[] = {
	        "",
	        "   ",
	        "soon",
	        "2026-13-01",
	        "2026-02-30",
	        "2027-02-29",
	        "2026-11-29x",
	        "2026-11-29T25:00",
	        "2026-1-2",
	        "14:60",
	        "-",
	        "-1x",
	        "1h",
	        "ago",
	        "@",
	        "@12a",
	        "2026-11-29T14:00:00+25:00",
	        "2026-11-29T14:00:00 CET",
	        "-99999999999999999999d",
	        "1969-12-31",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t t = 42;
		int r = ev_parse_time(bad[i], T0, &t);
		CU_ASSERT(r == -EINVAL || r == -ERANGE);
		CU_ASSERT_EQUAL(t, 42); /* untouched on failure */
	}
}
