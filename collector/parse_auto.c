/* Choosing the parser for a line (see parse.h): a named library format, a built-in
 * format, or "auto" after the fast path in parse.c. Auto tries the built-in parsers
 * first (syslog and JSON stay the fast path: a line they parse with a time and a program
 * never reaches a regex), then the library formats in library order; the first that
 * parses a line is locked in and tried first for the following lines until it misses 16
 * lines in a row. Continuation lines of a format (a Java stack trace) take the time,
 * host, program, pid and priority of the line they continue and carry the field
 * continuation=true. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collector/format.h"
#include "collector/parse-internal.h"
#include "util/macro.h"

#define LOCK_MISSES 16 /* a locked library format is dropped after this many misses */

static const char *const builtin_names[] = {"auto", "rfc3164", "rfc5424", "iso",
                                            "json", "logfmt",  "audit"};
_Static_assert(ELEMENTSOF(builtin_names) == COLLECTOR_FMT_COUNT_, "a name per built-in format");

void collector_parser_set_source(struct collector_parser *p, const char *program,
                                 const char *service) {
	p->program = program && *program ? program : NULL;
	p->service = service && *service ? service : NULL;
}

static void count_lib(struct collector_parser *p, const struct collector_fmtdef *d) {
	for (size_t i = 0; i < ELEMENTSOF(p->n_lib); i++)
		if (p->n_lib[i].def == d || !p->n_lib[i].def) {
			p->n_lib[i].def = d;
			p->n_lib[i].n++;
			return;
		}
}

size_t collector_parser_formats_used(const struct collector_parser *p, char *buf, size_t len) {
	struct {
		const char *name;
		uint64_t n;
	} v[ELEMENTSOF(p->n_builtin) + ELEMENTSOF(p->n_lib)];
	size_t n = 0, o = 0;
	for (size_t i = 0; i < ELEMENTSOF(p->n_builtin); i++)
		if (p->n_builtin[i])
			v[n].name = builtin_names[i], v[n++].n = p->n_builtin[i];
	for (size_t i = 0; i < ELEMENTSOF(p->n_lib) && p->n_lib[i].def; i++)
		v[n].name = collector_fmtdef_name(p->n_lib[i].def), v[n++].n = p->n_lib[i].n;
	if (len)
		buf[0] = 0;
	for (size_t k = 0; k < n; k++) { /* most lines first */
		size_t best = k;
		for (size_t j = k + 1; j < n; j++)
			if (v[j].n > v[best].n)
				best = j;
		const char *nm = v[best].name;
		uint64_t c = v[best].n;
		v[best] = v[k];
		int w = snprintf(buf + o, len > o ? len - o : 0, "%s%s %llu", k ? ", " : "", nm,
		                 (unsigned long long)c);
		o += w > 0 ? (size_t)w : 0;
	}
	if (n == 0)
		o = (size_t)snprintf(buf, len, "none");
	return MIN(o, len ? len - 1 : 0);
}

void collector_record_reset_keep(struct ev_record *rec) {
	uint32_t keep = rec->flags & EV_REC_PART;
	struct ev_str src = rec->source;
	uint64_t off = rec->offset, seq = rec->seq;
	uint32_t length = rec->length, sid = rec->source_id;
	ev_record_reset(rec);
	rec->source = src, rec->offset = off, rec->length = length, rec->source_id = sid;
	rec->seq = seq;
	rec->flags = keep;
}

static void keep_str(char *dst, size_t cap, struct ev_str s) {
	size_t n = s.p ? MIN(s.len, cap - 1) : 0;
	if (n)
		memcpy(dst, s.p, n);
	dst[n] = 0;
}

static void remember(struct collector_parser *p, const struct ev_record *rec, int r) {
	p->have_prev = true;
	p->prev_us = r == 1 ? rec->time_us : INT64_MIN;
	p->prev_pid = rec->pid;
	p->prev_priority = rec->priority;
	keep_str(p->prev_program, sizeof(p->prev_program), rec->program);
	keep_str(p->prev_host, sizeof(p->prev_host), rec->host);
}

static int continuation(struct collector_parser *p, const char *line, size_t len,
                        struct ev_record *rec) {
	if (p->prev_program[0])
		rec->program = ev_record_strdup(rec, p->prev_program, strlen(p->prev_program));
	if (p->prev_host[0])
		rec->host = ev_record_strdup(rec, p->prev_host, strlen(p->prev_host));
	rec->pid = p->prev_pid;
	rec->priority = p->prev_priority;
	rec->message = ev_record_strdup(rec, line, len);
	if (!rec->message.p || ev_record_add_field(rec, "continuation", 12, "true", 4) < 0)
		return -ENOMEM;
	if (p->prev_us == INT64_MIN)
		return 2;
	rec->time_us = p->prev_us;
	return 1;
}

