/* Did-you-mean: the one edit distance and the suggestion threshold every message uses. */
#include "tests/unit/unit.h"
#include "util/mkdir.h"
#include "util/strdist.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

/* The full table, as the distance was computed before the bounds: the reference. */
static unsigned reference_distance(const char *a, const char *b) {
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 16;
	static unsigned d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb] < 16 ? d[la][lb] : 16;
}

/* A word near `w`: a few random edits of it (or a fresh random word), letters from a small
 * alphabet so that swaps, repeats and near misses are common. */
static void near_word(char *out, const char *w, unsigned *seed) {
	static const char alpha[] = "abcab_.";
	size_t n = strlen(w);
	if (rand_r(seed) % 4 == 0)
		n = 0;
	memcpy(out, w, n);
	for (int e = rand_r(seed) % 12; e-- > 0;) {
		size_t at = n ? (size_t)rand_r(seed) % n : 0;
		char c = alpha[rand_r(seed) % 7];
		int op = rand_r(seed) % 4;
		if (op == 0 && n < 70) { /* insert */
			memmove(out + at + 1, out + at, n - at);
			out[at] = c;
			n++;
		} else if (op == 1 && n) { /* delete */
			memmove(out + at, out + at + 1, n - at - 1);
			n--;
		} else if (op == 2 && n) { /* substitute */
			out[at] = c;
		} else if (n > 1 && at + 1 < n) { /* swap */
			char t = out[at];
			out[at] = out[at + 1];
			out[at + 1] = t;
		}
	}
	out[n] = '\0';
}

/* The bounded distance is the full table's up to the bound and bound + 1 past it, and the
 * suggestion (which asks only up to the bound) is the one the full table gives: the first
 * of the nearest candidates, if close enough. Random words and near copies of them, of
 * every length up to past the 64-byte cap (16 from everything past it). */
TEST(test_util_strdist_bounded_agrees) {
	unsigned seed = 12345;
	char w[80], c[8][80];
	for (int round = 0; round < 4000; round++) {
		size_t n = (size_t)rand_r(&seed) % 68;
		for (size_t i = 0; i < n; i++)
			w[i] = "abcab_."[rand_r(&seed) % 7];
		w[n] = '\0';
		const char *cand[8];
		size_t want = SIZE_MAX;
		unsigned best = 16;
		for (size_t k = 0; k < 8; k++) {
			near_word(c[k], w, &seed);
			cand[k] = c[k];
			unsigned ref = reference_distance(w, c[k]);
			bool too_long = strlen(w) > 64 || strlen(c[k]) > 64;
			CU_ASSERT_EQUAL(ev_edit_distance(w, c[k]), ref);
			for (unsigned max = 0; max < 16; max++) {
				unsigned got = ev_edit_distance_max(w, c[k], max);
				unsigned exp = too_long ? 16 : ref <= max ? ref : max + 1;
				if (got != exp)
					fprintf(stderr, "\n'%s' '%s' max %u: %u, want %u\n", w,
					        c[k], max, got, exp);
				CU_ASSERT_EQUAL(got, exp);
			}
			if (ref > 0 && ref < best) {
				best = ref;
				want = k;
			}
		}
		size_t lim = strlen(w) / 3 > 2 ? strlen(w) / 3 : 2;
		const char *got = suggest(w, cand, 8);
		const char *expect = want == SIZE_MAX || best > lim ? NULL : cand[want];
		CU_ASSERT_PTR_EQUAL(got, expect);
	}
}

static double cpu_seconds(void) {
	return (double)clock() / CLOCKS_PER_SEC;
}

/* A did-you-mean over many candidates costs little for a word that is near none of them
 * (an unknown placeholder among a few hundred variables, a mistyped key among a schema):
 * only distances up to the suggestion's bound are worked out, and the letters and lengths
 * rule out most candidates before any table. 5,000 words of 8 to 64 bytes against 300
 * names: under a second of CPU (the whole table for every pair took some seconds). */
TEST(test_util_strdist_suggest_fast) {
	static char names[300][40], words[64][72];
	unsigned seed = 7;
	for (size_t k = 0; k < 300; k++) {
		size_t n = 6 + (size_t)rand_r(&seed) % 30;
		for (size_t i = 0; i < n; i++)
			names[k][i] = "abcdefghijklmnopqrstuvwxyz_"[rand_r(&seed) % 27];
		names[k][n] = '\0';
	}
	for (size_t k = 0; k < 64; k++) {
		size_t n = 8 + (size_t)rand_r(&seed) % 57;
		for (size_t i = 0; i < n; i++)
			words[k][i] = "abcdefghijklmnopqrstuvwxyz_"[rand_r(&seed) % 27];
		words[k][n] = '\0';
	}
	double t0 = cpu_seconds();
	unsigned found = 0;
	for (size_t r = 0; r < 5000; r++) {
		struct ev_suggest s = ev_suggest_init(words[r % 64]);
		for (size_t k = 0; k < 300; k++)
			ev_suggest_add(&s, names[k]);
		found += ev_suggest_best(&s) != NULL;
	}
	double cpu = cpu_seconds() - t0;
	if (cpu >= 1.0)
		fprintf(stderr, "\n%.2f s of CPU for 1,500,000 candidates (%u found)\n", cpu,
		        found);
	CU_ASSERT(cpu < 1.0);
}
