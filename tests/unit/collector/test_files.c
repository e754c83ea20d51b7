/* collector_files_expand on real files: a glob without a match, a plain path that is not
 * there, a plain path with its rotated generations (.1, .2.gz, .10) in age order, a glob's
 * matches in name order. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "collector/files.h"
#include "tests/unit/unit.h"
#include "util/strv.h"

static const char *in_tmp(const char *name) {
	static char p[4][4096];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", unit_tmpdir(), name);
	return p[k];
}

TEST(test_collector_files_no_match) {
	struct ev_errlist errs = {0};
	char **v = NULL;
	CU_ASSERT_EQUAL(collector_files_expand(in_tmp("nothing-*.log"), &v, &errs), -ENOENT);
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	CU_ASSERT_STRING_EQUAL(errs.v[0].msg, "no file matches");
	CU_ASSERT_STRING_EQUAL(errs.v[0].file, in_tmp("nothing-*.log"));
	ev_errlist_clear(&errs);
	/* a plain path that is not there: its rotated generations alone are not listed */
	unit_write_str("gone.log.1", "x\n");
	CU_ASSERT_EQUAL(collector_files_expand(in_tmp("gone.log"), &v, &errs), -ENOENT);
	CU_ASSERT_PTR_NULL(v);
	ev_errlist_clear(&errs);
	CU_ASSERT_FALSE(collector_files_is_glob("/var/log/app.log"));
	CU_ASSERT_TRUE(collector_files_is_glob("/var/log/app-?.log"));
	CU_ASSERT_TRUE(collector_files_is_glob("/var/log/[ab].log"));
}

TEST(test_collector_files_rotated) {
	const char *names[] = {"rot/app.log",       "rot/app.log.1", "rot/app.log.2.gz",
	                       "rot/app.log.10.gz", "rot/app.log.3", "rot/app.logx",
	                       "rot/other.log"};
	CU_ASSERT_EQUAL_FATAL(mkdir(in_tmp("rot"), 0700), 0);
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		unit_write_str(names[i], "line\n");
	struct ev_errlist errs = {0};
	char **v = NULL;
	int n = collector_files_expand(in_tmp("rot/app.log"), &v, &errs);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	CU_ASSERT_EQUAL(errs.n, 0);
	/* oldest first, the live file last; .10 sorts as ten, not between .1 and .2 */
	const char *want[] = {"rot/app.log.10.gz", "rot/app.log.3", "rot/app.log.2.gz",
	                      "rot/app.log.1", "rot/app.log"};
	for (int i = 0; i < n; i++)
		CU_ASSERT_STRING_EQUAL(v[i], in_tmp(want[i]));
	CU_ASSERT_PTR_NULL(v[n]);
	ev_strv_free(v);
	/* a glob: its matches only (no rotated siblings added), the same order */
	n = collector_files_expand(in_tmp("rot/*.log*"), &v, &errs);
	CU_ASSERT_EQUAL_FATAL(n, 7);
	const char *glob_want[] = {"rot/app.log.10.gz", "rot/app.log.3", "rot/app.log.2.gz",
	                           "rot/app.log.1",     "rot/app.log",   "rot/app.logx",
	                           "rot/other.log"};
	for (int i = 0; i < n; i++)
		CU_ASSERT_STRING_EQUAL(v[i], in_tmp(glob_want[i]));
	ev_strv_free(v);
	n = collector_files_expand(in_tmp("rot/other.log"), &v, &errs);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(v[0], in_tmp("rot/other.log"));
	ev_strv_free(v);
	ev_errlist_clear(&errs);
}
