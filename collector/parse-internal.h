/* The built-in parsers as seen by the dispatch (parse_auto.c); nothing else includes this. */
#pragma once
#include "collector/parse.h"

/* ISO-stamped lines without a program that no library format took: after this many the
 * stream stops trying the library for them. */
#define COLLECTOR_LIB_MISSES 16

/* The built-in format a line looks like (COLLECTOR_FMT_AUTO: none). */
enum collector_format collector_detect_builtin(const char *l, size_t len);
/* Parse with built-in format f (an RFC 3164 miss falls back to logfmt in auto mode).
 * Returns 1 parsed with time, 2 parsed without time, 0 not this format, -ENOMEM. */
int collector_parse_builtin(struct collector_parser *p, enum collector_format f, const char *line,
                            size_t len, struct ev_record *rec, int64_t arrival_us);
/* Only the time with built-in format f: 1 and the time, 0 none, -1 for
 * COLLECTOR_FMT_AUTO (no built-in format: the caller parses the whole line). */
int collector_parse_time_builtin(struct collector_parser *p, enum collector_format f, const char *l,
                                 size_t len, int64_t *ret_us);
/* collector_parse_line without the fast path (parse_auto.c). */
int collector_parse_line_full(struct collector_parser *p, const char *line, size_t len,
                              int64_t arrival_us, struct ev_record *rec);
/* Forget a failed attempt but keep what the caller set (source, position, part flag). */
void collector_record_reset_keep(struct ev_record *rec);
/* A JSON object line (parse_json.c). Returns 1 with a time, 2 without, 0 not JSON,
 * -ENOMEM. */
int collector_parse_json(struct collector_parser *p, const char *l, size_t len,
                         struct ev_record *rec);
