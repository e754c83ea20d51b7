/* The typed alert (correlate/alert.h) serialised: the fast renderer, the jansson
 * rendering it must equal byte for byte, and the deep copy.
 *
 * Canonical form: the keys of every object in byte order (what jansson's JSON_SORT_KEYS
 * gives), compact, strings escaped as jansson escapes them with its default flags
 * ('"', '\\', control characters; UTF-8 kept), each byte that is not part of valid UTF-8
 * replaced by U+FFFD, so the same alert always renders the same bytes and the output is
 * always valid JSON. The renderer writes the keys in their sorted order directly; field
 * and group arrays arrive sorted and unique (the engine's contract). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/alert.h"
#include "util/macro.h"
#include "util/timefmt.h"

/* The length of the valid UTF-8 sequence starting at u[i] (i < n), or 0. */
static size_t utf8_valid_len(const unsigned char *u, size_t i, size_t n) {
	unsigned char c = u[i];
	if (c < 0x80)
		return 1;
	size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
	if (!len || i + len > n)
		return 0;
	for (size_t k = 1; k < len; k++)
		if ((u[i + k] & 0xc0) != 0x80)
			return 0;
	if (len == 2)
		return c >= 0xc2 ? 2 : 0;
	if (len == 3) {
		unsigned cp = (c & 0x0fu) << 12 | (u[i + 1] & 0x3fu) << 6 | (u[i + 2] & 0x3fu);
		return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) ? 3 : 0;
	}
	unsigned cp = (c & 0x07u) << 18 | (u[i + 1] & 0x3fu) << 12 | (u[i + 2] & 0x3fu) << 6 |
	              (u[i + 3] & 0x3fu);
	return cp >= 0x10000 && cp <= 0x10ffff ? 4 : 0;
}

/* ---- the fast renderer ---- */

/* Appends keep room for the final NUL, written once at the end (jb_end). */
static bool jb_grow(struct correlate_alert_buf *b, size_t n) {
	size_t nc = MAX(b->cap * 2, b->n + n + 256);
	char *np = realloc(b->p, nc);
	if (!np) {
		b->bad = true;
		return false;
	}
	b->p = np;
	b->cap = nc;
	return true;
}

static inline void jb_put(struct correlate_alert_buf *b, const char *s, size_t n) {
	if (b->n + n + 1 > b->cap && (b->bad || !jb_grow(b, n)))
		return;
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void jb_end(struct correlate_alert_buf *b) {
	if (!b->bad && (b->n + 1 <= b->cap || jb_grow(b, 1)))
		b->p[b->n] = 0;
}
#define JB_LIT(b, s) jb_put((b), (s), sizeof(s) - 1)

static const char *escape_of(unsigned char c, char tmp[8]) {
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		snprintf(tmp, 8, "\\u%04X", c);
		return tmp;
	}
}

