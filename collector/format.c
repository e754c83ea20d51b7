/* Declarative formats: matching a line against a definition, time layouts, and the
 * process library (see format.h; loading is in format_load.c).
 *
 * Invariants: regexes are anchored by their authors ('^'); a match never reads past
 * `len` (PCRE2 takes the length); times are parsed from the capture alone, so a layout
 * cannot run into the rest of the line. Nothing here allocates per line except the
 * record's arena and, once per parser, the match data. */
#include "collector/format.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/format_internal.h"
#include "collector/parse.h"
#include "util/macro.h"

/* ---- time layouts ---- */

struct fmt_time {
	int year; /* 0: not in the layout */
	unsigned mon, day, hour, min, sec;
	int64_t frac_us;
	bool have_off;
	int32_t off;
};

static bool digits(const char *s, size_t len, size_t *i, unsigned maxw, unsigned *ret) {
	unsigned v = 0, n = 0;
	while (*i < len && n < maxw && s[*i] >= '0' && s[*i] <= '9') {
		v = v * 10 + (unsigned)(s[*i] - '0');
		(*i)++;
		n++;
	}
	*ret = v;
	return n > 0;
}

static bool month_name(const char *s, size_t len, size_t *i, unsigned *ret) {
	static const char m[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	if (*i + 3 > len)
		return false;
	for (unsigned k = 0; k < 12; k++)
		if (strncasecmp(s + *i, m + 3 * k, 3) == 0) {
			*ret = k + 1;
			*i += 3;
			while (*i < len && ((s[*i] | 0x20) >= 'a' && (s[*i] | 0x20) <= 'z'))
				(*i)++; /* a full name: "March" */
			return true;
		}
	return false;
}

static bool zone_offset(const char *s, size_t len, size_t *i, int32_t *ret) {
	if (*i < len && s[*i] == 'Z') {
		(*i)++;
		*ret = 0;
		return true;
	}
	if (*i >= len || (s[*i] != '+' && s[*i] != '-'))
		return false;
	int sign = s[*i] == '-' ? -1 : 1;
	unsigned h, m = 0;
	size_t j = *i + 1;
	if (!digits(s, len, &j, 2, &h))
		return false;
	if (j < len && s[j] == ':')
		j++;
	if (!digits(s, len, &j, 2, &m) || h > 23 || m > 59)
		return false;
	*i = j;
	*ret = sign * (int32_t)(h * 3600 + m * 60);
	return true;
}

static bool fraction(const char *s, size_t len, size_t *i, int64_t *ret) {
	int64_t v = 0;
	int n = 0;
	size_t st = *i;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		if (n < 6) {
			v = v * 10 + (s[*i] - '0');
			n++;
		}
		(*i)++;
	}
	if (*i == st)
		return false;
	while (n++ < 6)
		v *= 10;
	*ret = v;
	return true;
}

/* One directive of a layout at s[*i]. */
static bool directive(char d, const char *s, size_t len, size_t *i, struct fmt_time *t) {
	unsigned v;
	switch (d) {
	case 'Y':
		if (!digits(s, len, i, 4, &v))
			return false;
		t->year = (int)v;
		return true;
	case 'y':
		if (!digits(s, len, i, 2, &v))
			return false;
		t->year = 2000 + (int)v;
		return true;
	case 'm':
		return digits(s, len, i, 2, &t->mon);
	case 'd':
	case 'e':
		while (*i < len && s[*i] == ' ')
			(*i)++;
		return digits(s, len, i, 2, &t->day);
	case 'H':
		return digits(s, len, i, 2, &t->hour);
	case 'M':
		return digits(s, len, i, 2, &t->min);
	case 'S':
		return digits(s, len, i, 2, &t->sec);
	case 'f':
		return fraction(s, len, i, &t->frac_us);
	case 'L': /* an optional fraction: ".123" or ",123" */
		if (*i + 1 < len && (s[*i] == '.' || s[*i] == ',') && s[*i + 1] >= '0' &&
		    s[*i + 1] <= '9') {
			(*i)++;
			return fraction(s, len, i, &t->frac_us);
		}
		return true;
	case 'l': /* milliseconds as a number, 1 to 3 digits ("5" is 5 ms) */
		if (!digits(s, len, i, 3, &v))
			return false;
		t->frac_us = (int64_t)v * 1000;
		return true;
	case 'b':
		return month_name(s, len, i, &t->mon);
	case 'a': /* a weekday name: skipped */
		v = 0;
		while (*i < len && ((s[*i] | 0x20) >= 'a' && (s[*i] | 0x20) <= 'z'))
			(*i)++, v++;
		return v >= 3;
	case 'z':
		t->have_off = true;
		return zone_offset(s, len, i, &t->off);
	case '%':
		return *i < len && s[(*i)++] == '%';
	default:
		return false;
	}
}

