/* Discovery of followed files (see tail.c for the whole): expansion of the configured
 * paths and globs, the files renamed away while the tail was stopped, rotated siblings
 * ("app.log.1") created between two scans, and the opening of each new file with its
 * saved position, if any. */
#include "collector/tail-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glob.h>
#include <libgen.h>

#include "collector/evtime.h"
#include "util/macro.h"

static struct tfile *find_tf(struct collector_tail *t, dev_t dev, ino_t ino) {
	for (size_t i = 0; i < t->n_tf; i++)
		if (t->tf[i]->dev == dev && t->tf[i]->ino == ino)
			return t->tf[i];
	return NULL;
}

static struct saved_pos *find_saved(struct collector_tail *t, dev_t dev, ino_t ino) {
	for (size_t i = 0; i < t->n_saved; i++)
		if (!t->saved[i].used && t->saved[i].dev == dev && t->saved[i].ino == ino)
			return &t->saved[i];
	return NULL;
}

/* Apply a saved position to a freshly opened file if the content still matches (else:
 * shrank, another file on a reused inode, or rewritten in place: read from 0). */
static void apply_saved(struct tfile *f, struct saved_pos *s) {
	s->used = true;
	if (!tail_content_matches(f->fd, f->size, s->head_len, s->head_hash, s->offset, s->fp_len,
	                          s->fp_hash))
		return;
	f->offset = s->offset;
	f->head_len = s->head_len;
	f->head_hash = s->head_hash;
	f->fp_len = s->fp_len;
	f->fp_hash = s->fp_hash;
	if (s->n_index && (f->index = calloc(INDEX_CAP, sizeof(*f->index)))) {
		memcpy(f->index, s->index, MIN(s->n_index, (size_t)INDEX_CAP) * sizeof(*f->index));
		f->n_index = MIN(s->n_index, (size_t)INDEX_CAP);
		f->last_index_off = f->index[f->n_index - 1].offset;
	}
}

