/* Live sources (see tail.h for the contract).
 *
 * Files. Each configured path/glob is expanded on every poll. A followed file ("tfile")
 * is identified by device + inode + a hash of its first bytes (up to HEAD_MAX); it keeps
 * its own fd, so a file renamed away is still read to its end through that fd. Reading
 * is pread() from `offset`, the first byte not yet delivered: a partial last line is
 * never consumed, so it survives a restart on disk. Before each read the bytes just
 * before `offset` are compared with a saved fingerprint, which catches truncation
 * followed by a rewrite past the old offset, and inode reuse.
 *
 * A file that no configured path names any more (renamed away, deleted, replaced behind
 * a symlink) is "retired": it is still read on every poll and let go only when it is
 * deleted and read to the end, or when it has been read to the end and not grown for two
 * polls after its successor appeared. There is no time limit that could drop lines.
 *
 * Inotify events on a watched directory enable `kick`, a defer source below the inotify
 * sources' priority: once the queued events are dispatched, one poll reads every source
 * (a burst costs one poll, and the first event adds no delay). Every stat tick (a
 * one-shot timer re-armed after each dispatch) also runs one poll, with a rescan of the
 * globs. Positions are written as JSON, atomically. */
#include "collector/tail-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "collector/evtime.h"
#include "collector/journal.h"
#include "collector/parse.h"
#include "util/macro.h"

static void set_error(char **slot, uint64_t *count, const char *unused, const char *a, int err) {
	char *m = NULL;
	(*count)++;
	if (asprintf(&m, "%s: %s", a, strerror(err)) < 0)
		m = NULL;
	free(*slot);
	*slot = m;
}

static void tfile_free(struct tfile *f) {
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	collector_parser_done(&f->parser);
	free(f->buf);
	free(f->index);
	free(f->path);
	free(f->last_error);
	free(f);
}

static size_t file_max_line(struct collector_tail *t, size_t cfg) {
	size_t m = t->files[cfg].max_line ? t->files[cfg].max_line : t->cfg.max_line;
	return m ? m : 64 * 1024;
}

static struct tfile *tfile_new(struct collector_tail *t, size_t cfg, const char *path, int fd,
                               const struct stat *st) {
	struct tfile *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->fd = -1;
	f->cfg = cfg;
	f->path = strdup(path);
	size_t ml = file_max_line(t, cfg);
	f->cap = MAX((size_t)64 * 1024, 2 * ml + 1);
	f->buf = malloc(f->cap);
	struct ev_errlist e = {0};
	if (!f->path || !f->buf ||
	    collector_parser_init(&f->parser, t->files[cfg].format, t->files[cfg].tz, 0, 0, &e) <
	            0) {
		ev_errlist_clear(&e);
		tfile_free(f);
		return NULL;
	}
	f->fd = fd;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = (uint64_t)st->st_size;
	f->head_len = (uint32_t)MIN((uint64_t)HEAD_MAX, f->size);
	if (collector_tail_hash_range(fd, 0, f->head_len, &f->head_hash) < 0)
		f->head_len = 0, f->head_hash = collector_tail_fnv("", 0);
	f->st.name = f->path;
	return f;
}

/* Does the open file still hold the content we followed? (truncation, rewrite) */
static bool tfile_same_content(struct tfile *f, uint64_t size) {
	if (size < f->offset || size < f->head_len)
		return false;
	uint64_t h;
	if (f->head_len &&
	    (collector_tail_hash_range(f->fd, 0, f->head_len, &h) < 0 || h != f->head_hash))
		return false;
	if (f->fp_len &&
	    (collector_tail_hash_range(f->fd, f->offset - f->fp_len, f->fp_len, &h) < 0 ||
	     h != f->fp_hash))
		return false;
	return true;
}

static void tfile_update_fp(struct tfile *f) {
	f->fp_len = (uint32_t)MIN((uint64_t)FP_LEN, f->offset);
	if (collector_tail_hash_range(f->fd, f->offset - f->fp_len, f->fp_len, &f->fp_hash) < 0)
		f->fp_len = 0;
}

static void tfile_reset(struct collector_tail *t, struct tfile *f) {
	t->dirty = true;
	if (f->offset && f->head_len)
		t->ghosts[t->next_ghost++ % N_GHOSTS] =
		        (struct ghost){f->head_len, f->fp_len, f->head_hash, f->fp_hash, f->offset};
	f->offset = 0;
	f->start = f->len = 0;
	f->in_long = false;
	f->n_index = 0;
	f->last_index_off = 0;
	f->head_len = 0;
	f->head_hash = collector_tail_fnv("", 0);
	f->fp_len = 0;
	f->st.truncations++;
}

static void index_add(struct collector_tail *t, struct tfile *f, int64_t time_us, uint64_t off) {
	uint64_t every = t->cfg.index_interval ? t->cfg.index_interval : 16 * 1024;
	if (f->n_index && off < f->last_index_off + every)
		return;
	if (!f->index) {
		f->index = calloc(INDEX_CAP, sizeof(*f->index));
		if (!f->index)
			return;
	}
	if (f->n_index == INDEX_CAP) { /* thin out: keep every other entry */
		for (size_t i = 0; i < INDEX_CAP / 2; i++)
			f->index[i] = f->index[2 * i];
		f->n_index = INDEX_CAP / 2;
	}
	f->index[f->n_index++] = (struct index_entry){time_us, off};
	f->last_index_off = off;
}

