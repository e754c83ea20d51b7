/* The log-template miner (see miner.h for the algorithm and its caps).
 *
 * Invariants: templates are only ever added, never removed or merged away, so a template
 * index stays valid for the miner's life and the exact cache may keep indexes. A template
 * with n tokens keeps n tokens forever (generalising only turns tokens into wildcards),
 * so the per-length buckets never need to move a template. A wildcard token is NULL. */
#include "config.h"

#include "correlate/miner.h"
#include "util/macro.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WILD         "<*>"
#define SIM_NUM      7 /* a template takes a message when equal/total >= SIM_NUM/SIM_DEN */
#define SIM_DEN      10
#define HEAD_TOKENS  2 /* the first tokens must be equal (wildcards only match wildcards) */
#define CACHE_MIN    4096u
#define CACHE_MAX    (1u << 20)
#define PAREN_TOKENS 4
#define LCS_WINDOW   3
#define LCS_PERCENT  70 /* share of the longer sequence the common tokens must cover */
#define PHRASE_RUN                                                                                 \
	3 /* this many different words in a row: a different phrase */ /* a "(... )" group spans   \
	                                                                  at most this many tokens \
	                                                                */

struct tpl {
	struct miner_template pub;
	char **tok; /* ntok tokens, NULL = wildcard */
	uint32_t ntok;
	char *text;
	bool dirty; /* text and id to recompute */
};

struct bucket {
	uint32_t *v; /* template indexes with this many tokens, in creation order */
	size_t n, alloc;
};

struct cache_slot {
	uint64_t key; /* 0 = empty */
	uint32_t idx;
};

struct miner {
	struct tpl *t;
	size_t n, alloc;
	struct bucket buckets[MINER_MAX_TOKENS + 2];
	struct cache_slot *cache;
	size_t cache_cap, cache_used;
	int overflow;  /* index of the overflow template, -1 until needed */
	uint16_t *lcs; /* (MINER_MAX_TOKENS + 2)^2 scratch table */
};

/* A token of the message being grouped: bytes, or a variable (p == NULL). */
struct mtok {
	const char *p;
	uint32_t len;
	bool kv; /* "key=" + variable value: the token reads "key=<*>" + suffix (len covers
	            "key="; the suffix is the value's closing punctuation, "(uid=0)" */
	uint8_t sl;
	const char *sp;
};

uint64_t miner_text_id(const char *text, size_t len) {
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)text[i];
		h *= 1099511628211ull;
	}
	return h;
}

static bool is_blank(char c) {
	return c == ' ' || c == '\t' || c == '\0' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

static bool has_digit(const char *p, size_t len) {
	for (size_t i = 0; i < len; i++)
		if (p[i] >= '0' && p[i] <= '9')
			return true;
	return false;
}

/* Mostly a number: at least as many digits as letters (an address, a time, an id, a
 * hex string), not a word that holds a digit ("BIOS-e820:", "imps2:", "PS/2"). */
static bool numeric(const char *p, size_t len) {
	size_t d = 0, a = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= '0' && c <= '9')
			d++;
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			a++;
	}
	return d > 0 && d >= a;
}

/* host:port */
static bool port_end(const char *p, size_t len) {
	size_t i = len;
	while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
		i--;
	return i < len && i > 0 && p[i - 1] == ':';
}

/* Whether p[0..len) is valid UTF-8 (shortest forms, no surrogates, at most U+10FFFF). */
static bool utf8_ok(const char *p, size_t len) {
	const unsigned char *s = (const unsigned char *)p;
	for (size_t i = 0; i < len;) {
		unsigned c = s[i], n = c < 0x80                ? 0
		                       : c >= 0xc2 && c < 0xe0 ? 1
		                       : c >= 0xe0 && c < 0xf0 ? 2
		                       : c >= 0xf0 && c < 0xf5 ? 3
		                                               : 9;
		if (n == 9 || i + n >= len + (n ? 0 : 1))
			return false;
		if (n) {
			unsigned cp = c & (0x3f >> n);
			for (unsigned k = 1; k <= n; k++) {
				if ((s[i + k] & 0xc0) != 0x80)
					return false;
				cp = (cp << 6) | (s[i + k] & 0x3f);
			}
			if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
			    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
				return false;
		}
		i += n + 1;
	}
	return true;
}

