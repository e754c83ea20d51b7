/* Which names the tail may open: symbolic links in watched directories (issue 10).
 *
 * A glob result is checked component by component below the configured path's fixed
 * directory (the part before any glob character, which the configuration names and is
 * trusted as is). When a checked component is a symbolic link:
 *  - the directory holding the link must not be writable by anyone but root and the
 *    service user (its owner is root or us; no write bit for "other"; a write bit for the
 *    group only when the group is root's or ours): otherwise anyone who can write there
 *    could point the link at any file the service may read. Never followed then, whatever
 *    the configuration says;
 *  - the resolved target must lie in the directory of a configured path (its fixed part
 *    resolved, the rest of the pattern matched with fnmatch), unless `follow_symlinks`
 *    is set or the configuration names the link exactly (a path without glob characters:
 *    the operator chose it).
 * A refused name is counted once (stats.links_refused) and reported through the notice
 * callback, until it disappears from the scan or changes its reason. An accepted name is
 * opened through its resolved target with O_NOFOLLOW, O_NONBLOCK and O_CLOEXEC, and only
 * a regular file (fstat) is read: a FIFO or device never blocks the loop. */
#include "collector/tail-internal.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/macro.h"

#define MAX_REFUSALS 1024

/* Length of the fixed directory prefix of `pattern` (up to the '/' before its first glob
 * character, or its last '/'); 0 for a bare name. */
static size_t fixed_len(const char *pattern) {
	size_t g = strcspn(pattern, "*?[");
	const char *last = strrchr(pattern, '/');
	size_t end = last ? (size_t)(last - pattern) : 0;
	if (g < end) {
		while (g > 0 && pattern[g] != '/')
			g--;
		end = g;
	}
	return end;
}

/* The directory of configured path `p` with its fixed part resolved as the kernel
 * resolves it (it may itself be a link); "/" for the root. */
static char *source_dir(const char *p) {
	size_t fl = fixed_len(p);
	const char *last = strrchr(p, '/');
	size_t dl = last ? (size_t)(last - p) : 0;
	_cleanup_free_ char *fixed = strndup(p, fl);
	if (!fixed)
		return NULL;
	_cleanup_free_ char *real = realpath(fl ? fixed : (p[0] == '/' ? "/" : "."), NULL);
	const char *base = real ? real : fixed;
	char *d = NULL;
	if (asprintf(&d, "%s%.*s", strcmp(base, "/") == 0 ? "" : base, (int)(dl - fl), p + fl) < 0)
		return NULL;
	if (!d[0]) {
		free(d);
		return strdup("/");
	}
	return d;
}

int tail_policy_init(struct collector_tail *t) {
	t->src_dirs = calloc(t->cfg.n_files ? t->cfg.n_files : 1, sizeof(*t->src_dirs));
	if (!t->src_dirs)
		return -ENOMEM;
	for (size_t c = 0; c < t->cfg.n_files; c++)
		if (!(t->src_dirs[c] = source_dir(t->files[c].path)))
			return -ENOMEM;
	return 0;
}

void tail_policy_free(struct collector_tail *t) {
	for (size_t c = 0; t->src_dirs && c < t->cfg.n_files; c++)
		free(t->src_dirs[c]);
	free(t->src_dirs);
	t->src_dirs = NULL;
	for (size_t i = 0; i < t->n_refused; i++)
		free(t->refused[i].msg);
	free(t->refused);
	t->refused = NULL;
	t->n_refused = 0;
}

/* May a user other than root and the service user change the entries of `dir`? */
static bool writable_by_others(const char *dir, char *why, size_t n) {
	struct stat st;
	if (stat(dir, &st) < 0) {
		snprintf(why, n, "cannot stat %s: %s", dir, strerror(errno));
		return true;
	}
	unsigned mode = (unsigned)st.st_mode & 07777;
	if (st.st_uid != 0 && st.st_uid != geteuid())
		snprintf(why, n, "its directory %s belongs to uid %u", dir, (unsigned)st.st_uid);
	else if (st.st_mode & S_IWOTH)
		snprintf(why, n, "its directory %s is writable by everyone (mode %04o)", dir, mode);
	else if ((st.st_mode & S_IWGRP) && st.st_gid != 0 && st.st_gid != getegid())
		snprintf(why, n, "its directory %s is writable by group %u (mode %04o)", dir,
		         (unsigned)st.st_gid, mode);
	else
		return false;
	return true;
}

static bool inside_sources(char *const *dirs, size_t n_dirs, const char *real) {
	char *d = strdup(real);
	char *slash = d ? strrchr(d, '/') : NULL;
	bool in = false;
	if (slash) {
		if (slash == d)
			slash[1] = 0;
		else
			*slash = 0;
		for (size_t c = 0; c < n_dirs && !in; c++)
			in = dirs[c] && fnmatch(dirs[c], d, FNM_PATHNAME) == 0;
	}
	free(d);
	return in;
}