/* Deliver one line (bytes at buf+start, n bytes, `consumed` bytes incl. newline). */
static int deliver(struct collector_tail *t, struct tfile *f, size_t n, size_t consumed, bool part,
                   int64_t arrival) {
	struct ev_record *rec = &t->rec;
	const char *line = f->buf + f->start;
	ev_record_reset(rec);
	rec->offset = f->offset;
	rec->length = (uint32_t)n;
	if (part)
		rec->flags |= EV_REC_PART;
	size_t plen = n && line[n - 1] == '\r' ? n - 1 : n;
	int r = f->in_long ? collector_parse_continuation(line, n, f->prev_timed, f->prev_time,
	                                                  arrival, rec)
	                   : collector_parse_line(&f->parser, line, plen, arrival, rec);
	if (r < 0)
		return r;
	rec->source = ev_record_strdup(rec, f->path, strlen(f->path));
	rec->source_id = (uint32_t)f->cfg;
	rec->seq = t->seq + 1;
	r = t->cb(t->userdata, rec);
	if (r < 0)
		return r;
	f->prev_timed = !(rec->flags & EV_REC_NO_TIME);
	f->prev_time = rec->time_us;
	if (!(rec->flags & EV_REC_NO_TIME) && !f->in_long) {
		index_add(t, f, rec->time_us, f->offset);
		f->st.last_time_us = rec->time_us;
	}
	f->start += consumed;
	f->len -= consumed;
	f->offset += consumed;
	f->st.records++;
	f->st.bytes += consumed;
	t->st.records++;
	t->seq++;
	t->dirty = true;
	/* grow the identity hash while the file is young */
	if (f->head_len < HEAD_MAX && f->offset > f->head_len) {
		uint32_t nl = (uint32_t)MIN((uint64_t)HEAD_MAX, f->offset);
		uint64_t h;
		if (collector_tail_hash_range(f->fd, 0, nl, &h) == 0)
			f->head_len = nl, f->head_hash = h;
	}
	return 0;
}

static bool tfile_settle_copy(struct collector_tail *t, struct tfile *f, const struct stat *st);

/* Read and deliver what the file has. `final`: the file is being let go, so a last line
 * without a newline is delivered too. Returns 0, or <0 when delivery stopped. */
static int tfile_read(struct collector_tail *t, struct tfile *f, bool final) {
	struct stat st;
	if (fstat(f->fd, &st) < 0)
		return -errno;
	f->size = (uint64_t)st.st_size;
	if (!tfile_same_content(f, f->size))
		tfile_reset(t, f);
	if (!tfile_settle_copy(t, f, &st))
		return 0;
	size_t ml = file_max_line(t, f->cfg);
	f->more = false;
	for (int rounds = 0;; rounds++) {
		if (rounds == 64) { /* fairness: other sources and events get their turn */
			f->more = true;
			break;
		}
		/* complete lines in the buffer */
		while (f->len > 0) {
			size_t look = MIN(f->len, ml + 1);
			char *s = f->buf + f->start;
			char *nl = memchr(s, '\n', look);
			int r;
			int64_t now = collector_now_us();
			if (nl) {
				size_t n = (size_t)(nl - s);
				if (n > ml) {
					r = deliver(t, f, ml, ml, true, now);
					if (r >= 0)
						f->in_long = true;
				} else {
					bool part = f->in_long;
					r = deliver(t, f, n, n + 1, part, now);
					if (r >= 0)
						f->in_long = false;
				}
			} else if (f->len >= ml) {
				r = deliver(t, f, ml, ml, true, now);
				if (r >= 0)
					f->in_long = true;
			} else if (final && f->offset + f->len >= f->size) {
				r = deliver(t, f, f->len, f->len, f->in_long, now);
				if (r >= 0)
					f->in_long = false;
			} else
				break;
			if (r < 0)
				return r;
		}
		/* refill */
		if (f->start > 0 && f->len > 0)
			memmove(f->buf, f->buf + f->start, f->len);
		f->start = 0;
		ssize_t k =
		        pread(f->fd, f->buf + f->len, f->cap - f->len, (off_t)(f->offset + f->len));
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		f->len += (size_t)k;
		if (f->offset + f->len > f->size)
			f->size = f->offset + f->len;
	}
	return 0;
}

/* tfile_read, then the fingerprint of where we stopped (also after a partial failure) */
static int tfile_read_fp(struct collector_tail *t, struct tfile *f, bool final) {
	uint64_t before = f->offset;
	int r = tfile_read(t, f, final);
	if (f->offset != before || !f->fp_len)
		tfile_update_fp(f);
	if (r < 0 && r != -EAGAIN && r != -ECANCELED)
		set_error(&f->last_error, &f->st.errors, "%s: %s", f->path, -r);
	return r;
}

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

