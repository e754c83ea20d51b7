/* Positions and the sparse time index of collector_tail, persisted as JSON in
 * STATE_DIR/positions.json: written to a temp file, fsync'd, renamed over the old one,
 * and the directory fsync'd, so a crash leaves either the old or the new file whole.
 * Hashes are hex strings (64-bit values do not survive JSON numbers everywhere). */
#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/evtime.h"
#include "collector/lines.h"
#include "collector/tail-internal.h"
#include "util/macro.h"
#include "util/clock.h"
#include "util/io.h"

uint64_t collector_tail_fnv(const void *p, size_t n) {
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* hash of n bytes of fd at off; -1 when they cannot all be read */
int collector_tail_hash_range(int fd, uint64_t off, size_t n, uint64_t *ret) {
	char b[HEAD_MAX];
	if (n > sizeof(b))
		return -EINVAL;
	ssize_t k = pread(fd, b, n, (off_t)off);
	if (k != (ssize_t)n)
		return -1;
	*ret = collector_tail_fnv(b, n);
	return 0;
}

/* ---- positions ---- */

static char *state_path(struct collector_tail *t, const char *name) {
	char *p = NULL;
	if (asprintf(&p, "%s/%s", t->cfg.state_dir, name) < 0)
		return NULL;
	return p;
}

void collector_tail_saved_free(struct collector_tail *t) {
	for (size_t i = 0; i < t->n_saved; i++) {
		free(t->saved[i].path);
		free(t->saved[i].pattern);
		free(t->saved[i].index);
	}
	free(t->saved);
	t->saved = NULL;
	t->n_saved = 0;
}

/* A non-negative integer, or a hex string (hashes): false when absent or malformed. */
bool collector_tail_ju64(json_t *o, const char *k, uint64_t *ret) {
	json_t *v = json_object_get(o, k);
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*ret = (uint64_t)json_integer_value(v);
		return true;
	}
	const char *str = json_string_value(v);
	if (!str || !*str || strlen(str) > 16 || str[strspn(str, "0123456789abcdefABCDEF")])
		return false;
	char *end = NULL;
	errno = 0;
	unsigned long long x = strtoull(str, &end, 16);
	if (errno || !end || *end)
		return false;
	*ret = x;
	return true;
}

/* One entry of "files"; false when a field that positions need is missing or malformed.
 * A malformed time index alone drops the index (*ret_bad_index), not the position. */
static bool entry_parse(json_t *o, struct saved_pos *s, bool *ret_bad_index) {
	uint64_t dev, ino, hl, hh, off, fl = 0, fh = 0;
	*s = (struct saved_pos){0};
	const char *path = json_string_value(json_object_get(o, "path"));
	const char *pat = json_string_value(json_object_get(o, "pattern"));
	if (!json_is_object(o) || !path || !collector_tail_ju64(o, "dev", &dev) ||
	    !collector_tail_ju64(o, "ino", &ino) || !collector_tail_ju64(o, "head_len", &hl) ||
	    !collector_tail_ju64(o, "head_hash", &hh) || !collector_tail_ju64(o, "offset", &off) ||
	    hl > HEAD_MAX ||
	    (json_object_get(o, "fp_len") &&
	     (!collector_tail_ju64(o, "fp_len", &fl) || !collector_tail_ju64(o, "fp_hash", &fh) ||
	      fl > FP_LEN || fl > off)))
		return false;
	*s = (struct saved_pos){.dev = (dev_t)dev,
	                        .ino = (ino_t)ino,
	                        .head_len = (uint32_t)hl,
	                        .head_hash = hh,
	                        .offset = off,
	                        .fp_len = (uint32_t)fl,
	                        .fp_hash = fh};
	s->path = strdup(path);
	s->pattern = pat ? strdup(pat) : NULL;
	json_t *ix = json_object_get(o, "index");
	size_t m = json_is_array(ix) ? MIN(json_array_size(ix), (size_t)INDEX_CAP) : 0;
	if (m && (s->index = calloc(m, sizeof(*s->index)))) {
		uint64_t last = 0;
		for (size_t k = 0; k < m; k++) {
			json_t *e = json_array_get(ix, k);
			json_t *tm = json_array_get(e, 0), *of = json_array_get(e, 1);
			if (!json_is_integer(tm) || !json_is_integer(of) ||
			    json_integer_value(of) < 0 || (uint64_t)json_integer_value(of) < last ||
			    (uint64_t)json_integer_value(of) > off) {
				free(s->index);
				s->index = NULL;
				s->n_index = 0;
				*ret_bad_index = true;
				break;
			}
			last = (uint64_t)json_integer_value(of);
			s->index[s->n_index++] = (struct index_entry){json_integer_value(tm), last};
		}
	}
	return s->path && (!pat || s->pattern);
}

