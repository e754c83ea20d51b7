/* Evidence excerpts (see excerpt.h).
 *
 * Files: the file is scanned line by line with the same parsers as replay. Cut by time
 * (no time index): a line whose time lies in the window is written as its original bytes
 * (newline included when the file had one), lines without a time and continuation parts
 * of long lines follow the decision of the line before them; output is batched into
 * 64 KiB writes. Cut by position (the tail's time index covers the file): between the
 * index entries around the window, the bytes from the first line of the window to the
 * end of its last one are copied whole, so that a line with a wrong date among them is
 * kept (and counted); .gz files are never indexed.
 *
 * Journal: sd_journal seeked with sd_journal_seek_realtime_usec to the start of the
 * window, entries written in export format (binary-safe fields as NAME\n + le64 size +
 * data) and as JSON objects, until the first entries past the end of the window. */
#include "collector/excerpt.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "collector/lines.h"
#include "collector/parse.h"
#include "collector/recjson.h"
#include "collector/tail.h"
#include "util/macro.h"

#define OUT_CHUNK (64 * 1024)

static int flush(struct collector_buf *b, collector_write_fn fn, void *ud) {
	if (!b->len || !fn)
		return 0;
	int r = fn(ud, b->p, b->len);
	b->len = 0;
	return r < 0 ? r : 0;
}

/* Copy bytes [start, end) of fd to `write`. */
static int copy_range(int fd, uint64_t start, uint64_t end, collector_write_fn write,
                      void *userdata) {
	char buf[OUT_CHUNK];
	while (start < end) {
		ssize_t k = pread(fd, buf, (size_t)MIN((uint64_t)sizeof(buf), end - start),
		                  (off_t)start);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -ENODATA; /* shrank meanwhile */
		int r = write ? write(userdata, buf, (size_t)k) : 0;
		if (r < 0)
			return r;
		start += (uint64_t)k;
	}
	return 0;
}

/* One pass over [start, end) of the file. By time (`positional` false): the lines whose
 * own time is in the window are written (untimed lines and long-line parts follow the
 * line before them). By position: nothing is written here; the byte range from the first
 * line of the window to the end of its last one is found (*info), with the count of lines
 * in between whose own time lies outside the window. */
/* Open the lines of the file (fd < 0: `path`), from `start`, or of `mem` (mem_len
 * bytes; not NULL: no file). 0, or -errno with a message. */
