/* Correlation samples: the events an alert lists (time, source, message), kept by the
 * groups of every correlation a record feeds.
 *
 * One sample per record, shared by counted references between the record's waiting
 * events and the groups that keep it. Its source is an index into the engine's interned
 * sources. Its message is stored as a template and the template's variable tokens: the
 * message split at spaces, each token holding a digit replaced by the byte 0x01 in the
 * template and kept in the sample (a length byte, then the bytes). Templates are interned
 * in one table with counted references (a template lives as long as a sample uses it),
 * so "Accepted publickey for bob from 94.29.109.10 port 6656 ssh2: ED25519 SHA256:3d9c..."
 * keeps 73 bytes per sample instead of 140. The decoding is exact: a message holding the
 * byte 0x01, a token longer than 255 bytes, a short message, or a table at TEMPLATES_MAX
 * keeps the message as it is (tpl NULL).
 *
 * Samples handed to the alert code are decoded copies in the engine's scratch
 * (sample_views()): their refs is 0, so sample_ref() of one makes a counted copy. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "correlate/internal.h"
#include "util/hash.h"

#define SRC_MANY 0xffff /* more than SOURCES_MAX distinct sources: "(source)" */
#define SRC_NONE 0xfffe /* out of memory: "" */
#define TPL_VAR  0x01   /* a variable token's place in a template */
#define VARS_MAX (2 * SAMPLE_MSG_CAP)

struct tpl {
	struct tpl *next;
	uint32_t hash, refs;
	uint32_t len;
	char s[]; /* not NUL-terminated */
};

/* ---- sources ---- */

static uint16_t intern(struct correlate_engine *e, const char *p, size_t n) {
	for (size_t i = e->n_sources; i-- > 0;)
		if (strlen(e->sources[i]) == n && !memcmp(e->sources[i], p, n))
			return (uint16_t)i;
	if (e->n_sources >= SOURCES_MAX) {
		e->st.sources_capped++;
		return SRC_MANY;
	}
	char **v = realloc(e->sources, (e->n_sources + 1) * sizeof(char *));
	if (!v)
		return SRC_NONE;
	e->sources = v;
	char *c = malloc(n + 1);
	if (!c)
		return SRC_NONE;
	if (n)
		memcpy(c, p, n);
	c[n] = 0;
	e->sources[e->n_sources++] = c;
	return (uint16_t)(e->n_sources - 1);
}

const char *sample_src(const struct correlate_engine *e, const struct sample *s) {
	if (s->src < e->n_sources)
		return e->sources[s->src];
	return s->src == SRC_MANY ? "(source)" : "";
}

/* ---- templates ---- */

/* A hash of the first 32 and the last 16 bytes and the length: templates differ early
 * (the program's words) or late (the user); a collision costs a memcmp, never a wrong
 * match. */
static uint32_t tpl_hash(const char *p, size_t n) {
	size_t head = MIN(n, (size_t)32), tail = n > 48 ? n - 16 : head;
	uint64_t h = ev_hash_mix(EV_HASH_SEED ^ n, p, head);
	return ev_hash_fold(ev_hash_mix(h, p + tail, n - tail));
}

static int tpl_grow(struct correlate_engine *e) {
	size_t nb = e->n_tpl_buckets ? e->n_tpl_buckets * 2 : 256;
	struct tpl **b = calloc(nb, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_tpl_buckets; i++)
		for (struct tpl *t = e->tpl_buckets[i], *n; t; t = n) {
			n = t->next;
			t->next = b[t->hash & (nb - 1)];
			b[t->hash & (nb - 1)] = t;
		}
	free(e->tpl_buckets);
	e->tpl_buckets = b;
	e->n_tpl_buckets = nb;
	return 0;
}

/* A reference to the interned template p[0..n), or NULL (table full, out of memory). */
static struct tpl *tpl_get(struct correlate_engine *e, const char *p, size_t n) {
	uint32_t h = tpl_hash(p, n);
	if (e->n_tpl_buckets)
		for (struct tpl *t = e->tpl_buckets[h & (e->n_tpl_buckets - 1)]; t; t = t->next)
			if (t->hash == h && t->len == n && !memcmp(t->s, p, n)) {
				t->refs++;
				return t;
			}
	if (e->n_tpls >= TEMPLATES_MAX)
		return NULL;
	if (e->n_tpls >= e->n_tpl_buckets && tpl_grow(e) < 0)
		return NULL;
	struct tpl *t = malloc(offsetof(struct tpl, s) + n);
	if (!t)
		return NULL;
	t->hash = h;
	t->refs = 1;
	t->len = (uint32_t)n;
	memcpy(t->s, p, n);
	t->next = e->tpl_buckets[h & (e->n_tpl_buckets - 1)];
	e->tpl_buckets[h & (e->n_tpl_buckets - 1)] = t;
	e->n_tpls++;
	return t;
}

