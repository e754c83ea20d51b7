/* Configuration loader: every error class with its exact line and column. */
#include "agent/settings.h"
#include "tests/unit/unit.h"

/* Load `text` from a temp file; return the error list (caller clears). */
static int load(const char *text, struct ev_config **c, struct ev_errlist *e) {
	const char *p = unit_write_str("cfg.yaml", text);
	return ev_config_load(p, c, e);
}

static void expect_one(const char *text, unsigned line, unsigned col, const char *needle) {
	struct ev_config *c = NULL;
	struct ev_errlist e = {0};
	int r = load(text, &c, &e);
	CU_ASSERT_EQUAL(r, -EINVAL);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(e.n, 1);
	if (e.n >= 1) {
		CU_ASSERT_EQUAL(e.v[0].line, line);
		CU_ASSERT_EQUAL(e.v[0].col, col);
		if (!strstr(e.v[0].msg, needle))
			fprintf(stderr, "\n  got message: %s (want '%s')\n", e.v[0].msg, needle);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.v[0].msg, needle));
	}
	ev_errlist_clear(&e);
}

TEST(test_config_embedded_default_loads) {
	struct ev_config *c = NULL;
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL_FATAL(ev_config_load(NULL, &c, &e), 0);
	CU_ASSERT_STRING_EQUAL(c->origin, "<embedded>");
	CU_ASSERT_EQUAL(c->actions.lookback, 15ULL * 60 * 1000000);
	CU_ASSERT_EQUAL(c->actions.lookahead, 60ULL * 1000000);
	CU_ASSERT_EQUAL(c->rules.max_groups, 100000);
	CU_ASSERT_EQUAL(c->rules.allowed_lateness, 10ULL * 1000000);
	CU_ASSERT_EQUAL(c->store.compression_level, 6);
	CU_ASSERT_EQUAL(c->sources.max_line, 64 * 1024);
	ev_config_free(c);
}

TEST(test_config_values) {
	struct ev_config *c = NULL;
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL_FATAL(load("sources:\n  files:\n    - /var/log/auth.log\n"
	                           "    - {path: /var/log/app/*.json, format: json, tz: UTC}\n"
	                           "  journal: false\n"
	                           "actions:\n  lookback: 1h30m\n  lookahead: 250ms\n"
	                           "store:\n  max_member_size: 2GiB\n",
	                           &c, &e),
	                      0);
	CU_ASSERT_EQUAL_FATAL(c->sources.n_files, 2);
	CU_ASSERT_STRING_EQUAL(c->sources.files[0].path, "/var/log/auth.log");
	CU_ASSERT_STRING_EQUAL(c->sources.files[0].format, "auto");
	CU_ASSERT_STRING_EQUAL(c->sources.files[1].format, "json");
	CU_ASSERT_STRING_EQUAL(c->sources.files[1].tz, "UTC");
	CU_ASSERT_FALSE(c->sources.journal);
	CU_ASSERT_EQUAL(c->actions.lookback, 5400ULL * 1000000);
	CU_ASSERT_EQUAL(c->actions.lookahead, 250000);
	CU_ASSERT_EQUAL(c->store.max_member_size, 2ULL << 30);
	ev_config_free(c);
}

/* sources.max_line is every file's unless the file sets its own, wherever the key is */
TEST(test_config_max_line_any_order) {
	static const char *const texts[] = {
	        "sources:\n  files:\n    - /a.log\n    - {path: /b.log, max_line: 2KiB}\n"
	        "  max_line: 1KiB\n",
	        "sources:\n  max_line: 1KiB\n  files:\n    - /a.log\n"
	        "    - {path: /b.log, max_line: 2KiB}\n",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct ev_config *c = NULL;
		struct ev_errlist e = {0};
		CU_ASSERT_EQUAL_FATAL(load(texts[i], &c, &e), 0);
		CU_ASSERT_EQUAL_FATAL(c->sources.n_files, 2);
		CU_ASSERT_EQUAL(c->sources.files[0].max_line, 1024);
		CU_ASSERT_EQUAL(c->sources.files[1].max_line, 2048);
		ev_config_free(c);
	}
	struct ev_config *c = NULL;
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL_FATAL(load("sources:\n  files: [/a.log]\n", &c, &e), 0);
	CU_ASSERT_EQUAL(c->sources.files[0].max_line, 64 * 1024);
	ev_config_free(c);
}

TEST(test_config_unknown_key_suggests) {
	expect_one("agent:\n  stat_dir: /x\n", 2, 3,
	           "unknown key 'stat_dir' in agent (did you mean 'state_dir'?)");
	expect_one("sorces:\n  journal: true\n", 1, 1, "did you mean 'sources'?");
	expect_one("sources:\n  files:\n    - {path: /x, fromat: json}\n", 3, 18,
	           "did you mean 'format'?");
}