/* What one positions file held: entries, cursor, and what was wrong with it. */
struct loaded {
	struct saved_pos *v;
	size_t n, bad;
	bool bad_index;
	char *cursor;
	int64_t mtime_us;
	int64_t scanned_us; /* "scanned_us": start of the scan before that checkpoint; 0: none */
	char problem[256];  /* empty: the file is whole */
};

static void loaded_free(struct loaded *l) {
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].pattern);
		free(l->v[i].index);
	}
	free(l->v);
	free(l->cursor);
	*l = (struct loaded){0};
}

static int loaded_add(struct loaded *l, json_t *o) {
	struct saved_pos sp;
	if (!entry_parse(o, &sp, &l->bad_index)) {
		free(sp.path);
		free(sp.pattern);
		free(sp.index);
		l->bad++;
		return 0;
	}
	if (l->n >= MAX_TFILES * 2) {
		l->bad++;
		free(sp.path);
		free(sp.pattern);
		free(sp.index);
		return 0;
	}
	struct saved_pos *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v) {
		free(sp.path);
		free(sp.pattern);
		free(sp.index);
		return -ENOMEM;
	}
	l->v = v;
	l->v[l->n++] = sp;
	return 0;
}

/* A file cut short (or with garbage after a good start): the entries that parse whole,
 * one after the other, and the journal cursor if it is there. */
static int salvage(struct loaded *l, const char *text, size_t len) {
	const char *c = strstr(text, "\"journal_cursor\":");
	if (c) {
		size_t at = (size_t)(c - text) + strlen("\"journal_cursor\":");
		json_error_t je;
		json_t *v = json_loadb(text + at, len - at, JSON_DISABLE_EOF_CHECK, &je);
		if (json_is_string(v))
			l->cursor = strdup(json_string_value(v));
		json_decref(v);
	}
	const char *f = strstr(text, "\"files\":[");
	if (!f)
		return 0;
	size_t at = (size_t)(f - text) + strlen("\"files\":[");
	for (;;) {
		at += strspn(text + at, " \t\r\n,");
		if (at >= len || text[at] != '{')
			return 0;
		json_error_t je;
		json_t *o = json_loadb(text + at, len - at, JSON_DISABLE_EOF_CHECK, &je);
		if (!o)
			return 0;
		int r = loaded_add(l, o);
		json_decref(o);
		if (r < 0)
			return r;
		at += (size_t)je.position;
	}
}

#define STATE_MAX ((size_t)512 << 20)

/* Check the text of a positions file (NUL-terminated at len): 1 (l->problem says what
 * was wrong, if anything; the valid part is in l) or -ENOMEM. */
