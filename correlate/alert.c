/* Alerts: the canonical JSON rendering (jansson, sorted keys, compact, one line) and the
 * callback. Strings from logs may hold invalid UTF-8: each invalid byte becomes U+FFFD so
 * the JSON is always valid and the same input always renders the same bytes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <time.h>

#include "correlate/internal.h"
#include "util/timefmt.h"

int correlate_parse_time(const char *s, int64_t *ret_us) {
	struct tm tm = {0};
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || n != 10)
		return -EINVAL;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return -EINVAL;
	const char *p = s + 11;
	if (sscanf(p, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 3 || n != 8)
		return -EINVAL;
	p += 8;
	int64_t frac = 0;
	if (*p == '.') {
		int digits = 0;
		p++;
		while (*p >= '0' && *p <= '9') {
			if (digits < 6)
				frac = frac * 10 + (*p - '0'), digits++;
			p++;
		}
		if (!digits)
			return -EINVAL;
		while (digits++ < 6)
			frac *= 10;
	}
	int64_t off = 0;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		int hh, mm;
		if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5)
			return -EINVAL;
		off = (hh * 3600 + mm * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else
		return -EINVAL;
	if (*p)
		return -EINVAL;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	*ret_us = ((int64_t)t - off) * 1000000 + frac;
	return 0;
}

/* A growing output buffer; on OOM it stops growing and `bad` is set. */
struct jbuf {
	char *p;
	size_t n, cap;
	bool bad;
};

static void jb_put(struct jbuf *b, const char *s, size_t n) {
	if (b->bad)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t nc = MAX(b->cap * 2, b->n + n + 256);
		char *np = realloc(b->p, nc);
		if (!np) {
			b->bad = true;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}
#define JB_LIT(b, s) jb_put((b), (s), sizeof(s) - 1)

/* A JSON string, escaped as jansson does with its default flags (so the output is
 * canonical: compact, UTF-8 kept, control characters escaped); each byte that is not
 * part of valid UTF-8 becomes U+FFFD. */
static void jb_str(struct jbuf *b, const char *p, size_t n) {
	JB_LIT(b, "\"");
	const unsigned char *u = (const unsigned char *)(p ? p : "");
	if (!p)
		n = 0;
	size_t run = 0; /* start of a run of bytes copied verbatim */
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c < 0x80) {
			jb_put(b, (const char *)u + run, i - run);
			char esc[8];
			switch (c) {
			case '"':
				jb_put(b, "\\\"", 2);
				break;
			case '\\':
				jb_put(b, "\\\\", 2);
				break;
			case '\b':
				jb_put(b, "\\b", 2);
				break;
			case '\f':
				jb_put(b, "\\f", 2);
				break;
			case '\n':
				jb_put(b, "\\n", 2);
				break;
			case '\r':
				jb_put(b, "\\r", 2);
				break;
			case '\t':
				jb_put(b, "\\t", 2);
				break;
			default:
				snprintf(esc, sizeof(esc), "\\u%04X", c);
				jb_put(b, esc, 6);
			}
			run = ++i;
			continue;
		}
		size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		bool ok = len > 0 && i + len <= n;
		for (size_t k = 1; ok && k < len; k++)
			ok = (u[i + k] & 0xc0) == 0x80;
		if (ok && len == 2 && c < 0xc2)
			ok = false;
		if (ok && len == 3) {
			unsigned cp =
			        (c & 0x0fu) << 12 | (u[i + 1] & 0x3fu) << 6 | (u[i + 2] & 0x3fu);
			ok = cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
		}
		if (ok && len == 4) {
			unsigned cp = (c & 0x07u) << 18 | (u[i + 1] & 0x3fu) << 12 |
			              (u[i + 2] & 0x3fu) << 6 | (u[i + 3] & 0x3fu);
			ok = cp >= 0x10000 && cp <= 0x10ffff;
		}
		if (ok) {
			i += len;
			continue;
		}
		jb_put(b, (const char *)u + run, i - run);
		JB_LIT(b, "\xef\xbf\xbd");
		run = ++i;
	}
	jb_put(b, (const char *)u + run, n - run);
	JB_LIT(b, "\"");
}

static void jb_cstr(struct jbuf *b, const char *s) {
	if (s)
		jb_str(b, s, strlen(s));
	else
		JB_LIT(b, "null");
}

static void jb_time(struct jbuf *b, int64_t us) {
	char t[48];
	ev_format_rfc3339_us(us, t, sizeof(t));
	JB_LIT(b, "\"");
	jb_put(b, t, strlen(t));
	JB_LIT(b, "\"");
}

static void jb_u64(struct jbuf *b, uint64_t v) {
	char t[32];
	int n = snprintf(t, sizeof(t), "%" PRIu64, v);
	jb_put(b, t, (size_t)n);
}

static void jb_event(struct jbuf *b, int64_t time, const char *src, size_t src_len, const char *msg,
                     size_t msg_len) {
	JB_LIT(b, "{\"message\":");
	jb_str(b, msg, msg_len);
	JB_LIT(b, ",\"source\":");
	jb_str(b, src, src_len);
	JB_LIT(b, ",\"time\":");
	jb_time(b, time);
	JB_LIT(b, "}");
}

struct kv {
	const char *k;
	size_t klen;
	const char *v;
	size_t vlen;
	size_t order; /* later entries win for the same key */
};

static int kv_cmp(const void *a, const void *b) {
	const struct kv *x = a, *y = b;
	size_t m = MIN(x->klen, y->klen);
	int c = memcmp(x->k, y->k, m);
	if (c)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return x->order > y->order ? -1 : x->order < y->order; /* latest first */
}

