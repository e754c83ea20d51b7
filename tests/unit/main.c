/* Unit test runner: registers every generated suite with CUnit and runs them.
 * Usage: unit-tests [SUBSTRING...]  (only suites or tests whose name contains one). */
#include "config.h"

#include <CUnit/Basic.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/registry.h"
#include "tests/unit/unit.h"

static char tmpdir[256];
static unsigned skipped;

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
	skipped++;
	fprintf(stderr, "\n  SKIP: %s\n", why);
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
	for (const struct unit_suite *s = unit_suites; s->name; s++) {
		CU_pSuite cs = NULL;
		for (const struct unit_case *c = s->cases; c->name; c++) {
			if (!wanted(s->name, argc, argv) && !wanted(c->name, argc, argv))
				continue;
			if (!cs && !(cs = CU_add_suite(s->name, NULL, NULL)))
				return 2;
			if (!CU_add_test(cs, c->name, c->fn))
				return 2;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_tests_failed();
	unsigned run = CU_get_number_of_tests_run();
	unsigned asserts_failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	printf("\nunit: %u passed, %u failed, %u skipped\n", run - failed - skipped, failed,
	       skipped);
	if (run == 0) {
		fprintf(stderr, "unit: no test ran\n");
		return 1;
	}
	return failed || asserts_failed ? 1 : 0;
}