static bool is_variable(const char *p, size_t len) {
	/* undecodable bytes are data: the template text stays valid UTF-8 */
	if (len > MINER_MAX_TOKEN_LEN || !utf8_ok(p, len))
		return true;
	if (has_digit(p, len) && (numeric(p, len) || memchr(p, '.', len) || port_end(p, len)))
		return true;
	/* a path: /a/b, or one that starts after a quote or bracket */
	size_t s = (len && (p[0] == '"' || p[0] == '\'' || p[0] == '[' || p[0] == '(')) ? 1 : 0;
	return len > s + 1 && p[s] == '/' && memchr(p + s + 1, '/', len - s - 1);
}

static struct mtok kv_token(const char *p, size_t l, size_t klen) {
	size_t sl = 0;
	while (sl < 3 && klen + sl + 1 < l && strchr(")]},;:\"'", p[l - sl - 1]))
		sl++;
	return (struct mtok){
	        .p = p, .len = (uint32_t)klen, .kv = true, .sl = (uint8_t)sl, .sp = p + l - sl};
}

/* Split msg into at most MINER_MAX_TOKENS masked tokens (variables folded). Returns the
 * count. */
static size_t tokenize(const char *msg, size_t len, struct mtok *out) {
	struct mtok raw[MINER_MAX_TOKENS];
	size_t nraw = 0, i = 0;
	bool cut = false;
	while (i < len) {
		while (i < len && is_blank(msg[i]))
			i++;
		if (i >= len)
			break;
		size_t s = i;
		while (i < len && !is_blank(msg[i]))
			i++;
		if (nraw == ELEMENTSOF(raw)) {
			cut = true;
			break;
		}
		raw[nraw++] = (struct mtok){.p = msg + s, .len = (uint32_t)(i - s)};
	}
	size_t n = 0;
	for (size_t k = 0; k < nraw; k++) {
		const char *p = raw[k].p;
		size_t l = raw[k].len;
		bool var = is_variable(p, l);
		if (p[0] == '(' && memchr(p, ')', l) == NULL) {
			/* "(9.39 KB)": a group holding a digit is one variable */
			size_t e = k + 1;
			while (e < nraw && e < k + PAREN_TOKENS &&
			       !memchr(raw[e].p, ')', raw[e].len))
				e++;
			if (e < nraw && memchr(raw[e].p, ')', raw[e].len)) {
				bool d = false;
				for (size_t j = k; j <= e; j++)
					d = d || has_digit(raw[j].p, raw[j].len);
				if (d) {
					var = true;
					k = e;
				}
			}
		}
		const char *eq = memchr(p, '=', l);
		if (eq && eq > p && (size_t)(eq - p) + 1 < l && !has_digit(p, (size_t)(eq - p)) &&
		    (size_t)(eq - p) < MINER_MAX_TOKEN_LEN)
			out[n++] = kv_token(p, l, (size_t)(eq - p) + 1);
		else if (var)
			out[n++] = (struct mtok){.p = NULL};
		else
			out[n++] = (struct mtok){.p = p, .len = (uint32_t)l};
	}
	while (n >= 2 && out[n - 1].p == NULL && out[n - 2].p == NULL)
		n--; /* a trailing list of values is one variable */
	if (cut && (n == 0 || out[n - 1].p != NULL) && n < MINER_MAX_TOKENS + 1)
		out[n++] = (struct mtok){.p = NULL};
	return n;
}