static void tpl_unref(struct correlate_engine *e, struct tpl *t) {
	if (!t || --t->refs)
		return;
	struct tpl **pp = &e->tpl_buckets[t->hash & (e->n_tpl_buckets - 1)];
	while (*pp != t)
		pp = &(*pp)->next;
	*pp = t->next;
	e->n_tpls--;
	free(t);
}

void sample_templates_free(struct correlate_engine *e) {
	for (size_t i = 0; i < e->n_tpl_buckets; i++)
		for (struct tpl *t = e->tpl_buckets[i], *n; t; t = n) {
			n = t->next;
			free(t);
		}
	free(e->tpl_buckets);
	e->tpl_buckets = NULL;
	e->n_tpl_buckets = e->n_tpls = 0;
	free(e->views);
	e->views = NULL;
}

/* Bit masks of a message (at most SAMPLE_MSG_CAP bytes), bit i of word i / 64 for byte i:
 * its ASCII digits and its spaces. Returns false when it holds the byte TPL_VAR. SSE2
 * (every x86-64) takes 16 bytes a step; elsewhere a byte at a time. */
#define MASK_WORDS (SAMPLE_MSG_CAP / 64)
_Static_assert(SAMPLE_MSG_CAP % 64 == 0, "whole mask words");
static bool msg_masks(const char *m, size_t n, uint64_t *dig, uint64_t *spc) {
	memset(dig, 0, MASK_WORDS * sizeof(*dig));
	memset(spc, 0, MASK_WORDS * sizeof(*spc));
#ifdef __SSE2__
	const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
	const __m128i space = _mm_set1_epi8(' '), var = _mm_set1_epi8(TPL_VAR);
	unsigned bad = 0;
	for (size_t i = 0; i < n; i += 16) {
		__m128i v;
		if (i + 16 <= n) {
			v = _mm_loadu_si128((const __m128i *)(const void *)(m + i));
		} else { /* the tail, padded with NULs (no digit, space or TPL_VAR): never read
			  * past the message */
			char t[16] = {0};
			memcpy(t, m + i, n - i);
			v = _mm_loadu_si128((const __m128i *)(const void *)t);
		}
		__m128i d = _mm_sub_epi8(v, zero); /* a digit: 0..9 unsigned */
		uint64_t dm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, nine), d));
		uint64_t sm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, space));
		bad |= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, var));
		dig[i / 64] |= dm << (i % 64);
		spc[i / 64] |= sm << (i % 64);
	}
	return bad == 0;
#else
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)m[i];
		if (c == TPL_VAR)
			return false;
		if ((unsigned char)(c - '0') < 10)
			dig[i / 64] |= (uint64_t)1 << (i % 64);
		else if (c == ' ')
			spc[i / 64] |= (uint64_t)1 << (i % 64);
	}
	return true;
#endif
}

/* The first set bit at or after i and before n, or n. */
static size_t bit_next(const uint64_t *w, size_t i, size_t n) {
	while (i < n) {
		uint64_t x = w[i / 64] >> (i % 64);
		if (x)
			return MIN(i + (size_t)__builtin_ctzll(x), n);
		i = (i | 63) + 1;
	}
	return n;
}

/* One past the last set bit before i and at or after lo, or lo. */
static size_t bit_after_prev(const uint64_t *w, size_t i, size_t lo) {
	while (i > lo) {
		size_t k = i - 1; /* bits [k & ~63, k] of word k / 64 */
		uint64_t x = w[k / 64] & (~(uint64_t)0 >> (63 - k % 64));
		if (x) {
			size_t b = (k & ~(size_t)63) + 63 - (size_t)__builtin_clzll(x);
			return b >= lo ? b + 1 : lo;
		}
		i = k & ~(size_t)63;
	}
	return lo;
}

/* Split m[0..n) into a template (tpl, *ret_tl bytes) and its variable tokens (vars,
 * *ret_vl bytes): the tokens (split at spaces) that hold a digit. false: keep the message
 * as it is. */