static int add_tf(struct collector_tail *t, struct tfile *f) {
	if (t->n_tf >= MAX_TFILES)
		return -E2BIG;
	struct tfile **n = realloc(t->tf, (t->n_tf + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->tf = n;
	t->tf[t->n_tf++] = f;
	t->dirty = true;
	return 0;
}

/* Open a newly seen file, found as `path`, through `open_path` (the same, or the resolved
 * target of an accepted symbolic link: see tail_policy.c). `startup`: the first scan of
 * this run. A FIFO or device opens without blocking and is closed again. */
static struct tfile *open_new(struct collector_tail *t, size_t cfg, const char *path,
                              const char *open_path, bool startup, bool copy_check) {
	if (t->n_tf >= MAX_TFILES) {
		if (t->over_cap++ == t->over_cap_logged)
			tail_notice(t,
			            "sources.files: more than %d files to tail: %s and any other "
			            "beyond the cap are not tailed (counted in status, "
			            "files_over_cap)",
			            MAX_TFILES, path);
		return NULL;
	}
	int fd = open(open_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	struct tfile *f = tail_file_new(t, cfg, path, fd, &st);
	if (!f) {
		close(fd);
		return NULL;
	}
	struct saved_pos *s = find_saved(t, st.st_dev, st.st_ino);
	if (s)
		apply_saved(f, s);
	if (!s && f->offset == 0 && startup && !t->have_state && t->cfg.from_end)
		f->offset = f->size;
	else if (!s && f->offset == 0 && copy_check)
		f->check_copy = true; /* decided at the first read (tfile_settle_copy) */
	if (f->offset)
		tail_file_update_fp(f);
	if (add_tf(t, f) < 0) {
		tail_file_free(f);
		return NULL;
	}
	return f;
}

static size_t cfg_for_pattern(struct collector_tail *t, const char *pattern) {
	for (size_t c = 0; pattern && c < t->cfg.n_files; c++)
		if (strcmp(t->files[c].path, pattern) == 0)
			return c;
	return 0;
}

/* Saved files renamed away while we were stopped, under a name no glob matches: find
 * their inode in the same directory and finish them. */
void tail_adopt_renamed(struct collector_tail *t) {
	for (size_t i = 0; i < t->n_saved && t->cfg.n_files; i++) {
		struct saved_pos *s = &t->saved[i];
		if (s->used || !s->path)
			continue;
		_cleanup_free_ char *d = strdup(s->path);
		if (!d)
			return;
		char *dir = dirname(d);
		DIR *dp = opendir(dir);
		if (!dp)
			continue;
		struct dirent *de;
		while ((de = readdir(dp))) {
			if (de->d_ino != s->ino)
				continue;
			char p[4096];
			if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= sizeof(p))
				continue;
			struct stat st;
			if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev != s->dev ||
			    st.st_ino != s->ino)
				continue;
			struct tfile *f =
			        open_new(t, cfg_for_pattern(t, s->pattern), p, p, true, false);
			if (f)
				f->retired = true;
			break;
		}
		closedir(dp);
	}
}

/* Is `name` a rotated generation of a file the pattern `base` names: not itself such a
 * file, not compressed, and a name the pattern matches followed by '.', '-' or '_' and
 * more ("app.log.1", "app.log-20261129" for "app.log" or "*.log")? A pattern starting
 * with a wildcard ("*.log") has siblings too: the copy of a copytruncate is one. */
static bool rotated_sibling(const char *base, const char *name) {
	size_t n = strlen(name);
	if (n >= 3 && strcmp(name + n - 3, ".gz") == 0)
		return false;
	if (fnmatch(base, name, FNM_PERIOD) == 0)
		return false; /* a source in its own right */
	char prefix[NAME_MAX + 1];
	for (size_t k = 1; k < n && k <= NAME_MAX; k++) {
		if (!strchr(".-_", name[k]) || name[k + 1] == 0)
			continue;
		memcpy(prefix, name, k);
		prefix[k] = 0;
		if (fnmatch(base, prefix, FNM_PERIOD) == 0)
			return true;
	}
	return false;
}

/* Files next to a configured path whose name extends it ("app.log.1", "app.log-2026"),
 * that we do not know and that changed after our last checkpoint: a file created and
 * rotated away between that checkpoint and a crash. They are read from the start (or
 * from where a copy of them was) and let go at their end. */
void tail_adopt_rotated(struct collector_tail *t, int64_t since_us) {
	for (size_t c = 0; c < t->cfg.n_files; c++) {
		_cleanup_free_ char *d = strdup(t->files[c].path);
		_cleanup_free_ char *b = strdup(t->files[c].path);
		if (!d || !b)
			return;
		char *dir = dirname(d), *base = basename(b);
		if (strpbrk(dir, "*?["))
			continue;
		DIR *dp = opendir(dir);
		if (!dp)
			continue;
		struct dirent *de;
		while ((de = readdir(dp))) {
			if (!rotated_sibling(base, de->d_name))
				continue;
			char p[4096];
			if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= sizeof(p))
				continue;
			struct stat st;
			if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode) ||
			    find_tf(t, st.st_dev, st.st_ino))
				continue;
			int64_t mt =
			        (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
			if (mt < since_us)
				continue;
			/* never "from end": a rotated sibling holds lines not read yet (it is
			 * continued where a copy's original was, or read from its start) */
			struct tfile *f = open_new(t, c, p, p, false, true);
			if (f)
				f->retired = true;
		}
		closedir(dp);
	}
}

void tail_scan(struct collector_tail *t, bool startup) {
	for (size_t i = 0; i < t->n_tf; i++)
		t->tf[i]->seen = false;
	t->over_cap = 0;
	tail_policy_begin_scan(t);
	for (size_t c = 0; c < t->cfg.n_files; c++) {
		glob_t g;
		int r = glob(t->files[c].path, GLOB_NOSORT, NULL, &g);
		if (r != 0) {
			if (r != GLOB_NOMATCH)
				globfree(&g);
			continue;
		}
		for (size_t k = 0; k < g.gl_pathc; k++) {
			_cleanup_free_ char *op = NULL;
			struct stat st;
			if (tail_policy_check(t, c, g.gl_pathv[k], &op) <= 0 || stat(op, &st) < 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			struct tfile *f = find_tf(t, st.st_dev, st.st_ino);
			if (f) {
				if (!f->seen && strcmp(f->path, g.gl_pathv[k]) != 0) {
					char *np = strdup(g.gl_pathv[k]);
					if (np) {
						free(f->path);
						f->path = np;
						f->st.name = np;
					}
				}
				f->seen = true;
				f->retired = false;
				continue;
			}
			f = open_new(t, c, g.gl_pathv[k], op, startup, true);
			if (f)
				f->seen = true;
		}
		globfree(&g);
	}
	tail_policy_end_scan(t);
	/* a file past the cap is met at every scan: reported when the number grows */
	t->st.files_over_cap = t->over_cap;
	if (t->over_cap > t->over_cap_logged)
		t->over_cap_logged = t->over_cap;
	for (size_t i = 0; i < t->n_tf; i++)
		if (!t->tf[i]->seen && !t->tf[i]->retired) {
			t->tf[i]->retired = true;
			t->tf[i]->idle_polls = 0;
			t->tf[i]->st.rotations++;
		}
}
