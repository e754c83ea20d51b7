/* Positions and the sparse time index of collector_tail, persisted as JSON in
 * STATE_DIR/positions.json: written to a temp file, fsync'd, renamed over the old one,
 * and the directory fsync'd, so a crash leaves either the old or the new file whole.
 * Hashes are hex strings (64-bit values do not survive JSON numbers everywhere). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/evtime.h"
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

uint64_t collector_tail_ju64(json_t *o, const char *k) {
	json_t *v = json_object_get(o, k);
	if (json_is_integer(v))
		return (uint64_t)json_integer_value(v);
	if (json_is_string(v))
		return strtoull(json_string_value(v), NULL, 16);
	return 0;
}

int collector_tail_load_positions(struct collector_tail *t, struct ev_errlist *errs) {
	if (!t->cfg.state_dir)
		return 0;
	_cleanup_free_ char *p = state_path(t, "positions.json");
	if (!p)
		return -ENOMEM;
	json_error_t je;
	json_t *root = json_load_file(p, 0, &je);
	if (!root) {
		if (access(p, F_OK) == 0) {
			ev_errlist_add(errs, p, (unsigned)je.line, (unsigned)je.column, "%s",
			               je.text);
			return -EBADMSG;
		}
		return 0;
	}
	t->have_state = true;
	struct stat pst;
	if (stat(p, &pst) == 0)
		t->state_mtime_us =
		        (int64_t)pst.st_mtim.tv_sec * 1000000 + pst.st_mtim.tv_nsec / 1000;
	json_t *files = json_object_get(root, "files");
	size_t n = json_is_array(files) ? json_array_size(files) : 0;
	t->saved = calloc(n ? n : 1, sizeof(*t->saved));
	if (!t->saved) {
		json_decref(root);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(files, i);
		struct saved_pos *s = &t->saved[t->n_saved];
		const char *path = json_string_value(json_object_get(o, "path"));
		const char *pat = json_string_value(json_object_get(o, "pattern"));
		s->path = path ? strdup(path) : NULL;
		s->pattern = pat ? strdup(pat) : NULL;
		s->dev = (dev_t)collector_tail_ju64(o, "dev");
		s->ino = (ino_t)collector_tail_ju64(o, "ino");
		s->head_len = (uint32_t)MIN(collector_tail_ju64(o, "head_len"), (uint64_t)HEAD_MAX);
		s->head_hash = collector_tail_ju64(o, "head_hash");
		s->offset = collector_tail_ju64(o, "offset");
		s->fp_len = (uint32_t)MIN(collector_tail_ju64(o, "fp_len"), (uint64_t)FP_LEN);
		s->fp_hash = collector_tail_ju64(o, "fp_hash");
		if (s->fp_len > s->offset)
			s->fp_len = 0;
		json_t *ix = json_object_get(o, "index");
		size_t m = json_is_array(ix) ? MIN(json_array_size(ix), (size_t)INDEX_CAP) : 0;
		if (m && (s->index = calloc(m, sizeof(*s->index)))) {
			for (size_t k = 0; k < m; k++) {
				json_t *e = json_array_get(ix, k);
				s->index[s->n_index++] = (struct index_entry){
				        json_integer_value(json_array_get(e, 0)),
				        (uint64_t)json_integer_value(json_array_get(e, 1))};
			}
		}
		t->n_saved++;
	}
	const char *c = json_string_value(json_object_get(root, "journal_cursor"));
	if (c)
		t->cursor = strdup(c);
	json_decref(root);
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
	json_object_set_new(root, "files", files);
	if (t->cursor)
		json_object_set_new(root, "journal_cursor", json_string(t->cursor));
	char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	_cleanup_free_ char *tmp = state_path(t, "positions.json.tmp");
	_cleanup_free_ char *dst = state_path(t, "positions.json");
	int r = 0;
	if (!tmp || !dst) {
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

int collector_tail_index_lookup(const char *state_dir, const char *path, int64_t since_us,
                                int64_t until_us, uint64_t *ret_start, uint64_t *ret_end) {
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s/positions.json", state_dir) < 0)
		return -ENOMEM;
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	json_t *root = json_load_file(p, 0, NULL);
	if (!root)
		return 0;
	int found = 0;
	json_t *files = json_object_get(root, "files"), *o;
	size_t i;
	json_array_foreach(files, i, o) {
		if ((dev_t)collector_tail_ju64(o, "dev") != st.st_dev ||
		    (ino_t)collector_tail_ju64(o, "ino") != st.st_ino)
			continue;
		uint32_t hl = (uint32_t)MIN(collector_tail_ju64(o, "head_len"), (uint64_t)HEAD_MAX);
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			break;
		uint64_t h;
		bool same = collector_tail_hash_range(fd, 0, hl, &h) == 0 &&
		            h == collector_tail_ju64(o, "head_hash");
		close(fd);
		if (!same)
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
