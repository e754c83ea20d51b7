/* Line parsers: one log line (bytes, no newline) to one record.
 *
 * Formats: RFC 3164 (BSD syslog, year inferred), RFC 5424, ISO 8601 / RFC 3339 prefixed
 * lines (optionally followed by "host program[pid]: "), JSON objects (flattened), logfmt.
 * "auto" picks per line. A line that no format accepts becomes an EV_REC_UNPARSED record
 * whose message is the whole line; a line without a parseable time gets the arrival time
 * and EV_REC_NO_TIME. Lines are bytes: NUL and invalid UTF-8 are kept as they are.
 *
 * A parser holds per-stream state (the year of the last RFC 3164 line, for New Year
 * rollover), so use one parser per input. Nothing is allocated per line except when a
 * line is longer than every line before it (the scratch buffer grows). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/evtime.h"
#include "collector/record.h"
#include "util/err.h"

enum collector_format {
	COLLECTOR_FMT_AUTO,
	COLLECTOR_FMT_RFC3164,
	COLLECTOR_FMT_RFC5424,
	COLLECTOR_FMT_ISO,
	COLLECTOR_FMT_JSON,
	COLLECTOR_FMT_LOGFMT,
	COLLECTOR_FMT_AUDIT,  /* audit.log (collector/audit.h) */
	COLLECTOR_FMT_COUNT_, /* not a format: the number of built-in formats */
};

struct collector_parser {
	enum collector_format format;
	struct collector_tz tz;
	int fixed_year; /* year of the first line (later lines roll over); 0 = infer */
	int now_year;   /* in tz, at the reference time */
	unsigned now_mon;
	bool have_last; /* year-inference state of the stream */
	int last_year;
	unsigned last_mon;
	int64_t last_utc; /* seconds, the previous zone-less stamp (valid with have_last) */
	/* lines of one second repeat their stamp: the last RFC 3164 stamp text parsed (month,
	 * day, second of day), and the last one read (the year and UTC seconds it gave) */
	bool bsd_text_ok, bsd_have;
	char bsd_text[15];
	unsigned bsd_text_v[3];
	unsigned bsd_mon, bsd_day, bsd_sod;
	int bsd_year;
	int64_t bsd_utc;
	char *scratch; /* unescaping buffer */
	size_t scratch_len;
	/* declarative formats (collector/format.h) */
	const struct collector_fmtdef *def;    /* a named library format, or NULL */
	const struct collector_fmtdef *locked; /* auto: the library format the stream uses */
	unsigned locked_misses;                /* consecutive lines the locked one missed */
	unsigned lib_misses;           /* ISO lines without a program that no library format took */
	void *match_data;              /* pcre2_match_data, made on first use */
	const char *program, *service; /* the source's defaults (not owned) */
	bool have_prev;                /* the previous line's record, for continuations */
	int64_t prev_us;
	int prev_priority;
	int64_t prev_pid;
	char prev_program[64], prev_host[64];
	/* what parsed the lines: per built-in format, then per library format */
	uint64_t n_builtin[COLLECTOR_FMT_COUNT_];
	struct {
		const struct collector_fmtdef *def;
		uint64_t n;
	} n_lib[8];
};

/* Parse a built-in format name ("auto" or NULL, "rfc3164", "rfc5424", "iso", "json",
 * "logfmt", "audit"). Returns 0 or -EINVAL. Names of the format library are not built-in. */
int collector_format_from_string(const char *s, enum collector_format *ret);
/* Set a parser up. `format`: a built-in name or the name of a format in the process
 * library (collector_formats_default). In "auto" mode each line is tried with the
 * built-in parsers first (the fast path); a line they give no time (or, for ISO-stamped
 * lines, no program) is tried with the library formats that allow auto-detection, and the
 * first that parses it is kept for the following lines while it keeps matching.
 * `tz` as for collector_tz_init, `year` 0 = infer from `now_us` (0 = the clock).
 * Returns 0, -EINVAL (bad format or zone, message in errs), -ENOMEM. */
int collector_parser_init(struct collector_parser *p, const char *format, const char *tz, int year,
                          int64_t now_us, struct ev_errlist *errs);
void collector_parser_done(struct collector_parser *p);
/* The source's defaults: `program` for lines that carry none, `service` (the Sigma
 * logsource service its lines belong to) as the field "service" of every record. Either
 * may be NULL; the strings must outlive the parser. */
void collector_parser_set_source(struct collector_parser *p, const char *program,
                                 const char *service);
/* Which formats parsed the lines so far, most lines first, with their line counts:
 * "rfc3164 2000" or "apache_error 1990, rfc3164 10"; "none" when no line was parsed.
 * Returns the length written to buf (always NUL-terminated, cut at len). */
size_t collector_parser_formats_used(const struct collector_parser *p, char *buf, size_t len);
/* A civil time to µs UTC: read in the parser's zone, or at the offset `off` (seconds east
 * of UTC) when `have_off`; `year` 0 = infer it like RFC 3164 stamps (the stream's
 * year-inference state advances either way). For format files. */
int64_t collector_parser_civil_to_us(struct collector_parser *p, int year, unsigned mon,
                                     unsigned day, unsigned sod, bool have_off, int32_t off);
/* Parse one line into `rec` (which the caller has reset; source, offset and length are the
 * caller's). `arrival_us` is used when the line has no time. Returns 0 or -ENOMEM. */
int collector_parse_line(struct collector_parser *p, const char *line, size_t len,
                         int64_t arrival_us, struct ev_record *rec);
/* Asked, with a block told of (collector_block_fn in collector/lines.h), of each whole line
 * of it (not a part of a long line) that the parser would read with its RFC 3164 fast path
 * (auto-detection, nothing configured that could claim the line first), before it is
 * parsed: true means no rule can match the line whatever it holds
 * (correlate_engine_line_quiet), and the record comes out with its time only
 * (EV_REC_QUIET). `off` and `len` are the line's stream offset and length. Used by the
 * reader (collector_reader_set_quiet_fn) and the tail (collector_tail_set_quiet_fn). */
typedef bool (*collector_quiet_fn)(void *ctx, uint64_t off, size_t len);
/* collector_parse_line, but when `quiet` (NULL: never) says the line is quiet, only its time
 * (and priority) are read, with the same effect on the parser's state, and EV_REC_QUIET is
 * set. `off` and `raw_len` (the line with a trailing CR, which `len` leaves out) are what
 * `quiet` is asked with. Returns 0 or -ENOMEM. */
int collector_parse_line_asking(struct collector_parser *p, const char *line, size_t len,
                                uint64_t off, size_t raw_len, collector_quiet_fn quiet,
                                void *quiet_ctx, int64_t arrival_us, struct ev_record *rec);
/* A continuation part of a line longer than max_line: not parsed; the message is the
 * bytes, the time that of the part before (`prev_us`, or `arrival_us` and EV_REC_NO_TIME
 * when there is none). Sets EV_REC_PART. Returns 0 or -ENOMEM. */
int collector_parse_continuation(const char *line, size_t len, bool have_prev, int64_t prev_us,
                                 int64_t arrival_us, struct ev_record *rec);
/* Only the event time of a line (for the time index and excerpts): 1 and the time, 0 when
 * the line has no parseable time. Advances the year-inference state like parse_line. */
int collector_parse_time(struct collector_parser *p, const char *line, size_t len, int64_t *ret_us);
/* Map a level word (error, warn, info, debug, crit, ...) to a syslog priority, -1 if none. */
int collector_level_to_priority(const char *s, size_t len);
