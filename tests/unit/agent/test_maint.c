/* Maintenance helpers: health check specs and runs, the error comparison of a change on the
 * error templates of a crafted log (drill scenario files: drill-agent-more.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/maint/health.h"
#include "agent/maint/logscan.h"
#include "tests/unit/unit.h"

TEST(test_maint_check_parse) {
	json_t *c = NULL;
	char msg[300];
	CU_ASSERT_EQUAL(ev_maint_check_parse("http=/usr/bin/curl -fsS http://127.0.0.1/", &c, msg,
	                                     sizeof(msg)),
	                0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "name")), "http");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "command")),
	                       "/usr/bin/curl -fsS http://127.0.0.1/");
	json_decref(c);
	CU_ASSERT_EQUAL(ev_maint_check_parse("no-command=", &c, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "no command"));
	CU_ASSERT_EQUAL(ev_maint_check_parse("bad name=x", &c, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(ev_maint_check_parse("=x", &c, msg, sizeof(msg)), -EINVAL);
	/* a real run: exit status, failure, the regression of a check that passed */
	json_t *checks = json_pack("[{s:s, s:s}, {s:s, s:s}]", "name", "t", "command", "/bin/true",
	                           "name", "f", "command", "/bin/false");
	json_t *r = ev_maint_health_run(checks, 10 * 1000000ULL);
	CU_ASSERT_EQUAL(json_array_size(r), 2);
	CU_ASSERT_TRUE(json_is_true(json_object_get(json_array_get(r, 0), "ok")));
	CU_ASSERT_FALSE(json_is_true(json_object_get(json_array_get(r, 1), "ok")));
	CU_ASSERT_FALSE(ev_maint_health_ok(r));
	json_t *before =
	        json_pack("[{s:s, s:b}, {s:s, s:b}]", "name", "t", "ok", 1, "name", "f", "ok", 1);
	json_t *reg = ev_maint_health_regressed(before, r);
	CU_ASSERT_EQUAL(json_array_size(reg), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(reg, 0)), "f");
	json_decref(reg);
	json_decref(before);
	json_decref(r);
	json_decref(checks);
}

static void write_file(const char *path, const char *text) {
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

TEST(test_maint_errors_compare) {
	char p[4096];
	snprintf(p, sizeof(p), "%s/svc.log", unit_tmpdir());
	write_file(p, "2026-03-01T10:00:00Z host svc[1]: ERROR timeout after 30 ms id=deadbeef01\n"
	              "2026-03-01T10:00:10Z host svc[1]: request ok\n"
	              "2026-03-01T11:00:00Z host svc[1]: ERROR timeout after 45 ms id=cafebabe02\n"
	              "2026-03-01T11:00:01Z host svc[1]: ERROR config line 7 is invalid\n"
	              "2026-03-01T11:00:02Z host svc[1]: ERROR config line 9 is invalid\n"
	              "2026-03-01T11:00:03Z host svc[1]: ERROR config line 12 is invalid\n");
	json_t *pats = json_pack("[s]", p);
	int64_t t10 = 1772359200LL * 1000000; /* 2026-03-01T10:00:00Z */
	int64_t hour = 3600LL * 1000000;
	/* the change at 11:00: the hour before against the hour from it */
	json_t *c = ev_maint_errors_compare(pats, NULL, t10 + hour, hour);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	json_t *b = json_object_get(c, "before"), *a = json_object_get(c, "after");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(b, "lines")), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(b, "error_lines")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "error_lines")), 4);
	CU_ASSERT_TRUE(json_is_true(json_object_get(c, "regressed")));
	/* the miner's templates: the timeout (other numbers, another id) is the one from
	 * before; the invalid configuration line is new, once, with its three lines */
	json_t *fresh = json_object_get(c, "new_templates");
	CU_ASSERT_EQUAL_FATAL(json_array_size(fresh), 1);
	json_t *t = json_array_get(fresh, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(t, "template")),
	                       "ERROR config line <*> is invalid");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(t, "count")), 3);
	CU_ASSERT_EQUAL(strlen(json_string_value(json_object_get(t, "id"))), 16);
	json_decref(c);
	/* nothing after 12:00: no new template, no regression */
	c = ev_maint_errors_compare(pats, NULL, t10 + 2 * hour, hour);
	CU_ASSERT_FALSE(json_is_true(json_object_get(c, "regressed")));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(c, "new_templates")), 0);
	json_decref(c);
	json_decref(pats);
}

/* Whole-second times are ambiguous in the second a change starts: with marks, the position
 * decides. An error written before the mark in that second is before the change; one
 * written after it is after, even when its time says the second before. */
TEST(test_maint_errors_compare_marks) {
	char p[4096];
	snprintf(p, sizeof(p), "%s/svc-marks.log", unit_tmpdir());
	write_file(p, "2026-03-01T10:59:59Z host svc[1]: ERROR upstream timeout after 20 ms\n"
	              "2026-03-01T11:00:00Z host svc[1]: ERROR configuration broken at line 3\n");
	json_t *pats = json_pack("[s]", p);
	json_t *marks = ev_maint_log_marks(pats);
	CU_ASSERT_EQUAL_FATAL(json_array_size(marks), 1);
	FILE *f = fopen(p, "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("2026-03-01T10:59:59Z host svc[1]: ERROR disk quota exceeded on volume 2\n", f);
	fclose(f);
	int64_t t0 = (1772359200LL + 3600) * 1000000; /* 11:00:00, the start's second */
	int64_t hour = 3600LL * 1000000;
	json_t *c = ev_maint_errors_compare(pats, marks, t0, hour);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(
	        json_integer_value(json_object_get(json_object_get(c, "before"), "error_lines")),
	        2);
	CU_ASSERT_EQUAL(
	        json_integer_value(json_object_get(json_object_get(c, "after"), "error_lines")), 1);
	json_t *fresh = json_object_get(c, "new_templates");
	CU_ASSERT_EQUAL_FATAL(json_array_size(fresh), 1);
	CU_ASSERT_STRING_EQUAL(
	        json_string_value(json_object_get(json_array_get(fresh, 0), "template")),
	        "ERROR disk quota exceeded on volume <*>");
	json_decref(c);
	/* without marks, time decides: the 11:00:00 line is after, the appended one before */
	c = ev_maint_errors_compare(pats, NULL, t0, hour);
	CU_ASSERT_EQUAL(
	        json_integer_value(json_object_get(json_object_get(c, "after"), "error_lines")), 1);
	fresh = json_object_get(c, "new_templates");
	CU_ASSERT_EQUAL_FATAL(json_array_size(fresh), 1);
	CU_ASSERT_STRING_EQUAL(
	        json_string_value(json_object_get(json_array_get(fresh, 0), "template")),
	        "ERROR configuration broken at line <*>");
	json_decref(c);
	/* a file truncated since its mark: offsets no longer compare, time decides */
	write_file(p, "2026-03-01T11:00:00Z host svc[1]: ERROR configuration broken at line 3\n");
	c = ev_maint_errors_compare(pats, marks, t0, hour);
	CU_ASSERT_EQUAL(
	        json_integer_value(json_object_get(json_object_get(c, "after"), "error_lines")), 1);
	json_decref(c);
	json_decref(marks);
	json_decref(pats);
}
