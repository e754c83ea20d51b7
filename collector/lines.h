/* Splitting a byte stream (plain file, .gz, stdin) into lines, with a hard cap.
 *
 * Lines longer than `max_line` come out as consecutive parts (each flagged `part`); the
 * stream keeps being read. A last line without a newline is returned at the end of the
 * input. A trailing '\r' stays part of the line (callers strip it for parsing). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/* Told of the complete lines ahead in the read buffer before the first of them is
 * returned: `p` holds `len` bytes (whole lines, the last newline excluded) that start at
 * stream offset `off` and stay unchanged until the next call; `p` NULL: the bytes told of
 * before are about to change (the buffer is refilled). */
typedef void (*collector_block_fn)(void *ctx, const char *p, size_t len, uint64_t off);

struct collector_lines {
	int fd;
	gzFile gz; /* set for compressed input (and stdin, which zlib passes through) */
	bool eof;
	bool in_long; /* inside a line longer than max_line */
	char *buf;
	size_t cap, start, end;
	uint64_t buf_off; /* stream offset of buf[0] */
	size_t max_line;
	int64_t read_us;             /* clock when the last chunk was read (arrival time) */
	bool last_nl;                /* the last line returned was followed by a newline */
	collector_block_fn on_block; /* optional (collector_lines_set_block_fn) */
	void *block_ctx;
	uint64_t block_end; /* stream offset of the end of the block told of */
	bool block_valid;
	bool mem; /* buf is the caller's (collector_lines_open_mem) */
};

/* Take `fd` (closed by collector_lines_close). `gzip`: read through zlib. `start_off`:
 * stream offset of the fd's current position. Returns 0 or -ENOMEM. */
int collector_lines_open(struct collector_lines *l, int fd, bool gzip, uint64_t start_off,
                         size_t max_line);
/* Take `fd` (closed by collector_lines_close, or here on failure) from its start, gzip
 * detected by its magic bytes. Returns 0 or -errno. */
int collector_lines_open_fd(struct collector_lines *l, int fd, size_t max_line);
/* Lines of `len` bytes in memory (borrowed, read only, not compressed; valid until
 * collector_lines_close). Returns 0. */
int collector_lines_open_mem(struct collector_lines *l, const char *buf, size_t len,
                             size_t max_line);
/* Open a path: gzip detected by its magic bytes. Returns 0 or -errno. */
int collector_lines_open_path(struct collector_lines *l, const char *path, size_t max_line);
/* The same for a regular file only, opened without blocking: a FIFO or device is -EINVAL
 * (evidence is never read from them; opening a FIFO must not wait for a writer). */
int collector_lines_open_regular(struct collector_lines *l, const char *path, size_t max_line);
/* Next line: 1 with the bytes (valid until the next call), their stream offset and
 * whether it is a part of a long line; 0 at the end; -errno on a read error. */
int collector_lines_next(struct collector_lines *l, const char **ret_line, size_t *ret_len,
                         uint64_t *ret_off, bool *ret_part);
void collector_lines_close(struct collector_lines *l);
/* Tell `fn` of each block of complete lines in the buffer (see collector_block_fn) from
 * the next line on; fn NULL: stop. */
void collector_lines_set_block_fn(struct collector_lines *l, collector_block_fn fn, void *ctx);

/* Read a whole regular file of at most `cap` bytes into memory (NUL appended), opened
 * with O_NONBLOCK|O_CLOEXEC (and O_NOFOLLOW unless `follow`): a FIFO or device (or a
 * link, without `follow`) is -EINVAL without blocking, a larger file -EFBIG.
 * *ret_mtime_us (may be NULL): its modification time. */
int collector_read_regular(const char *path, bool follow, size_t cap, char **ret_buf,
                           size_t *ret_len, int64_t *ret_mtime_us);