/* Parse the whole of s with the layout; a space in the layout matches one or more. */
static bool layout_parse(const char *lay, const char *s, size_t len, struct fmt_time *t) {
	size_t i = 0;
	memset(t, 0, sizeof(*t));
	for (const char *c = lay; *c; c++) {
		if (*c == '%' && c[1]) {
			if (!directive(*++c, s, len, &i, t))
				return false;
		} else if (*c == ' ') {
			if (i >= len || s[i] != ' ')
				return false;
			while (i < len && s[i] == ' ')
				i++;
		} else if (i >= len || s[i++] != *c)
			return false;
	}
	while (i < len && s[i] == ' ')
		i++;
	return i == len && t->mon >= 1 && t->mon <= 12 && t->day >= 1 && t->day <= 31 &&
	       t->hour < 24 && t->min < 60 && t->sec <= 60;
}

/* "1131566461" or "1131566461.123456" seconds since the epoch. */
static bool epoch_parse(const char *s, size_t len, int64_t *ret_us) {
	size_t i = 0;
	int64_t v = 0, frac = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9' && i < 12)
		v = v * 10 + (s[i++] - '0');
	if (i == 0)
		return false;
	if (i < len && s[i] == '.') {
		i++;
		if (!fraction(s, len, &i, &frac))
			return false;
	}
	if (i != len)
		return false;
	*ret_us = v * 1000000 + frac;
	return true;
}

/* The time capture to µs: 1 with a time, 0 without one (boot-relative), -1 bad. */
static int fmt_time_to_us(const struct collector_fmtdef *d, struct collector_parser *p,
                          const char *s, size_t len, int64_t *ret_us) {
	switch (d->time_kind) {
	case FMT_TIME_ISO: {
		struct collector_tz utc = {.utc = true}; /* zone: utc */
		return collector_parse_iso_time(s, len, d->utc ? &utc : &p->tz, ret_us) == len ? 1
		                                                                               : -1;
	}
	case FMT_TIME_EPOCH:
		return epoch_parse(s, len, ret_us) ? 1 : -1;
	case FMT_TIME_BOOT:
		return 0;
	case FMT_TIME_LAYOUT:
		break;
	}
	struct fmt_time t;
	if (!layout_parse(d->time_layout, s, len, &t))
		return -1;
	unsigned sod = t.hour * 3600 + t.min * 60 + t.sec;
	*ret_us = collector_parser_civil_to_us(p, t.year, t.mon, t.day, sod, t.have_off || d->utc,
	                                       t.have_off ? t.off : 0) +
	          t.frac_us;
	return 1;
}

/* ---- matching ---- */

/* Per parser: match data, and a match context whose limits bound the work one line can
 * cost (a site regex that backtracks badly fails on that line instead of stalling). */