static uint64_t shape_key(const struct mtok *tk, size_t n) {
	uint64_t h = 1469598103934665603ull ^ n;
	for (size_t i = 0; i < n; i++) {
		const char *p = tk[i].p ? tk[i].p : WILD;
		size_t l = tk[i].p ? tk[i].len : 3;
		h = (h ^ miner_text_id(p, l) ^ (tk[i].kv ? 0x5bd1e995u : 0)) * 1099511628211ull;
		if (tk[i].sl)
			h = (h ^ miner_text_id(tk[i].sp, tk[i].sl)) * 1099511628211ull;
		h ^= 0x9e3779b97f4a7c15ull * (i + 1);
	}
	return h ? h : 1;
}

static bool tok_eq(const char *t, const struct mtok *m) {
	if (!t || !m->p)
		return !t && !m->p;
	if (m->kv)
		return strlen(t) == m->len + 3 + m->sl && memcmp(t, m->p, m->len) == 0 &&
		       memcmp(t + m->len, WILD, 3) == 0 &&
		       memcmp(t + m->len + 3, m->sp, m->sl) == 0;
	return strlen(t) == m->len && memcmp(t, m->p, m->len) == 0;
}

static int text_update(struct tpl *t) {
	if (!t->dirty)
		return 0;
	size_t len = 0;
	for (uint32_t i = 0; i < t->ntok; i++)
		len += (t->tok[i] ? strlen(t->tok[i]) : 3) + 1;
	char *s = malloc(len + 1), *q = s;
	if (!s)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->ntok; i++) {
		const char *w = t->tok[i] ? t->tok[i] : WILD;
		size_t l = strlen(w);
		if (i)
			*q++ = ' ';
		memcpy(q, w, l);
		q += l;
	}
	*q = '\0';
	uint64_t id = miner_text_id(s, (size_t)(q - s));
	if (t->text && id != t->pub.id) {
		uint64_t *a = realloc(t->pub.absorbed, (t->pub.n_absorbed + 1) * sizeof(*a));
		if (!a) {
			free(s);
			return -ENOMEM;
		}
		t->pub.absorbed = a;
		a[t->pub.n_absorbed++] = t->pub.id;
		t->pub.stored = false;
	}
	free(t->text);
	t->text = s;
	t->pub.text = s;
	t->pub.id = id;
	t->dirty = false;
	return 0;
}

static char *tok_dup(const struct mtok *m) {
	size_t extra = m->kv ? 3u + m->sl : 0;
	char *s = malloc(m->len + extra + 1);
	if (!s)
		return NULL;
	memcpy(s, m->p, m->len);
	if (m->kv) {
		memcpy(s + m->len, WILD, 3);
		memcpy(s + m->len + 3, m->sp, m->sl);
	}
	s[m->len + extra] = '\0';
	return s;
}

static int tpl_new(struct miner *m, const struct mtok *tk, size_t n) {
	if (m->n == m->alloc) {
		size_t na = m->alloc ? m->alloc * 2 : 64;
		struct tpl *v = realloc(m->t, na * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->t = v;
		m->alloc = na;
	}
	struct bucket *b = &m->buckets[n];
	if (b->n == b->alloc) {
		size_t na = b->alloc ? b->alloc * 2 : 8;
		uint32_t *v = realloc(b->v, na * sizeof(*v));
		if (!v)
			return -ENOMEM;
		b->v = v;
		b->alloc = na;
	}
	struct tpl *t = &m->t[m->n];
	*t = (struct tpl){.ntok = (uint32_t)n, .dirty = true};
	t->tok = calloc(n ? n : 1, sizeof(char *));
	if (!t->tok)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (tk[i].p && !(t->tok[i] = tok_dup(&tk[i])))
			goto oom;
	if (text_update(t) < 0)
		goto oom;
	b->v[b->n++] = (uint32_t)m->n;
	return (int)m->n++;
oom:
	for (size_t i = 0; i < n; i++)
		free(t->tok[i]);
	free(t->tok);
	return -ENOMEM;
}

/* Similarity of template t to the message: positions equal (a wildcard on either side
 * counts as equal when both are wildcards, or when the template's is). */
static size_t similarity(const struct tpl *t, const struct mtok *tk, size_t n) {
	size_t eq = 0;
	for (size_t i = 0; i < n; i++)
		if (!t->tok[i] || tok_eq(t->tok[i], &tk[i]))
			eq++;
	return eq;
}

/* An upper-case word (HTTPS, SOCKS5, LOOKING): a keyword naming a state or a kind, not
 * a value; two different keywords make two events. */
static bool keyword(const char *p, size_t len) {
	size_t up = 0;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (c >= 'a' && c <= 'z')
			return false;
		up += c >= 'A' && c <= 'Z';
	}
	return up >= 2;
}