/* One library format, continuation lines included. */
static int apply_def(struct collector_parser *p, const struct collector_fmtdef *d, const char *line,
                     size_t len, struct ev_record *rec) {
	if (p->have_prev && collector_fmtdef_continues(d, p, line, len))
		return continuation(p, line, len, rec);
	int r = collector_fmtdef_apply(d, p, line, len, rec);
	if (r > 0)
		remember(p, rec, r);
	return r;
}

/* The library formats that auto-detection may try, except `skip`. */
static int try_library(struct collector_parser *p, const char *line, size_t len,
                       struct ev_record *rec, bool accept_untimed,
                       const struct collector_fmtdef *skip) {
	const struct collector_formats *lib = collector_formats_default();
	for (size_t i = 0; i < lib->n; i++) {
		const struct collector_fmtdef *d = lib->v[i];
		if (d == skip || !collector_fmtdef_auto(d) || collector_fmtdef_shadowed(d))
			continue;
		collector_record_reset_keep(rec);
		int k = collector_fmtdef_apply(d, p, line, len, rec);
		if (k < 0)
			return k;
		if (k == 1 || (k == 2 && accept_untimed)) {
			p->locked = d;
			p->locked_misses = 0;
			remember(p, rec, k);
			count_lib(p, d);
			return k;
		}
	}
	return 0;
}

static int parse_auto(struct collector_parser *p, const char *line, size_t len,
                      struct ev_record *rec, int64_t arrival_us) {
	const struct collector_fmtdef *tried = p->locked;
	if (p->locked) {
		int r = apply_def(p, p->locked, line, len, rec);
		if (r != 0) {
			if (r > 0) {
				p->locked_misses = 0;
				count_lib(p, p->locked);
			}
			return r;
		}
		collector_record_reset_keep(rec);
		if (++p->locked_misses >= LOCK_MISSES)
			p->locked = NULL;
	}
	enum collector_format f = collector_detect_builtin(line, len);
	int r = collector_parse_builtin(p, f, line, len, rec, arrival_us);
	if (r < 0)
		return r;
	bool weak =
	        f == COLLECTOR_FMT_ISO && !rec->program.p && p->lib_misses < COLLECTOR_LIB_MISSES;
	if (r != 1 || weak) {
		int k = try_library(p, line, len, rec, r == 0, tried);
		if (k != 0)
			return k;
		if (weak)
			p->lib_misses++;
		collector_record_reset_keep(rec);
		if (r != 0)
			r = collector_parse_builtin(p, f, line, len, rec, arrival_us);
	}
	if (r > 0)
		p->n_builtin[f]++;
	return r;
}

int collector_parse_line_full(struct collector_parser *p, const char *line, size_t len,
                              int64_t arrival_us, struct ev_record *rec) {
	int r;
	if (p->def) {
		r = apply_def(p, p->def, line, len, rec);
		if (r > 0)
			count_lib(p, p->def);
	} else if (p->format == COLLECTOR_FMT_AUTO)
		r = parse_auto(p, line, len, rec, arrival_us);
	else {
		r = collector_parse_builtin(p, p->format, line, len, rec, arrival_us);
		if (r > 0)
			p->n_builtin[p->format]++;
	}
	if (r < 0)
		return r;
	if (r == 0) {
		/* nothing recognised it: the whole line, with its arrival time */
		collector_record_reset_keep(rec);
		rec->flags |= EV_REC_UNPARSED | EV_REC_NO_TIME;
		rec->time_us = arrival_us;
		rec->message = ev_record_strdup(rec, line, len);
	} else if (r == 2) {
		rec->time_us = arrival_us;
		rec->flags |= EV_REC_NO_TIME;
	}
	if (p->program && !rec->program.p)
		rec->program = ev_record_strdup(rec, p->program, strlen(p->program));
	if (p->service &&
	    ev_record_add_field(rec, "service", 7, p->service, strlen(p->service)) < 0)
		return -ENOMEM;
	if (!rec->message.p)
		return -ENOMEM;
	return 0;
}

int collector_parse_time(struct collector_parser *p, const char *l, size_t len, int64_t *ret_us) {
	if (!p->def && !p->locked) {
		enum collector_format f = p->format == COLLECTOR_FMT_AUTO
		                                  ? collector_detect_builtin(l, len)
		                                  : p->format;
		int k = collector_parse_time_builtin(p, f, l, len, ret_us);
		if (k == 1 || (k == 0 && p->format != COLLECTOR_FMT_AUTO))
			return k;
	}
	/* a library format, or no built-in one: the whole line */
	struct ev_record rec;
	ev_record_init(&rec);
	int r = collector_parse_line(p, l, len, 0, &rec);
	bool timed = r == 0 && !(rec.flags & EV_REC_NO_TIME);
	if (timed)
		*ret_us = rec.time_us;
	ev_record_free(&rec);
	return timed ? 1 : 0;
}
