/* Evidence extraction: the original bytes of a time window, for the store.
 *
 * CONTRACT (agreed between collector/ and agent/'s seal; change only together). The
 * collector reads, the agent hands the bytes to the store: store/ never calls this. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "collector/reader.h"
#include "collector/recjson.h"
#include "util/err.h"

/* Called with consecutive chunks of one output; returns 0 or -errno to stop. */
typedef int (*collector_write_fn)(void *userdata, const void *buf, size_t len);

/* Write the lines of regular file `path` (plain or .gz; a FIFO or device is -EINVAL,
 * without blocking) whose event time lies in
 * [since_us, until_us] as the original bytes, cut by byte range (the time index is used
 * when it exists; otherwise the file is scanned). Lines without a parseable time belong
 * to the record before them. Returns the number of bytes written, or -errno. */
int64_t collector_excerpt_file(const char *path, const struct collector_reader_opts *o,
                               int64_t since_us, int64_t until_us, collector_write_fn write,
                               void *userdata, struct ev_errlist *errs);

/* The same cut by time of `len` bytes in memory (not compressed; `name` in messages):
 * the fuzz target's entry, which spares it a file and the line reader's buffer per
 * input. */
int64_t collector_excerpt_mem(const char *name, const char *buf, size_t len,
                              const struct collector_reader_opts *o, int64_t since_us,
                              int64_t until_us, collector_write_fn write, void *userdata,
                              struct ev_errlist *errs);

/* How an excerpt was cut, for the record (the seal puts it in the member's manifest
 * entry). */
struct collector_excerpt_info {
	const char *method;  /* "position" or "time" (static string) */
	uint64_t start, end; /* file offsets of the first byte written and one past the last */
	uint64_t lines;      /* lines written */
	uint64_t lines_off_window; /* of those, lines whose own time is outside the window
	                              (kept for their position: "position" only) */
};

/* The lines of the window in `path`, cut by position when the time index that
 * collector_tail saved in STATE_DIR/positions.json covers this file (the same device,
 * inode and first bytes): between the last index entry more than `slack_us` before
 * since_us and the first entry more than `slack_us` after until_us, the bytes from the
 * first line whose time is in the window to the end of the last such line (with the lines
 * that follow it without a time) are written whole, every line in between included
 * whatever its own time says. Lines of the window outside those index entries (out of
 * order by more than the slack) are not found; use collector_excerpt_file when that
 * matters. `state_dir` NULL, no index, or a .gz file: cut by time, as
 * collector_excerpt_file. *ret_info (may be NULL) says what was done. Returns the bytes
 * written or -errno. */
int64_t collector_excerpt_file_indexed(const char *path, const char *state_dir,
                                       const struct collector_reader_opts *o, int64_t since_us,
                                       int64_t until_us, int64_t slack_us, collector_write_fn write,
                                       void *userdata, struct collector_excerpt_info *ret_info,
                                       struct ev_errlist *errs);

/* collector_excerpt_file_indexed on an open descriptor of `path` (the caller opened and
 * checked it: evidence collection reads only regular files it opened without blocking);
 * `fd` stays the caller's (a duplicate is read). `path` names the file in the index and in
 * messages. */
int64_t collector_excerpt_fd_indexed(int fd, const char *path, const char *state_dir,
                                     const struct collector_reader_opts *o, int64_t since_us,
                                     int64_t until_us, int64_t slack_us, collector_write_fn write,
                                     void *userdata, struct collector_excerpt_info *ret_info,
                                     struct ev_errlist *errs);

/* Export the journal entries in [since_us, until_us] (realtime) in journal export format
 * (every field, __CURSOR and trusted fields included) to `export_fn`, and as JSON lines
 * (one object per entry, binary fields as arrays of bytes) to `json_fn`.
 * `dir` = NULL reads the system journal; `file` reads one journal file; `units` (NULL-
 * terminated, may be NULL) restricts to _SYSTEMD_UNIT values. Returns the number of
 * entries, or -errno. */
int64_t collector_journal_export(const char *dir, const char *file, const char *const *units,
                                 int64_t since_us, int64_t until_us, collector_write_fn export_fn,
                                 collector_write_fn json_fn, void *userdata,
                                 struct ev_errlist *errs);

/* One journal field ("NAME=value", `len` bytes; data without '=' is skipped) of an entry
 * being exported: appended to `ex` in export format (text, or the binary form with a
 * little-endian length when the value holds control bytes or is not UTF-8; a name that
 * export format cannot carry, empty or holding a newline, is left out there) and to `js`
 * as ',"NAME":value' (a string, or an array of byte values). Returns 0 or -ENOMEM. */
int collector_journal_export_field(struct collector_buf *ex, struct collector_buf *js,
                                   const void *data, size_t len);
