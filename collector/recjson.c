/* JSON rendering of records: a hand-written encoder because records carry bytes (NUL,
 * invalid UTF-8) that a generic JSON library would reject, and because replay prints
 * millions of them. */
#include "collector/recjson.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/evtime.h"
#include "util/macro.h"
#include "util/timefmt.h"

static int grow(struct collector_buf *b, size_t n) {
	if (b->alloc - b->len >= n)
		return 0;
	size_t a = b->alloc ? b->alloc : 4096;
	while (a - b->len < n)
		a *= 2;
	char *p = realloc(b->p, a);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->alloc = a;
	return 0;
}

int collector_buf_put(struct collector_buf *b, const void *p, size_t n) {
	if (grow(b, n) < 0)
		return -ENOMEM;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

void collector_buf_done(struct collector_buf *b) {
	free(b->p);
	*b = (struct collector_buf){0};
}

/* Length of a valid UTF-8 sequence at s (0 if invalid). */
static size_t utf8_len(const unsigned char *s, size_t n) {
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;
		if (c == 0xed && s[1] >= 0xa0) /* surrogates */
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

bool collector_utf8_valid(const char *p, size_t n) {
	const unsigned char *s = (const unsigned char *)p, *e = s + n;
	while (s < e) {
		size_t k = utf8_len(s, (size_t)(e - s));
		if (!k)
			return false;
		s += k;
	}
	return true;
}

int collector_json_str(struct collector_buf *b, const char *p, size_t n, int *bad) {
	/* worst case: every byte becomes \ufffd (3 bytes) or \u00XX (6 bytes) */
	if (grow(b, n * 6 + 2) < 0)
		return -ENOMEM;
	static const char hex[] = "0123456789abcdef";
	char *o = b->p + b->len;
	const unsigned char *s = (const unsigned char *)p, *e = s + n;
	*o++ = '"';
	while (s < e) {
		unsigned char c = *s;
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			*o++ = (char)c;
			s++;
			continue;
		}
		if (c < 0x80) {
			*o++ = '\\';
			switch (c) {
			case '"':
				*o++ = '"';
				break;
			case '\\':
				*o++ = '\\';
				break;
			case '\n':
				*o++ = 'n';
				break;
			case '\t':
				*o++ = 't';
				break;
			case '\r':
				*o++ = 'r';
				break;
			default:
				*o++ = 'u', *o++ = '0', *o++ = '0';
				*o++ = hex[c >> 4], *o++ = hex[c & 15];
			}
			s++;
			continue;
		}
		size_t k = utf8_len(s, (size_t)(e - s));
		if (k == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			s++;
			if (bad)
				*bad = 1;
			continue;
		}
		memcpy(o, s, k);
		o += k;
		s += k;
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	return 0;
}

#define PUTS(b, s) collector_buf_put((b), (s), sizeof(s) - 1)

/* decimal digits of v at the end of a 24-byte buffer; returns the start */
static char *fmt_i64(int64_t v, char *end) {
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char *p = end;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return p;
}

/* `,"KEY":` at the start of t (36 bytes or more; keys are ours, at most 32 bytes).
 * Returns its length, or 0 for a longer key. */
static size_t put_key(char *t, const char *key) {
	size_t kl = strlen(key);
	if (kl > 32)
		return 0;
	t[0] = ',', t[1] = '"';
	memcpy(t + 2, key, kl);
	t[2 + kl] = '"', t[3 + kl] = ':';
	return 4 + kl;
}

static int put_num(struct collector_buf *b, const char *key, int64_t v) {
	char t[64];
	size_t kl = put_key(t, key);
	if (!kl)
		return -EINVAL;
	char num[24], *p = fmt_i64(v, num + sizeof(num));
	size_t nl = (size_t)(num + sizeof(num) - p);
	memcpy(t + kl, p, nl);
	return collector_buf_put(b, t, kl + nl);
}

static int put_str(struct collector_buf *b, const char *key, const struct ev_str *s, int *bad) {
	if (!s->p)
		return 0;
	char t[40];
	size_t kl = put_key(t, key);
	if (!kl)
		return -EINVAL;
	if (collector_buf_put(b, t, kl) < 0)
		return -ENOMEM;
	return collector_json_str(b, s->p, s->len, bad);
}

static bool same_name(const struct ev_field *a, const struct ev_field *b) {
	return a->name.len == b->name.len && memcmp(a->name.p, b->name.p, a->name.len) == 0;
}

#define FIELDS_ON_STACK 32 /* records with more fields sort on the heap */

struct by_name {
	const struct ev_str *name;
	size_t i;
};

static int cmp_by_name(const void *x, const void *y) {
	const struct by_name *a = x, *b = y;
	size_t l = MIN(a->name->len, b->name->len);
	int c = l ? memcmp(a->name->p, b->name->p, l) : 0;
	if (c == 0)
		c = (a->name->len > b->name->len) - (a->name->len < b->name->len);
	return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* The fields of one name, in record order, as one member: `next[i]` is the next field of
 * i's name (SIZE_MAX: none), `count[i]` the number of them when i is the first, else 0.
 * Found by sorting (name, position): comparing every field with every other was
 * quadratic in the fields of a record, which a hostile line chooses. */
static int group_fields(const struct ev_record *r, size_t *next, size_t *count) {
	size_t n = r->n_fields;
	struct by_name small[FIELDS_ON_STACK];
	struct by_name *v = n <= FIELDS_ON_STACK ? small : malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct by_name){&r->fields[i].name, i};
	qsort(v, n, sizeof(*v), cmp_by_name);
	for (size_t k = 0, lead = 0; k < n; k++) {
		size_t i = v[k].i;
		next[i] = SIZE_MAX;
		count[i] = 0;
		if (k > 0 && same_name(&r->fields[v[k - 1].i], &r->fields[i])) {
			next[v[k - 1].i] = i;
			count[lead]++;
		} else {
			lead = i;
			count[i] = 1;
		}
	}
	if (v != small)
		free(v);
	return 0;
}

/* ,"fields":{NAME:VALUE or NAME:[VALUE,...],...} in the order of each name's first field. */
static int put_fields(struct collector_buf *b, const struct ev_record *r, int *bad) {
	size_t n = r->n_fields, small[2 * FIELDS_ON_STACK];
	size_t *next = n <= FIELDS_ON_STACK ? small : malloc(2 * n * sizeof(*next));
	size_t *count = next ? next + n : NULL;
	if (!next || group_fields(r, next, count) < 0) {
		if (next != small)
			free(next);
		return -ENOMEM;
	}
	int e = PUTS(b, ",\"fields\":{");
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (!count[i])
			continue;
		const struct ev_field *f = &r->fields[i];
		if (!first)
			e |= PUTS(b, ",");
		first = false;
		e |= collector_json_str(b, f->name.p, f->name.len, bad);
		e |= PUTS(b, ":");
		if (count[i] == 1) {
			e |= collector_json_str(b, f->value.p, f->value.len, bad);
			continue;
		}
		e |= PUTS(b, "[");
		for (size_t j = i; j != SIZE_MAX; j = next[j]) {
			if (j != i)
				e |= PUTS(b, ",");
			e |= collector_json_str(b, r->fields[j].value.p, r->fields[j].value.len,
			                        bad);
		}
		e |= PUTS(b, "]");
	}
	e |= PUTS(b, "}");
	if (next != small)
		free(next);
	return e ? -ENOMEM : 0;
}

int collector_record_to_json(const struct ev_record *r, struct collector_buf *b) {
	char t[40];
	int bad = 0, e = 0;
	size_t n = ev_format_rfc3339_us(r->time_us, t, sizeof(t));
	e |= PUTS(b, "{\"time\":\"");
	e |= collector_buf_put(b, t, n);
	e |= PUTS(b, "\"");
	e |= put_num(b, "time_us", r->time_us);
	e |= put_num(b, "seq", (int64_t)r->seq);
	e |= put_str(b, "source", &r->source, &bad);
	e |= put_str(b, "host", &r->host, &bad);
	e |= put_str(b, "program", &r->program, &bad);
	if (r->pid >= 0)
		e |= put_num(b, "pid", r->pid);
	if (r->priority >= 0)
		e |= put_num(b, "priority", r->priority);
	if (r->facility >= 0)
		e |= put_num(b, "facility", r->facility);
	e |= put_str(b, "unit", &r->unit, &bad);
	e |= put_str(b, "message", &r->message, &bad);
	if (r->length || r->offset) {
		e |= put_num(b, "offset", (int64_t)r->offset);
		e |= put_num(b, "length", (int64_t)r->length);
	}
	if (r->flags) {
		static const char *const names[] = {"no_time", "part", "unparsed", "truncated"};
		e |= PUTS(b, ",\"flags\":[");
		bool first = true;
		for (unsigned i = 0; i < 4; i++)
			if (r->flags & (1u << i)) {
				if (!first)
					e |= PUTS(b, ",");
				first = false;
				e |= PUTS(b, "\"");
				e |= collector_buf_put(b, names[i], strlen(names[i]));
				e |= PUTS(b, "\"");
			}
		e |= PUTS(b, "]");
	}
	if (r->n_fields)
		e |= put_fields(b, r, &bad);
	if (bad)
		e |= PUTS(b, ",\"invalid_utf8\":true");
	e |= PUTS(b, "}\n");
	return e ? -ENOMEM : 0;
}
