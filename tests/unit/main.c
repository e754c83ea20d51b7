/* Unit test runner: registers every generated suite with CUnit and runs them, reporting
 * in TAP (one "ok"/"not ok" line per test, "# SKIP reason" for a test that called
 * unit_skip()), which automake's tap-driver counts test by test: a skipped unit test is a
 * SKIP in the suite's summary, not a pass. Exit status: 0 when no test failed.
 * Usage: unit-tests [SUBSTRING...]  (only suites or tests whose name contains one). */
#include "config.h"

#include <CUnit/CUnit.h>
#include <CUnit/TestRun.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/registry.h"
#include "tests/unit/unit.h"

static char tmpdir[256];
static unsigned skipped, n_done, n_failed;
static char skip_why[256]; /* the running test's unit_skip() reason ("" if none) */

const char *unit_srcdir(void) {
	const char *s = getenv("EV_SRCDIR");
	return s && *s ? s : ".";
}

const char *unit_shared(void) {
	static char buf[4096];
	const char *s = getenv("EV_SHARED");
	if (s && *s)
		snprintf(buf, sizeof(buf), "%s", s);
	else
		snprintf(buf, sizeof(buf), "%s/../shared", unit_srcdir());
	if (access(buf, R_OK) != 0)
		return "";
	return buf;
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
	return remove(p);
}

static void cleanup_tmp(void) {
	if (tmpdir[0])
		nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

const char *unit_tmpdir(void) {
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/evident-unit-XXXXXX");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(2);
		}
		atexit(cleanup_tmp);
	}
	return tmpdir;
}

const char *unit_write_file(const char *name, const void *data, size_t len) {
	static char ring[8][4096];
	static unsigned k;
	char *p = ring[k++ % 8];
	snprintf(p, 4096, "%s/%s", unit_tmpdir(), name);
	FILE *f = fopen(p, "we");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(p);
		exit(2);
	}
	return p;
}

void unit_skip(const char *why) {
	if (skip_why[0])
		return; /* the first reason is the one reported */
	snprintf(skip_why, sizeof(skip_why), "%s", why && *why ? why : "skipped");
	for (char *p = skip_why; *p; p++) /* one TAP line */
		if (*p == '\n' || *p == '#')
			*p = ' ';
}

static void on_test_start(const CU_pTest test, const CU_pSuite suite) {
	skip_why[0] = '\0';
}

static void on_test_complete(const CU_pTest test, const CU_pSuite suite,
                             const CU_pFailureRecord failure) {
	n_done++;
	if (failure) {
		n_failed++;
		printf("not ok %u - %s: %s\n", n_done, suite->pName, test->pName);
		for (const CU_FailureRecord *f = failure; f && f->pTest == test; f = f->pNext)
			printf("#   %s:%u: %s\n", f->strFileName ? f->strFileName : "?",
			       f->uiLineNumber, f->strCondition ? f->strCondition : "?");
	} else if (skip_why[0]) {
		skipped++;
		printf("ok %u - %s: %s # SKIP %s\n", n_done, suite->pName, test->pName, skip_why);
	} else
		printf("ok %u - %s: %s\n", n_done, suite->pName, test->pName);
	fflush(stdout);
}

static bool wanted(const char *name, int argc, char **argv) {
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

int main(int argc, char **argv) {
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	unsigned planned = 0;
	for (const struct unit_suite *s = unit_suites; s->name; s++) {
		CU_pSuite cs = NULL;
		for (const struct unit_case *c = s->cases; c->name; c++) {
			if (!wanted(s->name, argc, argv) && !wanted(c->name, argc, argv))
				continue;
			if (!cs && !(cs = CU_add_suite(s->name, NULL, NULL)))
				return 2;
			if (!CU_add_test(cs, c->name, c->fn))
				return 2;
			planned++;
		}
	}
	if (planned == 0) {
		printf("1..0 # SKIP no test matches\n");
		fprintf(stderr, "unit: no test ran\n");
		CU_cleanup_registry();
		return 1;
	}
	printf("1..%u\n", planned);
	fflush(stdout);
	CU_set_test_start_handler(on_test_start);
	CU_set_test_complete_handler(on_test_complete);
	CU_ErrorCode rc = CU_run_all_tests();
	CU_cleanup_registry();
	printf("# unit: %u passed, %u failed, %u skipped\n", n_done - n_failed - skipped, n_failed,
	       skipped);
	if (rc != CUE_SUCCESS || n_done != planned) {
		printf("Bail out! CUnit: %s; %u of %u tests ran\n", CU_get_error_msg(), n_done,
		       planned);
		return 1;
	}
	return n_failed ? 1 : 0;
}