/* Apply a saved position to a freshly opened file if the content still matches. */
static void apply_saved(struct tfile *f, struct saved_pos *s) {
	s->used = true;
	uint64_t h;
	if (f->size < s->offset || f->size < s->head_len)
		return; /* shrank: truncated while we were away, read from 0 */
	if (s->head_len &&
	    (collector_tail_hash_range(f->fd, 0, s->head_len, &h) < 0 || h != s->head_hash))
		return; /* another file on a reused inode */
	if (s->fp_len &&
	    (collector_tail_hash_range(f->fd, s->offset - s->fp_len, s->fp_len, &h) < 0 ||
	     h != s->fp_hash))
		return; /* rewritten in place */
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

/* A new file whose first bytes and the bytes before a known offset equal those of a file
 * we follow (or followed before a restart) is a copy (copytruncate): continue it at that
 * offset instead of delivering the copied lines again. */
static void match_copy(struct collector_tail *t, struct tfile *f) {
	uint64_t h;
	for (size_t i = 0; i < t->n_tf; i++) {
		struct tfile *o = t->tf[i];
		if (o == f || !o->head_len || o->offset == 0 || f->size < o->offset ||
		    f->size < o->head_len)
			continue;
		if (collector_tail_hash_range(f->fd, 0, o->head_len, &h) < 0 || h != o->head_hash)
			continue;
		if (o->fp_len &&
		    (collector_tail_hash_range(f->fd, o->offset - o->fp_len, o->fp_len, &h) < 0 ||
		     h != o->fp_hash))
			continue;
		f->offset = o->offset;
		f->in_long = o->in_long;
		return;
	}
	for (size_t i = 0; i < N_GHOSTS; i++) {
		struct ghost *g = &t->ghosts[i];
		if (!g->head_len || f->size < g->offset || f->size < g->head_len)
			continue;
		if (collector_tail_hash_range(f->fd, 0, g->head_len, &h) < 0 || h != g->head_hash)
			continue;
		if (g->fp_len &&
		    (collector_tail_hash_range(f->fd, g->offset - g->fp_len, g->fp_len, &h) < 0 ||
		     h != g->fp_hash))
			continue;
		f->offset = g->offset;
		return;
	}
	for (size_t i = 0; i < t->n_saved; i++) {
		struct saved_pos *s = &t->saved[i];
		if (!s->head_len || s->offset == 0 || f->size < s->offset || f->size < s->head_len)
			continue;
		if (collector_tail_hash_range(f->fd, 0, s->head_len, &h) < 0 || h != s->head_hash)
			continue;
		if (s->fp_len &&
		    (collector_tail_hash_range(f->fd, s->offset - s->fp_len, s->fp_len, &h) < 0 ||
		     h != s->fp_hash))
			continue;
		f->offset = s->offset;
		return;
	}
}

/* A file that is being created as a copy of one we follow (cp in progress, size still
 * below our offset) or is still empty and brand new: leave it for a later poll, so that
 * the copy is recognised once complete. Only for files modified in the last 2 s. */
static bool copy_in_progress(struct collector_tail *t, struct tfile *f, const struct stat *st) {
	int64_t mt = (int64_t)st->st_mtim.tv_sec * 1000000 + st->st_mtim.tv_nsec / 1000;
	if (collector_now_us() - mt > 2000000)
		return false;
	for (size_t i = 0; i < t->n_tf; i++) {
		struct tfile *o = t->tf[i];
		if (o == f || !o->head_len || (uint64_t)st->st_size >= o->offset)
			continue;
		size_t n = (size_t)MIN((uint64_t)st->st_size, (uint64_t)o->head_len);
		char a[HEAD_MAX], b[HEAD_MAX];
		if (pread(f->fd, a, n, 0) == (ssize_t)n && pread(o->fd, b, n, 0) == (ssize_t)n &&
		    memcmp(a, b, n) == 0)
			return true;
	}
	for (size_t i = 0; i < N_GHOSTS; i++) {
		struct ghost *g = &t->ghosts[i];
		uint64_t h;
		if (!g->head_len || (uint64_t)st->st_size >= g->offset)
			continue;
		if ((uint64_t)st->st_size < g->head_len ||
		    (collector_tail_hash_range(f->fd, 0, g->head_len, &h) == 0 &&
		     h == g->head_hash))
			return true; /* maybe the start of a copy of a truncated file: wait */
	}
	return false;
}

/* Before the first read of a new file: is it a copy of one we follow? A copy still being
 * written is left alone (returns false: do not read yet); a complete one continues at
 * the offset reached in the original. */
static bool tfile_settle_copy(struct collector_tail *t, struct tfile *f, const struct stat *st) {
	if (!f->check_copy)
		return true;
	if (f->offset != 0 || f->len != 0) {
		f->check_copy = false;
		return true;
	}
	/* match_copy compares against f->size: the size of this stat, not of the open */
	f->size = (uint64_t)st->st_size;
	if (st->st_size == 0 || copy_in_progress(t, f, st))
		return false;
	f->check_copy = false;
	match_copy(t, f);
	if (f->offset)
		tfile_update_fp(f);
	return true;
}

/* Open a newly seen file. `startup`: the first scan of this run. */
static struct tfile *open_new(struct collector_tail *t, size_t cfg, const char *path, bool startup,
                              bool copy_check) {
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	struct tfile *f = tfile_new(t, cfg, path, fd, &st);
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
		tfile_update_fp(f);
	if (add_tf(t, f) < 0) {
		tfile_free(f);
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
static void adopt_renamed(struct collector_tail *t) {
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
			        open_new(t, cfg_for_pattern(t, s->pattern), p, true, false);
			if (f)
				f->retired = true;
			break;
		}
		closedir(dp);
	}
}

/* Files next to a configured path whose name extends it ("app.log.1", "app.log-2026"),
 * that we do not know and that changed after our last checkpoint: a file created and
 * rotated away between that checkpoint and a crash. They are read from the start (or
 * from where a copy of them was) and let go at their end. */
static void adopt_rotated_siblings(struct collector_tail *t, int64_t since_us) {
	for (size_t c = 0; c < t->cfg.n_files; c++) {
		_cleanup_free_ char *d = strdup(t->files[c].path);
		_cleanup_free_ char *b = strdup(t->files[c].path);
		if (!d || !b)
			return;
		char *dir = dirname(d), *base = basename(b);
		if (strpbrk(dir, "*?["))
			continue;
		size_t plen = strcspn(base, "*?[");
		if (plen == 0)
			continue;
		DIR *dp = opendir(dir);
		if (!dp)
			continue;
		struct dirent *de;
		while ((de = readdir(dp))) {
			if (strncmp(de->d_name, base, plen) != 0 ||
			    strcmp(de->d_name + strlen(de->d_name) -
			                   MIN(strlen(de->d_name), (size_t)3),
			           ".gz") == 0)
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
			struct tfile *f = open_new(t, c, p, true, true);
			if (f)
				f->retired = true;
		}
		closedir(dp);
	}
}

static void scan(struct collector_tail *t, bool startup) {
	for (size_t i = 0; i < t->n_tf; i++)
		t->tf[i]->seen = false;
	for (size_t c = 0; c < t->cfg.n_files; c++) {
		glob_t g;
		int r = glob(t->files[c].path, GLOB_NOSORT, NULL, &g);
		if (r != 0) {
			if (r != GLOB_NOMATCH)
				globfree(&g);
			continue;
		}
		for (size_t k = 0; k < g.gl_pathc; k++) {
			struct stat st;
			if (stat(g.gl_pathv[k], &st) < 0 || !S_ISREG(st.st_mode))
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
			f = open_new(t, c, g.gl_pathv[k], startup, true);
			if (f)
				f->seen = true;
		}
		globfree(&g);
	}
	for (size_t i = 0; i < t->n_tf; i++)
		if (!t->tf[i]->seen && !t->tf[i]->retired) {
			t->tf[i]->retired = true;
			t->tf[i]->idle_polls = 0;
			t->tf[i]->st.rotations++;
		}
}

/* ---- journal ---- */

static int journal_read(struct collector_tail *t) {
	if (!t->j)
		return 0;
	t->j_more = false;
	for (unsigned n = 0;; n++) {
		if (n == 20000) { /* fairness, as for files */
			t->j_more = true;
			return 0;
		}
		int r = sd_journal_next(t->j);
		if (r < 0) {
			set_error(&t->j_last_error, &t->jst.errors, "%s: %s", "journal", -r);
			return r;
		}
		if (r == 0)
			return 0;
		if (t->j_skip_saved) {
			uint64_t rt = 0;
			if (sd_journal_get_realtime_usec(t->j, &rt) >= 0 && rt > t->j_skip_until)
				t->j_skip_saved = false; /* past the saved entry's time */
			else if (t->cursor && sd_journal_test_cursor(t->j, t->cursor) > 0)
				continue; /* the saved entry itself: delivered before */
		}
		ev_record_reset(&t->rec);
		size_t cap = t->cfg.journal_field_cap ? t->cfg.journal_field_cap : 1024 * 1024;
		r = collector_journal_entry_to_record(t->j, cap, &t->rec);
		t->rec.seq = t->seq + 1;
		t->rec.source_id = (uint32_t)t->cfg.n_files;
		if (r >= 0)
			r = t->cb(t->userdata, &t->rec);
		char *c = NULL;
		int k = sd_journal_get_cursor(t->j, &c);
		if (r < 0 || k < 0) {
			/* not processed: seek back onto it, so that the next read returns it again
			 */
			if (k >= 0)
				sd_journal_seek_cursor(t->j, c);
			else
				sd_journal_previous(t->j);
			free(c);
			if (r < 0 && r != -EAGAIN && r != -ECANCELED)
				set_error(&t->j_last_error, &t->jst.errors, "%s: %s", "journal",
				          -r);
			return r;
		}
		free(t->cursor);
		t->cursor = c;
		t->jst.records++;
		t->jst.bytes += t->rec.message.len;
		t->jst.last_time_us = t->rec.time_us;
		t->st.records++;
		t->seq++;
		t->dirty = true;
	}
}

/* Position the journal after the saved cursor; a vacuumed cursor resumes at the first
 * entry at or after its timestamp (other entries of the same microsecond are not
 * skipped; the saved entry itself is, should it appear in another file). */
static int journal_seek_saved(struct collector_tail *t) {
	if (!t->cursor) {
		if (t->cfg.from_end && !t->have_state) {
			int r = sd_journal_seek_tail(t->j);
			if (r >= 0)
				sd_journal_previous(t->j);
			return r;
		}
		return sd_journal_seek_head(t->j);
	}
	int r = sd_journal_seek_cursor(t->j, t->cursor);
	if (r >= 0 && sd_journal_next(t->j) > 0 && sd_journal_test_cursor(t->j, t->cursor) > 0)
		return 0; /* on the saved entry: the next read starts after it */
	/* gone: "t=" in the cursor is the entry's realtime (hex) */
	const char *p = strstr(t->cursor, ";t=");
	uint64_t rt = p ? strtoull(p + 3, NULL, 16) : 0;
	t->jst.rotations++;
	r = sd_journal_seek_realtime_usec(t->j, rt);
	if (r >= 0) {
		t->j_skip_saved = true;
		t->j_skip_until = rt;
	}
	return r;
}

static int journal_process(struct collector_tail *t) {
	int r = sd_journal_process(t->j);
	if (r == SD_JOURNAL_INVALIDATE && t->cursor) {
		/* files came or went: re-anchor on the last delivered entry */
		t->jst.rotations++;
		journal_seek_saved(t);
	}
	return journal_read(t);
}

static int on_journal(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
	journal_process(userdata);
	return 0;
}

static int add_strv_matches(sd_journal *j, const char *field, const char *const *v) {
	if (!v || !v[0])
		return 0;
	for (size_t i = 0; v[i]; i++) {
		_cleanup_free_ char *m = NULL;
		if (asprintf(&m, "%s=%s", field, v[i]) < 0)
			return -ENOMEM;
		int r = sd_journal_add_match(j, m, 0);
		if (r < 0)
			return r;
	}
	return sd_journal_add_conjunction(j);
}

static int journal_open(struct collector_tail *t, struct ev_errlist *errs) {
	int r;
	if (t->cfg.journal_files)
		r = sd_journal_open_files(&t->j, (const char **)t->cfg.journal_files, 0);
	else if (t->cfg.journal_dir)
		r = sd_journal_open_directory(&t->j, t->cfg.journal_dir, 0);
	else
		r = sd_journal_open(&t->j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0) {
		ev_errlist_add(errs, t->cfg.journal_dir, 0, 0, "cannot open the journal: %s",
		               strerror(-r));
		return r;
	}
	sd_journal_set_data_threshold(t->j, 0);
	if ((r = add_strv_matches(t->j, "_SYSTEMD_UNIT", t->cfg.journal_units)) < 0 ||
	    (r = add_strv_matches(t->j, "SYSLOG_IDENTIFIER", t->cfg.journal_identifiers)) < 0)
		goto bad;
	if (t->cfg.journal_max_priority >= 0 && t->cfg.journal_max_priority < 7) {
		for (int p = 0; p <= t->cfg.journal_max_priority; p++) {
			char m[32];
			snprintf(m, sizeof(m), "PRIORITY=%d", p);
			if ((r = sd_journal_add_match(t->j, m, 0)) < 0)
				goto bad;
		}
	}
	if ((r = journal_seek_saved(t)) < 0)
		goto bad;
	int fd = sd_journal_get_fd(t->j);
	if (fd >= 0 && t->event) {
		r = sd_event_add_io(t->event, &t->journal_src, fd,
		                    (uint32_t)sd_journal_get_events(t->j), on_journal, t);
		if (r < 0)
			goto bad;
	}
	return 0;
bad:
	ev_errlist_add(errs, NULL, 0, 0, "journal setup: %s", strerror(-r));
	return r;
}

/* ---- polling ---- */

static void watches_refresh(struct collector_tail *t);

static void poll_files(struct collector_tail *t, bool tick, bool rescan) {
	/* names change only with create/move/delete events (or ones we missed: the tick) */
	if (tick || rescan || t->names_changed) {
		int64_t now = collector_now_us();
		t->names_changed = false;
		watches_refresh(t); /* before the glob: a later file makes an event */
		scan(t, false);
		/* files created and renamed away between two scans (coarse fs clock: 50 ms) */
		adopt_rotated_siblings(t, t->last_scan_us - 50000);
		t->last_scan_us = now;
	}
	/* new files first: is one a copy of a file we follow, before that one is read (and
	 * maybe found truncated)? */
	for (size_t i = 0; i < t->n_tf; i++) {
		struct stat st;
		if (t->tf[i]->check_copy && fstat(t->tf[i]->fd, &st) == 0)
			tfile_settle_copy(t, t->tf[i], &st);
	}
	for (size_t i = 0; i < t->n_tf;) {
		struct tfile *f = t->tf[i];
		uint64_t before = f->offset;
		int r = tfile_read_fp(t, f, false);
		if (f->retired && r >= 0) {
			struct stat st;
			bool gone = fstat(f->fd, &st) < 0 || st.st_nlink == 0;
			bool at_end = f->offset + f->len >= f->size;
			if (f->offset != before || !at_end)
				f->idle_polls = 0;
			else if (tick)
				f->idle_polls++;
			if (at_end && (gone || f->idle_polls >= 2)) {
				/* let go: deliver a last line without newline first */
				if (tfile_read_fp(t, f, true) >= 0 && f->len == 0) {
					tfile_free(f);
					memmove(t->tf + i, t->tf + i + 1,
					        (t->n_tf - i - 1) * sizeof(*t->tf));
					t->n_tf--;
					t->dirty = true;
					continue;
				}
			}
		}
		i++;
	}
}

static void arm_soon(struct collector_tail *t) {
	uint64_t now;
	if (t->soon && sd_event_now(t->event, CLOCK_MONOTONIC, &now) >= 0 &&
	    sd_event_source_set_time(t->soon, now + 1000) >= 0)
		sd_event_source_set_enabled(t->soon, SD_EVENT_ONESHOT);
}

static void poll_all(struct collector_tail *t, bool tick, bool rescan) {
	if (t->polling)
		return;
	t->polling = true;
	poll_files(t, tick, rescan);
	if (t->j)
		journal_process(t);
	t->polling = false;
	bool more = t->j_more;
	for (size_t i = 0; i < t->n_tf && !more; i++)
		more = t->tf[i]->more;
	if (more)
		arm_soon(t);
}

int collector_tail_poll(struct collector_tail *t) {
	poll_all(t, false, true);
	return 0;
}

static int on_soon(sd_event_source *s, uint64_t usec, void *userdata) {
	poll_all(userdata, false, false);
	return 0;
}

/* Inotify events only mark work to do; the read happens in `kick`, a defer source at a
 * lower priority than the inotify sources: every event already queued is dispatched
 * first, then one poll reads each file to EOF (or its fairness cap). No fixed delay. */
static int on_kick(sd_event_source *s, void *userdata) {
	poll_all(userdata, false, false);
	return 0;
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
	struct collector_tail *t = userdata;
	if (ev->mask & (IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_ATTRIB |
	                IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
		t->names_changed = true;
	if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
		for (size_t i = 0; i < t->n_watches; i++)
			if (t->watches[i].src == s)
				t->watches[i].dead = true; /* re-added by the next rescan */
	if (t->kick && sd_event_source_set_enabled(t->kick, SD_EVENT_ONESHOT) >= 0)
		return 0;
	poll_all(t, false, false);
	return 0;
}

static uint64_t stat_interval(struct collector_tail *t) {
	return t->cfg.stat_interval_us ? t->cfg.stat_interval_us : 2000000;
}

/* Timers made by sd_event_add_time() are SD_EVENT_ONESHOT: after each dispatch they are
 * off until enabled again. The next tick is an interval after now (not after the due
 * time), so a loop that was stalled does not fire a backlog of ticks. */
static void rearm(struct collector_tail *t, sd_event_source *s, uint64_t usec, uint64_t interval) {
	uint64_t now;
	if (sd_event_now(t->event, CLOCK_MONOTONIC, &now) < 0 || now < usec)
		now = usec;
	if (sd_event_source_set_time(s, now + interval) >= 0)
		sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_stat_timer(sd_event_source *s, uint64_t usec, void *userdata) {
	struct collector_tail *t = userdata;
	poll_all(t, true, true);
	rearm(t, s, usec, stat_interval(t));
	return 0;
}

static int on_ckpt_timer(sd_event_source *s, uint64_t usec, void *userdata) {
	struct collector_tail *t = userdata;
	struct ev_errlist e = {0};
	if (t->dirty) /* nothing moved: no rewrite, no fsync */
		collector_tail_checkpoint(t, &e);
	ev_errlist_clear(&e);
	rearm(t, s, usec, t->cfg.checkpoint_interval_us ? t->cfg.checkpoint_interval_us : 5000000);
	return 0;
}

#define WATCH_FULL                                                                                 \
	(IN_CREATE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE |        \
	 IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define WATCH_ANCESTOR (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

static struct watch *find_watch(struct collector_tail *t, const char *dir, bool ancestor) {
	for (size_t i = 0; i < t->n_watches; i++)
		if (t->watches[i].ancestor == ancestor && strcmp(t->watches[i].dir, dir) == 0)
			return &t->watches[i];
	return NULL;
}

/* Watch `dir`; returns the entry (existing or new) or NULL when it cannot be watched. */
static struct watch *watch_dir(struct collector_tail *t, const char *dir, bool ancestor) {
	struct watch *w = find_watch(t, dir, ancestor);
	if (w && w->src && !w->dead)
		return w;
	sd_event_source *src = NULL;
	if (sd_event_add_inotify(t->event, &src, dir, ancestor ? WATCH_ANCESTOR : WATCH_FULL,
	                         on_inotify, t) < 0)
		return NULL;
	if (!w) {
		struct watch *n = realloc(t->watches, (t->n_watches + 1) * sizeof(*n));
		char *d = strdup(dir);
		if (!n || !d) {
			if (n)
				t->watches = n;
			free(d);
			sd_event_source_disable_unref(src);
			return NULL;
		}
		t->watches = n;
		w = &t->watches[t->n_watches++];
		*w = (struct watch){.dir = d, .ancestor = ancestor};
	}
	sd_event_source_disable_unref(w->src);
	w->src = src;
	w->dead = false;
	return w;
}

/* The directory of every configured path is watched, or while it is missing its deepest
 * existing ancestor. Called before each glob expansion, so that a file is either there
 * for the glob or created after the watch (an event). Never from an inotify callback
 * (watches are replaced here). */
static void watches_refresh(struct collector_tail *t) {
	if (!t->event)
		return;
	for (size_t i = 0; i < t->n_watches; i++)
		if (t->watches[i].ancestor)
			t->watches[i].needed = false;
	for (size_t c = 0; c < t->cfg.n_files; c++) {
		_cleanup_free_ char *d = strdup(t->files[c].path);
		if (!d)
			return;
		char *dir = dirname(d);
		if (strpbrk(dir, "*?["))
			continue; /* globbed directories: the stat timer finds their files */
		for (int round = 0; round < 64; round++) {
			if (watch_dir(t, dir, false))
				break;
			/* missing: the deepest existing ancestor tells us when it appears */
			_cleanup_free_ char *a = strdup(dir);
			if (!a)
				return;
			struct stat st;
			char *up = a;
			do {
				up = dirname(up);
			} while (stat(up, &st) < 0 && strcmp(up, "/") != 0 && strcmp(up, ".") != 0);
			struct watch *w = find_watch(t, up, true);
			bool had = w && w->src && !w->dead;
			if (!had)
				w = watch_dir(t, up, true);
			if (w)
				w->needed = true;
			if (had || !w)
				break; /* watched before we looked at `dir`: an event comes */
			/* new watch: what was created below it meanwhile is looked at again */
		}
	}
	for (size_t i = 0; i < t->n_watches;) {
		struct watch *w = &t->watches[i];
		if (w->ancestor && !w->needed) {
			sd_event_source_disable_unref(w->src);
			free(w->dir);
			memmove(w, w + 1, (t->n_watches - i - 1) * sizeof(*w));
			t->n_watches--;
			continue;
		}
		i++;
	}
}

/* ---- life cycle ---- */

static void collector_tail_free_nockpt(struct collector_tail *t);

int collector_tail_new(sd_event *event, const struct collector_tail_config *c,
                       collector_tail_record_fn record_cb, void *userdata,
                       struct collector_tail **ret, struct ev_errlist *errs) {
	struct collector_tail *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->cfg = *c;
	/* pointers owned by t are set below; borrowed ones are cleared after setup */
	t->cfg.n_files = 0;
	t->cfg.state_dir = NULL;
	t->cb = record_cb;
	t->userdata = userdata;
	ev_record_init(&t->rec);
	t->jst.name = "journal";
	t->jst.journal = true;
	int r = 0;
	t->files = calloc(c->n_files ? c->n_files : 1, sizeof(*t->files));
	if (!t->files) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < c->n_files; i++) {
		struct ev_errlist e2 = {0};
		struct collector_parser p;
		if (!c->files[i].path || !*c->files[i].path) {
			ev_errlist_add(errs, NULL, 0, 0, "sources.files[%zu]: empty path", i);
			r = -EINVAL;
			goto fail;
		}
		if (collector_parser_init(&p, c->files[i].format, c->files[i].tz, 0, 0, &e2) < 0) {
			for (size_t k = 0; k < e2.n; k++)
				ev_errlist_add(errs, NULL, 0, 0, "sources.files[%zu] (%s): %s", i,
				               c->files[i].path, e2.v[k].msg);
			ev_errlist_clear(&e2);
			r = -EINVAL;
			goto fail;
		}
		collector_parser_done(&p);
		t->files[i] = c->files[i];
		t->files[i].path = strdup(c->files[i].path);
		t->files[i].format = c->files[i].format ? strdup(c->files[i].format) : NULL;
		t->files[i].tz = c->files[i].tz ? strdup(c->files[i].tz) : NULL;
		t->cfg.n_files = i + 1;
		if (!t->files[i].path || (c->files[i].format && !t->files[i].format) ||
		    (c->files[i].tz && !t->files[i].tz)) {
			r = -ENOMEM;
			goto fail;
		}
	}
	t->cfg.files = t->files;
	t->cfg.state_dir = NULL;
	t->cfg.journal_dir = NULL;
	t->cfg.journal_files = NULL;
	t->cfg.journal_units = t->cfg.journal_identifiers = NULL;
	/* the remaining pointers are used only during setup below */
	t->cfg.state_dir = c->state_dir ? strdup(c->state_dir) : NULL;
	if (c->state_dir && !t->cfg.state_dir) {
		r = -ENOMEM;
		goto fail;
	}
	if (t->cfg.state_dir && mkdir(t->cfg.state_dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		ev_errlist_add(errs, t->cfg.state_dir, 0, 0,
		               "cannot create the state directory: %s", strerror(errno));
		goto fail;
	}
	if ((r = collector_tail_load_positions(t, errs)) < 0)
		goto fail;
	if (event)
		t->event = sd_event_ref(event);
	if (c->journal) {
		t->cfg.journal_dir = c->journal_dir;
		t->cfg.journal_files = c->journal_files;
		t->cfg.journal_units = c->journal_units;
		t->cfg.journal_identifiers = c->journal_identifiers;
		r = journal_open(t, errs);
		t->cfg.journal_dir = NULL;
		t->cfg.journal_files = t->cfg.journal_units = t->cfg.journal_identifiers = NULL;
		if (r < 0)
			goto fail;
	}
	if (t->event) {
		/* the event sources first, then the directory watches, then the initial scan:
		 * a file is either there for the scan or announced by an event afterwards, and
		 * every file that matches now is a source when this returns */
		uint64_t now;
		sd_event_now(t->event, CLOCK_MONOTONIC, &now);
		if ((r = sd_event_add_time(t->event, &t->soon, CLOCK_MONOTONIC, now, 1, on_soon,
		                           t)) < 0 ||
		    (r = sd_event_source_set_enabled(t->soon, SD_EVENT_OFF)) < 0 ||
		    (r = sd_event_add_defer(t->event, &t->kick, on_kick, t)) < 0 ||
		    (r = sd_event_source_set_priority(t->kick, SD_EVENT_PRIORITY_NORMAL + 1)) < 0 ||
		    (r = sd_event_source_set_enabled(t->kick, SD_EVENT_OFF)) < 0 ||
		    (r = sd_event_add_time(t->event, &t->stat_timer, CLOCK_MONOTONIC,
		                           now + stat_interval(t), 0, on_stat_timer, t)) < 0 ||
		    (t->cfg.state_dir &&
		     (r = sd_event_add_time(t->event, &t->ckpt_timer, CLOCK_MONOTONIC,
		                            now + (t->cfg.checkpoint_interval_us
		                                           ? t->cfg.checkpoint_interval_us
		                                           : 5000000),
		                            0, on_ckpt_timer, t)) < 0)) {
			ev_errlist_add(errs, NULL, 0, 0, "cannot set up timers: %s", strerror(-r));
			goto fail;
		}
		watches_refresh(t);
	}
	t->last_scan_us = collector_now_us();
	scan(t, true);
	adopt_renamed(t);
	if (t->have_state)
		adopt_rotated_siblings(t, t->state_mtime_us);
	for (size_t i = 0; i < t->n_tf; i++)
		if (!t->tf[i]->seen)
			t->tf[i]->retired = true;
	/* the first read before the first wait of the loop, not at the first timer */
	if (t->kick)
		sd_event_source_set_enabled(t->kick, SD_EVENT_ONESHOT);
	*ret = t;
	return 0;
fail:
	collector_tail_free_nockpt(t);
	return r;
}

static void tail_release(struct collector_tail *t) {
	for (size_t i = 0; i < t->n_tf; i++)
		tfile_free(t->tf[i]);
	free(t->tf);
	for (size_t i = 0; i < t->n_watches; i++) {
		sd_event_source_disable_unref(t->watches[i].src);
		free(t->watches[i].dir);
	}
	free(t->watches);
	sd_event_source_disable_unref(t->stat_timer);
	sd_event_source_disable_unref(t->soon);
	sd_event_source_disable_unref(t->kick);
	sd_event_source_disable_unref(t->ckpt_timer);
	sd_event_source_disable_unref(t->journal_src);
	if (t->j)
		sd_journal_close(t->j);
	for (size_t i = 0; t->files && i < t->cfg.n_files; i++) {
		free((char *)t->files[i].path);
		free((char *)t->files[i].format);
		free((char *)t->files[i].tz);
	}
	free(t->files);
	collector_tail_saved_free(t);
	free(t->cursor);
	free(t->j_last_error);
	free((char *)t->cfg.state_dir);
	free(t->st_sources);
	ev_record_free(&t->rec);
	sd_event_unref(t->event);
	free(t);
}

static void collector_tail_free_nockpt(struct collector_tail *t) {
	tail_release(t);
}

struct collector_tail *collector_tail_free(struct collector_tail *t) {
	if (!t)
		return NULL;
	struct ev_errlist e = {0};
	collector_tail_checkpoint(t, &e);
	ev_errlist_clear(&e);
	tail_release(t);
	return NULL;
}

void collector_tail_get_stats(struct collector_tail *t, struct collector_tail_stats *ret) {
	size_t n = t->n_tf + (t->j ? 1 : 0);
	struct collector_tail_source_stats *v = realloc(t->st_sources, (n ? n : 1) * sizeof(*v));
	if (v) {
		t->st_sources = v;
		size_t k = 0;
		for (size_t i = 0; i < t->n_tf; i++) {
			struct tfile *f = t->tf[i];
			v[k] = f->st;
			v[k].name = f->path;
			v[k].open = true;
			v[k].offset = f->offset;
			v[k].size = f->size;
			v[k].last_error = f->last_error;
			k++;
		}
		if (t->j) {
			v[k] = t->jst;
			v[k].open = true;
			v[k].last_error = t->j_last_error;
			k++;
		}
		t->st.sources = v;
		t->st.n_sources = k;
	} else {
		t->st.sources = NULL;
		t->st.n_sources = 0;
	}
	*ret = t->st;
}