static bool same_head(const struct tpl *t, const struct mtok *tk, size_t n) {
	for (size_t i = 0; i < n && i < HEAD_TOKENS; i++)
		if (!tok_eq(t->tok[i], &tk[i]))
			return false;
	return true;
}

/* Whether two words at one position may be values of one variable. Not when both are
 * upper-case keywords (HTTPS / SOCKS5, LOOKING / LEADING: a kind or a state), nor two
 * fields with different names (by (uid=0) / by LOGIN(uid=0)). */
static bool may_vary(const char *t, const struct mtok *m) {
	if (!t || !m->p || tok_eq(t, m))
		return true;
	if (!m->kv && keyword(t, strlen(t)) && keyword(m->p, m->len))
		return false;
	return !(m->kv && strchr(t, '='));
}

/* Whether the message may join template t (same length): same head, every differing
 * position may vary, and no PHRASE_RUN different words in a row. */
static bool compatible(const struct tpl *t, const struct mtok *tk, size_t n) {
	size_t run = 0;
	if (!same_head(t, tk, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!may_vary(t->tok[i], &tk[i]))
			return false;
		run = t->tok[i] && tk[i].p && !tok_eq(t->tok[i], &tk[i]) ? run + 1 : 0;
		if (run >= PHRASE_RUN)
			return false;
	}
	return true;
}

static int best_match(const struct miner *m, const struct mtok *tk, size_t n, bool any) {
	const struct bucket *b = &m->buckets[n];
	int best = -1;
	size_t best_eq = 0;
	for (size_t k = 0; k < b->n; k++) {
		const struct tpl *t = &m->t[b->v[k]];
		if (!any && !compatible(t, tk, n))
			continue;
		size_t eq = similarity(t, tk, n);
		if (best < 0 || eq > best_eq) {
			best = (int)b->v[k];
			best_eq = eq;
		}
	}
	if (best >= 0 && !any && best_eq * SIM_DEN < n * SIM_NUM)
		return -1;
	return best;
}

static void cache_put(struct miner *m, uint64_t key, uint32_t idx);

static int cache_grow(struct miner *m) {
	size_t cap = m->cache_cap ? m->cache_cap * 2 : CACHE_MIN;
	if (cap > CACHE_MAX) { /* bounded: start over */
		memset(m->cache, 0, m->cache_cap * sizeof(*m->cache));
		m->cache_used = 0;
		return 0;
	}
	struct cache_slot *old = m->cache;
	size_t ocap = m->cache_cap;
	m->cache = calloc(cap, sizeof(*m->cache));
	if (!m->cache) {
		m->cache = old;
		return -ENOMEM;
	}
	m->cache_cap = cap;
	m->cache_used = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].key)
			cache_put(m, old[i].key, old[i].idx);
	free(old);
	return 0;
}

static void cache_put(struct miner *m, uint64_t key, uint32_t idx) {
	size_t mask = m->cache_cap - 1, i = key & mask;
	while (m->cache[i].key && m->cache[i].key != key)
		i = (i + 1) & mask;
	if (!m->cache[i].key)
		m->cache_used++;
	m->cache[i] = (struct cache_slot){key, idx};
}

static int cache_get(const struct miner *m, uint64_t key) {
	if (!m->cache_cap)
		return -1;
	size_t mask = m->cache_cap - 1, i = key & mask;
	while (m->cache[i].key) {
		if (m->cache[i].key == key)
			return (int)m->cache[i].idx;
		i = (i + 1) & mask;
	}
	return -1;
}

