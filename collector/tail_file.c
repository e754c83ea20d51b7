/* Reading one followed file ("tfile", see tail.c for the whole): delivery of lines from
 * `offset`, the first byte not yet delivered (a partial last line stays on disk), the
 * file's identity (a hash of its first bytes) and the fingerprint of the bytes just before
 * `offset` (checked before each read: truncation, rewrite in place, inode reuse), the
 * sparse time index, and the recognition of a copy (copytruncate) before a new file's
 * first read, so that lines already delivered from the original are not delivered again
 * and lines not yet delivered are not skipped. */
#include "collector/tail-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/evtime.h"
#include "collector/parse.h"
#include "util/macro.h"

void tail_set_error(char **slot, uint64_t *count, const char *fmt, ...) {
	char *m = NULL;
	va_list ap;
	(*count)++;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	free(*slot);
	*slot = m;
}

void tail_notice(struct collector_tail *t, const char *fmt, ...) {
	char *m = NULL;
	va_list ap;
	va_start(ap, fmt);
	int k = vasprintf(&m, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if (t->cfg.notice)
		t->cfg.notice(t->userdata, m);
	free(m);
}

void tail_file_free(struct tfile *f) {
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

struct tfile *tail_file_new(struct collector_tail *t, size_t cfg, const char *path, int fd,
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
		tail_file_free(f);
		return NULL;
	}
	collector_parser_set_source(&f->parser, t->files[cfg].program, t->files[cfg].service);
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

bool tail_content_matches(int fd, uint64_t size, uint32_t head_len, uint64_t head_hash,
                          uint64_t offset, uint32_t fp_len, uint64_t fp_hash) {
	uint64_t h;
	if (size < offset || size < head_len || fp_len > offset)
		return false;
	if (head_len && (collector_tail_hash_range(fd, 0, head_len, &h) < 0 || h != head_hash))
		return false;
	if (fp_len &&
	    (collector_tail_hash_range(fd, offset - fp_len, fp_len, &h) < 0 || h != fp_hash))
		return false;
	return true;
}

/* Does the open file still hold the content we followed? (truncation, rewrite) */
static bool tfile_same_content(struct tfile *f, uint64_t size) {
	return tail_content_matches(f->fd, size, f->head_len, f->head_hash, f->offset, f->fp_len,
	                            f->fp_hash);
}

void tail_file_update_fp(struct tfile *f) {
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

/* Deliver one line (bytes at buf+start, n bytes, `consumed` bytes incl. newline). `told`:
 * the line is in the block told of (announce_block), so the quiet fn may be asked. */
static int deliver(struct collector_tail *t, struct tfile *f, size_t n, size_t consumed, bool part,
                   bool told, int64_t arrival) {
	struct ev_record *rec = &t->rec;
	const char *line = f->buf + f->start;
	ev_record_reset(rec);
	rec->offset = f->offset;
	rec->length = (uint32_t)n;
	if (part)
		rec->flags |= EV_REC_PART;
	size_t plen = n && line[n - 1] == '\r' ? n - 1 : n;
	int r;
	if (f->in_long)
		r = collector_parse_continuation(line, n, f->prev_timed, f->prev_time, arrival,
		                                 rec);
	else
		r = collector_parse_line_asking(&f->parser, line, plen, f->offset, n,
		                                told && !part ? t->quiet : NULL, t->quiet_ctx,
		                                arrival, rec);
	if (r < 0)
		return r;
	ev_record_set_source(rec, f->path, strlen(f->path));
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

void collector_tail_set_block_fn(struct collector_tail *t, collector_block_fn fn, void *ctx) {
	t->on_block = fn;
	t->block_ctx = ctx;
}

void collector_tail_set_quiet_fn(struct collector_tail *t, collector_quiet_fn fn, void *ctx) {
	t->quiet = fn;
	t->quiet_ctx = ctx;
}

/* The complete lines in f's buffer, told of before they are delivered (true when told). */
static bool announce_block(struct collector_tail *t, struct tfile *f) {
	const char *s = f->buf + f->start, *nl = t->on_block ? memrchr(s, '\n', f->len) : NULL;
	if (nl)
		t->on_block(t->block_ctx, s, (size_t)(nl - s), f->offset);
	return nl != NULL;
}

static void block_gone(struct collector_tail *t, bool *told) {
	if (*told)
		t->on_block(t->block_ctx, NULL, 0, 0);
	*told = false;
}

/* Read and deliver what the file has. `final`: the file is being let go, so a last line
 * without a newline is delivered too. Returns 0, or <0 when delivery stopped. */
static int tfile_read(struct collector_tail *t, struct tfile *f, bool final) {
	struct stat st;
	if (fstat(f->fd, &st) < 0)
		return -errno;
	f->size = (uint64_t)st.st_size;
	if (!tfile_same_content(f, f->size))
		tfile_reset(t, f);
	if (!tail_file_settle_copy(t, f, &st))
		return 0;
	size_t ml = file_max_line(t, f->cfg);
	f->more = false;
	for (int rounds = 0;; rounds++) {
		if (rounds == 64) { /* fairness: other sources and events get their turn */
			f->more = true;
			break;
		}
		/* complete lines in the buffer, all of which arrived by now (one clock reading
		 * a buffer, not one a line) */
		bool told = announce_block(t, f);
		int64_t now = ev_now_realtime_us();
		while (f->len > 0) {
			size_t look = MIN(f->len, ml + 1);
			char *s = f->buf + f->start;
			char *nl = memchr(s, '\n', look);
			int r;
			if (nl) {
				size_t n = (size_t)(nl - s);
				if (n > ml) {
					r = deliver(t, f, ml, ml, true, told, now);
					if (r >= 0)
						f->in_long = true;
				} else {
					bool part = f->in_long;
					r = deliver(t, f, n, n + 1, part, told, now);
					if (r >= 0)
						f->in_long = false;
				}
			} else if (f->len >= ml) {
				r = deliver(t, f, ml, ml, true, told, now);
				if (r >= 0)
					f->in_long = true;
			} else if (final && f->offset + f->len >= f->size) {
				r = deliver(t, f, f->len, f->len, f->in_long, told, now);
				if (r >= 0)
					f->in_long = false;
			} else
				break;
			if (r < 0) {
				block_gone(t, &told);
				return r;
			}
		}
		block_gone(t, &told);
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
int tail_file_read(struct collector_tail *t, struct tfile *f, bool final) {
	uint64_t before = f->offset;
	int r = tfile_read(t, f, final);
	if (f->offset != before || !f->fp_len)
		tail_file_update_fp(f);
	if (r < 0 && r != -EAGAIN && r != -ECANCELED)
		tail_set_error(&f->last_error, &f->st.errors, "%s: %s", f->path, strerror(-r));
	return r;
}

/* Are the first `size` bytes of `c` those of the followed file `o` right now (a copy of
 * it, made while `o` was not truncated yet)? Compares the first bytes and the last
 * FP_LEN bytes. */
static bool live_prefix(struct tfile *c, struct tfile *o, uint64_t size) {
	if (o->fd < 0 || size == 0)
		return false;
	uint32_t hl = (uint32_t)MIN(size, (uint64_t)HEAD_MAX);
	uint32_t fl = (uint32_t)MIN(size, (uint64_t)FP_LEN);
	uint64_t h1, h2, f1, f2;
	return collector_tail_hash_range(c->fd, 0, hl, &h1) == 0 &&
	       collector_tail_hash_range(o->fd, 0, hl, &h2) == 0 && h1 == h2 &&
	       collector_tail_hash_range(c->fd, size - fl, fl, &f1) == 0 &&
	       collector_tail_hash_range(o->fd, size - fl, fl, &f2) == 0 && f1 == f2;
}

/* A new file whose first bytes and the bytes before a known offset equal those of a file
 * we follow (or followed before it was truncated, or before a restart) is a copy
 * (copytruncate): continue it at that offset instead of delivering the copied lines
 * again. */
static void match_copy(struct collector_tail *t, struct tfile *f) {
	for (size_t i = 0; i < t->n_tf; i++) {
		struct tfile *o = t->tf[i];
		if (o == f || !o->head_len || o->offset == 0 ||
		    !tail_content_matches(f->fd, f->size, o->head_len, o->head_hash, o->offset,
		                          o->fp_len, o->fp_hash))
			continue;
		f->offset = o->offset;
		f->in_long = o->in_long;
		return;
	}
	for (size_t i = 0; i < N_GHOSTS; i++) {
		struct ghost *g = &t->ghosts[i];
		if (g->head_len && tail_content_matches(f->fd, f->size, g->head_len, g->head_hash,
		                                        g->offset, g->fp_len, g->fp_hash)) {
			f->offset = g->offset;
			return;
		}
	}
	for (size_t i = 0; i < t->n_saved; i++) {
		struct saved_pos *s = &t->saved[i];
		if (s->head_len && s->offset &&
		    tail_content_matches(f->fd, f->size, s->head_len, s->head_hash, s->offset,
		                         s->fp_len, s->fp_hash)) {
			f->offset = s->offset;
			return;
		}
	}
}

static bool recent(const struct stat *st) {
	int64_t mt = (int64_t)st->st_mtim.tv_sec * 1000000 + st->st_mtim.tv_nsec / 1000;
	return ev_now_realtime_us() - mt <= 2000000;
}

/* Is `copy` named like a rotated copy of `orig` ("app.log" -> "app.log.1", "app.log-2026")? */
static bool sibling_name(const char *orig, const char *copy) {
	const char *a = strrchr(orig, '/'), *b = strrchr(copy, '/');
	a = a ? a + 1 : orig;
	b = b ? b + 1 : copy;
	size_t n = strlen(a);
	return strlen(b) > n && strncmp(a, b, n) == 0;
}

/* Is `f` (named like a rotated copy) a copy of a followed file that is not truncated yet (its bytes
 * are still in the original)? Then the original delivers them: while the original has not reached
 * the copy's end, or the copy may still be being written (the original is longer and the
 * copy was modified in the last 2 s), wait (returns true); once it has, the copy goes on
 * at its end (*ret_end). If the original is truncated first, the copy is matched to what
 * the original had delivered (its ghost) at a later poll. */
static bool copy_of_live(struct collector_tail *t, struct tfile *f, const struct stat *st,
                         bool *ret_settled) {
	uint64_t size = (uint64_t)st->st_size;
	for (size_t i = 0; i < t->n_tf; i++) {
		struct tfile *o = t->tf[i];
		struct stat ost;
		if (o == f || o->check_copy || !sibling_name(o->path, f->path) ||
		    fstat(o->fd, &ost) < 0 || (uint64_t)ost.st_size < size ||
		    !live_prefix(f, o, size))
			continue;
		if (o->offset < size || ((uint64_t)ost.st_size > size && recent(st)))
			return true;
		f->offset = size;
		*ret_settled = true;
		return true;
	}
	return false;
}

/* A file that may be the start of a copy of a truncated file (a ghost): wait while it is
 * new (modified in the last 2 s). */
static bool copy_in_progress(struct collector_tail *t, struct tfile *f, const struct stat *st) {
	if (!recent(st))
		return false;
	for (size_t i = 0; i < N_GHOSTS; i++) {
		struct ghost *g = &t->ghosts[i];
		uint64_t h;
		if (!g->head_len || (uint64_t)st->st_size >= g->offset)
			continue;
		if ((uint64_t)st->st_size < g->head_len ||
		    (collector_tail_hash_range(f->fd, 0, g->head_len, &h) == 0 &&
		     h == g->head_hash))
			return true;
	}
	return false;
}

/* Before the first read of a new file: is it a copy of one we follow? A copy still being
 * written, or whose lines the original has yet to deliver, is left alone (returns false:
 * do not read yet); a complete one continues at the offset reached in the original. */
bool tail_file_settle_copy(struct collector_tail *t, struct tfile *f, const struct stat *st) {
	if (!f->check_copy)
		return true;
	if (f->offset != 0 || f->len != 0) {
		f->check_copy = false;
		return true;
	}
	/* match_copy compares against f->size: the size of this stat, not of the open */
	f->size = (uint64_t)st->st_size;
	bool settled = false;
	if (st->st_size == 0 || copy_in_progress(t, f, st) ||
	    (copy_of_live(t, f, st, &settled) && !settled))
		return false;
	f->check_copy = false;
	if (!settled)
		match_copy(t, f);
	if (f->offset)
		tail_file_update_fp(f);
	return true;
}