static int parse_text(const char *text, size_t len, struct loaded *l) {
	int r = 0;
	if (len == 0) {
		snprintf(l->problem, sizeof(l->problem), "is empty (0 bytes)");
		return 1;
	}
	size_t z = 0;
	while (z < len && text[z] == 0)
		z++;
	if (z == len) {
		snprintf(l->problem, sizeof(l->problem), "holds only zero bytes (%zu)", len);
		return 1;
	}
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	if (!root) {
		snprintf(l->problem, sizeof(l->problem), "is not valid JSON (%d:%d: %s)", je.line,
		         je.column, je.text);
		return salvage(l, text, len) < 0 ? -ENOMEM : 1;
	}
	json_t *files = json_object_get(root, "files"), *o;
	json_t *ver = json_object_get(root, "version");
	const char *c = json_string_value(json_object_get(root, "journal_cursor"));
	if (!json_is_object(root) || !json_is_array(files) ||
	    (ver && (!json_is_integer(ver) || json_integer_value(ver) != 1)))
		snprintf(l->problem, sizeof(l->problem),
		         "is not a positions file (an object with version 1 and a files array)");
	size_t i;
	json_array_foreach(files, i, o) {
		if ((r = loaded_add(l, o)) < 0)
			break;
	}
	if (c && !(l->cursor = strdup(c)))
		r = -ENOMEM;
	json_t *sc = json_object_get(root, "scanned_us");
	if (json_is_integer(sc) && json_integer_value(sc) > 0)
		l->scanned_us = json_integer_value(sc);
	json_decref(root);
	if (r < 0)
		return r;
	if (!l->problem[0] && l->bad)
		snprintf(l->problem, sizeof(l->problem), "has %zu malformed entr%s (of %zu)",
		         l->bad, l->bad == 1 ? "y" : "ies", l->bad + l->n);
	else if (!l->problem[0] && l->bad_index)
		snprintf(l->problem, sizeof(l->problem), "has a malformed time index");
	return 1;
}

/* Read and check one positions file. 0: there is none; 1: read (l->problem says what
 * was wrong, if anything; the valid part is in l); -errno. */
static int load_file(const char *p, struct loaded *l) {
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = collector_read_regular(p, false, STATE_MAX, &text, &len, &l->mtime_us);
	if (r == -ENOENT)
		return 0;
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		snprintf(l->problem, sizeof(l->problem), "cannot be read (%s)",
		         r == -EINVAL ? "not a regular file" : strerror(-r));
		return 1;
	}
	return parse_text(text, len, l);
}

int collector_tail_positions_parse(const char *text, size_t len, size_t *ret_n, bool *ret_cursor,
                                   char *problem, size_t problem_size) {
	_cleanup_free_ char *copy = malloc(len + 1); /* parse_text wants the NUL */
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, text, len);
	copy[len] = 0;
	struct loaded l = {0};
	int r = parse_text(copy, len, &l);
	if (r >= 0) {
		*ret_n = l.n;
		*ret_cursor = l.cursor != NULL;
		snprintf(problem, problem_size, "%s", l.problem);
		r = 0;
	}
	loaded_free(&l);
	return r;
}