static int excerpt_open(struct collector_lines *l, int fd, const char *path, const char *mem,
                        size_t mem_len, uint64_t start, size_t max_line, struct ev_errlist *errs) {
	int r;
	if (mem)
		r = collector_lines_open_mem(l, mem, mem_len, max_line);
	else if (fd < 0)
		r = collector_lines_open_regular(l, path, max_line);
	else if ((fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
		r = -errno;
	else /* the caller's descriptor, opened and checked by it: read a duplicate */
		r = collector_lines_open_fd(l, fd, max_line);
	if (r >= 0 && start > 0 && !l->gz && !mem) {
		if (lseek(l->fd, (off_t)start, SEEK_SET) < 0)
			r = -errno;
		else
			l->buf_off = start;
		if (r < 0)
			collector_lines_close(l);
	}
	if (r < 0)
		ev_errlist_add(errs, path, 0, 0, "cannot open: %s",
		               r == -EINVAL ? "not a regular file" : strerror(-r));
	return r;
}

static int64_t excerpt_pass(int fd, const char *path, const char *mem, size_t mem_len,
                            const struct collector_reader_opts *o, int64_t since_us,
                            int64_t until_us, uint64_t start, uint64_t end, bool positional,
                            collector_write_fn write, void *userdata,
                            struct collector_excerpt_info *info, struct ev_errlist *errs) {
	struct collector_parser p;
	int r = collector_parser_init(&p, o->format, o->tz, o->year, o->now_us, errs);
	if (r < 0)
		return r;
	struct collector_lines l;
	r = excerpt_open(&l, fd, path, mem, mem_len, start, o->max_line ? o->max_line : 64 * 1024,
	                 errs);
	if (r < 0) {
		collector_parser_done(&p);
		return r;
	}
	if (l.gz && positional) { /* offsets in a .gz are not file offsets: by time */
		positional = false;
		info->method = "time";
	}
	struct collector_buf out = {0};
	int64_t written = 0;
	uint64_t pending = 0, pending_lines = 0; /* since the last line of the window */
	bool in = false, have_time = false, any = false;
	for (;;) {
		const char *line;
		size_t len;
		uint64_t off;
		bool part;
		bool cont = l.in_long; /* this line continues a long one */
		r = collector_lines_next(&l, &line, &len, &off, &part);
		if (r < 0) {
			ev_errlist_add(errs, path, 0, 0, "read error: %s", strerror(-r));
			break;
		}
		if (r == 0 || off >= end)
			break;
		int64_t t;
		size_t plen = len && line[len - 1] == '\r' ? len - 1 : len;
		bool timed = !cont && collector_parse_time(&p, line, plen, &t) > 0;
		if (timed) {
			in = t >= since_us && t <= until_us;
			have_time = true;
		} else if (!have_time)
			in = false; /* untimed lines before the first timed one */
		uint64_t line_end = off + len + (l.last_nl ? 1 : 0);
		if (!in) {
			if (any && timed)
				pending++;
			if (any)
				pending_lines++;
			continue;
		}
		if (!any)
			info->start = off;
		any = true;
		info->end = line_end;
		info->lines += 1 + (positional ? pending_lines : 0);
		info->lines_off_window += positional ? pending : 0;
		pending = pending_lines = 0;
		if (positional)
			continue;
		if (collector_buf_put(&out, line, len) < 0 ||
		    (l.last_nl && collector_buf_put(&out, "\n", 1) < 0)) {
			r = -ENOMEM;
			break;
		}
		written += (int64_t)(len + (l.last_nl ? 1 : 0));
		if (out.len >= OUT_CHUNK && (r = flush(&out, write, userdata)) < 0)
			break;
	}
	if (r >= 0 && positional && any)
		r = copy_range(l.fd, info->start, info->end, write, userdata);
	if (r >= 0 && positional)
		written = any ? (int64_t)(info->end - info->start) : 0;
	if (r >= 0)
		r = flush(&out, write, userdata);
	if (r < 0 && positional)
		ev_errlist_add(errs, path, 0, 0, "read error: %s", strerror(-r));
	collector_buf_done(&out);
	collector_lines_close(&l);
	collector_parser_done(&p);
	return r < 0 ? r : written;
}

static int64_t excerpt_range(int fd, const char *path, const struct collector_reader_opts *o,
                             int64_t since_us, int64_t until_us, uint64_t start, uint64_t end,
                             bool positional, collector_write_fn write, void *userdata,
                             struct collector_excerpt_info *ret_info, struct ev_errlist *errs) {
	struct collector_reader_opts d = {0};
	struct collector_excerpt_info info = {.method = positional ? "position" : "time"};
	int64_t r = excerpt_pass(fd, path, NULL, 0, o ? o : &d, since_us, until_us, start, end,
	                         positional, write, userdata, &info, errs);
	if (r >= 0 && ret_info)
		*ret_info = info;
	return r;
}

int64_t collector_excerpt_file(const char *path, const struct collector_reader_opts *o,
                               int64_t since_us, int64_t until_us, collector_write_fn write,
                               void *userdata, struct ev_errlist *errs) {
	return excerpt_range(-1, path, o, since_us, until_us, 0, UINT64_MAX, false, write, userdata,
	                     NULL, errs);
}

int64_t collector_excerpt_mem(const char *name, const char *buf, size_t len,
                              const struct collector_reader_opts *o, int64_t since_us,
                              int64_t until_us, collector_write_fn write, void *userdata,
                              struct ev_errlist *errs) {
	struct collector_reader_opts d = {0};
	struct collector_excerpt_info info = {.method = "time"};
	return excerpt_pass(-1, name, buf, len, o ? o : &d, since_us, until_us, 0, UINT64_MAX,
	                    false, write, userdata, &info, errs);
}

int64_t collector_excerpt_fd_indexed(int fd, const char *path, const char *state_dir,
                                     const struct collector_reader_opts *o, int64_t since_us,
                                     int64_t until_us, int64_t slack_us, collector_write_fn write,
                                     void *userdata, struct collector_excerpt_info *ret_info,
                                     struct ev_errlist *errs) {
	uint64_t start = 0, end = UINT64_MAX;
	bool indexed =
	        state_dir && collector_tail_index_lookup(state_dir, path, since_us - slack_us,
	                                                 until_us + slack_us, &start, &end) > 0;
	if (!indexed)
		start = 0, end = UINT64_MAX;
	return excerpt_range(fd, path, o, since_us, until_us, start, end, indexed, write, userdata,
	                     ret_info, errs);
}

int64_t collector_excerpt_file_indexed(const char *path, const char *state_dir,
                                       const struct collector_reader_opts *o, int64_t since_us,
                                       int64_t until_us, int64_t slack_us, collector_write_fn write,
                                       void *userdata, struct collector_excerpt_info *ret_info,
                                       struct ev_errlist *errs) {
	return collector_excerpt_fd_indexed(-1, path, state_dir, o, since_us, until_us, slack_us,
	                                    write, userdata, ret_info, errs);
}

/* Fields that journal export writes in binary form. */
static bool needs_binary(const char *v, size_t n) {
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return !collector_utf8_valid(v, n);
}

static int json_value(struct collector_buf *b, const char *v, size_t n) {
	if (collector_utf8_valid(v, n) && !memchr(v, 0, n))
		return collector_json_str(b, v, n, NULL);
	int e = collector_buf_put(b, "[", 1);
	char t[8];
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(t, sizeof(t), i ? ",%u" : "%u", (unsigned)(unsigned char)v[i]);
		e |= collector_buf_put(b, t, (size_t)k);
	}
	e |= collector_buf_put(b, "]", 1);
	return e ? -ENOMEM : 0;
}

int collector_journal_export_field(struct collector_buf *ex, struct collector_buf *js,
                                   const void *data, size_t len) {
	const char *d = data, *eq = memchr(d, '=', len);
	if (!eq)
		return 0;
	size_t nl = (size_t)(eq - d), vl = len - nl - 1;
	int e = 0;
	/* export format cannot carry an empty name or one with a newline: JSON only */
	if (nl == 0 || memchr(d, '\n', nl))
		;
	else if (needs_binary(eq + 1, vl)) {
		uint64_t le = htole64((uint64_t)vl);
		e |= collector_buf_put(ex, d, nl);
		e |= collector_buf_put(ex, "\n", 1);
		e |= collector_buf_put(ex, &le, 8);
		e |= collector_buf_put(ex, eq + 1, vl);
		e |= collector_buf_put(ex, "\n", 1);
	} else {
		e |= collector_buf_put(ex, d, len);
		e |= collector_buf_put(ex, "\n", 1);
	}
	e |= collector_buf_put(js, ",", 1);
	e |= collector_json_str(js, d, nl, NULL);
	e |= collector_buf_put(js, ":", 1);
	e |= json_value(js, eq + 1, vl);
	return e ? -ENOMEM : 0;
}

static int export_entry(sd_journal *j, struct collector_buf *ex, struct collector_buf *js) {
	_cleanup_free_ char *cursor = NULL;
	uint64_t rt, mono;
	sd_id128_t boot;
	int r = sd_journal_get_cursor(j, &cursor);
	if (r < 0)
		return r;
	if ((r = sd_journal_get_realtime_usec(j, &rt)) < 0 ||
	    (r = sd_journal_get_monotonic_usec(j, &mono, &boot)) < 0)
		return r;
	char bs[SD_ID128_STRING_MAX];
	sd_id128_to_string(boot, bs);
	char hdr[512];
	int e = 0;
	int k = snprintf(hdr, sizeof(hdr),
	                 "__CURSOR=%s\n__REALTIME_TIMESTAMP=%" PRIu64
	                 "\n__MONOTONIC_TIMESTAMP=%" PRIu64 "\n_BOOT_ID=%s\n",
	                 cursor, rt, mono, bs);
	if (k < 0 || (size_t)k >= sizeof(hdr))
		return -EINVAL;
	e |= collector_buf_put(ex, hdr, (size_t)k);
	k = snprintf(hdr, sizeof(hdr),
	             "{\"__REALTIME_TIMESTAMP\":\"%" PRIu64
	             "\",\"__MONOTONIC_TIMESTAMP\":\"%" PRIu64
	             "\",\"_BOOT_ID\":\"%s\",\"__CURSOR\":",
	             rt, mono, bs);
	e |= collector_buf_put(js, hdr, (size_t)k);
	e |= collector_json_str(js, cursor, strlen(cursor), NULL);
	const void *data;
	size_t len;
	sd_journal_restart_data(j);
	while ((r = sd_journal_enumerate_data(j, &data, &len)) > 0) {
		if (len >= 9 && memcmp(data, "_BOOT_ID=", 9) == 0)
			continue; /* already in the header */
		e |= collector_journal_export_field(ex, js, data, len);
	}
	if (r < 0)
		return r;
	e |= collector_buf_put(ex, "\n", 1);
	e |= collector_buf_put(js, "}\n", 2);
	return e ? -ENOMEM : 0;
}

int64_t collector_journal_export(const char *dir, const char *file, const char *const *units,
                                 int64_t since_us, int64_t until_us, collector_write_fn export_fn,
                                 collector_write_fn json_fn, void *userdata,
                                 struct ev_errlist *errs) {
	sd_journal *j = NULL;
	int r;
	const char *what = file ? file : dir ? dir : "journal";
	if (file) {
		const char *paths[] = {file, NULL};
		r = sd_journal_open_files(&j, paths, 0);
	} else if (dir)
		r = sd_journal_open_directory(&j, dir, 0);
	else
		r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0) {
		ev_errlist_add(errs, what, 0, 0, "cannot open journal: %s", strerror(-r));
		return r;
	}
	sd_journal_set_data_threshold(j, 0);
	for (size_t i = 0; units && units[i]; i++) {
		_cleanup_free_ char *m = NULL;
		if (asprintf(&m, "_SYSTEMD_UNIT=%s", units[i]) < 0) {
			sd_journal_close(j);
			return -ENOMEM;
		}
		r = sd_journal_add_match(j, m, 0);
		if (r < 0) {
			ev_errlist_add(errs, what, 0, 0, "bad unit match '%s': %s", units[i],
			               strerror(-r));
			sd_journal_close(j);
			return r;
		}
	}
	struct collector_buf ex = {0}, js = {0};
	int64_t n = 0;
	unsigned beyond = 0;
	r = sd_journal_seek_realtime_usec(j, since_us < 0 ? 0 : (uint64_t)since_us);
	while (r >= 0 && (r = sd_journal_next(j)) > 0) {
		uint64_t rt;
		if ((r = sd_journal_get_realtime_usec(j, &rt)) < 0)
			break;
		if ((int64_t)rt > until_us) {
			/* entries of several files interleave: stop after a run past the end */
			if (++beyond >= 256)
				break;
			continue;
		}
		beyond = 0;
		if ((int64_t)rt < since_us)
			continue;
		if ((r = export_entry(j, &ex, &js)) < 0)
			break;
		n++;
		if (ex.len >= OUT_CHUNK && (r = flush(&ex, export_fn, userdata)) < 0)
			break;
		if (js.len >= OUT_CHUNK && (r = flush(&js, json_fn, userdata)) < 0)
			break;
	}
	if (r >= 0)
		r = flush(&ex, export_fn, userdata);
	if (r >= 0)
		r = flush(&js, json_fn, userdata);
	if (r < 0)
		ev_errlist_add(errs, what, 0, 0, "journal export: %s", strerror(-r));
	collector_buf_done(&ex);
	collector_buf_done(&js);
	sd_journal_close(j);
	return r < 0 ? r : n;
}
