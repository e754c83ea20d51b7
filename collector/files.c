/* A file source's pattern into files (files.h). glob(3) without sorting, then our own
 * order: the base name (without a rotation suffix), then the generation, highest first,
 * the live file (generation 0) last. */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/files.h"
#include "util/strv.h"

bool collector_files_is_glob(const char *pattern) {
	return strpbrk(pattern, "*?[") != NULL;
}

/* The length of `p` without its rotation suffix ".N" or ".N.gz", and N (0: none). */
static size_t base_len(const char *p, unsigned long long *ret_gen) {
	size_t n = strlen(p);
	if (n > 3 && !strcmp(p + n - 3, ".gz"))
		n -= 3;
	size_t d = n;
	while (d > 0 && p[d - 1] >= '0' && p[d - 1] <= '9')
		d--;
	*ret_gen = 0;
	if (d == n || d == 0 || p[d - 1] != '.' || n - d > 18) /* no suffix: the whole name */
		return strlen(p);
	for (size_t i = d; i < n; i++)
		*ret_gen = *ret_gen * 10 + (unsigned long long)(p[i] - '0');
	return d - 1;
}

static int cmp_files(const void *a, const void *b) {
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	unsigned long long gx, gy;
	size_t nx = base_len(x, &gx), ny = base_len(y, &gy);
	int c = memcmp(x, y, nx < ny ? nx : ny);
	if (c || nx != ny)
		return c ? c : nx < ny ? -1 : 1;
	if (gx != gy)
		return gx > gy ? -1 : 1;
	return strcmp(x, y); /* PATH.1 and PATH.1.gz: both, in name order */
}

static const char *glob_why(int gr) {
	return gr == GLOB_NOMATCH   ? "no file matches"
	       : gr == GLOB_NOSPACE ? "cannot list the matches: out of memory"
	                            : "cannot list the matches: read error";
}

int collector_files_expand(const char *pattern, char ***ret, struct ev_errlist *errs) {
	glob_t g = {0};
	int gr = glob(pattern, GLOB_NOSORT, NULL, &g);
	if (gr == 0 && !collector_files_is_glob(pattern)) { /* rotated generations */
		char *rot = NULL;
		int g2 = asprintf(&rot, "%s.[0-9]*", pattern) < 0
		                 ? GLOB_NOSPACE
		                 : glob(rot, GLOB_APPEND | GLOB_NOSORT, NULL, &g);
		free(rot);
		if (g2 != 0 && g2 != GLOB_NOMATCH)
			ev_errlist_add(errs, pattern, 0, 0,
			               "cannot list its rotated generations (%s)",
			               g2 == GLOB_NOSPACE ? "out of memory" : "read error");
	}
	if (gr != 0) {
		globfree(&g);
		ev_errlist_add(errs, pattern, 0, 0, "%s", glob_why(gr));
		return gr == GLOB_NOMATCH ? -ENOENT : gr == GLOB_NOSPACE ? -ENOMEM : -EIO;
	}
	char **v = calloc(g.gl_pathc + 1, sizeof(char *));
	for (size_t k = 0; v && k < g.gl_pathc; k++)
		if (!(v[k] = strdup(g.gl_pathv[k]))) {
			ev_strv_free_n(v, k);
			v = NULL;
		}
	size_t n = g.gl_pathc;
	globfree(&g);
	if (!v) {
		ev_errlist_add(errs, pattern, 0, 0, "out of memory");
		return -ENOMEM;
	}
	qsort(v, n, sizeof(char *), cmp_files);
	*ret = v;
	return (int)n;
}
