/* Declarative line formats: a library of format definitions loaded from YAML
 * (the files in conf/formats/, embedded into the binary, plus site directories).
 *
 * A definition is data, not code: one or more PCRE2 regexes (JIT-compiled) whose named
 * captures `time`, `host`, `program`, `pid`, `level` and `message` fill the record's
 * standard fields and whose other named captures become fields of the same name; a time
 * layout (`%Y-%m-%d %H:%M:%S,%f`, or `iso8601`, `epoch`, `boot`); a zone rule (`local`:
 * the source's zone, `utc`); a default program; a level map; and an optional
 * continuation regex (a Java stack trace's "\tat ..." lines belong to the line before).
 * The file syntax is in docs/formats.md.
 *
 * Ownership: a library owns its definitions; a definition never changes after loading
 * and lives as long as its library. Parsers keep pointers to definitions of the process
 * library (collector_formats_default), which is only ever added to, never freed before
 * exit, so those pointers stay valid. Matching state (PCRE2 match data) is per parser.
 *
 * Caps: a format file is at most YTREE_MAX_INPUT bytes; a library holds at most
 * COLLECTOR_FORMATS_MAX definitions; a definition at most 8 regexes, each with at most
 * COLLECTOR_FORMAT_MAX_GROUPS capture groups. Loading errors are FILE:LINE:COL messages in
 * errs; nothing is printed. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/record.h"
#include "util/err.h"

#define COLLECTOR_FORMATS_MAX       256
#define COLLECTOR_FORMAT_MAX_GROUPS 31

struct collector_fmtdef;
struct collector_parser;

struct collector_formats {
	struct collector_fmtdef **v; /* later definitions of a name shadow earlier ones */
	size_t n;
};

/* Add the definitions in one YAML buffer (`name` is used in messages). A definition whose
 * name is already in the library shadows the earlier one. Returns 0, -EINVAL (errors in
 * errs; the valid definitions of the buffer are still added), -ENOMEM. */
int collector_formats_load_buffer(struct collector_formats *lib, const char *name, const char *buf,
                                  size_t len, struct ev_errlist *errs);
/* The same for every *.yaml / *.yml file of `dir`, in name order. A missing directory is
 * not an error (returns 0). Returns 0, -EINVAL (errors in errs), or -errno. */
int collector_formats_load_dir(struct collector_formats *lib, const char *dir,
                               struct ev_errlist *errs);
/* The last definition named `name`, or NULL. */
const struct collector_fmtdef *collector_formats_find(const struct collector_formats *lib,
                                                      const char *name);
void collector_formats_done(struct collector_formats *lib);

/* The process library. The first call runs the loader set with
 * collector_formats_set_loader (the agent's: the embedded conf/formats files); without
 * one it is empty. Setting a loader runs it at the next use, adding to the library (set
 * it once, before parsing starts; tests may set it again). Thread-safe; the library only grows.
 * Load errors of the loader are kept and returned by collector_formats_default_errors (the agent
 * reports them). */
struct collector_formats *collector_formats_default(void);
void collector_formats_set_loader(int (*fn)(struct collector_formats *lib,
                                            struct ev_errlist *errs));
const struct ev_errlist *collector_formats_default_errors(void);
/* Add a directory to the process library (see collector_formats_load_dir). A directory
 * is read once per process: adding it again (a reload) changes nothing and returns 0;
 * a directory that failed to load is tried again. At most 16 directories (-E2BIG). */
int collector_formats_default_add_dir(const char *dir, struct ev_errlist *errs);

/* A definition's name, description (may be NULL) and whether auto-detection may pick
 * it. */
const char *collector_fmtdef_name(const struct collector_fmtdef *d);
const char *collector_fmtdef_description(const struct collector_fmtdef *d);
bool collector_fmtdef_auto(const struct collector_fmtdef *d);
/* Whether a later definition of the same name in d's library shadows d (auto-detection
 * skips it; set when the later one is added, so nothing is looked up per line). */
bool collector_fmtdef_shadowed(const struct collector_fmtdef *d);
/* Whether `line` is a continuation of the previous line in format d (false without a
 * continuation regex). */
bool collector_fmtdef_continues(const struct collector_fmtdef *d, struct collector_parser *p,
                                const char *line, size_t len);
/* Parse `line` with d into rec (caller-reset). Returns 1 parsed with a time, 2 parsed
 * without a time (rec->time_us unset), 0 when the line does not match (rec may hold
 * partial fields: the caller resets it), -ENOMEM. Uses p's zone, year inference and
 * match data. */
int collector_fmtdef_apply(const struct collector_fmtdef *d, struct collector_parser *p,
                           const char *line, size_t len, struct ev_record *rec);
/* Free per-parser match data (collector_parser_done calls it). */
void collector_format_match_free(struct collector_parser *p);
