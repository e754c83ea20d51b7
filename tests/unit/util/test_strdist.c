/* Did-you-mean: the one edit distance and the suggestion threshold every message uses. */
#include "tests/unit/unit.h"
#include "util/mkdir.h"
#include "util/strdist.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

static const char *suggest(const char *word, const char *const *c, size_t n) {
	struct ev_suggest s = ev_suggest_init(word);
	for (size_t i = 0; i < n; i++)
		ev_suggest_add(&s, c[i]);
	return ev_suggest_best(&s);
}

TEST(test_util_strdist_distance) {
	CU_ASSERT_EQUAL(ev_edit_distance("", ""), 0);
	CU_ASSERT_EQUAL(ev_edit_distance("high", "hihg"), 1); /* a swap is one edit */
	CU_ASSERT_EQUAL(ev_edit_distance("contans", "contains"), 1);
	CU_ASSERT_EQUAL(ev_edit_distance("abc", ""), 3);
	char long_word[80];
	memset(long_word, 'a', sizeof(long_word) - 1);
	long_word[sizeof(long_word) - 1] = '\0';
	CU_ASSERT_EQUAL(ev_edit_distance(long_word, "a"), 16); /* capped */
}

TEST(test_util_strdist_suggest) {
	static const char *const levels[] = {"informational", "low", "medium", "high", "critical"};
	CU_ASSERT_STRING_EQUAL(suggest("hihg", levels, 5), "high");
	CU_ASSERT_STRING_EQUAL(suggest("critcal", levels, 5), "critical");
	CU_ASSERT_PTR_NULL(suggest("severe", levels, 5)); /* nothing close */
	CU_ASSERT_PTR_NULL(suggest("high", levels, 5));   /* exact: not a typo */
	static const char *const tags[] = {"attack.credential-access", "attack.impact", NULL};
	CU_ASSERT_STRING_EQUAL(suggest("attack.credential_access", tags, 3),
	                       "attack.credential-access");
}

TEST(test_util_mkdir_p) {
	char p[512];
	snprintf(p, sizeof(p), "%s/a/b/c/", unit_tmpdir());
	CU_ASSERT_EQUAL(ev_mkdir_p(p, 0700, 0755), 0);
	struct stat st;
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777 & ~0022, 0700);
	CU_ASSERT_EQUAL(ev_mkdir_p(p, 0700, 0755), 0); /* exists: fine */
	snprintf(p, sizeof(p), "%s/file", unit_tmpdir());
	FILE *f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	CU_ASSERT_EQUAL(ev_mkdir_p(p, 0700, 0755), -ENOTDIR);
	snprintf(p, sizeof(p), "%s/file/sub", unit_tmpdir());
	CU_ASSERT_EQUAL(ev_mkdir_p(p, 0700, 0755), -ENOTDIR);
}