/* An object with sorted keys, the first of equal keys (after kv_cmp: the latest) kept. */
static void jb_object(struct jbuf *b, struct kv *v, size_t n) {
	qsort(v, n, sizeof(*v), kv_cmp);
	JB_LIT(b, "{");
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && v[i].klen == v[i - 1].klen && !memcmp(v[i].k, v[i - 1].k, v[i].klen))
			continue;
		if (!first)
			JB_LIT(b, ",");
		first = false;
		jb_str(b, v[i].k, v[i].klen);
		JB_LIT(b, ":");
		jb_str(b, v[i].v, v[i].vlen);
	}
	JB_LIT(b, "}");
}

/* The alert as canonical JSON into b; `future` adds "time_suspect":"future". */
static void alert_render(struct correlate_engine *e, const struct alert_data *a, bool future,
                         struct jbuf *bp) {
	const struct rule *r = a->rule;
	struct jbuf b = {0};
	/* keys in byte order: count distinct events fields first group kind last rule time */
	JB_LIT(&b, "{\"count\":");
	jb_u64(&b, a->count);
	if (a->has_distinct) {
		JB_LIT(&b, ",\"distinct\":");
		jb_u64(&b, a->distinct);
	}
	JB_LIT(&b, ",\"events\":[");
	bool comma = false;
	if (a->rec) {
		const struct ev_record *rec = a->rec;
		jb_event(&b, rec->time_us, rec->source.p, rec->source.len, rec->message.p,
		         MIN(rec->message.len, (size_t)SAMPLE_MSG_CAP));
		comma = true;
	}
	for (size_t i = 0; i < a->n_samples; i++) {
		const struct sample *s = a->samples[i];
		if (comma)
			JB_LIT(&b, ",");
		const char *src = sample_src(e, s);
		jb_event(&b, s->time, src, strlen(src), s->msg, s->msg_len);
		comma = true;
	}
	JB_LIT(&b, "]");
	if (a->rec) {
		const struct ev_record *rec = a->rec;
		static const char *std[] = {"host", "program",  "pid",
		                            "unit", "priority", "facility"};
		size_t n = ELEMENTSOF(std) + rec->n_fields + a->n_caps, k = 0;
		struct kv *v = calloc(n + 1, sizeof(*v));
		if (!v)
			b.bad = true;
		for (size_t i = 0; v && i < ELEMENTSOF(std); i++) {
			const struct ev_str *x = ev_record_get(rec, std[i]);
			if (x && x->len)
				v[k] = (struct kv){std[i], strlen(std[i]), x->p, x->len, k}, k++;
		}
		for (size_t i = 0; v && i < rec->n_fields; i++)
			v[k] = (struct kv){rec->fields[i].name.p, rec->fields[i].name.len,
			                   rec->fields[i].value.p, rec->fields[i].value.len, k},
			k++;
		for (size_t i = 0; v && i < a->n_caps; i++)
			v[k] = (struct kv){a->caps[i].name, a->caps[i].name_len, a->caps[i].value,
			                   a->caps[i].value_len, k},
			k++;
		JB_LIT(&b, ",\"fields\":");
		if (v)
			jb_object(&b, v, k);
		free(v);
	}
	JB_LIT(&b, ",\"first\":");
	jb_time(&b, a->first);
	JB_LIT(&b, ",\"group\":");
	struct kv gv[64] = {{0}};
	size_t ng = MIN(a->n_g, ELEMENTSOF(gv));
	for (size_t i = 0; i < ng; i++)
		gv[i] = (struct kv){a->gnames[i], strlen(a->gnames[i]), a->gvals[i].p,
		                    a->gvals[i].len, ng - i};
	jb_object(&b, gv, ng);
	JB_LIT(&b, ",\"kind\":");
	jb_cstr(&b, a->kind);
	JB_LIT(&b, ",\"last\":");
	jb_time(&b, a->last);
	JB_LIT(&b, ",\"rule\":{\"id\":");
	jb_cstr(&b, r->id);
	JB_LIT(&b, ",\"level\":");
	jb_cstr(&b, r->level);
	JB_LIT(&b, ",\"tags\":[");
	for (size_t i = 0; i < r->n_tags; i++) {
		if (i)
			JB_LIT(&b, ",");
		jb_cstr(&b, r->tags[i]);
	}
	JB_LIT(&b, "],\"title\":");
	jb_cstr(&b, r->title ? r->title : r->name);
	JB_LIT(&b, "},\"time\":");
	jb_time(&b, a->time);
	if (future)
		JB_LIT(&b, ",\"time_suspect\":\"future\"");
	JB_LIT(&b, "}");
	*bp = b;
}

void alert_emit(struct correlate_engine *e, const struct alert_data *a) {
	const struct rule *r = a->rule;
	struct correlate_alert al = {.rule_id = r->id,
	                             .rule_title = r->title ? r->title : r->name,
	                             .level = r->level,
	                             .kind = a->kind,
	                             .time_us = a->time,
	                             .count = a->count};
	struct jbuf b = {0}, f = {0};
	alert_render(e, a, a->future, &b);
	if (e->holding && !b.bad) {
		/* the next record decides whether this one's time holds: keep both renderings */
		alert_render(e, a, true, &f);
		if (!f.bad) {
			timeguard_hold_alert(e, &al, b.p, f.p);
			return;
		}
		e->held_oom = true;
		free(f.p);
	}
	e->st.alerts++;
	if (e->cb && !b.bad) {
		al.json = b.p;
		e->cb(e->cb_ctx, &al);
	}
	free(b.p);
}
