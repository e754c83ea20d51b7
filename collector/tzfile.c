/* TZif reader and POSIX TZ rule evaluation (see tzfile.h). Pure arithmetic after
 * loading: a binary search in the transition table, or the footer rule computed for the
 * year in question. Nothing here reads or writes process-wide state. */
#include "collector/tzfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/evtime.h"
#include "collector/lines.h"
#include "util/macro.h"

#define TZ_FILE_MAX  (1 << 20)
#define TZ_TRANS_MAX 10000
#define TZ_TYPES_MAX 256

/* A rule date: Jn (julian, no Feb 29), n (0-based, with Feb 29) or Mm.w.d. */
struct rule_date {
	char kind; /* 'J', 'D', 'M' */
	int n, m, w, d;
	int32_t time; /* seconds after local midnight; may be negative or above a day */
};

struct posix_rule {
	int32_t std_off, dst_off; /* seconds east of UTC */
	bool has_dst;
	struct rule_date start, end;
};

struct collector_tzdata {
	int64_t *trans;
	uint8_t *idx;
	size_t n_trans;
	int32_t utoff[TZ_TYPES_MAX];
	size_t n_types;
	bool has_rule;
	struct posix_rule rule;
};

static uint32_t be32(const unsigned char *p) {
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p) {
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* ---- POSIX TZ strings ---- */

static const char *skip_name(const char *s) {
	if (*s == '<') {
		const char *e = strchr(s, '>');
		return e && e - s >= 4 ? e + 1 : NULL;
	}
	const char *b = s;
	while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
		s++;
	return s - b >= 3 ? s : NULL;
}

static int num(const char **s, int max) {
	int v = 0, n = 0;
	while (**s >= '0' && **s <= '9' && n < 4) {
		v = v * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	return n == 0 || v > max ? -1 : v;
}

/* [+-]hh[:mm[:ss]], hours up to `hmax`; the value in seconds. */
static const char *parse_hms(const char *s, int hmax, int32_t *ret) {
	int sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	int h = num(&s, hmax), m = 0, sec = 0;
	if (h < 0)
		return NULL;
	if (*s == ':') {
		s++;
		if ((m = num(&s, 59)) < 0)
			return NULL;
		if (*s == ':') {
			s++;
			if ((sec = num(&s, 59)) < 0)
				return NULL;
		}
	}
	*ret = sign * (h * 3600 + m * 60 + sec);
	return s;
}

static const char *parse_date(const char *s, struct rule_date *r) {
	if (*s == 'J') {
		s++;
		r->kind = 'J';
		if ((r->n = num(&s, 365)) < 1)
			return NULL;
	} else if (*s == 'M') {
		s++;
		r->kind = 'M';
		if ((r->m = num(&s, 12)) < 1 || *s++ != '.' || (r->w = num(&s, 5)) < 1 ||
		    *s++ != '.' || (r->d = num(&s, 6)) < 0)
			return NULL;
	} else {
		r->kind = 'D';
		if ((r->n = num(&s, 365)) < 0)
			return NULL;
	}
	r->time = 7200;
	if (*s == '/')
		s = parse_hms(s + 1, 167, &r->time);
	return s;
}

static int parse_rule(const char *s, struct posix_rule *r) {
	int32_t off;
	memset(r, 0, sizeof(*r));
	if (!(s = skip_name(s)) || !(s = parse_hms(s, 24, &off)))
		return -EINVAL;
	r->std_off = -off; /* POSIX offsets count west */
	if (!*s)
		return 0;
	if (!(s = skip_name(s)))
		return -EINVAL;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*s && *s != ',') {
		if (!(s = parse_hms(s, 24, &off)))
			return -EINVAL;
		r->dst_off = -off;
	}
	if (*s != ',')
		return -EINVAL; /* no rule: the old US default is not guessed */
	if (!(s = parse_date(s + 1, &r->start)) || *s != ',' || !(s = parse_date(s + 1, &r->end)) ||
	    *s)
		return -EINVAL;
	return 0;
}

static bool leap(int y) {
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Local seconds of a rule date in year y. */
static int64_t rule_local(const struct rule_date *r, int y) {
	int64_t day;
	if (r->kind == 'J')
		day = ev_days_from_civil(y, 1, 1) + r->n - 1 + (leap(y) && r->n >= 60);
	else if (r->kind == 'D')
		day = ev_days_from_civil(y, 1, 1) + r->n;
	else {
		static const unsigned mlen[13] = {0,  31, 28, 31, 30, 31, 30,
		                                  31, 31, 30, 31, 30, 31};
		int64_t first = ev_days_from_civil(y, (unsigned)r->m, 1);
		int wd = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
		int64_t dom = (r->d - wd + 7) % 7 + (int64_t)(r->w - 1) * 7;
		unsigned len = mlen[r->m] + (r->m == 2 && leap(y));
		while (dom >= len)
			dom -= 7;
		day = first + dom;
	}
	return day * 86400 + r->time;
}

static int32_t rule_offset(const struct posix_rule *r, int64_t utc) {
	if (!r->has_dst)
		return r->std_off;
	int64_t local = utc + r->std_off;
	int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	int y;
	unsigned m, d;
	ev_civil_from_days(days, &y, &m, &d);
	/* the start is given in standard time, the end in daylight time */
	int64_t start = rule_local(&r->start, y) - r->std_off;
	int64_t end = rule_local(&r->end, y) - r->dst_off;
	bool dst = start < end ? (utc >= start && utc < end) : !(utc >= end && utc < start);
	return dst ? r->dst_off : r->std_off;
}

/* ---- TZif ---- */

struct counts {
	uint32_t isut, isstd, leap, time, type, chr;
};

static size_t block_len(const struct counts *c, size_t tsize) {
	return c->time * tsize + c->time + c->type * 6 + c->chr + c->leap * (tsize + 4) + c->isstd +
	       c->isut;
}

static int read_counts(const unsigned char *p, size_t len, struct counts *c) {
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -EINVAL;
	*c = (struct counts){be32(p + 20), be32(p + 24), be32(p + 28),
	                     be32(p + 32), be32(p + 36), be32(p + 40)};
	if (c->time > TZ_TRANS_MAX || c->type == 0 || c->type > TZ_TYPES_MAX || c->chr > 4096 ||
	    c->leap > 1000 || (c->isut && c->isut != c->type) || (c->isstd && c->isstd != c->type))
		return -EINVAL;
	return 0;
}

static int parse(const unsigned char *p, size_t len, struct collector_tzdata *z) {
	struct counts c;
	if (read_counts(p, len, &c) < 0)
		return -EINVAL;
	size_t tsize = 4, at = 44;
	if (p[4] >= '2') { /* skip the 32-bit block: the 64-bit one follows */
		at += block_len(&c, 4);
		if (at > len || read_counts(p + at, len - at, &c) < 0)
			return -EINVAL;
		at += 44;
		tsize = 8;
	}
	if (block_len(&c, tsize) > len - at)
		return -EINVAL;
	const unsigned char *b = p + at;
	z->n_trans = c.time;
	z->n_types = c.type;
	z->trans = calloc(c.time ? c.time : 1, sizeof(*z->trans));
	z->idx = calloc(c.time ? c.time : 1, 1);
	if (!z->trans || !z->idx)
		return -ENOMEM;
	for (size_t i = 0; i < c.time; i++) {
		z->trans[i] = tsize == 8 ? be64(b + i * 8) : (int32_t)be32(b + i * 4);
		if (i && z->trans[i] <= z->trans[i - 1])
			return -EINVAL;
	}
	b += c.time * tsize;
	for (size_t i = 0; i < c.time; i++)
		if ((z->idx[i] = b[i]) >= c.type)
			return -EINVAL;
	b += c.time;
	for (size_t i = 0; i < c.type; i++) {
		int32_t off = (int32_t)be32(b + i * 6);
		if (off < -25 * 3600 || off > 26 * 3600)
			return -EINVAL;
		z->utoff[i] = off;
	}
	at += block_len(&c, tsize);
	/* footer (version 2+): "\n" POSIX TZ "\n"; an empty one means no rule */
	if (tsize == 8 && at < len && p[at] == '\n') {
		const unsigned char *e = memchr(p + at + 1, '\n', len - at - 1);
		if (e && e - (p + at + 1) > 0 && e - (p + at + 1) < 256) {
			char tz[256];
			memcpy(tz, p + at + 1, (size_t)(e - (p + at + 1)));
			tz[e - (p + at + 1)] = 0;
			z->has_rule = parse_rule(tz, &z->rule) == 0;
		}
	}
	return 0;
}

int collector_tzdata_load(const char *path, struct collector_tzdata **ret) {
	_cleanup_free_ char *buf = NULL;
	size_t got = 0;
	int r = collector_read_regular(path, true, TZ_FILE_MAX, &buf, &got, NULL);
	if (r < 0)
		return r == -EFBIG ? -EINVAL : r;
	struct collector_tzdata *z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	r = parse((const unsigned char *)buf, got, z);
	if (r < 0) {
		collector_tzdata_free(z);
		return r;
	}
	*ret = z;
	return 0;
}

struct collector_tzdata *collector_tzdata_free(struct collector_tzdata *z) {
	if (z) {
		free(z->trans);
		free(z->idx);
		free(z);
	}
	return NULL;
}

int32_t collector_tzdata_offset_at(const struct collector_tzdata *z, int64_t utc) {
	if (z->n_trans == 0 || utc < z->trans[0])
		return z->n_trans == 0 && z->has_rule ? rule_offset(&z->rule, utc) : z->utoff[0];
	if (utc >= z->trans[z->n_trans - 1] && z->has_rule)
		return rule_offset(&z->rule, utc);
	size_t lo = 0, hi = z->n_trans; /* the last transition at or before utc */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= utc)
			lo = mid;
		else
			hi = mid;
	}
	return z->utoff[z->idx[lo]];
}

int64_t collector_tzdata_local_to_utc(const struct collector_tzdata *z, int64_t local) {
	/* candidates: the offsets a day before and after `local` read as UTC (offsets are
	 * within ±26 h), and at it; a candidate is valid when its instant has that offset */
	int32_t off[3] = {collector_tzdata_offset_at(z, local - 26 * 3600),
	                  collector_tzdata_offset_at(z, local),
	                  collector_tzdata_offset_at(z, local + 26 * 3600)};
	int64_t best = INT64_MAX, low = INT64_MAX;
	for (int i = 0; i < 3; i++) {
		int64_t u = local - off[i];
		low = MIN(low, u);
		if (collector_tzdata_offset_at(z, u) == off[i])
			best = MIN(best, u); /* both occur (clocks set back): the first */
	}
	if (best != INT64_MAX)
		return best;
	/* in a gap (clocks set forward): read with the offset in force before the change */
	return local - collector_tzdata_offset_at(z, low - 1);
}
