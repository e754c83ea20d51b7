/* Line parsers (see parse.h). Every parser works on (pointer, length) and never reads
 * past `len`; nothing assumes NUL termination or valid UTF-8. The hot path (RFC 3164)
 * does no allocation: strings go to the record's arena, which keeps its memory between
 * records. */
#include "collector/parse.h"

#include "collector/audit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/format.h"
#include "collector/parse-internal.h"
#include "util/macro.h"
#include "util/clock.h"
#include "util/timefmt.h"

int collector_format_from_string(const char *s, enum collector_format *ret) {
	static const struct {
		const char *n;
		enum collector_format f;
	} t[] = {{"auto", COLLECTOR_FMT_AUTO},       {"rfc3164", COLLECTOR_FMT_RFC3164},
	         {"rfc5424", COLLECTOR_FMT_RFC5424}, {"iso", COLLECTOR_FMT_ISO},
	         {"json", COLLECTOR_FMT_JSON},       {"logfmt", COLLECTOR_FMT_LOGFMT},
	         {"audit", COLLECTOR_FMT_AUDIT}};
	if (!s) {
		*ret = COLLECTOR_FMT_AUTO;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		if (strcmp(s, t[i].n) == 0) {
			*ret = t[i].f;
			return 0;
		}
	return -EINVAL;
}

int collector_parser_init(struct collector_parser *p, const char *format, const char *tz, int year,
                          int64_t now_us, struct ev_errlist *errs) {
	memset(p, 0, sizeof(*p));
	p->prev_pid = -1;
	p->prev_priority = -1;
	if (collector_format_from_string(format, &p->format) < 0) {
		p->def = collector_formats_find(collector_formats_default(), format);
		if (!p->def) {
			ev_errlist_add(
			        errs, NULL, 0, 0,
			        "unknown format '%s' (use auto, rfc3164, rfc5424, iso, json, "
			        "logfmt, audit, or a format of the library: evident formats)",
			        format);
			return -EINVAL;
		}
	}
	int r = collector_tz_init(&p->tz, tz);
	if (r < 0) {
		if (r == -EINVAL)
			ev_errlist_add(
			        errs, NULL, 0, 0,
			        "unknown time zone '%s' (use a name from /usr/share/zoneinfo, "
			        "UTC, or an offset like +02:00)",
			        tz);
		return r;
	}
	if (year < 0 || year > 9999) {
		ev_errlist_add(errs, NULL, 0, 0, "year %d out of range", year);
		collector_tz_done(&p->tz);
		return -EINVAL;
	}
	p->fixed_year = year;
	if (now_us == 0)
		now_us = ev_now_realtime_us();
	int64_t s = now_us / 1000000;
	s += collector_tz_offset_at_utc(&p->tz, s);
	unsigned d;
	ev_civil_from_days(s >= 0 ? s / 86400 : -((-s + 86399) / 86400), &p->now_year, &p->now_mon,
	                   &d);
	return 0;
}

void collector_parser_done(struct collector_parser *p) {
	collector_format_match_free(p);
	collector_tz_done(&p->tz);
	free(p->scratch);
	p->scratch = NULL;
	p->scratch_len = 0;
}

static char *scratch(struct collector_parser *p, size_t need) {
	if (p->scratch_len < need) {
		size_t n = MAX(need, (size_t)256);
		char *s = realloc(p->scratch, n);
		if (!s)
			return NULL;
		p->scratch = s;
		p->scratch_len = n;
	}
	return p->scratch;
}

int collector_level_to_priority(const char *s, size_t len) {
	static const struct {
		const char *n;
		int pri;
	} t[] = {{"emerg", 0},  {"emergency", 0}, {"panic", 0},        {"alert", 1},
	         {"crit", 2},   {"critical", 2},  {"fatal", 2},        {"err", 3},
	         {"error", 3},  {"eror", 3},      {"warn", 4},         {"warning", 4},
	         {"notice", 5}, {"info", 6},      {"information", 6},  {"debug", 7},
	         {"trace", 7},  {"dbug", 7},      {"informational", 6}};
	if (len == 1 && s[0] >= '0' && s[0] <= '7')
		return s[0] - '0';
	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		if (strlen(t[i].n) == len && strncasecmp(t[i].n, s, len) == 0)
			return t[i].pri;
	return -1;
}

static inline struct ev_str sdup(struct ev_record *rec, const char *p, size_t n) {
	return ev_record_strdup(rec, p, n);
}

/* "<PRI>": returns bytes used (0 if none) and the value. */
static size_t parse_pri(const char *l, size_t len, int *ret) {
	if (len < 3 || l[0] != '<')
		return 0;
	int v = 0;
	size_t i = 1;
	for (; i < len && i <= 4 && l[i] >= '0' && l[i] <= '9'; i++)
		v = v * 10 + (l[i] - '0');
	if (i == 1 || i > 4 || i >= len || l[i] != '>' || v > 191)
		return 0;
	*ret = v;
	return i + 1;
}

static int infer_year(struct collector_parser *p, unsigned mon) {
	int y;
	if (p->have_last) {
		int delta = (int)mon - (int)p->last_mon;
		y = p->last_year + (delta < -6 ? 1 : delta > 6 ? -1 : 0);
	} else if (p->fixed_year)
		y = p->fixed_year; /* the year of the first line; later lines roll over */
	else
		/* a December line read in January is last year's */
		y = p->now_year - (mon > p->now_mon + 1 ? 1 : 0);
	p->have_last = true;
	p->last_year = y;
	p->last_mon = mon;
	return y;
}

/* A local time in the hour repeated at the end of DST has two readings: take the one
 * nearer the previous line's, so a stream keeps its order across the change. Only
 * checked when the first reading is behind the previous line or more than an hour past
 * it (a zone lookup). */
static int64_t nearest_reading_slow(struct collector_parser *p, int64_t local, int64_t utc) {
	int64_t prev = p->last_utc, best = utc;
	/* the other reading uses the offset in force two hours before or after */
	for (int k = -1; k <= 1; k += 2) {
		int32_t off = collector_tz_offset_at_utc(&p->tz, utc + k * 7200);
		int64_t alt = local - off;
		int64_t da = llabs(alt - prev), db = llabs(best - prev);
		/* nearer wins; at equal distance the reading that keeps the order */
		if (alt != best && collector_tz_offset_at_utc(&p->tz, alt) == off &&
		    (da < db || (da == db && alt >= prev)))
			best = alt;
	}
	return best;
}

static inline int64_t nearest_reading(struct collector_parser *p, int64_t local, int64_t utc,
                                      bool have_prev) {
	int64_t prev = p->last_utc;
	if (p->tz.utc || !have_prev || (utc >= prev && utc - prev <= 3600))
		return utc; /* the common case, without a zone lookup */
	return nearest_reading_slow(p, local, utc);
}

/* The same stamp as the previous line's, read in the same state, reads the same (the year
 * inferred from an unchanged month, the zone's reading nearest to itself). */
static bool bsd_repeat(const struct collector_parser *p, unsigned mon, unsigned day, unsigned sod) {
	return p->bsd_have && p->have_last && p->bsd_mon == mon && p->bsd_day == day &&
	       p->bsd_sod == sod && p->last_mon == mon && p->last_year == p->bsd_year &&
	       p->last_utc == p->bsd_utc;
}

static int64_t bsd_to_us(struct collector_parser *p, unsigned mon, unsigned day, unsigned sod) {
	if (bsd_repeat(p, mon, day, sod))
		return p->bsd_utc * 1000000;
	bool have_prev = p->have_last;
	int y = infer_year(p, mon);
	int64_t local = ev_days_from_civil(y, mon, day) * 86400 + sod;
	int64_t utc =
	        nearest_reading(p, local, collector_tz_local_to_utc(&p->tz, local), have_prev);
	p->last_utc = utc;
	p->bsd_have = true;
	p->bsd_mon = mon;
	p->bsd_day = day;
	p->bsd_sod = sod;
	p->bsd_year = y;
	p->bsd_utc = utc;
	return utc * 1000000;
}

int64_t collector_parser_civil_to_us(struct collector_parser *p, int year, unsigned mon,
                                     unsigned day, unsigned sod, bool have_off, int32_t off) {
	bool have_prev = p->have_last;
	if (year) {
		p->have_last = true;
		p->last_year = year;
		p->last_mon = mon;
	} else
		year = infer_year(p, mon);
	int64_t local = ev_days_from_civil(year, mon, day) * 86400 + sod;
	if (have_off)
		return (local - off) * 1000000;
	int64_t utc =
	        nearest_reading(p, local, collector_tz_local_to_utc(&p->tz, local), have_prev);
	p->last_utc = utc;
	return utc * 1000000;
}

/* The run of decimal digits (0..7 of them) that starts the 8 readable bytes at p, and
 * its value, without a loop: -1 when all 8 are digits (the caller reads on). */
static inline int digits8(const char *p, int64_t *ret_v) {
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t w, t;
	memcpy(&w, p, 8);
	t = w - ones * '0'; /* a byte below '0' borrows from the bytes after it: not read */
	uint64_t bad = ((t + ones * 0x76) | t) & ones * 0x80; /* per byte: b - '0' >= 10 */
	if (!bad)
		return -1;
	int k = __builtin_ctzll(bad) / 8;
	if (k == 0) {
		*ret_v = 0;
		return 0;
	}
	/* k digits as the last bytes of eight (leading zeros first), then pairs, fours */
	t = (t & ((1ull << (8 * k)) - 1)) << (64 - 8 * k);
	t = t * 10 + (t >> 8);
	t = (((t & 0x000000ff000000ffull) * (100 + (1000000ull << 32))) +
	     (((t >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32)))) >>
	    32;
	*ret_v = (int64_t)(uint32_t)t;
	return k;
}

/* "host program[pid]: message" / "program[pid]: message" / "host message".
 * `need_tag`: accept only when a tag ending in ':' is found (ISO prefixed lines).
 * Returns 1 when parsed (fields set), 0 when not (nothing set). */
static int parse_syslog_tail(struct ev_record *rec, const char *s, size_t len, bool need_tag,
                             bool allow_hostless) {
	const char *end = s + len;
	const char *t1 = s;
	const char *sp = memchr(s, ' ', len);
	size_t t1len = sp ? (size_t)(sp - s) : len;
	const char *host = NULL;
	size_t hostlen = 0;
	const char *tag;
	/* Is the first token a tag itself ("sshd[1]:" or "kernel:")? */
	bool first_is_tag = allow_hostless && t1len > 1 && t1[t1len - 1] == ':';
	if (first_is_tag)
		tag = t1;
	else {
		if (!sp || t1len == 0)
			return 0;
		host = t1;
		hostlen = t1len;
		tag = sp + 1;
	}
	/* program: up to '[' ':' or ' ' (max 128 bytes) */
	static const bool tag_end[256] = {['['] = true, [':'] = true, [' '] = true};
	const char *q = tag, *lim = end - tag > 128 ? tag + 128 : end;
	while (q < lim && !tag_end[(unsigned char)*q])
		q++;
	const char *prog = tag;
	size_t proglen = (size_t)(q - tag);
	int64_t pid = -1;
	bool ok = false;
	if (proglen > 0 && q < end && *q == '[') {
		const char *r = q + 1, *dlim = end - r > 18 ? r + 18 : end;
		int64_t v = 0;
		int k = end - r >= 8 ? digits8(r, &v) : -1;
		if (k >= 0)
			r += k;
		else /* eight digits or more, or near the end */
			while (r < dlim && (unsigned)(*r - '0') < 10) {
				v = v * 10 + (*r - '0');
				r++;
			}
		int nd = (int)(r - (q + 1)); /* at most 18 digits */
		if (r + 1 < end + 1 && r < end && *r == ']' && r + 1 < end && r[1] == ':') {
			pid = nd ? v : -1;
			q = r + 2;
			ok = true;
		} else if (r < end && *r == ']' && r + 1 == end) {
			pid = nd ? v : -1;
			q = r + 1;
			ok = true;
		}
	} else if (proglen > 0 && q < end && *q == ':') {
		q++;
		ok = true;
	}
	if (!ok) {
		if (need_tag || !host)
			return 0;
		rec->host = sdup(rec, host, hostlen);
		rec->message = sdup(rec, tag, (size_t)(end - tag));
		return 1;
	}
	if (q < end && *q == ' ')
		q++;
	/* legacy "sshd(pam_unix)[1]:" tags: the program is sshd, the module a field */
	const char *open =
	        proglen > 2 && prog[proglen - 1] == ')' ? memchr(prog, '(', proglen) : NULL;
	if (open && open > prog) {
		if (ev_record_add_field(rec, "module", 6, open + 1,
		                        (size_t)(prog + proglen - 1 - open - 1)) < 0)
			return -ENOMEM;
		proglen = (size_t)(open - prog);
	}
	/* one copy of the whole tail: host and program end where their separator was */
	char *c = ev_record_alloc(rec, len);
	if (!c)
		return -ENOMEM;
	memcpy(c, s, len);
	if (host) {
		c[hostlen] = '\0';
		rec->host = (struct ev_str){c, hostlen};
	}
	c[prog - s + proglen] = '\0';
	rec->program = (struct ev_str){c + (prog - s), proglen};
	rec->pid = pid;
	rec->message = (struct ev_str){c + (q - s), (size_t)(end - q)};
	return 1;
}

/* memcmp(a, b, 15) == 0 in two loads each, no call (once per line) */
static inline bool same15(const char *a, const char *b) {
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, a, 8);
	memcpy(&a1, a + 7, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 7, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/* collector_parse_bsd_time, or the previous line's answer when its 15 bytes repeat. */
static bool bsd_time_cached(struct collector_parser *p, const char *l, size_t len, unsigned *mon,
                            unsigned *day, unsigned *sod) {
	if (len >= 15 && p->bsd_text_ok && same15(l, p->bsd_text)) {
		*mon = p->bsd_text_v[0];
		*day = p->bsd_text_v[1];
		*sod = p->bsd_text_v[2];
		return true;
	}
	if (!collector_parse_bsd_time(l, len, mon, day, sod))
		return false;
	p->bsd_text_ok = true;
	memcpy(p->bsd_text, l, 15);
	p->bsd_text_v[0] = *mon;
	p->bsd_text_v[1] = *day;
	p->bsd_text_v[2] = *sod;
	return true;
}

/* An RFC 3164 line's priority and time; *ret_o is where the tail starts. 1, or 0 when the
 * line is not that (then the parser's state is as before, but for bsd_time_cached's). */
static inline __attribute__((always_inline)) int parse_3164_head(struct collector_parser *p,
                                                                 const char *l, size_t len,
                                                                 struct ev_record *rec,
                                                                 size_t *ret_o) {
	int pri = -1;
	size_t o = parse_pri(l, len, &pri);
	unsigned mon, day, sod;
	if (!bsd_time_cached(p, l + o, len - o, &mon, &day, &sod))
		return 0;
	o += 15;
	/* some daemons add fractions or a year: "Nov 27 01:39:13.123" */
	int64_t frac = 0;
	if (o < len && l[o] == '.') {
		size_t i = o + 1;
		int nd = 0;
		while (i < len && l[i] >= '0' && l[i] <= '9') {
			if (nd < 6) {
				frac = frac * 10 + (l[i] - '0');
				nd++;
			}
			i++;
		}
		if (nd == 0)
			return 0;
		while (nd++ < 6)
			frac *= 10;
		o = i;
	}
	if (o < len && l[o] != ' ')
		return 0;
	rec->time_us = bsd_to_us(p, mon, day, sod) + frac;
	if (pri >= 0) {
		rec->priority = pri & 7;
		rec->facility = pri >> 3;
	}
	if (o < len)
		o++;
	*ret_o = o;
	return 1;
}

static int parse_3164(struct collector_parser *p, const char *l, size_t len,
                      struct ev_record *rec) {
	size_t o;
	if (!parse_3164_head(p, l, len, rec, &o))
		return 0;
	if (!parse_syslog_tail(rec, l + o, len - o, false, true))
		rec->message = sdup(rec, l + o, len - o);
	return 1;
}

/* RFC 5424 header token: up to a space; "-" is nil. */
static bool tok(const char *l, size_t len, size_t *o, const char **ret, size_t *ret_len) {
	size_t s = *o;
	const char *sp = memchr(l + s, ' ', len - s);
	if (!sp)
		return false;
	size_t e = (size_t)(sp - l);
	if (e == s)
		return false;
	*ret = l + s;
	*ret_len = e - s;
	*o = e + 1;
	if (*ret_len == 1 && **ret == '-')
		*ret = NULL;
	return true;
}

static int add_sd(struct collector_parser *p, struct ev_record *rec, const char *l, size_t len,
                  size_t *o) {
	/* [id name="value" ...][id2 ...] */
	size_t i = *o;
	while (i < len && l[i] == '[') {
		size_t ids = ++i;
		while (i < len && l[i] != ' ' && l[i] != ']' && l[i] != '=' && l[i] != '"')
			i++;
		if (i >= len || i == ids)
			return 0;
		size_t idlen = i - ids;
		while (i < len && l[i] == ' ') {
			i++;
			size_t ns = i;
			while (i < len && l[i] != '=' && l[i] != ' ' && l[i] != ']' && l[i] != '"')
				i++;
			if (i + 1 >= len || l[i] != '=' || l[i + 1] != '"' || i == ns)
				return 0;
			size_t nlen = i - ns;
			i += 2;
			char *buf = scratch(p, idlen + 1 + nlen + (len - i) + 1);
			if (!buf)
				return -ENOMEM;
			memcpy(buf, l + ids, idlen);
			buf[idlen] = '.';
			memcpy(buf + idlen + 1, l + ns, nlen);
			size_t klen = idlen + 1 + nlen;
			char *v = buf + klen;
			size_t vlen = 0;
			while (i < len && l[i] != '"') {
				if (l[i] == '\\' && i + 1 < len &&
				    (l[i + 1] == '"' || l[i + 1] == '\\' || l[i + 1] == ']'))
					i++;
				v[vlen++] = l[i++];
			}
			if (i >= len)
				return 0;
			i++; /* closing quote */
			if (ev_record_add_field(rec, buf, klen, v, vlen) < 0)
				return -ENOMEM;
		}
		if (i >= len || l[i] != ']')
			return 0;
		i++;
	}
	*o = i;
	return 1;
}

static int parse_5424(struct collector_parser *p, const char *l, size_t len, struct ev_record *rec,
                      int64_t arrival_us) {
	int pri;
	size_t o = parse_pri(l, len, &pri);
	if (!o || o + 2 > len || l[o] != '1' || l[o + 1] != ' ')
		return 0;
	o += 2;
	const char *ts, *host, *app, *procid, *msgid;
	size_t tslen, hostlen, applen, procidlen, msgidlen;
	if (!tok(l, len, &o, &ts, &tslen) || !tok(l, len, &o, &host, &hostlen) ||
	    !tok(l, len, &o, &app, &applen) || !tok(l, len, &o, &procid, &procidlen) ||
	    !tok(l, len, &o, &msgid, &msgidlen))
		return 0;
	int64_t t = 0;
	if (ts) {
		if (collector_parse_iso_time(ts, tslen, &p->tz, &t) != tslen)
			return 0;
		rec->time_us = t;
	} else {
		rec->time_us = arrival_us;
		rec->flags |= EV_REC_NO_TIME;
	}
	/* structured data */
	if (o < len && l[o] == '-')
		o++;
	else {
		int r = add_sd(p, rec, l, len, &o);
		if (r <= 0)
			return r;
	}
	if (o < len && l[o] == ' ')
		o++;
	else if (o < len)
		return 0;
	/* a UTF-8 BOM starts a UTF-8 message */
	if (len - o >= 3 && memcmp(l + o, "\xef\xbb\xbf", 3) == 0)
		o += 3;
	rec->priority = pri & 7;
	rec->facility = pri >> 3;
	if (host)
		rec->host = sdup(rec, host, hostlen);
	if (app)
		rec->program = sdup(rec, app, applen);
	if (procid) {
		int64_t v = 0;
		size_t i = 0;
		for (; i < procidlen && i < 18 && procid[i] >= '0' && procid[i] <= '9'; i++)
			v = v * 10 + (procid[i] - '0');
		if (i == procidlen)
			rec->pid = v;
		else if (ev_record_add_field(rec, "procid", 6, procid, procidlen) < 0)
			return -ENOMEM;
	}
	if (msgid && ev_record_add_field(rec, "msgid", 5, msgid, msgidlen) < 0)
		return -ENOMEM;
	rec->message = sdup(rec, l + o, len - o);
	return 1;
}

static int parse_iso(struct collector_parser *p, const char *l, size_t len, struct ev_record *rec) {
	int64_t t;
	size_t o = collector_parse_iso_time(l, len, &p->tz, &t);
	if (!o || (o < len && l[o] != ' ' && l[o] != '\t'))
		return 0;
	rec->time_us = t;
	while (o < len && (l[o] == ' ' || l[o] == '\t'))
		o++;
	if (!parse_syslog_tail(rec, l + o, len - o, true, false))
		rec->message = sdup(rec, l + o, len - o);
	return 1;
}

/* ---- logfmt ---- */

static bool logfmt_key_char(char ch) {
	return ch > ' ' && ch != '=' && ch != '"' && ch != 0x7f;
}

/* A logfmt line starts with an identifier and '=' ("level=info ..."): a key is a letter,
 * '_' or '@' and then letters, digits and "_.-/@". Lines that merely contain '=' (a
 * HealthApp "20171223-22:15:29:606|Step_SPUtils|...|x=1" line) are not logfmt. */
static bool logfmt_ident_char(char ch) {
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.' || ch == '-' || ch == '/' || ch == '@';
}

static bool looks_logfmt(const char *l, size_t len) {
	bool letter = len && (l[0] | 0x20) >= 'a' && (l[0] | 0x20) <= 'z';
	if (len == 0 || !(letter || l[0] == '_' || l[0] == '@'))
		return false;
	size_t i = 1;
	while (i < len && logfmt_ident_char(l[i]))
		i++;
	return i < len && l[i] == '=';
}

static int parse_logfmt(struct collector_parser *p, const char *l, size_t len,
                        struct ev_record *rec) {
	char *buf = scratch(p, len + 1);
	if (!buf)
		return -ENOMEM;
	size_t i = 0, pairs = 0;
	int time_rank = 99;
	while (i < len) {
		while (i < len && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (i >= len)
			break;
		size_t ks = i;
		while (i < len && logfmt_key_char(l[i]))
			i++;
		size_t klen = i - ks;
		if (klen == 0) {
			/* garbage (a stray quote or '='): skip one byte */
			i++;
			continue;
		}
		const char *v = "true";
		size_t vlen = 4;
		if (i < len && l[i] == '=') {
			i++;
			if (i < len && l[i] == '"') {
				i++;
				vlen = 0;
				while (i < len && l[i] != '"') {
					char ch = l[i];
					if (ch == '\\' && i + 1 < len) {
						i++;
						ch = l[i] == 'n'   ? '\n'
						     : l[i] == 't' ? '\t'
						     : l[i] == 'r' ? '\r'
						                   : l[i];
					}
					buf[vlen++] = ch;
					i++;
				}
				if (i < len)
					i++;
				else
					rec->flags |= EV_REC_TRUNCATED; /* unterminated quote */
				v = buf;
			} else {
				size_t vs = i;
				while (i < len && l[i] != ' ' && l[i] != '\t')
					i++;
				v = l + vs;
				vlen = i - vs;
			}
		}
		const char *k = l + ks;
		pairs++;
		if (ev_record_add_field(rec, k, klen, v, vlen) < 0)
			return -ENOMEM;
#define KEY(s) (klen == sizeof(s) - 1 && memcmp(k, s, sizeof(s) - 1) == 0)
		int rank = KEY("@timestamp")  ? 0
		           : KEY("timestamp") ? 1
		           : KEY("time")      ? 2
		           : KEY("ts")        ? 3
		                              : -1;
		int64_t t;
		if (rank >= 0 && rank < time_rank &&
		    collector_parse_iso_time(v, vlen, &p->tz, &t) == vlen) {
			rec->time_us = t;
			time_rank = rank;
		} else if (KEY("msg") || KEY("message"))
			rec->message = sdup(rec, v, vlen);
		else if (KEY("level") || KEY("lvl") || KEY("severity"))
			rec->priority = collector_level_to_priority(v, vlen);
		else if (KEY("host") || KEY("hostname"))
			rec->host = sdup(rec, v, vlen);
		else if (KEY("program") || KEY("app"))
			rec->program = sdup(rec, v, vlen);
#undef KEY
	}
	if (pairs == 0)
		return 0;
	if (!rec->message.p)
		rec->message = sdup(rec, l, len);
	return time_rank < 99 ? 1 : 2;
}

/* Returns 1 parsed with time, 2 parsed without time, 0 not this format, -ENOMEM. */
static int parse_as(struct collector_parser *p, enum collector_format f, const char *l, size_t len,
                    struct ev_record *rec, int64_t arrival_us) {
	switch (f) {
	case COLLECTOR_FMT_RFC3164:
		return parse_3164(p, l, len, rec);
	case COLLECTOR_FMT_RFC5424: {
		int r = parse_5424(p, l, len, rec, arrival_us);
		return r == 1 && (rec->flags & EV_REC_NO_TIME) ? 2 : r;
	}
	case COLLECTOR_FMT_ISO:
		return parse_iso(p, l, len, rec);
	case COLLECTOR_FMT_JSON:
		return collector_parse_json(p, l, len, rec);
	case COLLECTOR_FMT_LOGFMT:
		return parse_logfmt(p, l, len, rec);
	case COLLECTOR_FMT_AUDIT:
		return collector_audit_parse_line(l, len, rec);
	default:
		return 0;
	}
}

enum collector_format collector_detect_builtin(const char *l, size_t len) {
	if (len == 0)
		return COLLECTOR_FMT_AUTO;
	char c = l[0];
	if (c == '<') {
		int pri;
		size_t o = parse_pri(l, len, &pri);
		if (o && o + 1 < len && l[o] == '1' && l[o + 1] == ' ')
			return COLLECTOR_FMT_RFC5424;
		if (o && o < len && l[o] >= '0' && l[o] <= '9')
			return COLLECTOR_FMT_AUTO; /* "<13>2026-..." is not a format we know */
		return COLLECTOR_FMT_RFC3164;
	}
	if (c >= 'A' && c <= 'S' && len >= 15 && l[3] == ' ')
		return COLLECTOR_FMT_RFC3164;
	if (c >= '0' && c <= '9' && len >= 19 && l[4] == '-')
		return COLLECTOR_FMT_ISO;
	if (c == '{')
		return COLLECTOR_FMT_JSON;
	if ((c == 't' || c == 'n') && collector_audit_looks(l, len))
		return COLLECTOR_FMT_AUDIT;
	if (looks_logfmt(l, len))
		return COLLECTOR_FMT_LOGFMT;
	return COLLECTOR_FMT_AUTO;
}

/* The fast path: auto mode, a line the built-in parsers take whole (a time, and for ISO
 * lines a program), no library format in use and no source defaults. Everything else goes
 * through collector_parse_line_full (parse_auto.c), which parses the line again. */
int collector_parse_line(struct collector_parser *p, const char *line, size_t len,
                         int64_t arrival_us, struct ev_record *rec) {
	if (p->format == COLLECTOR_FMT_AUTO && !p->def && !p->locked && !p->program &&
	    !p->service) {
		enum collector_format f = collector_detect_builtin(line, len);
		int r = f == COLLECTOR_FMT_AUTO ? 0 : parse_as(p, f, line, len, rec, arrival_us);
		if (r < 0)
			return r;
		if (r == 1 && (f != COLLECTOR_FMT_ISO || rec->program.p ||
		               p->lib_misses >= COLLECTOR_LIB_MISSES)) {
			p->n_builtin[f]++;
			return rec->message.p ? 0 : -ENOMEM;
		}
		collector_record_reset_keep(rec);
	}
	return collector_parse_line_full(p, line, len, arrival_us, rec);
}

/* Would collector_parse_line read `line` with its RFC 3164 fast path? No state changes. */
static bool quiet_ok(const struct collector_parser *p, const char *line, size_t len) {
	return p->format == COLLECTOR_FMT_AUTO && !p->def && !p->locked && !p->program &&
	       !p->service && collector_detect_builtin(line, len) == COLLECTOR_FMT_RFC3164;
}

int collector_parse_line_asking(struct collector_parser *p, const char *line, size_t len,
                                uint64_t off, size_t raw_len, collector_quiet_fn quiet,
                                void *quiet_ctx, int64_t arrival_us, struct ev_record *rec) {
	size_t o;
	if (quiet && quiet_ok(p, line, len) && quiet(quiet_ctx, off, raw_len) &&
	    parse_3164_head(p, line, len, rec, &o)) {
		p->n_builtin[COLLECTOR_FMT_RFC3164]++;
		rec->flags |= EV_REC_QUIET;
		return 0; /* time only: no rule can match it */
	}
	return collector_parse_line(p, line, len, arrival_us, rec);
}

int collector_parse_builtin(struct collector_parser *p, enum collector_format f, const char *line,
                            size_t len, struct ev_record *rec, int64_t arrival_us) {
	if (f == COLLECTOR_FMT_AUTO)
		return 0;
	int r = parse_as(p, f, line, len, rec, arrival_us);
	if (r == 0 && p->format == COLLECTOR_FMT_AUTO && f == COLLECTOR_FMT_RFC3164 &&
	    looks_logfmt(line, len))
		r = parse_as(p, COLLECTOR_FMT_LOGFMT, line, len, rec, arrival_us);
	return r;
}

int collector_parse_time_builtin(struct collector_parser *p, enum collector_format f, const char *l,
                                 size_t len, int64_t *ret_us) {
	int pri;
	size_t o;
	unsigned mon, day, sod;
	int64_t t;
	switch (f) {
	case COLLECTOR_FMT_RFC3164:
		o = parse_pri(l, len, &pri);
		if (!collector_parse_bsd_time(l + o, len - o, &mon, &day, &sod))
			return 0;
		if (o + 15 < len && l[o + 15] != ' ' && l[o + 15] != '.')
			return 0;
		*ret_us = bsd_to_us(p, mon, day, sod);
		return 1;
	case COLLECTOR_FMT_ISO:
		o = collector_parse_iso_time(l, len, &p->tz, &t);
		if (!o || (o < len && l[o] != ' ' && l[o] != '\t'))
			return 0;
		*ret_us = t;
		return 1;
	case COLLECTOR_FMT_AUTO:
		return -1;
	default: {
		/* the rarer formats: a full parse into a scratch record */
		struct ev_record rec;
		ev_record_init(&rec);
		int r = parse_as(p, f, l, len, &rec, 0);
		int64_t tt = rec.time_us;
		ev_record_free(&rec);
		if (r == 1) {
			*ret_us = tt;
			return 1;
		}
		return 0;
	}
	}
}

int collector_parse_continuation(const char *line, size_t len, bool have_prev, int64_t prev_us,
                                 int64_t arrival_us, struct ev_record *rec) {
	rec->flags |= EV_REC_PART;
	if (have_prev)
		rec->time_us = prev_us;
	else {
		rec->time_us = arrival_us;
		rec->flags |= EV_REC_NO_TIME;
	}
	rec->message = sdup(rec, line, len);
	return rec->message.p ? 0 : -ENOMEM;
}