/* 1: a byte that is not copied as it is (control, '"', '\\', non-ASCII) */
static const unsigned char special[256] = {
        [0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1};

/* Can the eight bytes at u hold a special byte? (No false "no": a control byte, '"', '\\'
 * or a high bit always answers yes.) */
static inline bool word_special(const unsigned char *u) {
	const uint64_t ones = 0x0101010101010101ULL, hi = 0x8080808080808080ULL;
	uint64_t x;
	memcpy(&x, u, 8);
	uint64_t q = x ^ (ones * '"'), s = x ^ (ones * '\\');
	return ((x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((s - ones) & ~s)) & hi) != 0;
}

static void jb_str(struct correlate_alert_buf *b, const char *p, size_t n) {
	JB_LIT(b, "\"");
	const unsigned char *u = (const unsigned char *)(p ? p : "");
	if (!p)
		n = 0;
	size_t run = 0; /* start of a run of bytes copied verbatim */
	for (size_t i = 0; i < n;) {
		if (i + 8 <= n && !word_special(u + i)) {
			i += 8;
			continue;
		}
		unsigned char c = u[i];
		if (!special[c]) {
			i++;
			continue;
		}
		if (c < 0x80) {
			char tmp[8];
			jb_put(b, (const char *)u + run, i - run);
			const char *esc = escape_of(c, tmp);
			jb_put(b, esc, strlen(esc));
			run = ++i;
			continue;
		}
		size_t len = utf8_valid_len(u, i, n);
		if (len) {
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

static void jb_cstr(struct correlate_alert_buf *b, const char *s) {
	if (s)
		jb_str(b, s, strlen(s));
	else
		JB_LIT(b, "null");
}

/* Times: the date and clock of the last second rendered are kept in b. */
static void jb_time(struct correlate_alert_buf *b, int64_t us) {
	int64_t s = us / 1000000, f = us % 1000000;
	if (f < 0)
		f += 1000000, s--;
	char t[48];
	if (!b->have_cache || b->cached_sec != s) {
		ev_format_rfc3339_us(s * 1000000, t, sizeof(t));
		if (strlen(t) != 27) { /* outside years 1..9999: no cache */
			ev_format_rfc3339_us(us, t, sizeof(t));
			JB_LIT(b, "\"");
			jb_put(b, t, strlen(t));
			JB_LIT(b, "\"");
			return;
		}
		memcpy(b->cached_time, t, 19);
		b->cached_sec = s;
		b->have_cache = true;
	}
	t[0] = '"';
	memcpy(t + 1, b->cached_time, 19);
	t[20] = '.';
	unsigned v = (unsigned)f;
	for (int k = 26; k >= 21; k--, v /= 10)
		t[k] = (char)('0' + v % 10);
	t[27] = 'Z';
	t[28] = '"';
	jb_put(b, t, 29);
}

static void jb_u64(struct correlate_alert_buf *b, uint64_t v) {
	char t[24];
	size_t i = sizeof(t);
	do
		t[--i] = (char)('0' + v % 10);
	while (v /= 10);
	jb_put(b, t + i, sizeof(t) - i);
}

static void jb_fields(struct correlate_alert_buf *b, const struct correlate_alert_field *v,
                      size_t n) {
	JB_LIT(b, "{");
	for (size_t i = 0; i < n; i++) {
		if (i)
			JB_LIT(b, ",");
		jb_str(b, v[i].name.p, v[i].name.len);
		JB_LIT(b, ":");
		jb_str(b, v[i].value.p, v[i].value.len);
	}
	JB_LIT(b, "}");
}

static void jb_rule(struct correlate_alert_buf *b, const struct correlate_alert *a) {
	if (a->rule_json) {
		jb_put(b, a->rule_json, a->rule_json_len);
		return;
	}
	JB_LIT(b, "{\"id\":");
	jb_cstr(b, a->rule_id);
	JB_LIT(b, ",\"level\":");
	jb_cstr(b, a->level);
	JB_LIT(b, ",\"tags\":[");
	for (size_t i = 0; i < a->n_tags; i++) {
		if (i)
			JB_LIT(b, ",");
		jb_cstr(b, a->tags[i]);
	}
	JB_LIT(b, "],\"title\":");
	jb_cstr(b, a->rule_title);
	JB_LIT(b, "}");
}

const char *correlate_alert_render_rule(const struct correlate_alert *a,
                                        struct correlate_alert_buf *b, size_t *ret_len) {
	b->n = 0;
	b->bad = false;
	struct correlate_alert r = *a;
	r.rule_json = NULL;
	jb_rule(b, &r);
	jb_end(b);
	if (b->bad)
		return NULL;
	if (ret_len)
		*ret_len = b->n;
	return b->p;
}

const char *correlate_alert_render(const struct correlate_alert *a, const char *alert_id,
                                   struct correlate_alert_buf *b, size_t *ret_len) {
	b->n = 0;
	b->bad = false;
	/* keys in byte order: alert_id count distinct events fields first group kind last
	 * rule time time_suspect */
	JB_LIT(b, "{");
	if (alert_id) {
		JB_LIT(b, "\"alert_id\":");
		jb_cstr(b, alert_id);
		JB_LIT(b, ",");
	}
	JB_LIT(b, "\"count\":");
	jb_u64(b, a->count);
	if (a->has_distinct) {
		JB_LIT(b, ",\"distinct\":");
		jb_u64(b, a->distinct);
	}
	JB_LIT(b, ",\"events\":[");
	for (size_t i = 0; i < a->n_events; i++) {
		const struct correlate_alert_event *ev = &a->events[i];
		if (i)
			JB_LIT(b, ",");
		JB_LIT(b, "{\"message\":");
		jb_str(b, ev->message.p, ev->message.len);
		JB_LIT(b, ",\"source\":");
		jb_str(b, ev->source.p, ev->source.len);
		JB_LIT(b, ",\"time\":");
		jb_time(b, ev->time_us);
		JB_LIT(b, "}");
	}
	JB_LIT(b, "]");
	if (a->has_fields) {
		JB_LIT(b, ",\"fields\":");
		jb_fields(b, a->fields, a->n_fields);
	}
	JB_LIT(b, ",\"first\":");
	jb_time(b, a->first_us);
	JB_LIT(b, ",\"group\":");
	jb_fields(b, a->group, a->n_group);
	JB_LIT(b, ",\"kind\":");
	jb_cstr(b, a->kind);
	JB_LIT(b, ",\"last\":");
	jb_time(b, a->last_us);
	JB_LIT(b, ",\"rule\":");
	jb_rule(b, a);
	JB_LIT(b, ",\"time\":");
	jb_time(b, a->time_us);
	if (a->time_suspect_future)
		JB_LIT(b, ",\"time_suspect\":\"future\"");
	JB_LIT(b, "}");
	jb_end(b);
	if (b->bad)
		return NULL;
	if (ret_len)
		*ret_len = b->n;
	return b->p;
}

void correlate_alert_buf_done(struct correlate_alert_buf *b) {
	free(b->p);
	*b = (struct correlate_alert_buf){0};
}

/* ---- the jansson rendering ---- */

/* A jansson string of p[0..n) with invalid UTF-8 bytes replaced by U+FFFD ("" for NULL,
 * as the renderer). */
static json_t *jstr(const char *p, size_t n) {
	if (!p)
		return json_string("");
	const unsigned char *u = (const unsigned char *)p;
	char *s = malloc(n * 3 + 1); /* each byte at most three */
	if (!s)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_valid_len(u, i, n);
		if (len) {
			memcpy(s + k, p + i, len);
			k += len, i += len;
		} else {
			memcpy(s + k, "\xef\xbf\xbd", 3);
			k += 3, i++;
		}
	}
	json_t *j = json_stringn(s, k);
	free(s);
	return j;
}

static json_t *jcstr(const char *s) {
	return s ? jstr(s, strlen(s)) : json_null();
}

static json_t *jtime(int64_t us) {
	char t[48];
	ev_format_rfc3339_us(us, t, sizeof(t));
	return json_string(t);
}

/* Set key (sanitised like the values); false on failure. */
static bool jset(json_t *o, const char *k, size_t klen, json_t *v) {
	json_t *key = jstr(k, klen);
	bool ok = key && v &&
	          json_object_setn_new(o, json_string_value(key), json_string_length(key), v) == 0;
	if (!ok && !key)
		json_decref(v);
	json_decref(key);
	return ok;
}
#define JSET(o, k, v) jset((o), (k), strlen(k), (v))

static json_t *jfields(const struct correlate_alert_field *v, size_t n) {
	json_t *o = json_object();
	for (size_t i = 0; o && i < n; i++)
		if (!jset(o, v[i].name.p, v[i].name.len, jstr(v[i].value.p, v[i].value.len)))
			o = (json_decref(o), NULL);
	return o;
}

static json_t *jrule(const struct correlate_alert *a) {
	json_t *tags = json_array(), *r = json_object();
	for (size_t i = 0; tags && i < a->n_tags; i++)
		if (json_array_append_new(tags, jcstr(a->tags[i])) < 0)
			tags = (json_decref(tags), NULL);
	if (!r || !JSET(r, "id", jcstr(a->rule_id)) || !JSET(r, "level", jcstr(a->level)) ||
	    !JSET(r, "tags", tags) || !JSET(r, "title", jcstr(a->rule_title))) {
		json_decref(r);
		return NULL;
	}
	return r;
}

json_t *correlate_alert_to_json(const struct correlate_alert *a, const char *alert_id) {
	json_t *o = json_object(), *evs = json_array();
	bool ok = o && evs;
	for (size_t i = 0; ok && i < a->n_events; i++) {
		const struct correlate_alert_event *ev = &a->events[i];
		json_t *e = json_object();
		ok = e && JSET(e, "message", jstr(ev->message.p, ev->message.len)) &&
		     JSET(e, "source", jstr(ev->source.p, ev->source.len)) &&
		     JSET(e, "time", jtime(ev->time_us)) && json_array_append(evs, e) == 0;
		json_decref(e);
	}
	ok = ok && JSET(o, "events", json_incref(evs));
	if (ok && alert_id)
		ok = JSET(o, "alert_id", json_string(alert_id));
	ok = ok && JSET(o, "count", json_integer((json_int_t)a->count));
	if (ok && a->has_distinct)
		ok = JSET(o, "distinct", json_integer((json_int_t)a->distinct));
	if (ok && a->has_fields)
		ok = JSET(o, "fields", jfields(a->fields, a->n_fields));
	ok = ok && JSET(o, "first", jtime(a->first_us)) &&
	     JSET(o, "group", jfields(a->group, a->n_group)) && JSET(o, "kind", jcstr(a->kind)) &&
	     JSET(o, "last", jtime(a->last_us)) && JSET(o, "rule", jrule(a)) &&
	     JSET(o, "time", jtime(a->time_us));
	if (ok && a->time_suspect_future)
		ok = JSET(o, "time_suspect", json_string("future"));
	json_decref(evs);
	if (!ok)
		o = (json_decref(o), NULL);
	return o;
}

/* ---- the deep copy: one allocation, measured first, then filled ---- */

struct cbuf {
	char *base; /* NULL while measuring */
	size_t off;
};

static void *take(struct cbuf *c, size_t n, size_t align) {
	c->off = (c->off + align - 1) / align * align;
	void *p = c->base ? c->base + c->off : NULL;
	c->off += n;
	return p;
}

static const char *copy_cstr(struct cbuf *c, const char *s) {
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = take(c, n, 1);
	if (p)
		memcpy(p, s, n);
	return p;
}

static struct ev_str copy_str(struct cbuf *c, struct ev_str s) {
	char *p = take(c, s.len + 1, 1);
	if (p) {
		if (s.len)
			memcpy(p, s.p, s.len);
		p[s.len] = 0;
	}
	return (struct ev_str){p, s.len};
}

static struct correlate_alert_field *copy_fields(struct cbuf *c,
                                                 const struct correlate_alert_field *v, size_t n) {
	struct correlate_alert_field *d = take(c, n * sizeof(*d), _Alignof(max_align_t));
	for (size_t i = 0; i < n; i++) {
		struct ev_str k = copy_str(c, v[i].name), x = copy_str(c, v[i].value);
		if (d)
			d[i] = (struct correlate_alert_field){k, x};
	}
	return d;
}

static void copy_into(struct cbuf *c, const struct correlate_alert *a) {
	struct correlate_alert *d = take(c, sizeof(*d), _Alignof(max_align_t));
	const char **tags = take(c, a->n_tags * sizeof(char *), _Alignof(max_align_t));
	struct correlate_alert_event *evs =
	        take(c, a->n_events * sizeof(*evs), _Alignof(max_align_t));
	struct correlate_alert_field *group = copy_fields(c, a->group, a->n_group);
	struct correlate_alert_field *fields = copy_fields(c, a->fields, a->n_fields);
	for (size_t i = 0; i < a->n_tags; i++) {
		const char *t = copy_cstr(c, a->tags[i]);
		if (tags)
			tags[i] = t;
	}
	for (size_t i = 0; i < a->n_events; i++) {
		struct ev_str s = copy_str(c, a->events[i].source);
		struct ev_str m = copy_str(c, a->events[i].message);
		if (evs)
			evs[i] = (struct correlate_alert_event){a->events[i].time_us, s, m};
	}
	const char *id = copy_cstr(c, a->rule_id), *title = copy_cstr(c, a->rule_title);
	const char *level = copy_cstr(c, a->level), *kind = copy_cstr(c, a->kind);
	char *rj = a->rule_json ? take(c, a->rule_json_len, 1) : NULL;
	if (!d)
		return;
	*d = *a;
	d->rule_id = id, d->rule_title = title, d->level = level, d->kind = kind;
	d->tags = a->n_tags ? tags : NULL;
	d->events = a->n_events ? evs : NULL;
	d->group = a->n_group ? group : NULL;
	d->fields = a->n_fields ? fields : NULL;
	if (rj)
		memcpy(rj, a->rule_json, a->rule_json_len);
	d->rule_json = rj;
}

struct correlate_alert *correlate_alert_copy(const struct correlate_alert *a) {
	struct cbuf c = {0};
	copy_into(&c, a);
	c.base = malloc(c.off ? c.off : 1);
	if (!c.base)
		return NULL;
	c.off = 0;
	copy_into(&c, a);
	return (struct correlate_alert *)c.base;
}

struct correlate_alert *correlate_alert_free(struct correlate_alert *a) {
	free(a);
	return NULL;
}
