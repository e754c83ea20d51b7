/* Line parsers: every format on valid, malformed and hostile lines; year inference and
 * New Year rollover; time zones. Expected epoch values come from `date -u -d ... +%s`. */
#include "collector/parse.h"
#include "tests/unit/unit.h"

#define NOV27_2026 1795737600LL /* 2026-11-27T00:00:00Z */
#define S          (1000000LL)

static struct collector_parser P;
static struct ev_record R;

static void setup(const char *fmt, const char *tz, int year, int64_t now_us) {
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL_FATAL(collector_parser_init(&P, fmt, tz, year, now_us, &e), 0);
	ev_errlist_clear(&e);
	ev_record_init(&R);
}

static void done(void) {
	collector_parser_done(&P);
	ev_record_free(&R);
}

static void parse(const char *line, size_t len) {
	ev_record_reset(&R);
	CU_ASSERT_EQUAL_FATAL(collector_parse_line(&P, line, len, 42, &R), 0);
}
#define PARSE(s) parse((s), sizeof(s) - 1)

static bool streq(struct ev_str s, const char *want) {
	return s.p && s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

TEST(test_collector_parse_rfc3164) {
	setup("auto", "UTC", 0, NOV27_2026 * S);
	PARSE("Nov 27 01:39:13 web1 sshd[123]: Accepted password for bob");
	CU_ASSERT_EQUAL(R.time_us, (NOV27_2026 + 3600 + 39 * 60 + 13) * S);
	CU_ASSERT(streq(R.host, "web1"));
	CU_ASSERT(streq(R.program, "sshd"));
	CU_ASSERT_EQUAL(R.pid, 123);
	CU_ASSERT(streq(R.message, "Accepted password for bob"));
	CU_ASSERT_EQUAL(R.flags, 0);
	/* space-padded day, no pid, PRI */
	PARSE("<38>Nov  2 00:00:00 h kernel: [1.0] x");
	CU_ASSERT_EQUAL(R.priority, 6);
	CU_ASSERT_EQUAL(R.facility, 4);
	CU_ASSERT(streq(R.program, "kernel"));
	CU_ASSERT_EQUAL(R.pid, -1);
	CU_ASSERT(streq(R.message, "[1.0] x"));
	CU_ASSERT_EQUAL(R.time_us, (NOV27_2026 - 25 * 86400) * S);
	/* no host: the first token is the tag */
	PARSE("Nov 27 00:00:00 CRON[5]: hi");
	CU_ASSERT_PTR_NULL(R.host.p);
	CU_ASSERT(streq(R.program, "CRON"));
	CU_ASSERT_EQUAL(R.pid, 5);
	/* host and a message without a tag */
	PARSE("Nov 27 00:00:00 web1 no tag here");
	CU_ASSERT(streq(R.host, "web1"));
	CU_ASSERT_PTR_NULL(R.program.p);
	CU_ASSERT(streq(R.message, "no tag here"));
	done();
}

TEST(test_collector_parse_rfc3164_malformed) {
	setup("auto", "UTC", 0, NOV27_2026 * S);
	static const char *const bad[] = {"Nov 27 25:39:13 web1 x", "Nov 32 01:39:13 web1 x",
	                                  "Foo 27 01:39:13 web1 x", "Nov 27 01:39",
	                                  "Nov 27 01:39:13x",       "<999>Nov 27 01:39:13 h p: m"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(bad[i], strlen(bad[i]));
		CU_ASSERT_EQUAL(R.flags, EV_REC_UNPARSED | EV_REC_NO_TIME);
		CU_ASSERT_EQUAL(R.time_us, 42);
		CU_ASSERT(streq(R.message, bad[i]));
	}
	/* bytes: NUL and invalid UTF-8 survive in the message */
	PARSE("Nov 27 00:00:00 h p[1]: a\0b\xff\xfe");
	CU_ASSERT_EQUAL(R.message.len, 5);
	CU_ASSERT_EQUAL(memcmp(R.message.p, "a\0b\xff\xfe", 5), 0);
	/* truncated tag / pid */
	PARSE("Nov 27 00:00:00 h p[12");
	CU_ASSERT_EQUAL(R.flags, 0);
	CU_ASSERT(streq(R.host, "h"));
	PARSE("Nov 27 00:00:00 ");
	CU_ASSERT_EQUAL(R.flags, 0);
	done();
}

TEST(test_collector_parse_year_rollover) {
	/* now: 2026-01-01 00:00:05 UTC; a December line is from 2025 */
	setup("rfc3164", "UTC", 0, 1767225605LL * S);
	PARSE("Dec 31 23:59:59 h p: old");
	CU_ASSERT_EQUAL(R.time_us, 1767225599LL * S);
	PARSE("Jan  1 00:00:05 h p: new");
	CU_ASSERT_EQUAL(R.time_us, 1767225605LL * S);
	done();
	/* a file that crosses New Year, read later in the year: years follow the stream */
	setup("rfc3164", "UTC", 0, (1767225605LL + 200 * 86400) * S);
	PARSE("Jan  1 00:00:05 h p: new");
	CU_ASSERT_EQUAL(R.time_us, 1767225605LL * S);
	done();
	setup("rfc3164", "UTC", 2025, 0);
	PARSE("Dec 31 23:59:59 h p: old");
	CU_ASSERT_EQUAL(R.time_us, 1767225599LL * S);
	PARSE("Jan  1 00:00:05 h p: rolled over within the stream");
	CU_ASSERT_EQUAL(R.time_us, 1767225605LL * S); /* --year is the first line's year */
	done();
	setup("rfc3164", "UTC", 0, 1767225605LL * S - 86400 * S * 40);
	PARSE("Dec 31 23:59:59 h p: old");
	CU_ASSERT_EQUAL(R.time_us, 1767225599LL * S);
	PARSE("Jan  1 00:00:05 h p: next year");
	CU_ASSERT_EQUAL(R.time_us, 1767225605LL * S);
	done();
}

TEST(test_collector_parse_tz) {
	setup("rfc3164", "Europe/Berlin", 2026, 0);
	PARSE("Jul  1 12:00:00 h p: summer");
	CU_ASSERT_EQUAL(R.time_us, 1782900000LL * S);
	done();
	setup("iso", "America/New_York", 0, 0);
	PARSE("2026-03-08 03:30:00 after the DST jump");
	CU_ASSERT_EQUAL(R.time_us, 1772955000LL * S);
	done();
	setup("iso", "+02:00", 0, 0);
	PARSE("2026-11-27T02:00:00 fixed");
	CU_ASSERT_EQUAL(R.time_us, NOV27_2026 * S);
	done();
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL(collector_parser_init(&P, "auto", "Mars/Olympus", 0, 0, &e), -EINVAL);
	CU_ASSERT_EQUAL(collector_parser_init(&P, "auto", "../../etc/passwd", 0, 0, &e), -EINVAL);
	CU_ASSERT_EQUAL(collector_parser_init(&P, "yaml", NULL, 0, 0, &e), -EINVAL);
	CU_ASSERT_EQUAL(e.n, 3);
	ev_errlist_clear(&e);
}

TEST(test_collector_parse_iso) {
	setup("auto", "UTC", 0, 0);
	PARSE("2026-11-27T01:00:00.123456789+01:00 web1 nginx[5]: GET /");
	CU_ASSERT_EQUAL(R.time_us, NOV27_2026 * S + 123456);
	CU_ASSERT(streq(R.host, "web1"));
	CU_ASSERT(streq(R.program, "nginx"));
	CU_ASSERT_EQUAL(R.pid, 5);
	CU_ASSERT(streq(R.message, "GET /"));
	PARSE("2026-11-27 00:00:01,5 INFO server started");
	CU_ASSERT_EQUAL(R.time_us, NOV27_2026 * S + 1500000);
	CU_ASSERT_PTR_NULL(R.host.p);
	CU_ASSERT(streq(R.message, "INFO server started"));
	PARSE("2026-11-27T00:00:00Z");
	CU_ASSERT_EQUAL(R.time_us, NOV27_2026 * S);
	CU_ASSERT_EQUAL(R.flags, 0);
	PARSE("2026-11-27T00:00:00-0130 x");
	CU_ASSERT_EQUAL(R.time_us, (NOV27_2026 + 5400) * S);
	static const char *const bad[] = {"2026-13-27T00:00:00Z x", "2026-02-30T00:00:00Z x",
	                                  "2026-11-27X00:00:00 x", "2026-11-27T00:00:00+99:00 x",
	                                  "2026-11-27T00:00"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(bad[i], strlen(bad[i]));
		CU_ASSERT_EQUAL(R.flags, EV_REC_UNPARSED | EV_REC_NO_TIME);
	}
	done();
}

TEST(test_collector_parse_rfc5424) {
	setup("auto", "UTC", 0, 0);
	PARSE("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 "
	      "[exampleSDID@32473 iut=\"3\" eventSource=\"Appl\\\"ication\"][x@1 a=\"\\]\"] "
	      "\xef\xbb\xbf'su root' failed");
	CU_ASSERT_EQUAL(R.flags, 0);
	CU_ASSERT_EQUAL(R.time_us, 1065910455LL * S + 3000);
	CU_ASSERT_EQUAL(R.priority, 2);
	CU_ASSERT_EQUAL(R.facility, 4);
	CU_ASSERT(streq(R.host, "mymachine.example.com"));
	CU_ASSERT(streq(R.program, "su"));
	CU_ASSERT_EQUAL(R.pid, -1);
	CU_ASSERT(streq(R.message, "'su root' failed"));
	CU_ASSERT_STRING_EQUAL(ev_record_get(&R, "msgid")->p, "ID47");
	CU_ASSERT_STRING_EQUAL(ev_record_get(&R, "exampleSDID@32473.eventSource")->p,
	                       "Appl\"ication");
	CU_ASSERT_STRING_EQUAL(ev_record_get(&R, "x@1.a")->p, "]");
	PARSE("<165>1 - host app 42 - - no time");
	CU_ASSERT_EQUAL(R.flags, EV_REC_NO_TIME);
	CU_ASSERT_EQUAL(R.time_us, 42);
	CU_ASSERT_EQUAL(R.pid, 42);
	CU_ASSERT(streq(R.message, "no time"));
	PARSE("<165>1 2003-10-11T22:14:15Z h a - - -");
	CU_ASSERT(streq(R.message, ""));
	static const char *const bad[] = {
	        "<34>1 2003-10-11T22:14:15Z h a - - [unterminated a=\"x\"",
	        "<34>1 2003-10-11T22:14:15Z h", "<34>1 garbage h a - - - m",
	        "<34>1 2003-10-11T22:14:15Z h a - - [id a=x] m"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(bad[i], strlen(bad[i]));
		CU_ASSERT_EQUAL(R.flags, EV_REC_UNPARSED | EV_REC_NO_TIME);
		CU_ASSERT_EQUAL(R.n_fields, 0);
	}
	done();
}

TEST(test_collector_parse_json) {
	setup("auto", "UTC", 0, 0);
	PARSE("{\"@timestamp\":\"2026-11-27T00:00:00Z\",\"msg\":\"x\",\"a\":{\"b\":1,\"c\":[1,2],"
	      "\"d\":{\"e\":null}},\"level\":\"error\",\"host\":\"h\",\"pid\":7,\"ok\":true,\"f\":"
	      "1.5}");
	CU_ASSERT_EQUAL(R.flags, 0);
	CU_ASSERT_EQUAL(R.time_us, NOV27_2026 * S);
	CU_ASSERT(streq(R.message, "x"));
	CU_ASSERT(streq(R.host, "h"));
	CU_ASSERT_EQUAL(R.pid, 7);
	CU_ASSERT_EQUAL(R.priority, 3);
	CU_ASSERT_STRING_EQUAL(ev_record_get(&R, "a.b")->p, "1");
	CU_ASSERT_STRING_EQUAL(ev_record_get(&R, "a.c")->p, "[1,2]");
	CU_ASSERT_STRING_EQUAL(ev_record_get(&R, "a.d.e")->p, "null");
	CU_ASSERT_STRING_EQUAL(ev_record_get(&R, "ok")->p, "true");
	CU_ASSERT_STRING_EQUAL(ev_record_get(&R, "f")->p, "1.5");
	/* time keys in order of preference, epoch numbers by magnitude */
	PARSE("{\"ts\":1795737600,\"message\":\"m\"}");
	CU_ASSERT_EQUAL(R.time_us, NOV27_2026 * S);
	PARSE("{\"time\":1795737600123,\"ts\":1}");
	CU_ASSERT_EQUAL(R.time_us, NOV27_2026 * S + 123000);
	/* numbers that are no time (found by fuzzing: a float-to-int overflow) */
	PARSE("{\"ts\":-1e308,\"message\":\"m\"}");
	CU_ASSERT_EQUAL(R.flags, EV_REC_NO_TIME);
	PARSE("{\"ts\":1e400}");
	CU_ASSERT(R.flags & EV_REC_NO_TIME);
	/* escaped NUL in a value is kept */
	PARSE("{\"message\":\"a\\u0000b\"}");
	CU_ASSERT_EQUAL(R.flags, EV_REC_NO_TIME);
	CU_ASSERT_EQUAL(R.message.len, 3);
	static const char *const bad[] = {"{", "{\"a\":}", "{\"a\":1} trailing",
	                                  "{\"a\":\"\xff\"}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(bad[i], strlen(bad[i]));
		CU_ASSERT_EQUAL(R.flags, EV_REC_UNPARSED | EV_REC_NO_TIME);
	}
	/* hostile: deep nesting does not crash */
	char deep[20001];
	for (int i = 0; i < 10000; i++)
		deep[i] = '[', deep[10000 + i] = ']';
	deep[0] = '{';
	parse(deep, 20000);
	CU_ASSERT(R.flags & EV_REC_UNPARSED);
	done();
}

TEST(test_collector_parse_logfmt) {
	setup("auto", "UTC", 0, 0);
	PARSE("ts=2026-11-27T00:00:01Z level=warn msg=\"quoted \\\"v\\\" \\n\" k=v bare");
	CU_ASSERT_EQUAL(R.flags, 0);
	CU_ASSERT_EQUAL(R.time_us, (NOV27_2026 + 1) * S);
	CU_ASSERT_EQUAL(R.priority, 4);
	CU_ASSERT(streq(R.message, "quoted \"v\" \n"));
	CU_ASSERT_STRING_EQUAL(ev_record_get(&R, "k")->p, "v");
	CU_ASSERT_STRING_EQUAL(ev_record_get(&R, "bare")->p, "true");
	PARSE("a=1 b=\"unterminated");
	CU_ASSERT_EQUAL(R.flags, EV_REC_NO_TIME | EV_REC_TRUNCATED);
	CU_ASSERT_STRING_EQUAL(ev_record_get(&R, "b")->p, "unterminated");
	PARSE("a= =b \"\" c");
	CU_ASSERT(!(R.flags & EV_REC_UNPARSED));
	CU_ASSERT_STRING_EQUAL(ev_record_get(&R, "a")->p, "");
	done();
	setup("logfmt", "UTC", 0, 0);
	PARSE("");
	CU_ASSERT_EQUAL(R.flags, EV_REC_UNPARSED | EV_REC_NO_TIME);
	done();
}

TEST(test_collector_parse_fixed_format) {
	/* a fixed format does not guess: an RFC 3164 line under --format json is unparsed */
	setup("json", "UTC", 0, 0);
	PARSE("Nov 27 01:39:13 web1 sshd[123]: x");
	CU_ASSERT_EQUAL(R.flags, EV_REC_UNPARSED | EV_REC_NO_TIME);
	done();
	setup("auto", "UTC", 0, 0);
	PARSE("");
	CU_ASSERT_EQUAL(R.flags, EV_REC_UNPARSED | EV_REC_NO_TIME);
	CU_ASSERT_EQUAL(R.message.len, 0);
	PARSE("\0\0\0");
	CU_ASSERT_EQUAL(R.message.len, 3);
	done();
}

TEST(test_collector_parse_time_only) {
	setup("auto", "UTC", 0, NOV27_2026 * S);
	int64_t t;
	CU_ASSERT_EQUAL(collector_parse_time(&P, "Nov 27 00:00:01 h p: x", 22, &t), 1);
	CU_ASSERT_EQUAL(t, (NOV27_2026 + 1) * S);
	CU_ASSERT_EQUAL(collector_parse_time(&P, "{\"ts\":1795737600}", 17, &t), 1);
	CU_ASSERT_EQUAL(t, NOV27_2026 * S);
	CU_ASSERT_EQUAL(collector_parse_time(&P, "no time", 7, &t), 0);
	done();
}

/* Named zones come from their TZif files, beyond the transition table too (the footer
 * rule), south of the equator, with negative DST (Dublin), odd offsets (Chatham), and the
 * two local times that are not one instant: a time skipped when clocks go forward is
 * read with the offset before the change (mktime's answer), a time that occurs twice is
 * the first. Expected values from `TZ=ZONE date -d ... +%s`. */
TEST(test_collector_parse_tz_rules) {
	static const struct {
		const char *zone, *line;
		int64_t want;
	} v[] = {
	        {"Europe/Berlin", "2040-07-01 12:00:00 x", 2224749600LL},
	        {"Europe/Berlin", "2040-01-01 12:00:00 x", 2209028400LL},
	        {"Australia/Sydney", "2026-01-15 12:00:00 x", 1768438800LL},
	        {"Australia/Sydney", "2026-07-15 12:00:00 x", 1784080800LL},
	        {"America/New_York", "2026-11-01 00:30:00 x", 1793507400LL},
	        {"America/New_York", "2026-11-01 03:00:00 x", 1793520000LL},
	        {"America/New_York", "2026-03-08 02:30:00 in the gap", 1772955000LL},
	        {"America/New_York", "2026-11-01 01:30:00 twice", 1793511000LL},
	        {"Asia/Kolkata", "2026-05-05 10:00:00 x", 1777955400LL},
	        {"America/Sao_Paulo", "1990-12-01 12:00:00 x", 660060000LL},
	        {"Pacific/Chatham", "2045-12-01 12:00:00 x", 2395692900LL},
	        {"Europe/Dublin", "2030-01-15 12:00:00 x", 1894708800LL},
	        {"Europe/Dublin", "2030-07-15 12:00:00 x", 1910343600LL},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		setup("iso", v[i].zone, 0, 0);
		parse(v[i].line, strlen(v[i].line));
		if (R.time_us != v[i].want * S)
			fprintf(stderr, "%s %s: got %lld\n", v[i].zone, v[i].line,
			        (long long)(R.time_us / S));
		CU_ASSERT_EQUAL(R.time_us, v[i].want * S);
		done();
	}
}

/* Parsing with named zones leaves the process environment alone: the TZ entry is still
 * the very string put there (setenv would have replaced it), and an unset TZ stays unset. */
TEST(test_collector_parse_tz_env_untouched) {
	static char tz_entry[] = "TZ=Asia/Tokyo";
	const char *orig = getenv("TZ");
	char *saved = orig ? strdup(orig) : NULL;
	CU_ASSERT_EQUAL_FATAL(putenv(tz_entry), 0);
	const char *before = getenv("TZ");
	static const char *const zones[] = {"Europe/Berlin", "America/New_York"};
	for (int z = 0; z < 2; z++) {
		setup("iso", zones[z], 0, 0);
		for (int h = 0; h < 72; h++) { /* every hour a cache miss */
			char line[64];
			int n = snprintf(line, sizeof(line), "2026-03-%02d %02d:15:00 x",
			                 7 + h / 24, h % 24);
			parse(line, (size_t)n);
		}
		done();
		setup("rfc3164", zones[z], 0, NOV27_2026 * S); /* year inference: offset at now */
		PARSE("Nov 27 01:39:13 web1 sshd[123]: x");
		done();
	}
	CU_ASSERT_PTR_EQUAL(getenv("TZ"), before);
	CU_ASSERT_STRING_EQUAL(getenv("TZ"), "Asia/Tokyo");
	unsetenv("TZ");
	setup("iso", "Europe/Berlin", 0, 0);
	PARSE("2026-07-01 12:00:00 x");
	CU_ASSERT_EQUAL(R.time_us, 1782900000LL * S);
	done();
	CU_ASSERT_PTR_NULL(getenv("TZ"));
	if (saved)
		setenv("TZ", saved, 1);
	free(saved);
}

/* DST in a zone-less RFC 3164 stream (America/New_York, 2026): across the spring change
 * the stamps jump an hour and stay in order; across the autumn change the hour 01:xx
 * comes twice, and the second pass is read as the later instant (EST), so the stream
 * keeps its order instead of jumping back an hour. */
TEST(test_collector_parse_dst_order) {
	setup("rfc3164", "America/New_York", 2026, 0);
	PARSE("Mar  8 01:59:59 h p: before the spring change");
	CU_ASSERT_EQUAL(R.time_us, 1772953199LL * S);
	PARSE("Mar  8 03:00:00 h p: after it");
	CU_ASSERT_EQUAL(R.time_us, 1772953200LL * S);
	done();
	setup("rfc3164", "America/New_York", 2026, 0);
	PARSE("Nov  1 00:59:59 h p: EDT");
	CU_ASSERT_EQUAL(R.time_us, 1793509199LL * S);
	PARSE("Nov  1 01:59:59 h p: EDT, the first 01:59:59");
	CU_ASSERT_EQUAL(R.time_us, 1793512799LL * S);
	PARSE("Nov  1 01:00:00 h p: EST, the second 01:00:00");
	CU_ASSERT_EQUAL(R.time_us, 1793512800LL * S);
	PARSE("Nov  1 01:00:00 h p: the same stamp again (issue 9: read once): still EST");
	CU_ASSERT_EQUAL(R.time_us, 1793512800LL * S);
	PARSE("Nov  1 01:30:00 h p: EST");
	CU_ASSERT_EQUAL(R.time_us, 1793514600LL * S);
	PARSE("Nov  1 02:00:00 h p: EST");
	CU_ASSERT_EQUAL(R.time_us, 1793516400LL * S);
	done();
	/* a stream that starts inside the repeated hour: either reading, then in order */
	setup("rfc3164", "America/New_York", 2026, 0);
	PARSE("Nov  1 01:30:00 h p: ambiguous, first line");
	CU_ASSERT(R.time_us == 1793514600LL * S || R.time_us == (1793514600LL - 3600) * S);
	int64_t first = R.time_us;
	PARSE("Nov  1 01:31:00 h p: a minute later");
	CU_ASSERT_EQUAL(R.time_us, first + 60 * S);
	done();
}

/* Issue 12: a line that merely contains '=' is not logfmt. HealthApp-style pipe lines
 * were read as logfmt (a key "20171223-...|setTodayTotalDetailSteps"); real logfmt keys
 * are identifiers. */
TEST(test_collector_parse_logfmt_needs_identifier) {
	setup("auto", "UTC", 0, 0);
	PARSE("20171223-22:15:29:633|Step_SPUtils|30002312|setTodayTotalDetailSteps="
	      "1514038440000##7007##548365##8661##12361##27173954");
	for (size_t i = 0; i < R.n_fields; i++)
		CU_ASSERT_PTR_NULL(memchr(R.fields[i].name.p, '|', R.fields[i].name.len));
	CU_ASSERT(streq(R.message, "20171223-22:15:29:633|Step_SPUtils|30002312|"
	                           "setTodayTotalDetailSteps=1514038440000##7007##548365##"
	                           "8661##12361##27173954") ||
	          streq(R.message, "setTodayTotalDetailSteps=1514038440000##7007##548365##"
	                           "8661##12361##27173954"));
	PARSE("1=2 3=4");
	CU_ASSERT_PTR_NULL(ev_record_get(&R, "1"));
	PARSE("level=info msg=ok");
	CU_ASSERT_STRING_EQUAL(ev_record_get(&R, "level")->p, "info");
	PARSE("@timestamp=2026-11-27T00:00:01Z _x=1");
	CU_ASSERT_EQUAL(R.time_us, (NOV27_2026 + 1) * S);
	done();
}

/* Issue 12: legacy "sshd(pam_unix)[pid]:" tags (Loghub Linux, RHEL 4/5): the program is
 * the daemon, the PAM module a field; the program of other tags is unchanged. */
TEST(test_collector_parse_legacy_tag) {
	setup("auto", "UTC", 0, NOV27_2026 * S);
	PARSE("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= "
	      "uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4");
	CU_ASSERT(streq(R.program, "sshd"));
	CU_ASSERT_EQUAL(R.pid, 19939);
	const struct ev_str *m = ev_record_get(&R, "module");
	CU_ASSERT(m && streq(*m, "pam_unix"));
	CU_ASSERT(streq(R.host, "combo"));
	PARSE("Jun 14 15:16:02 combo su(pam_unix): session opened for user news");
	CU_ASSERT(streq(R.program, "su"));
	PARSE("Jun 14 15:16:02 combo (x)[1]: odd");
	CU_ASSERT(streq(R.program, "(x)"));
	CU_ASSERT_PTR_NULL(ev_record_get(&R, "module"));
	done();
}

/* Issue 9: lines of one second repeat their stamp, and the parser reuses the previous
 * reading of the same text. The reuse must follow the stream's state (another year set
 * by a library format's line in between; the DST repeated hour: dst_order above) and
 * keep each line's fraction. */
TEST(test_collector_parse_repeated_stamp) {
	setup("auto", "UTC", 2026, 0);
	PARSE("Nov 27 00:00:00 h p: 2026");
	CU_ASSERT_EQUAL(R.time_us, NOV27_2026 * S);
	/* a line of a library format with its year (collector/format.c) moves the stream on */
	CU_ASSERT_EQUAL(collector_parser_civil_to_us(&P, 2027, 11, 27, 0, false, 0),
	                (NOV27_2026 + 365 * 86400) * S);
	PARSE("Nov 27 00:00:00 h p: the same text, now read in 2027");
	CU_ASSERT_EQUAL(R.time_us, (NOV27_2026 + 365 * 86400) * S);
	PARSE("Nov 27 00:00:00.250 h p: a fraction");
	CU_ASSERT_EQUAL(R.time_us, (NOV27_2026 + 365 * 86400) * S + 250000);
	PARSE("Nov 27 00:00:00.500 h p: another");
	CU_ASSERT_EQUAL(R.time_us, (NOV27_2026 + 365 * 86400) * S + 500000);
	PARSE("Nov 27 00:00:01 h p: the next second");
	CU_ASSERT_EQUAL(R.time_us, (NOV27_2026 + 365 * 86400 + 1) * S);
	done();
}

/* Issue 9: host, program and message share one copy of the line in the record's arena,
 * each still NUL-terminated at its own length. */
TEST(test_collector_parse_tail_strings) {
	setup("auto", "UTC", 2026, 0);
	PARSE("Nov 27 01:39:13 web1 sshd[1]:");
	CU_ASSERT(streq(R.host, "web1") && R.host.p[R.host.len] == '\0');
	CU_ASSERT(streq(R.program, "sshd") && R.program.p[R.program.len] == '\0');
	CU_ASSERT(streq(R.message, "") && R.message.p[0] == '\0');
	CU_ASSERT_EQUAL(R.pid, 1);
	PARSE("Nov 27 01:39:13 web1 kernel: x: y");
	CU_ASSERT(streq(R.host, "web1") && R.host.p[R.host.len] == '\0');
	CU_ASSERT(streq(R.program, "kernel") && R.program.p[R.program.len] == '\0');
	CU_ASSERT(streq(R.message, "x: y") && R.message.p[R.message.len] == '\0');
	PARSE("Nov 27 01:39:13 cron[7]: no host");
	CU_ASSERT_PTR_NULL(R.host.p);
	CU_ASSERT(streq(R.program, "cron") && R.program.p[R.program.len] == '\0');
	CU_ASSERT(streq(R.message, "no host"));
	ev_record_add_field(&R, "k", 1, "v", 1);
	const struct ev_str *v = ev_record_get(&R, "k");
	CU_ASSERT(v && streq(*v, "v") && v->p[1] == '\0');
	CU_ASSERT(R.fields[0].name.p[1] == '\0');
	done();
}

/* The pid of "prog[PID]:" for every count of digits up to 19 and tails of every length
 * after it (the eight-byte read and the byte loop near the end of the line), checked
 * against the digits themselves. */
TEST(test_collector_parse_pid_digits) {
	setup("auto", "UTC", 0, NOV27_2026 * S);
	static const char *digits = "9081726354453627189";
	for (size_t nd = 0; nd <= 19; nd++)
		for (size_t tail = 0; tail <= 10; tail++) {
			char line[96];
			int n = snprintf(line, sizeof(line), "Nov 27 00:00:00 h p[%.*s]:%.*s",
			                 (int)nd, digits + (19 - nd), (int)tail, " message!!");
			parse(line, (size_t)n);
			/* 19 digits: not a pid tag; the line is "host message" */
			CU_ASSERT(nd <= 18 ? streq(R.program, "p") : !R.program.p);
			int64_t want = -1;
			if (nd && nd <= 18) {
				want = 0;
				for (size_t i = 0; i < nd; i++)
					want = want * 10 + (digits[19 - nd + i] - '0');
			}
			CU_ASSERT_EQUAL(R.pid, want);
		}
	/* a non-digit right after '[' and digits next to other bytes */
	PARSE("Nov 27 00:00:00 h p[x1]: m");
	CU_ASSERT_EQUAL(R.pid, -1);
	PARSE("Nov 27 00:00:00 h p[0/]: m");
	CU_ASSERT_EQUAL(R.pid, -1);
	PARSE("Nov 27 00:00:00 h p[007]: message");
	CU_ASSERT_EQUAL(R.pid, 7);
	PARSE("Nov 27 00:00:00 h p[12:]: message");
	CU_ASSERT_EQUAL(R.pid, -1);
	done();
}