TEST(test_config_wrong_types) {
	expect_one("agent: [1, 2]\n", 1, 8, "'agent' must be a mapping, found a list");
	expect_one("sources:\n  journal: maybe\n", 2, 12, "expected true or false");
	expect_one("store:\n  compression_level: high\n", 2, 22, "expected an integer");
	expect_one("store:\n  compression_level: 12\n", 2, 22, "12 is out of range (0..9)");
	expect_one("rules:\n  paths: /etc/rules\n", 2, 10, "must be a list");
	expect_one("rules:\n  engine: fast\n", 2, 11, "expected one of: auto|vectorscan|pcre2");
	expect_one("store:\n  path: {a: 1}\n", 2, 9, "must be a path, found a mapping");
}

TEST(test_config_bad_durations_and_sizes) {
	expect_one("actions:\n  lookback: 15\n", 2, 13, "invalid duration '15'");
	expect_one("actions:\n  lookback: 15x\n", 2, 13, "invalid duration");
	expect_one("actions:\n  lookback: 8d\n", 2, 13, "out of range");
	expect_one("sources:\n  max_line: 12 KiB\n", 2, 13, "invalid size");
	expect_one("sources:\n  max_line: 10\n", 2, 13, "out of range");
}

TEST(test_config_structure_errors) {
	expect_one("agent:\n  log_level: info\n  log_level: debug\n", 3, 3,
	           "duplicate key 'log_level' (first at line 2)");
	expect_one("agent:\n  log_level: [info\n", 3, 1, "");
	expect_one("a: &x 1\n", 1, 4, "anchors");
}

TEST(test_config_empty_and_binary) {
	struct ev_config *c = NULL;
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL(load("", &c, &e), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(e.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.v[0].msg, "empty file"));
	ev_errlist_clear(&e);
	CU_ASSERT_EQUAL(load("# only a comment\n", &c, &e), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.v[0].msg, "empty file"));
	ev_errlist_clear(&e);
	const char *p = unit_write_file("bin.yaml",
	                                "\x7f"
	                                "ELF\x02\x01\x00\x00",
	                                8);
	CU_ASSERT_EQUAL(ev_config_load(p, &c, &e), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.v[0].msg, "binary data (NUL byte at offset 6)"));
	ev_errlist_clear(&e);
	CU_ASSERT_EQUAL(ev_config_load("/nonexistent/evident.yaml", &c, &e), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.v[0].msg, "cannot read"));
	ev_errlist_clear(&e);
}

TEST(test_config_all_errors_reported) {
	struct ev_config *c = NULL;
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL(load("agent:\n  bogus: 1\nstore:\n  compression_level: 99\nactions:\n  "
	                     "lookback: x\n",
	                     &c, &e),
	                -EINVAL);
	CU_ASSERT_EQUAL(e.n, 3);
	ev_errlist_clear(&e);
}

TEST(test_config_include) {
	unit_write_str("inc-ok.yaml", "store:\n  compression_level: 3\n");
	struct ev_config *c = NULL;
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL_FATAL(
	        load("include: [inc-ok.yaml]\nstore:\n  compression_level: 9\n", &c, &e), 0);
	CU_ASSERT_EQUAL(c->store.compression_level, 3); /* includes apply on top */
	ev_config_free(c);
	expect_one("include:\n  - missing.yaml\n", 2, 5, "cannot read included file");
	unit_write_str("inc-bad.yaml", "store:\n  levle: 1\n");
	struct ev_config *c2 = NULL;
	CU_ASSERT_EQUAL(load("include: [inc-bad.yaml]\n", &c2, &e), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(e.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.v[0].file, "inc-bad.yaml"));
	CU_ASSERT_EQUAL(e.v[0].line, 2);
	ev_errlist_clear(&e);
}

TEST(test_config_duration_size_parsers) {
	uint64_t v;
	CU_ASSERT_EQUAL(ev_parse_duration("30s", &v), 0);
	CU_ASSERT_EQUAL(v, 30000000);
	CU_ASSERT_EQUAL(ev_parse_duration("2h", &v), 0);
	CU_ASSERT_EQUAL(v, 7200000000ULL);
	CU_ASSERT_EQUAL(ev_parse_duration("1m30s", &v), 0);
	CU_ASSERT_EQUAL(v, 90000000);
	CU_ASSERT_EQUAL(ev_parse_duration("", &v), -EINVAL);
	CU_ASSERT_EQUAL(ev_parse_duration("-5s", &v), -EINVAL);
	CU_ASSERT_EQUAL(ev_parse_duration("99999999999999999999s", &v), -ERANGE);
	char b[32];
	ev_format_duration(5400000000ULL, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "1h30m");
	ev_format_duration(250000, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "250ms");
	CU_ASSERT_EQUAL(ev_parse_size("64KiB", &v), 0);
	CU_ASSERT_EQUAL(v, 65536);
	CU_ASSERT_EQUAL(ev_parse_size("1M", &v), 0);
	CU_ASSERT_EQUAL(v, 1048576);
	CU_ASSERT_EQUAL(ev_parse_size("1.5M", &v), -EINVAL);
	ev_format_size(65536, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "64KiB");
	CU_ASSERT_EQUAL(ev_edit_distance("contans", "contains"), 1);
	CU_ASSERT_EQUAL(ev_edit_distance("stat_dir", "state_dir"), 1);
}