/* Move a corrupt file aside (FILE.corrupt-YYYYmmddTHHMMSSZ); its new name in *ret. */
static int move_aside(const char *p, char **ret) {
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	if (asprintf(ret, "%s.corrupt-%s", p, ts) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return rename(p, *ret) < 0 ? -errno : 0;
}

int64_t tail_resume_time(struct collector_tail *t, int64_t mtime_us) {
	uint64_t ci = t->cfg.checkpoint_interval_us ? t->cfg.checkpoint_interval_us : 5000000;
	return MAX(mtime_us - 2 * (int64_t)ci, (int64_t)1);
}

/* Entries of `b` whose file is not in `a` go to `a`; a's cursor, else b's. */
static int merge(struct loaded *a, struct loaded *b) {
	for (size_t i = 0; i < b->n; i++) {
		bool have = false;
		for (size_t k = 0; k < a->n && !have; k++)
			have = a->v[k].dev == b->v[i].dev && a->v[k].ino == b->v[i].ino;
		if (have)
			continue;
		struct saved_pos *v = realloc(a->v, (a->n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		a->v = v;
		a->v[a->n++] = b->v[i];
		b->v[i] = (struct saved_pos){0};
	}
	if (!a->cursor)
		a->cursor = TAKE_PTR(b->cursor);
	return 0;
}

/* A corrupt positions.json is reported, moved aside and recovered from: its valid
 * entries, then positions.json.prev (the checkpoint before) for the rest. 1 or -errno. */
static int recover(struct collector_tail *t, const char *p, struct loaded *l) {
	_cleanup_free_ char *aside = NULL, *prev_p = state_path(t, "positions.json.prev");
	if (!prev_p)
		return -ENOMEM;
	int k = move_aside(p, &aside);
	size_t own = l->n;
	struct loaded prev = {0};
	int r = load_file(prev_p, &prev);
	if (r < 0)
		return r;
	bool prev_ok = r > 0 && (!prev.problem[0] || prev.n);
	if (prev_ok) {
		if ((r = merge(l, &prev)) < 0) {
			loaded_free(&prev);
			return r;
		}
		l->mtime_us = prev.mtime_us; /* older: siblings since then are looked at */
		l->scanned_us = prev.scanned_us;
	}
	char what[640];
	/* no cursor: the journal resumes at the time of the checkpoint before, or (nothing
	 * survived) starts as on a first start; never all of it again */
	if (!l->cursor && prev_ok)
		t->j_resume_us = tail_resume_time(t, prev.mtime_us);
	else if (!l->cursor)
		t->j_first_start = true;
	if (l->n || l->cursor)
		snprintf(what, sizeof(what),
		         "recovered %zu file position%s from it and %zu from positions.json.prev "
		         "(the checkpoint before: lines since then may be delivered again)%s",
		         own, own == 1 ? "" : "s", l->n - own,
		         l->cursor ? ""
		         : prev_ok ? "; no journal cursor survives: the journal resumes at "
		                     "the time of positions.json.prev"
		                   : "; no journal cursor survives: the journal starts as on a "
		                     "first start");
	else
		snprintf(what, sizeof(what),
		         "no saved position survives (positions.json.prev: %s): files and the "
		         "journal start as on a first start, from their %s",
		         r == 0            ? "none"
		         : prev.problem[0] ? prev.problem
		                           : "empty",
		         t->cfg.from_end ? "end (lines written while stopped are not read)"
		                         : "start");
	if (k < 0)
		tail_notice(t, "%s %s; it could not be moved aside (%s); %s", p, l->problem,
		            strerror(-k), what);
	else
		tail_notice(t, "%s %s; moved aside to %s; %s", p, l->problem, aside, what);
	loaded_free(&prev);
	return 1;
}

int collector_tail_load_positions(struct collector_tail *t, struct ev_errlist *errs) {
	if (!t->cfg.state_dir)
		return 0;
	_cleanup_free_ char *p = state_path(t, "positions.json");
	if (!p)
		return -ENOMEM;
	struct loaded l = {0};
	int r = load_file(p, &l);
	if (r > 0 && l.problem[0])
		r = recover(t, p, &l);
	if (r < 0) {
		ev_errlist_add(errs, p, 0, 0, "cannot load positions: %s", strerror(-r));
		loaded_free(&l);
		return r;
	}
	if (r == 0 || (l.problem[0] && !l.n && !l.cursor)) {
		loaded_free(&l); /* none, or nothing survived: a first start */
		return 0;
	}
	t->have_state = true;
	t->state_mtime_us = l.mtime_us;
	/* Files created and renamed away after the checkpoint's last scan were unknown to it,
	 * even those changed before the checkpoint was written: look from that scan on, with
	 * the slack of a coarse file system clock, as between two scans (tail.c). */
	t->state_since_us = l.mtime_us;
	if (l.scanned_us > 0 && l.scanned_us - 50000 < l.mtime_us)
		t->state_since_us = l.scanned_us - 50000;
	t->saved = l.v;
	t->n_saved = l.n;
	t->cursor = l.cursor;
	return 0;
}

static char *hex64(uint64_t v, char *b) {
	snprintf(b, 17, "%016llx", (unsigned long long)v);
	return b;
}

int collector_tail_checkpoint(struct collector_tail *t, struct ev_errlist *errs) {
	if (!t->cfg.state_dir)
		return 0;
	json_t *root = json_object(), *files = json_array();
	char h1[17], h2[17];
	for (size_t i = 0; i < t->n_tf; i++) {
		struct tfile *f = t->tf[i];
		json_t *ix = json_array();
		for (size_t k = 0; k < f->n_index; k++)
			json_array_append_new(ix,
			                      json_pack("[I,I]", (json_int_t)f->index[k].time_us,
			                                (json_int_t)f->index[k].offset));
		json_array_append_new(
		        files,
		        json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:I, s:s, s:b, s:o}", "path",
		                  f->path, "pattern", t->files[f->cfg].path, "dev",
		                  (json_int_t)f->dev, "ino", (json_int_t)f->ino, "head_len",
		                  (json_int_t)f->head_len, "head_hash", hex64(f->head_hash, h1),
		                  "offset", (json_int_t)f->offset, "fp_len", (json_int_t)f->fp_len,
		                  "fp_hash", hex64(f->fp_hash, h2), "retired", f->retired, "index",
		                  ix));
	}
	json_object_set_new(root, "version", json_integer(1));
	/* where a restart looks for files rotated away unseen (collector_tail_load_positions) */
	if (t->last_scan_us > 0)
		json_object_set_new(root, "scanned_us", json_integer(t->last_scan_us));
	if (t->cursor) /* before the files: a file cut short still has it */
		json_object_set_new(root, "journal_cursor", json_string(t->cursor));
	json_object_set_new(root, "files", files);
	char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	_cleanup_free_ char *tmp = state_path(t, "positions.json.tmp");
	_cleanup_free_ char *dst = state_path(t, "positions.json");
	_cleanup_free_ char *prev = state_path(t, "positions.json.prev");
	int r = 0;
	if (!tmp || !dst || !prev) {
		free(text);
		return -ENOMEM;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		r = -errno;
	else {
		r = ev_write_all(fd, text, strlen(text));
		if (r == 0 && fsync(fd) < 0)
			r = -errno;
		close(fd);
		/* the file being replaced stays as positions.json.prev: what a corrupt
		 * positions.json is recovered from */
		if (r == 0 && (unlink(prev) == 0 || errno == ENOENT))
			(void)link(dst, prev);
		if (r == 0 && rename(tmp, dst) < 0)
			r = -errno;
		if (r == 0) {
			int dfd = open(t->cfg.state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0) {
				fsync(dfd);
				close(dfd);
			}
		} else
			unlink(tmp);
	}
	free(text);
	if (r < 0) {
		ev_errlist_add(errs, dst, 0, 0, "cannot save positions: %s", strerror(-r));
		return r;
	}
	t->dirty = false;
	t->st.checkpoints++;
	t->st.last_checkpoint_us = ev_now_realtime_us();
	return 0;
}

int collector_tail_index_lookup_mem(const char *text, size_t len, int fd, const struct stat *st,
                                    int64_t since_us, int64_t until_us, uint64_t *ret_start,
                                    uint64_t *ret_end) {
	json_t *root = json_loadb(text, len, 0, NULL);
	if (!root)
		return 0;
	int found = 0;
	json_t *files = json_object_get(root, "files"), *o;
	size_t i;
	json_array_foreach(files, i, o) {
		uint64_t dev, ino, hl64, hh;
		if (!collector_tail_ju64(o, "dev", &dev) || !collector_tail_ju64(o, "ino", &ino) ||
		    (dev_t)dev != st->st_dev || (ino_t)ino != st->st_ino ||
		    !collector_tail_ju64(o, "head_len", &hl64) ||
		    !collector_tail_ju64(o, "head_hash", &hh))
			continue;
		uint32_t hl = (uint32_t)MIN(hl64, (uint64_t)HEAD_MAX);
		uint64_t h;
		if (collector_tail_hash_range(fd, 0, hl, &h) < 0 || h != hh)
			break;
		uint64_t start = 0, end = UINT64_MAX;
		json_t *ix = json_object_get(o, "index"), *e;
		size_t k;
		json_array_foreach(ix, k, e) {
			int64_t t = json_integer_value(json_array_get(e, 0));
			uint64_t off = (uint64_t)json_integer_value(json_array_get(e, 1));
			if (t < since_us && off > start)
				start = off;
			if (t > until_us && off < end && off > start)
				end = off;
		}
		*ret_start = start;
		*ret_end = end;
		found = 1;
		break;
	}
	json_decref(root);
	return found;
}

int collector_tail_index_lookup(const char *state_dir, const char *path, int64_t since_us,
                                int64_t until_us, uint64_t *ret_start, uint64_t *ret_end) {
	_cleanup_free_ char *p = NULL, *text = NULL;
	if (asprintf(&p, "%s/positions.json", state_dir) < 0)
		return -ENOMEM;
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	size_t len = 0;
	if (collector_read_regular(p, false, STATE_MAX, &text, &len, NULL) < 0)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	int r = collector_tail_index_lookup_mem(text, len, fd, &st, since_us, until_us, ret_start,
	                                        ret_end);
	close(fd);
	return r;
}
