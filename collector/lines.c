/* Line splitting over a reusable buffer: one buffer of max(256 KiB, 2*max_line) per stream,
 * refilled with read()/gzread(); lines are returned as pointers into it, so no per-line
 * allocation or copy. Invariant: buf[start..end) holds unread bytes, buf_off is the
 * stream offset of buf[0]. */
#include "collector/lines.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/evtime.h"
#include "util/macro.h"
#include "util/clock.h"

int collector_lines_open(struct collector_lines *l, int fd, bool gzip, uint64_t start_off,
                         size_t max_line) {
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->max_line = max_line ? max_line : 64 * 1024;
	l->cap = MAX((size_t)256 << 10, 2 * l->max_line + 1);
	l->buf = malloc(l->cap);
	if (!l->buf)
		return -ENOMEM;
	l->buf_off = start_off;
	if (gzip) {
		l->gz = gzdopen(fd, "rb");
		if (!l->gz) {
			free(l->buf);
			l->buf = NULL;
			return -ENOMEM;
		}
		gzbuffer(l->gz, 256 * 1024);
	}
	return 0;
}

int collector_lines_open_mem(struct collector_lines *l, const char *buf, size_t len,
                             size_t max_line) {
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->max_line = max_line ? max_line : 64 * 1024;
	l->buf = (char *)buf; /* never written: the whole input is there, fill() never runs */
	l->cap = l->end = len;
	l->eof = true;
	l->mem = true;
	return 0;
}

static int open_path(struct collector_lines *l, const char *path, size_t max_line,
                     bool regular_only) {
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (regular_only ? O_NONBLOCK : 0));
	if (fd < 0)
		return -errno;
	struct stat st;
	if (regular_only && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		return -EINVAL;
	}
	return collector_lines_open_fd(l, fd, max_line);
}

int collector_lines_open_fd(struct collector_lines *l, int fd, size_t max_line) {
	unsigned char magic[2];
	bool gz = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	int r = collector_lines_open(l, fd, gz, 0, max_line);
	if (r < 0)
		close(fd);
	return r;
}

int collector_lines_open_path(struct collector_lines *l, const char *path, size_t max_line) {
	return open_path(l, path, max_line, false);
}

int collector_lines_open_regular(struct collector_lines *l, const char *path, size_t max_line) {
	return open_path(l, path, max_line, true);
}

static int fill(struct collector_lines *l) {
	if (l->on_block && l->block_valid) {
		l->on_block(l->block_ctx, NULL, 0, 0); /* the bytes move or are read over */
		l->block_valid = false;
	}
	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->buf_off += l->start;
		l->end -= l->start;
		l->start = 0;
	}
	size_t room = l->cap - l->end;
	ssize_t n;
	if (l->gz) {
		int k = gzread(l->gz, l->buf + l->end, (unsigned)MIN(room, (size_t)1 << 30));
		if (k < 0) {
			int e;
			gzerror(l->gz, &e);
			return e == Z_ERRNO ? -errno : -EBADMSG;
		}
		n = k;
	} else {
		do
			n = read(l->fd, l->buf + l->end, room);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
	}
	if (n == 0)
		l->eof = true;
	l->end += (size_t)n;
	l->read_us = ev_now_realtime_us();
	return 0;
}

void collector_lines_set_block_fn(struct collector_lines *l, collector_block_fn fn, void *ctx) {
	if (l->on_block && l->block_valid)
		l->on_block(l->block_ctx, NULL, 0, 0);
	l->on_block = fn;
	l->block_ctx = ctx;
	l->block_valid = false;
}

/* The complete lines from buf[start] on, told of once (see collector_block_fn). */
static void announce_block(struct collector_lines *l) {
	uint64_t off = l->buf_off + l->start;
	if (l->block_valid && off < l->block_end)
		return;
	const char *s = l->buf + l->start, *nl = memrchr(s, '\n', l->end - l->start);
	if (!nl) {
		if (l->block_valid)
			l->on_block(l->block_ctx, NULL, 0, 0);
		l->block_valid = false;
		return;
	}
	l->on_block(l->block_ctx, s, (size_t)(nl - s), off);
	l->block_end = off + (uint64_t)(nl - s);
	l->block_valid = true;
}

int collector_lines_next(struct collector_lines *l, const char **ret_line, size_t *ret_len,
                         uint64_t *ret_off, bool *ret_part) {
	for (;;) {
		if (l->on_block)
			announce_block(l);
		size_t avail = l->end - l->start;
		size_t look = MIN(avail, l->max_line + 1);
		char *s = l->buf + l->start;
		char *nl = memchr(s, '\n', look);
		if (nl) {
			size_t n = (size_t)(nl - s);
			if (n > l->max_line) { /* exactly max_line+1 bytes and then '\n' */
				n = l->max_line;
				*ret_part = true;
				l->in_long = true;
				l->last_nl = false;
				*ret_line = s, *ret_len = n, *ret_off = l->buf_off + l->start;
				l->start += n;
				return 1;
			}
			*ret_part = l->in_long;
			l->in_long = false;
			l->last_nl = true;
			*ret_line = s, *ret_len = n, *ret_off = l->buf_off + l->start;
			l->start += n + 1;
			return 1;
		}
		if (avail >= l->max_line) {
			*ret_part = true;
			l->in_long = true;
			l->last_nl = false;
			*ret_line = s, *ret_len = l->max_line, *ret_off = l->buf_off + l->start;
			l->start += l->max_line;
			return 1;
		}
		if (l->eof) {
			if (avail == 0)
				return 0;
			*ret_part = l->in_long;
			l->in_long = false;
			l->last_nl = false;
			*ret_line = s, *ret_len = avail, *ret_off = l->buf_off + l->start;
			l->start = l->end;
			return 1;
		}
		int r = fill(l);
		if (r < 0)
			return r;
	}
}

void collector_lines_close(struct collector_lines *l) {
	if (l->gz)
		gzclose(l->gz); /* closes the fd too */
	else if (l->fd >= 0)
		close(l->fd);
	l->gz = NULL;
	l->fd = -1;
	if (!l->mem)
		free(l->buf);
	l->buf = NULL;
}

int collector_read_regular(const char *path, bool follow, size_t cap, char **ret_buf,
                           size_t *ret_len, int64_t *ret_mtime_us) {
	int fd = open(path,
	              O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if ((uint64_t)st.st_size > cap)
		r = -EFBIG;
	size_t len = r < 0 ? 0 : (size_t)st.st_size, got = 0;
	char *buf = r < 0 ? NULL : malloc(len + 1);
	if (r == 0 && !buf)
		r = -ENOMEM;
	while (r == 0 && got < len) {
		ssize_t k = read(fd, buf + got, len - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			r = -errno;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[got] = 0; /* a file that shrank meanwhile: what was there */
	*ret_buf = buf;
	*ret_len = got;
	if (ret_mtime_us)
		*ret_mtime_us = (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
	return 0;
}