struct fmt_match {
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

#define FMT_MATCH_LIMIT 200000

static struct fmt_match *fmt_match(struct collector_parser *p) {
	struct fmt_match *m = p->match_data;
	if (m)
		return m;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->md = pcre2_match_data_create(COLLECTOR_FORMAT_MAX_GROUPS + 1, NULL);
	m->mc = pcre2_match_context_create(NULL);
	if (!m->md || !m->mc) {
		pcre2_match_data_free(m->md);
		pcre2_match_context_free(m->mc);
		free(m);
		return NULL;
	}
	pcre2_set_match_limit(m->mc, FMT_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mc, FMT_MATCH_LIMIT / 10);
	p->match_data = m;
	return m;
}

void collector_format_match_free(struct collector_parser *p) {
	struct fmt_match *m = p->match_data;
	if (m) {
		pcre2_match_data_free(m->md);
		pcre2_match_context_free(m->mc);
		free(m);
	}
	p->match_data = NULL;
}

static bool group(const PCRE2_SIZE *ov, int rc, int g, const char *line, const char **ret,
                  size_t *ret_len) {
	if (g <= 0 || g >= rc || ov[2 * g] == PCRE2_UNSET)
		return false;
	*ret = line + ov[2 * g];
	*ret_len = ov[2 * g + 1] - ov[2 * g];
	return true;
}

static int level_priority(const struct collector_fmtdef *d, const char *s, size_t len) {
	for (size_t i = 0; i < d->n_levels; i++)
		if (strlen(d->levels[i].word) == len && strncasecmp(d->levels[i].word, s, len) == 0)
			return d->levels[i].priority;
	return collector_level_to_priority(s, len);
}

/* The standard fields; the program falls back on the source's, then the format's. */
static int set_std(const struct collector_fmtdef *d, const struct fmt_re *re, const char *line,
                   size_t len, const PCRE2_SIZE *ov, int rc, const char *src_program,
                   struct ev_record *rec) {
	const char *s;
	size_t n;
	if (group(ov, rc, re->g[FMT_G_HOST], line, &s, &n) && n)
		rec->host = ev_record_strdup(rec, s, n);
	if (group(ov, rc, re->g[FMT_G_PROGRAM], line, &s, &n) && n)
		rec->program = ev_record_strdup(rec, s, n);
	else if (src_program || d->program) {
		const char *dp = src_program ? src_program : d->program;
		rec->program = ev_record_strdup(rec, dp, strlen(dp));
	}
	if (group(ov, rc, re->g[FMT_G_PID], line, &s, &n)) {
		int64_t v = 0;
		size_t i = 0;
		for (; i < n && i < 18 && s[i] >= '0' && s[i] <= '9'; i++)
			v = v * 10 + (s[i] - '0');
		if (i == n && n)
			rec->pid = v;
	}
	if (group(ov, rc, re->g[FMT_G_LEVEL], line, &s, &n)) {
		rec->priority = level_priority(d, s, n);
		if (ev_record_add_field(rec, "level", 5, s, n) < 0)
			return -ENOMEM;
	}
	if (group(ov, rc, re->g[FMT_G_MESSAGE], line, &s, &n))
		rec->message = ev_record_strdup(rec, s, n);
	else
		rec->message = ev_record_strdup(rec, line, len);
	for (size_t i = 0; i < re->n_extra; i++)
		if (group(ov, rc, re->extra[i].g, line, &s, &n) &&
		    ev_record_add_field(rec, re->extra[i].name, strlen(re->extra[i].name), s, n) <
		            0)
			return -ENOMEM;
	return rec->message.p ? 0 : -ENOMEM;
}

int collector_fmtdef_apply(const struct collector_fmtdef *d, struct collector_parser *p,
                           const char *line, size_t len, struct ev_record *rec) {
	struct fmt_match *m = fmt_match(p);
	if (!m)
		return -ENOMEM;
	pcre2_match_data *md = m->md;
	for (size_t k = 0; k < d->n_re; k++) {
		const struct fmt_re *re = &d->re[k];
		int rc = pcre2_match(re->code, (PCRE2_SPTR)line, len, 0, 0, md, m->mc);
		if (rc <= 0)
			continue;
		const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		const char *ts;
		size_t tl;
		int64_t t = 0;
		int timed = 0;
		if (group(ov, rc, re->g[FMT_G_TIME], line, &ts, &tl)) {
			timed = fmt_time_to_us(d, p, ts, tl, &t);
			if (timed < 0)
				continue; /* the regex matched, the time did not: not this format */
			if (timed == 0 && ev_record_add_field(rec, "boot_time", 9, ts, tl) < 0)
				return -ENOMEM;
		}
		int r = set_std(d, re, line, len, ov, rc, p->program, rec);
		if (r < 0)
			return r;
		if (timed)
			rec->time_us = t;
		return timed ? 1 : 2;
	}
	return 0;
}

bool collector_fmtdef_continues(const struct collector_fmtdef *d, struct collector_parser *p,
                                const char *line, size_t len) {
	struct fmt_match *m;
	if (!d->cont || !(m = fmt_match(p)))
		return false;
	return pcre2_match(d->cont, (PCRE2_SPTR)line, len, 0, 0, m->md, m->mc) > 0;
}

const char *collector_fmtdef_name(const struct collector_fmtdef *d) {
	return d->name;
}

const char *collector_fmtdef_description(const struct collector_fmtdef *d) {
	return d->description;
}

bool collector_fmtdef_auto(const struct collector_fmtdef *d) {
	return d->auto_detect;
}

bool collector_fmtdef_shadowed(const struct collector_fmtdef *d) {
	return d->shadowed;
}

const struct collector_fmtdef *collector_formats_find(const struct collector_formats *lib,
                                                      const char *name) {
	for (size_t i = lib->n; i-- > 0;)
		if (strcmp(lib->v[i]->name, name) == 0)
			return lib->v[i];
	return NULL;
}

/* ---- the process library ---- */

static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;
static struct collector_formats lib_default;
static struct ev_errlist lib_errors;
static bool lib_loaded;
static int (*lib_loader)(struct collector_formats *, struct ev_errlist *);

void collector_formats_set_loader(int (*fn)(struct collector_formats *, struct ev_errlist *)) {
	pthread_mutex_lock(&lib_lock);
	lib_loader = fn;
	lib_loaded = false; /* runs at the next use, adding to what is there */
	pthread_mutex_unlock(&lib_lock);
}

static void load_default_locked(void) {
	if (lib_loaded)
		return;
	lib_loaded = true;
	if (lib_loader)
		(void)lib_loader(&lib_default, &lib_errors);
}

struct collector_formats *collector_formats_default(void) {
	pthread_mutex_lock(&lib_lock);
	load_default_locked();
	pthread_mutex_unlock(&lib_lock);
	return &lib_default;
}

const struct ev_errlist *collector_formats_default_errors(void) {
	(void)collector_formats_default();
	return &lib_errors;
}

/* Directories already added (a reload adds the same one again: read once). */
static char *lib_dirs[16];

int collector_formats_default_add_dir(const char *dir, struct ev_errlist *errs) {
	int r = 0;
	size_t i = 0;
	pthread_mutex_lock(&lib_lock);
	load_default_locked();
	while (i < ELEMENTSOF(lib_dirs) && lib_dirs[i] && strcmp(lib_dirs[i], dir) != 0)
		i++;
	if (i == ELEMENTSOF(lib_dirs)) {
		ev_errlist_add(errs, dir, 0, 0, "too many format directories (at most %zu)",
		               ELEMENTSOF(lib_dirs));
		r = -E2BIG;
	} else if (!lib_dirs[i]) {
		r = collector_formats_load_dir(&lib_default, dir, errs);
		if (r >= 0 && !(lib_dirs[i] = strdup(dir)))
			r = -ENOMEM;
	}
	pthread_mutex_unlock(&lib_lock);
	return r;
}
