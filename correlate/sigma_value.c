/* Value transformations of the Sigma loader that stand between a rule's text and the
 * strings it matches: placeholders (`|expand`, defined by the configuration's
 * rules.placeholders, "NAME: VALUE..."), and UTF-16 encodings (`|wide`, `|utf16le`,
 * `|utf16be`, `|utf16`) that are then base64-encoded.
 *
 * Caps: a placeholder has at most SIGMA_PH_VALUES_MAX values and a value expands to at
 * most SIGMA_EXPAND_MAX strings; beyond that the rule is refused with a message rather
 * than loaded with a silently shorter list. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/sigma.h"
#include "correlate/sigma_internal.h"
#include "util/strv.h"

#define SIGMA_PH_VALUES_MAX 1024
#define SIGMA_EXPAND_MAX    1024

static char *str_printf(const char *fmt, ...) _printf_(1, 2);
static char *str_printf(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	char *s = ev_vasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/* ---- placeholders ---- */

static void placeholder_free(struct sigma_placeholder *p) {
	free(p->name);
	ev_strv_clear(&p->values);
	p->name = NULL;
}

void sigma_placeholders_free(struct rule_set *set) {
	for (size_t i = 0; i < set->n_ph; i++)
		placeholder_free(&set->ph[i]);
	free(set->ph);
	set->ph = NULL;
	set->n_ph = 0;
}

/* The whitespace-separated words of s into p->values. */
static int placeholder_words(struct sigma_placeholder *p, const char *s) {
	for (;;) {
		s += strspn(s, " \t");
		size_t l = strcspn(s, " \t");
		if (!l)
			return 0;
		if (p->values.n == SIGMA_PH_VALUES_MAX)
			return -E2BIG;
		char *w = strndup(s, l);
		if (!w || ev_strv_push(&p->values, w) < 0) {
			free(w);
			return -ENOMEM;
		}
		s += l;
	}
}

int sigma_placeholder_add(struct rule_set *set, const char *spec, const char *origin,
                          struct ev_errlist *errs) {
	const char *colon = strchr(spec, ':');
	size_t nl = colon ? (size_t)(colon - spec) : 0;
	while (nl > 0 && spec[nl - 1] == ' ')
		nl--;
	while (nl > 0 && *spec == ' ')
		spec++, nl--;
	if (!colon || nl == 0 || nl > 64 || memchr(spec, '%', nl)) {
		ev_errlist_add(errs, origin, 0, 0,
		               "placeholder '%s': expected 'NAME: VALUE...' (NAME without %%)",
		               spec);
		return -EINVAL;
	}
	struct sigma_placeholder p = {.name = strndup(spec, nl)};
	int r = p.name ? placeholder_words(&p, colon + 1) : -ENOMEM;
	if (r == -E2BIG)
		ev_errlist_add(errs, origin, 0, 0, "placeholder '%s' has more than %d values",
		               p.name, SIGMA_PH_VALUES_MAX);
	else if (r == 0 && p.values.n == 0) {
		ev_errlist_add(errs, origin, 0, 0, "placeholder '%s' has no values", p.name);
		r = -EINVAL;
	}
	struct sigma_placeholder *v =
	        r == 0 ? realloc(set->ph, (set->n_ph + 1) * sizeof(*v)) : NULL;
	if (r == 0 && !v)
		r = -ENOMEM;
	if (r < 0) {
		placeholder_free(&p);
		return r == -E2BIG ? -EINVAL : r;
	}
	set->ph = v;
	/* a later definition replaces an earlier one of the same name */
	for (size_t i = 0; i < set->n_ph; i++)
		if (!strcmp(set->ph[i].name, p.name)) {
			placeholder_free(&set->ph[i]);
			set->ph[i] = p;
			return 0;
		}
	set->ph[set->n_ph++] = p;
	return 0;
}

static const struct sigma_placeholder *placeholder_find(const struct rule_set *set,
                                                        const char *name, size_t len) {
	for (size_t i = 0; set && i < set->n_ph; i++)
		if (strlen(set->ph[i].name) == len && !memcmp(set->ph[i].name, name, len))
			return &set->ph[i];
	return NULL;
}

