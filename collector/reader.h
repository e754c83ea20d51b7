/* Offline reading: files (plain, .gz, or "-" for stdin) and journal files/directories,
 * parsed into records and merged by event time. This is what `evident replay`, `evident
 * seal` and the tests use; the daemon's live sources produce the same records.
 *
 * CONTRACT (agreed between collector/, correlate/ and agent/; change only together). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/lines.h"
#include "collector/parse.h"
#include "collector/record.h"
#include "util/err.h"

struct collector_reader_opts {
	const char *format; /* "auto" (default when NULL), "rfc3164", "rfc5424", "iso", "json",
	                       "logfmt" */
	const char *tz;     /* zone for zone-less times (NULL = local) */
	int year;           /* year for RFC 3164 times; 0 = infer from the reference time */
	int64_t now_us;     /* reference "now" for year inference and arrival times; 0 = clock */
	size_t max_line;    /* 0 = 64 KiB */
	size_t journal_field_cap; /* 0 = 1 MiB */
	const char *program;      /* program of file lines that carry none (NULL: none) */
	const char *service;      /* field "service" of every file record (NULL: none) */
};

struct collector_reader_stats {
	uint64_t lines;    /* lines read (journal entries count as lines) */
	uint64_t records;  /* records returned */
	uint64_t unparsed; /* records with EV_REC_UNPARSED */
	uint64_t flagged;  /* records with any other EV_REC_* flag */
	uint64_t bytes;
};

struct collector_reader;

/* Create a reader. Returns 0, or -ENOMEM / -EINVAL (bad format or zone name, message in
 * errs). */
int collector_reader_new(const struct collector_reader_opts *o, struct collector_reader **ret,
                         struct ev_errlist *errs);
/* Add inputs; they are merged by event time (ties: order of adding, then file order).
 * "-" is standard input. -errno when the input cannot be opened, with a message in errs. */
int collector_reader_add_file(struct collector_reader *r, const char *path,
                              struct ev_errlist *errs);
int collector_reader_add_journal_file(struct collector_reader *r, const char *path,
                                      struct ev_errlist *errs);
int collector_reader_add_journal_dir(struct collector_reader *r, const char *dir,
                                     struct ev_errlist *errs);
/* Next record into `rec` (reset first by the reader). Returns 1 for a record, 0 at the end
 * of all inputs, -errno on a read error (message in errs; reading may continue). */
int collector_reader_next(struct collector_reader *r, struct ev_record *rec,
                          struct ev_errlist *errs);
void collector_reader_get_stats(const struct collector_reader *r,
                                struct collector_reader_stats *ret);
/* Input i (in the order added): its name and, for a file, which formats parsed its lines
 * so far (collector_parser_formats_used: "hdfs 2000"). Returns 1 for a file, 0 for a
 * journal (buf is "journal"), -ENOENT when there is no input i. */
int collector_reader_input_formats(const struct collector_reader *r, size_t i,
                                   const char **ret_name, char *buf, size_t len);
/* Tell `fn` of the blocks of complete lines read ahead (collector_lines_set_block_fn)
 * when the reader has exactly one input and it is a line stream: with one input the
 * records come out in line order, straight from the buffer. Returns true when set up,
 * false otherwise (nothing happens then). fn NULL: stop. */
bool collector_reader_set_block_fn(struct collector_reader *r, collector_block_fn fn, void *ctx);
/* Ask `fn` before each line is parsed whether it is quiet (collector_quiet_fn in
 * collector/parse.h); with one line stream as for the block fn, false otherwise. fn
 * NULL: stop. */
bool collector_reader_set_quiet_fn(struct collector_reader *r, collector_quiet_fn fn, void *ctx);
struct collector_reader *collector_reader_free(struct collector_reader *r);