/* Report a refusal once while it lasts. */
static void refuse(struct collector_tail *t, const char *path, const char *why) {
	_cleanup_free_ char *msg = NULL;
	if (asprintf(&msg, "%s: not read: %s", path, why) < 0)
		return;
	for (size_t i = 0; i < t->n_refused; i++)
		if (strcmp(t->refused[i].msg, msg) == 0) {
			t->refused[i].seen = true;
			return;
		}
	t->st.links_refused++;
	if (t->cfg.notice)
		t->cfg.notice(t->userdata, msg);
	if (t->n_refused < MAX_REFUSALS) {
		struct refusal *v = realloc(t->refused, (t->n_refused + 1) * sizeof(*v));
		if (v) {
			t->refused = v;
			t->refused[t->n_refused++] = (struct refusal){TAKE_PTR(msg), true};
		}
	}
}

void tail_policy_begin_scan(struct collector_tail *t) {
	for (size_t i = 0; i < t->n_refused; i++)
		t->refused[i].seen = false;
}

void tail_policy_end_scan(struct collector_tail *t) {
	for (size_t i = 0; i < t->n_refused;) {
		if (!t->refused[i].seen) {
			free(t->refused[i].msg);
			t->refused[i] = t->refused[--t->n_refused];
			continue;
		}
		i++;
	}
}

/* Is there a symbolic link among the components of `path` after `from`? Refuses (returns
 * -EPERM, reason in why) when one sits in a directory others may write. */
static int has_link(const char *path, size_t from, char *why, size_t n) {
	_cleanup_free_ char *q = strdup(path);
	if (!q)
		return -ENOMEM;
	bool link = false;
	size_t len = strlen(q);
	for (size_t e = from + 1; e <= len; e++) {
		if (e < len && q[e] != '/')
			continue;
		char keep = q[e];
		q[e] = 0;
		struct stat st;
		if (lstat(q, &st) == 0 && S_ISLNK(st.st_mode)) {
			link = true;
			char *slash = strrchr(q, '/');
			const char *dir = q;
			if (!slash)
				dir = ".";
			else if (slash == q)
				dir = "/";
			else
				*slash = 0;
			char sub[400];
			if (writable_by_others(dir, sub, sizeof(sub))) {
				snprintf(why, n,
				         "a symbolic link is never followed where others may "
				         "write: %s",
				         sub);
				return -EPERM;
			}
			if (slash && slash != q)
				*slash = '/';
		}
		q[e] = keep;
	}
	return link;
}

/* The policy for one name `path` that `pattern` matched (`named`: the configuration
 * names it exactly), `dirs` the source directories: 1 with *ret_open, 0 refused (why;
 * empty for a dangling link), -ENOMEM. */
static int check_name(const char *pattern, bool named, char *const *dirs, size_t n_dirs,
                      bool follow, const char *path, char **ret_open, char *why, size_t n) {
	int r = has_link(path, fixed_len(pattern), why, n);
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		*ret_open = strdup(path);
		return *ret_open ? 1 : -ENOMEM;
	}
	if (r < 0)
		return 0;
	char *real = realpath(path, NULL);
	if (!real) {
		why[0] = 0; /* dangling: nothing to read (yet), nothing to report */
		return 0;
	}
	/* a path the configuration names exactly (no glob) may lead anywhere */
	if (named || follow || inside_sources(dirs, n_dirs, real)) {
		*ret_open = real;
		return 1;
	}
	snprintf(why, n,
	         "symbolic link to %s, outside the configured source paths (set "
	         "sources.follow_symlinks to follow it)",
	         real);
	free(real);
	return 0;
}

int tail_policy_check(struct collector_tail *t, size_t c, const char *path, char **ret_open) {
	char why[600] = "";
	int r = check_name(t->files[c].path, strcmp(t->files[c].path, path) == 0, t->src_dirs,
	                   t->cfg.n_files, t->cfg.follow_symlinks, path, ret_open, why,
	                   sizeof(why));
	if (r == 0 && why[0])
		refuse(t, path, why);
	return r;
}

int collector_link_policy(const char *const *patterns, size_t n, bool follow_symlinks,
                          const char *path, char **ret_open, char *why, size_t whylen) {
	/* the configured path that names `path` exactly, else the first glob matching it */
	size_t which = n;
	for (size_t c = 0; c < n && which == n; c++)
		if (strcmp(patterns[c], path) == 0)
			which = c;
	bool named = which < n;
	for (size_t c = 0; c < n && which == n; c++)
		if (fnmatch(patterns[c], path, FNM_PATHNAME | FNM_PERIOD) == 0)
			which = c;
	char **dirs = calloc(n ? n : 1, sizeof(*dirs));
	int r = dirs ? 0 : -ENOMEM;
	for (size_t c = 0; r == 0 && c < n; c++)
		if (!(dirs[c] = source_dir(patterns[c])))
			r = -ENOMEM;
	if (r == 0) /* a path no configured one matches: only its last component is checked */
		r = check_name(which < n ? patterns[which] : path, named, dirs, n, follow_symlinks,
		               path, ret_open, why, whylen);
	if (r == 0 && !why[0])
		snprintf(why, whylen, "a symbolic link to nothing (dangling)");
	for (size_t c = 0; dirs && c < n; c++)
		free(dirs[c]);
	free(dirs);
	return r;
}