static int merge_into(struct tpl *t, const struct mtok *tk, size_t n) {
	for (size_t i = 0; i < n; i++)
		if (t->tok[i] && !tok_eq(t->tok[i], &tk[i])) {
			free(t->tok[i]);
			t->tok[i] = NULL;
			t->dirty = true;
		}
	return text_update(t);
}

static int overflow_index(struct miner *m) {
	if (m->overflow < 0) {
		struct mtok w = {.p = NULL};
		m->overflow = tpl_new(m, &w, 1);
	}
	return m->overflow;
}

/* Whether template t and the message differ only by inserted or left-out tokens that are
 * values: a token outside their longest common subsequence must be a wildcard, or a
 * word right after one (a unit: "<1 sec"). Then the share of the longer one that the
 * subsequence covers; 0 otherwise. A template wildcard matches any token. */
static unsigned lcs_share(struct miner *m, const struct tpl *t, const struct mtok *tk, size_t n) {
	size_t a = t->ntok, w = n + 1;
	uint16_t *d = m->lcs;
	for (size_t i = 0; i <= a; i++)
		for (size_t j = 0; j <= n; j++) {
			if (i == 0 || j == 0)
				d[i * w + j] = 0;
			else if (!t->tok[i - 1] || tok_eq(t->tok[i - 1], &tk[j - 1]))
				d[i * w + j] = (uint16_t)(d[(i - 1) * w + j - 1] + 1);
			else
				d[i * w + j] = MAX(d[(i - 1) * w + j], d[i * w + j - 1]);
		}
	size_t i = a, j = n;
	while (i > 0 && j > 0) {
		if ((!t->tok[i - 1] || tok_eq(t->tok[i - 1], &tk[j - 1])) &&
		    d[i * w + j] == d[(i - 1) * w + j - 1] + 1) {
			i--, j--;
		} else if (d[(i - 1) * w + j] >= d[i * w + j - 1]) {
			if (t->tok[i - 1] && (i < 2 || t->tok[i - 2] || strchr(t->tok[i - 1], '=')))
				return 0;
			i--;
		} else {
			if (tk[j - 1].p && (j < 2 || tk[j - 2].p || tk[j - 1].kv))
				return 0;
			j--;
		}
	}
	if (i > 0 || j > 0)
		return 0;
	/* an extra value at the end makes another message ("... hardware (bus 00)") */
	if (a < n ? (tk[n - 1].p == NULL && t->tok[a - 1] != NULL)
	          : (t->tok[a - 1] == NULL && tk[n - 1].p != NULL))
		return 0;
	return (unsigned)(d[a * w + n] * 100 / MAX(a, n));
}

/* A message of another length that differs from a template only by a few values
 * ("9624 bytes (9.39 KB) received", "lifetime <1 sec"): the template of length n +- 3
 * with the same head sharing most of its tokens, at least LCS_PERCENT. */
static int best_other_length(struct miner *m, const struct mtok *tk, size_t n) {
	int best = -1;
	unsigned best_s = 0;
	if (!m->lcs && !(m->lcs = malloc((size_t)(MINER_MAX_TOKENS + 2) * (MINER_MAX_TOKENS + 2) *
	                                 sizeof(uint16_t))))
		return -ENOMEM;
	for (size_t len = n > LCS_WINDOW ? n - LCS_WINDOW : 1;
	     len <= n + LCS_WINDOW && len <= MINER_MAX_TOKENS + 1; len++) {
		if (len == n)
			continue;
		const struct bucket *b = &m->buckets[len];
		for (size_t k = 0; k < b->n; k++) {
			const struct tpl *t = &m->t[b->v[k]];
			if (!same_head(t, tk, MIN(n, len)))
				continue;
			unsigned sh = lcs_share(m, t, tk, n);
			if (sh >= LCS_PERCENT && sh > best_s) {
				best = (int)b->v[k];
				best_s = sh;
			}
		}
	}
	return best;
}