static bool tpl_split(const char *m, size_t n, char *tpl, size_t *ret_tl, char *vars,
                      size_t *ret_vl) {
	uint64_t dig[MASK_WORDS], spc[MASK_WORDS];
	if (n < SAMPLE_TPL_MIN || n > SAMPLE_MSG_CAP || !msg_masks(m, n, dig, spc))
		return false;
	size_t tl = 0, vl = 0, seg = 0; /* m[seg..) is not in the template yet */
	for (size_t d = bit_next(dig, 0, n); d < n; d = bit_next(dig, d, n)) {
		size_t a = bit_after_prev(spc, d, seg); /* the token [a, b) around the digit */
		size_t b = bit_next(spc, d, n);
		if (b - a > 255)
			return false;
		memcpy(tpl + tl, m + seg, a - seg);
		tl += a - seg;
		tpl[tl++] = TPL_VAR;
		vars[vl++] = (char)(unsigned char)(b - a);
		memcpy(vars + vl, m + a, b - a);
		vl += b - a;
		seg = d = b;
	}
	memcpy(tpl + tl, m + seg, n - seg);
	tl += n - seg;
	*ret_tl = tl;
	*ret_vl = vl;
	return vl + sizeof(void *) < n; /* smaller than the message as it is */
}

/* The message of s into out (SAMPLE_MSG_CAP bytes); returns its length. */
static size_t sample_decode(const struct sample *s, char *out) {
	if (!s->tpl) {
		memcpy(out, s->msg, s->msg_len);
		return s->msg_len;
	}
	const struct tpl *t = s->tpl;
	const unsigned char *v = (const unsigned char *)s->msg;
	size_t o = 0;
	for (uint32_t i = 0; i < t->len; i++) {
		if (t->s[i] != TPL_VAR) {
			out[o++] = t->s[i];
			continue;
		}
		size_t l = *v++;
		memcpy(out + o, v, l);
		o += l;
		v += l;
	}
	return o;
}

/* ---- samples ---- */

struct sample *sample_new(struct correlate_engine *e, int64_t time, const char *src, size_t src_len,
                          const char *msg, size_t msg_len) {
	if (msg_len > SAMPLE_MSG_CAP)
		msg_len = SAMPLE_MSG_CAP;
	if (src_len > 4096)
		src_len = 4096;
	char tb[SAMPLE_MSG_CAP], vb[VARS_MAX];
	size_t tl = 0, vl = 0;
	struct tpl *t =
	        msg && tpl_split(msg, msg_len, tb, &tl, vb, &vl) ? tpl_get(e, tb, tl) : NULL;
	size_t dl = t ? vl : msg_len;
	struct sample *s = slab_get(e, offsetof(struct sample, msg) + dl);
	if (!s) {
		tpl_unref(e, t);
		return NULL;
	}
	s->time = time;
	s->refs = 1;
	s->src = intern(e, src ? src : "", src ? src_len : 0);
	s->msg_len = (uint16_t)msg_len;
	s->tpl = t;
	if (dl)
		memcpy(s->msg, t ? vb : msg, dl);
	return s;
}

struct sample *sample_ref(struct correlate_engine *e, struct sample *s) {
	if (!s)
		return NULL;
	if (s->refs) {
		s->refs++;
		return s;
	}
	/* a decoded view (sample_views()): not counted, so a copy of it */
	struct sample *d = slab_get(e, offsetof(struct sample, msg) + s->msg_len);
	if (d) {
		memcpy(d, s, offsetof(struct sample, msg) + s->msg_len);
		d->refs = 1;
	}
	return d;
}

void sample_unref(struct correlate_engine *e, struct sample *s) {
	if (!s || !s->refs || --s->refs)
		return;
	tpl_unref(e, s->tpl);
	slab_put(e, s);
}

int sample_views(struct correlate_engine *e, struct sample *const *in, size_t n,
                 struct sample **out) {
	size_t one = offsetof(struct sample, msg) + SAMPLE_MSG_CAP;
	one = (one + 7) & ~(size_t)7;
	if (!e->views) {
		e->views = malloc(SAMPLE_MAX * one);
		if (!e->views)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n && i < SAMPLE_MAX; i++) {
		struct sample *v = (struct sample *)(e->views + i * one);
		v->time = in[i]->time;
		v->refs = 0;
		v->src = in[i]->src;
		v->tpl = NULL;
		v->msg_len = (uint16_t)sample_decode(in[i], v->msg);
		out[i] = v;
	}
	return 0;
}