/* Append s (taken) to x, within SIGMA_EXPAND_MAX. */
static int expansion_push(struct ev_strv *x, char *s) {
	int r = !s ? -ENOMEM : x->n == SIGMA_EXPAND_MAX ? -E2BIG : ev_strv_push(x, s);
	if (r < 0)
		free(s);
	return r;
}

/* prefix + value + the expansion of rest, for each value of the first placeholder of
 * rest (recursively); reports an undefined one in c. */
static int expand_rest(struct ctx *c, const struct ytree_node *node, const char *prefix,
                       const char *rest, struct ev_strv *x) {
	const char *a = strchr(rest, '%'), *b = a ? strchr(a + 1, '%') : NULL;
	if (!b)
		return expansion_push(x, str_printf("%s%s", prefix, rest));
	const struct sigma_placeholder *p = placeholder_find(c->set, a + 1, (size_t)(b - a - 1));
	if (!p) {
		sigma_err(c, node,
		          "placeholder '%.*s' is not defined (define it in rules.placeholders of "
		          "evident.yaml: 'NAME: VALUE...')",
		          (int)(b - a + 1), a);
		return -EINVAL;
	}
	for (size_t i = 0; i < p->values.n; i++) {
		_cleanup_free_ char *pre =
		        str_printf("%s%.*s%s", prefix, (int)(a - rest), rest, p->values.v[i]);
		int r = pre ? expand_rest(c, node, pre, b + 1, x) : -ENOMEM;
		if (r < 0)
			return r;
	}
	return 0;
}

int sigma_expand(struct ctx *c, const struct ytree_node *v, char ***ret, size_t *ret_n) {
	struct ev_strv x = {0};
	if (!strchr(v->str, '%')) {
		sigma_err(c, v, "'expand' needs a %%placeholder%% in the value '%s'", v->str);
		return -EINVAL;
	}
	int r = expand_rest(c, v, "", v->str, &x);
	if (r == -E2BIG)
		sigma_err(c, v, "'%s' expands to more than %d values", v->str, SIGMA_EXPAND_MAX);
	else if (r == -ENOMEM)
		sigma_oom(c, v);
	if (r < 0) {
		ev_strv_clear(&x);
		return r;
	}
	*ret = x.v;
	*ret_n = x.n;
	return 0;
}

/* ---- UTF-16 ---- */

/* One code point from UTF-8 at s (n bytes left); its length in *len, or -1 if invalid. */
static long utf8_next(const unsigned char *s, size_t n, size_t *len) {
	static const unsigned char lead_len[16] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3, 4};
	size_t l = lead_len[s[0] >> 4];
	if (!l || l > n)
		return -1;
	long cp = l == 1 ? s[0] : s[0] & (0x7f >> l);
	for (size_t i = 1; i < l; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	static const long min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[l] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = l;
	return cp;
}

static void put16(char *o, unsigned u, bool be) {
	o[be ? 0 : 1] = (char)(u >> 8);
	o[be ? 1 : 0] = (char)(u & 0xff);
}

char *sigma_utf16(const char *s, size_t len, enum sigma_utf16 kind, size_t *ret_len) {
	bool be = kind == SIGMA_UTF16BE;
	/* at most 2 units of 2 bytes per input byte, plus the BOM */
	char *out = malloc(len * 4 + 2), *o = out;
	if (!out)
		return NULL;
	if (kind == SIGMA_UTF16_BOM) {
		put16(o, 0xfeff, false);
		o += 2;
	}
	for (size_t i = 0; i < len;) {
		size_t l = 0;
		long cp = utf8_next((const unsigned char *)s + i, len - i, &l);
		if (cp < 0) {
			free(out);
			errno = EILSEQ;
			return NULL;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put16(o, 0xd800 | (unsigned)(cp >> 10), be);
			put16(o + 2, 0xdc00 | (unsigned)(cp & 0x3ff), be);
			o += 4;
		} else {
			put16(o, (unsigned)cp, be);
			o += 2;
		}
		i += l;
	}
	*ret_len = (size_t)(o - out);
	return out;
}