static int group(struct miner *m, const struct mtok *tk, size_t n) {
	int idx = best_match(m, tk, n, false);
	if (idx >= 0)
		return merge_into(&m->t[idx], tk, n) < 0 ? -ENOMEM : idx;
	idx = best_other_length(m, tk, n);
	if (idx != -1)
		return idx;
	if (m->n < MINER_MAX_TEMPLATES)
		return tpl_new(m, tk, n);
	idx = best_match(m, tk, n, true);
	if (idx >= 0)
		return merge_into(&m->t[idx], tk, n) < 0 ? -ENOMEM : idx;
	return overflow_index(m);
}

int miner_add(struct miner *m, const char *msg, size_t len) {
	struct mtok tk[MINER_MAX_TOKENS + 1];
	size_t n = tokenize(msg, len, tk);
	uint64_t key = shape_key(tk, n);
	int idx = cache_get(m, key);
	if (idx < 0) {
		idx = group(m, tk, n);
		if (idx < 0)
			return idx;
		if ((m->cache_used + 1) * 2 > m->cache_cap && cache_grow(m) < 0)
			return -ENOMEM;
		cache_put(m, key, (uint32_t)idx);
	}
	m->t[idx].pub.count++;
	return idx;
}

int miner_seed(struct miner *m, const char *text, const uint64_t *absorbed, size_t n_absorbed) {
	struct mtok tk[MINER_MAX_TOKENS + 1];
	size_t n = 0, len = strlen(text), i = 0;
	while (i < len && n < MINER_MAX_TOKENS) {
		while (i < len && text[i] == ' ')
			i++;
		size_t s = i;
		while (i < len && text[i] != ' ')
			i++;
		if (i == s)
			break;
		bool wild = i - s == 3 && memcmp(text + s, WILD, 3) == 0;
		tk[n++] = (struct mtok){.p = wild ? NULL : text + s, .len = (uint32_t)(i - s)};
	}
	if (n == 0)
		return -EINVAL;
	int idx = -1;
	const struct bucket *b = &m->buckets[n];
	for (size_t k = 0; k < b->n && idx < 0; k++)
		if (similarity(&m->t[b->v[k]], tk, n) == n && !strcmp(m->t[b->v[k]].text, text))
			idx = (int)b->v[k];
	if (idx < 0 && (idx = tpl_new(m, tk, n)) < 0)
		return idx;
	struct tpl *t = &m->t[idx];
	for (size_t k = 0; k < n_absorbed; k++) {
		if (miner_resolve(m, absorbed[k]) == idx)
			continue;
		uint64_t *a = realloc(t->pub.absorbed, (t->pub.n_absorbed + 1) * sizeof(*a));
		if (!a)
			return -ENOMEM;
		t->pub.absorbed = a;
		a[t->pub.n_absorbed++] = absorbed[k];
	}
	t->pub.stored = true;
	return idx;
}

int miner_resolve(const struct miner *m, uint64_t id) {
	for (size_t i = 0; i < m->n; i++)
		if (m->t[i].pub.id == id)
			return (int)i;
	for (size_t i = m->n; i-- > 0;)
		for (size_t k = 0; k < m->t[i].pub.n_absorbed; k++)
			if (m->t[i].pub.absorbed[k] == id)
				return (int)i;
	return -ENOENT;
}

size_t miner_count(const struct miner *m) {
	return m->n;
}

const struct miner_template *miner_template(const struct miner *m, size_t i) {
	return i < m->n ? &m->t[i].pub : NULL;
}

struct miner *miner_new(void) {
	struct miner *m = calloc(1, sizeof(*m));
	if (m)
		m->overflow = -1;
	return m;
}

struct miner *miner_free(struct miner *m) {
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->n; i++) {
		for (uint32_t k = 0; k < m->t[i].ntok; k++)
			free(m->t[i].tok[k]);
		free(m->t[i].tok);
		free(m->t[i].text);
		free(m->t[i].pub.absorbed);
	}
	for (size_t i = 0; i < ELEMENTSOF(m->buckets); i++)
		free(m->buckets[i].v);
	free(m->t);
	free(m->cache);
	free(m->lcs);
	free(m);
	return NULL;
}
