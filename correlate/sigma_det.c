/* Sigma detections: selections, field modifiers and values -> small AND/OR trees over
 * leaves (struct cond with COND_REF = leaf index), and the condition -> a tree over
 * selections. Every selection, field and value is checked even after an error, so a rule
 * with several mistakes reports all of them (each FILE:LINE:COL); out of memory is an
 * error too (sigma_oom), never a silently missing leaf. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/sigma.h"
#include "correlate/sigma_internal.h"
#include "util/strdist.h"
#include "util/strv.h"

/* ---- modifiers ---- */

enum {
	M_CONTAINS = 1 << 0,
	M_STARTSWITH = 1 << 1,
	M_ENDSWITH = 1 << 2,
	M_ALL = 1 << 3,
	M_RE = 1 << 4,
	M_I = 1 << 5,
	M_M = 1 << 6,
	M_S = 1 << 7,
	M_CASED = 1 << 8,
	M_EXISTS = 1 << 9,
	M_NEQ = 1 << 10,
	M_CIDR = 1 << 11,
	M_LT = 1 << 12,
	M_LTE = 1 << 13,
	M_GT = 1 << 14,
	M_GTE = 1 << 15,
	M_BASE64 = 1 << 16,
	M_BASE64OFFSET = 1 << 17,
	M_WINDASH = 1 << 18,
	M_UTF16LE = 1 << 19, /* also `wide` */
	M_UTF16BE = 1 << 20,
	M_UTF16 = 1 << 21, /* with a byte order mark, little-endian */
	M_FIELDREF = 1 << 22,
	M_EXPAND = 1 << 23,
};
#define M_UTF16_ANY (M_UTF16LE | M_UTF16BE | M_UTF16)
#define M_POS       (M_CONTAINS | M_STARTSWITH | M_ENDSWITH)
static const struct {
	const char *name;
	unsigned bit;
} modifiers[] = {
        {"contains", M_CONTAINS},
        {"startswith", M_STARTSWITH},
        {"endswith", M_ENDSWITH},
        {"all", M_ALL},
        {"re", M_RE},
        {"i", M_I},
        {"m", M_M},
        {"s", M_S},
        {"cased", M_CASED},
        {"exists", M_EXISTS},
        {"neq", M_NEQ},
        {"cidr", M_CIDR},
        {"lt", M_LT},
        {"lte", M_LTE},
        {"gt", M_GT},
        {"gte", M_GTE},
        {"base64", M_BASE64},
        {"base64offset", M_BASE64OFFSET},
        {"windash", M_WINDASH},
        {"wide", M_UTF16LE},
        {"utf16le", M_UTF16LE},
        {"utf16be", M_UTF16BE},
        {"utf16", M_UTF16},
        {"fieldref", M_FIELDREF},
        {"expand", M_EXPAND},
};
/* Sigma modifiers that are known but cannot work here, and why. */
static const char *const unsupported_modifiers[] = {"minute", "hour",  "day",
                                                    "week",   "month", "year"};

/* ---- leaves ---- */

static int add_leaf(struct ctx *c, struct leaf *tmpl, unsigned *ret_idx) {
	struct rule *r = c->r;
	struct leaf *v = realloc(r->leaves, (r->n_leaves + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->leaves = v;
	if (tmpl->field) {
		tmpl->field = strdup(tmpl->field);
		if (!tmpl->field)
			return -ENOMEM;
	}
	r->leaves[r->n_leaves] = *tmpl;
	*ret_idx = (unsigned)r->n_leaves++;
	return 0;
}

static struct cond *cnode(enum cond_type t) {
	struct cond *n = calloc(1, sizeof(*n));
	if (n)
		n->type = t;
	return n;
}

/* Adds k under p (both may be NULL after an error: nothing happens). Takes k. */
static int cadd(struct cond *p, struct cond *k) {
	if (!k || !p) {
		cond_free(k);
		return -ENOMEM;
	}
	struct cond **v = realloc(p->kids, (p->n + 1) * sizeof(*v));
	if (!v) {
		cond_free(k);
		return -ENOMEM;
	}
	p->kids = v;
	p->kids[p->n++] = k;
	return 0;
}

/* The leaf (taken: its regex on failure too) as a COND_REF; out of memory reported at v. */
static struct cond *leaf_node(struct ctx *c, struct leaf *l, const struct ytree_node *v) {
	unsigned idx;
	if (add_leaf(c, l, &idx) < 0) {
		free(l->regex);
		free(l->ref);
		sigma_oom(c, v);
		return NULL;
	}
	struct cond *k = cnode(COND_REF);
	if (!k) {
		sigma_oom(c, v);
		return NULL;
	}
	k->ref = idx;
	return k;
}

static struct cond *pattern_leaf(struct ctx *c, const struct ytree_node *v, const char *field,
                                 const char *body, uint32_t opts, unsigned mods, bool is_re) {
	struct leaf l = {.kind = LEAF_PATTERN,
	                 .field = (char *)field,
	                 .pcre_opts = opts,
	                 .is_re = is_re,
	                 .negate = !!(mods & M_NEQ)};
	size_t n = strlen(body) + 16;
	l.regex = malloc(n);
	if (!l.regex) {
		sigma_oom(c, v);
		return NULL;
	}
	if (is_re)
		snprintf(l.regex, n, "%s", body);
	else if (mods & (M_CONTAINS | M_BASE64OFFSET) || !field)
		snprintf(l.regex, n, "%s", body);
	else if (mods & M_STARTSWITH)
		snprintf(l.regex, n, "\\A%s", body);
	else if (mods & M_ENDSWITH)
		snprintf(l.regex, n, "%s\\z", body);
	else
		snprintf(l.regex, n, "\\A%s\\z", body);
	return leaf_node(c, &l, v);
}

static char *windash_variant(const char *v, const char *dash) {
	size_t nd = 0, dl = strlen(dash);
	for (const char *p = v; *p; p++)
		nd += *p == '-';
	char *o = malloc(strlen(v) + nd * dl + 1), *q = o;
	if (!o)
		return NULL;
	for (const char *p = v; *p; p++) {
		if (*p == '-') {
			memcpy(q, dash, dl);
			q += dl;
		} else
			*q++ = *p;
	}
	*q = 0;
	return o;
}

static struct cond *value_exists(struct ctx *c, const char *field, const struct ytree_node *v) {
	struct leaf l = {.kind = LEAF_EXISTS, .field = (char *)field};
	if (v->plain && (!strcmp(v->str, "true") || !strcmp(v->str, "yes")))
		l.exists = true;
	else if (v->plain && (!strcmp(v->str, "false") || !strcmp(v->str, "no")))
		l.exists = false;
	else {
		sigma_err(c, v, "'exists' needs true or false, not '%s'", v->str);
		return NULL;
	}
	return leaf_node(c, &l, v);
}

static struct cond *value_null(struct ctx *c, const char *field, unsigned mods,
                               const struct ytree_node *v) {
	if (mods & ~(M_NEQ | M_ALL)) {
		sigma_err(c, v, "null cannot be combined with modifiers");
		return NULL;
	}
	if (!field) {
		sigma_err(c, v, "a keyword cannot be null");
		return NULL;
	}
	struct leaf l = {.kind = LEAF_NULL, .field = (char *)field, .negate = !!(mods & M_NEQ)};
	return leaf_node(c, &l, v);
}

static struct cond *value_cidr(struct ctx *c, const char *field, unsigned mods,
                               const struct ytree_node *v) {
	struct leaf l = {.kind = LEAF_CIDR, .field = (char *)field, .negate = !!(mods & M_NEQ)};
	char buf[64];
	const char *slash = strchr(v->str, '/');
	size_t al = slash ? (size_t)(slash - v->str) : v->len;
	if (al >= sizeof(buf)) {
		sigma_err(c, v, "invalid CIDR '%s'", v->str);
		return NULL;
	}
	memcpy(buf, v->str, al);
	buf[al] = 0;
	unsigned max;
	if (inet_pton(AF_INET, buf, l.addr) == 1)
		l.af = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, buf, l.addr) == 1)
		l.af = AF_INET6, max = 128;
	else {
		sigma_err(c, v, "invalid CIDR '%s': not an IPv4 or IPv6 address", v->str);
		return NULL;
	}
	l.prefix = max;
	if (slash) {
		char *end;
		errno = 0;
		unsigned long p = strtoul(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || p > max) {
			sigma_err(c, v, "invalid CIDR '%s': prefix length must be 0..%u", v->str,
			          max);
			return NULL;
		}
		l.prefix = (unsigned)p;
	}
	return leaf_node(c, &l, v);
}

static struct cond *value_num(struct ctx *c, const char *field, unsigned mods,
                              const struct ytree_node *v) {
	struct leaf l = {.kind = LEAF_NUM, .field = (char *)field, .negate = !!(mods & M_NEQ)};
	l.cmp = mods & M_LT ? CMP_LT : mods & M_LTE ? CMP_LTE : mods & M_GT ? CMP_GT : CMP_GTE;
	char *end;
	errno = 0;
	l.num = strtod(v->str, &end);
	if (errno || *end || end == v->str || isnan(l.num)) {
		sigma_err(c, v, "'%s' is not a number", v->str);
		return NULL;
	}
	return leaf_node(c, &l, v);
}

static struct cond *value_re(struct ctx *c, const char *field, unsigned mods,
                             const struct ytree_node *v) {
	uint32_t opts = (mods & M_I ? PCRE2_CASELESS : 0) | (mods & M_M ? PCRE2_MULTILINE : 0) |
	                (mods & M_S ? PCRE2_DOTALL : 0);
	int ec;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)v->str, v->len, opts, &ec, &off, NULL);
	if (!code) {
		char buf[200];
		pcre2_get_error_message(ec, (PCRE2_UCHAR *)buf, sizeof(buf));
		sigma_err(c, v, "invalid regular expression at offset %zu: %s", (size_t)off, buf);
		return NULL;
	}
	pcre2_code_free(code);
	return pattern_leaf(c, v, field, v->str, opts, mods, true);
}

/* base64offset: the three encodings of the bytes at each offset mod 3, cut to the bytes
 * that do not depend on the neighbours. Returns how many were made. */
static size_t base64offset_variants(const char *p, size_t len, char **out) {
	static const size_t start[3] = {0, 2, 3}, endcut[3] = {0, 3, 2};
	size_t nv = 0;
	for (size_t i = 0; i < 3; i++) {
		char *pad = malloc(len + 3);
		if (!pad)
			break;
		memset(pad, ' ', i);
		memcpy(pad + i, p, len);
		char *b = leaf_base64(pad, len + i);
		free(pad);
		if (!b)
			break;
		size_t bl = strlen(b), cut = endcut[(len + i) % 3];
		size_t e = bl > cut ? bl - cut : 0;
		if (e <= start[i]) {
			free(b);
			continue;
		}
		memmove(b, b + start[i], e - start[i]);
		b[e - start[i]] = 0;
		out[nv++] = b;
	}
	return nv;
}

/* The strings value s stands for under its modifiers (base64offset 3, windash 5, else 1);
 * *ret_wild: whether * and ? are wildcards in them. NULL entries: out of memory. The
 * UTF-16 modifiers encode s before base64 (modifiers_conflict() requires one). Returns
 * (size_t)-1 when s is not valid UTF-8 for a UTF-16 modifier. */
static size_t string_variants(const char *s, size_t len, unsigned mods, char **out,
                              bool *ret_wild) {
	size_t nv = 0;
	*ret_wild = !(mods & (M_BASE64 | M_BASE64OFFSET));
	_cleanup_free_ char *enc = NULL;
	if (mods & M_UTF16_ANY) {
		enum sigma_utf16 k = mods & M_UTF16BE ? SIGMA_UTF16BE
		                     : mods & M_UTF16 ? SIGMA_UTF16_BOM
		                                      : SIGMA_UTF16LE;
		enc = sigma_utf16(s, len, k, &len);
		if (!enc)
			return errno == EILSEQ ? (size_t)-1 : 1; /* 1 NULL entry: out of memory */
		s = enc;
	}
	if (mods & M_BASE64)
		out[nv++] = leaf_base64(s, len);
	else if (mods & M_BASE64OFFSET)
		nv = base64offset_variants(s, len, out);
	else if (mods & M_WINDASH) {
		static const char *dashes[] = {"-", "/", "\xe2\x80\x93", "\xe2\x80\x94",
		                               "\xe2\x80\x95"};
		for (size_t i = 0; i < 5; i++)
			out[nv++] = windash_variant(s, dashes[i]);
	} else
		out[nv++] = strndup(s, len);
	return nv;
}

/* One string (v->str, or one expansion of it) -> its leaves. */
static struct cond *string_tree(struct ctx *c, const char *field, unsigned mods,
                                const struct ytree_node *v, const char *str) {
	uint32_t opts = PCRE2_DOTALL;
	if (!(mods & (M_CASED | M_BASE64 | M_BASE64OFFSET)))
		opts |= PCRE2_CASELESS;
	char *variants[5] = {0};
	bool wild;
	size_t nv = string_variants(str, strlen(str), mods, variants, &wild);
	if (nv == (size_t)-1) {
		sigma_err(c, v, "value '%s' is not valid UTF-8: it cannot be encoded as UTF-16",
		          str);
		return NULL;
	}
	struct cond *out = nv > 1 ? cnode(COND_OR) : NULL;
	struct cond *single = NULL;
	bool oom = nv > 1 && !out;
	for (size_t i = 0; i < nv && !oom; i++) {
		char *body =
		        variants[i] ? leaf_wildcard_to_regex(variants[i], strlen(variants[i]), wild)
		                    : NULL;
		struct cond *k = body ? pattern_leaf(c, v, field, body, opts, mods, false) : NULL;
		free(body);
		if (!k)
			oom = true;
		else if (out)
			oom = cadd(out, k) < 0;
		else
			single = k;
	}
	for (size_t i = 0; i < nv; i++)
		free(variants[i]);
	if (oom || (nv == 0 && !(mods & M_BASE64OFFSET))) {
		cond_free(out);
		cond_free(single);
		sigma_oom(c, v);
		return NULL;
	}
	if (!single && (!out || out->n == 0)) {
		cond_free(out);
		sigma_err(c, v, "value '%s' gives nothing to match with these modifiers", str);
		return NULL;
	}
	return out ? out : single;
}

/* A string value; with `expand`, the OR of its expansions. */
static struct cond *value_string(struct ctx *c, const char *field, unsigned mods,
                                 const struct ytree_node *v) {
	if (!(mods & M_EXPAND))
		return string_tree(c, field, mods, v, v->str);
	char **x = NULL;
	size_t n = 0;
	if (sigma_expand(c, v, &x, &n) < 0)
		return NULL;
	struct cond *t = cnode(COND_OR);
	if (!t)
		sigma_oom(c, v);
	for (size_t i = 0; t && i < n; i++) {
		struct cond *k = string_tree(c, field, mods, v, x[i]);
		if (k && cadd(t, k) < 0)
			sigma_oom(c, v);
	}
	ev_strv_free_n(x, n);
	return t;
}

/* `field|fieldref: Other`: the field compared with the value of field Other of the same
 * record (case-insensitive unless `cased`; whole value unless contains/startswith/endswith). */
static struct cond *value_fieldref(struct ctx *c, const char *field, unsigned mods,
                                   const struct ytree_node *v) {
	if (v->len == 0) {
		sigma_err(c, v, "'fieldref' needs the name of a field");
		return NULL;
	}
	struct leaf l = {.kind = LEAF_FIELDREF,
	                 .field = (char *)field,
	                 .negate = !!(mods & M_NEQ),
	                 .cased = !!(mods & M_CASED),
	                 .ref_mode = mods & M_CONTAINS     ? LEAF_REF_CONTAINS
	                             : mods & M_STARTSWITH ? LEAF_REF_PREFIX
	                             : mods & M_ENDSWITH   ? LEAF_REF_SUFFIX
	                                                   : LEAF_REF_EQUAL};
	if (!(l.ref = strdup(v->str))) {
		sigma_oom(c, v);
		return NULL;
	}
	return leaf_node(c, &l, v);
}

/* One value of a field with its modifiers -> a subtree (usually one leaf); NULL after an
 * error (reported). */
static struct cond *value_tree(struct ctx *c, const char *field, unsigned mods,
                               const struct ytree_node *v) {
	if (v->kind != YTREE_SCALAR) {
		sigma_err(c, v, "a value must be a scalar, not %s", ytree_kind_name(v->kind));
		return NULL;
	}
	if (mods & M_EXISTS)
		return value_exists(c, field, v);
	if (ytree_is_null(v) && v->plain)
		return value_null(c, field, mods, v);
	if (mods & M_CIDR)
		return value_cidr(c, field, mods, v);
	if (mods & (M_LT | M_LTE | M_GT | M_GTE))
		return value_num(c, field, mods, v);
	if (mods & M_RE)
		return value_re(c, field, mods, v);
	if (mods & M_FIELDREF)
		return value_fieldref(c, field, mods, v);
	return value_string(c, field, mods, v);
}

/* The modifiers after `field|`; 0 after an error (reported). */
static bool parse_modifiers(struct ctx *c, const struct ytree_node *key, char *list,
                            unsigned *ret) {
	char *save = NULL;
	unsigned mods = 0;
	for (char *m = strtok_r(list, "|", &save); m; m = strtok_r(NULL, "|", &save)) {
		unsigned bit = 0;
		for (size_t i = 0; i < ELEMENTSOF(modifiers); i++)
			if (!strcmp(m, modifiers[i].name))
				bit = modifiers[i].bit;
		for (size_t i = 0; !bit && i < ELEMENTSOF(unsupported_modifiers); i++)
			if (!strcmp(m, unsupported_modifiers[i])) {
				sigma_err(
				        c, key,
				        "modifier '%s' is not supported: it takes a part of a date "
				        "and evident's record fields are text",
				        m);
				return false;
			}
		if (!bit) {
			struct ev_suggest sg = ev_suggest_init(m);
			for (size_t i = 0; i < ELEMENTSOF(modifiers); i++)
				ev_suggest_add(&sg, modifiers[i].name);
			const char *best = ev_suggest_best(&sg);
			if (best)
				sigma_err(c, key, "unknown modifier '%s' (did you mean '%s'?)", m,
				          best);
			else
				sigma_err(c, key, "unknown or unsupported modifier '%s'", m);
			return false;
		}
		mods |= bit;
	}
	*ret = mods;
	return true;
}

/* Why a combination of modifiers is refused, or NULL. */
static const char *modifiers_conflict(unsigned mods, bool keyword) {
	unsigned pos = mods & (M_CONTAINS | M_STARTSWITH | M_ENDSWITH);
	unsigned num = mods & (M_LT | M_LTE | M_GT | M_GTE);
	if (pos & (pos - 1))
		return "only one of contains, startswith, endswith may be used";
	if ((mods & M_RE) && (mods & (M_CONTAINS | M_STARTSWITH | M_ENDSWITH | M_BASE64 |
	                              M_BASE64OFFSET | M_WINDASH | M_CIDR | M_CASED | M_EXISTS) ||
	                      num))
		return "'re' cannot be combined with other value modifiers (only i, m, s, all, "
		       "neq)";
	if ((mods & (M_I | M_M | M_S)) && !(mods & M_RE))
		return "the i, m and s modifiers apply only to 're'";
	if ((mods & M_EXISTS) && (mods & ~M_EXISTS))
		return "'exists' cannot be combined with other modifiers";
	if ((mods & M_CIDR) && (mods & ~(M_CIDR | M_NEQ | M_ALL)))
		return "'cidr' cannot be combined with other value modifiers";
	if (num & (num - 1))
		return "only one of lt, lte, gt, gte may be used";
	if (num && (mods & ~(num | M_NEQ | M_ALL)))
		return "lt/lte/gt/gte cannot be combined with other value modifiers";
	unsigned u16 = mods & M_UTF16_ANY;
	if (u16 & (u16 - 1))
		return "only one of wide, utf16le, utf16be, utf16 may be used";
	if (u16 && !(mods & (M_BASE64 | M_BASE64OFFSET)))
		return "wide/utf16le/utf16be/utf16 need base64 or base64offset after them: log "
		       "text is not UTF-16, only its base64 encoding can appear in it";
	if ((mods & M_FIELDREF) && (mods & ~(M_FIELDREF | M_POS | M_CASED | M_ALL | M_NEQ)))
		return "'fieldref' combines only with contains, startswith, endswith, cased, all "
		       "and neq";
	if ((mods & M_EXPAND) && (mods & (M_RE | M_CIDR | M_EXISTS | M_FIELDREF) || num))
		return "'expand' applies only to string values (not re, cidr, exists, fieldref or "
		       "numbers)";
	if ((mods & M_BASE64) && (mods & M_BASE64OFFSET))
		return "base64 and base64offset are exclusive";
	if ((mods & (M_BASE64 | M_BASE64OFFSET)) && (mods & M_WINDASH))
		return "base64 and windash cannot be combined";
	if (keyword && (mods & (M_EXISTS | M_CIDR | M_NEQ | M_FIELDREF) || num))
		return "keywords (no field name) take only string modifiers";
	return NULL;
}

/* A list of values: every one is checked (and reported) even after an error. */
static struct cond *values_tree(struct ctx *c, const char *field, unsigned mods,
                                const struct ytree_node *val) {
	if (val->n == 0) {
		sigma_err(c, val, "empty value list");
		return NULL;
	}
	struct cond *t = cnode(mods & M_ALL ? COND_AND : COND_OR);
	if (!t) {
		sigma_oom(c, val);
		return NULL;
	}
	for (size_t i = 0; i < val->n; i++) {
		struct cond *x = value_tree(c, field, mods, val->items[i]);
		if (x && cadd(t, x) < 0)
			sigma_oom(c, val->items[i]);
	}
	return t;
}

/* `field|mods: value(s)` -> subtree; NULL after an error (reported). */
static struct cond *field_tree(struct ctx *c, const struct ytree_node *key,
                               const struct ytree_node *val) {
	char *k = strdup(key->str);
	if (!k) {
		sigma_oom(c, key);
		return NULL;
	}
	char *bar = strchr(k, '|');
	unsigned mods = 0;
	if (bar)
		*bar = 0;
	const char *f = *k ? k : NULL;
	const char *why = NULL;
	bool ok = !bar || parse_modifiers(c, key, bar + 1, &mods);
	if (ok && (why = modifiers_conflict(mods, !f)) != NULL) {
		sigma_err(c, key, "%s", why);
		ok = false;
	}
	struct cond *t = NULL;
	if (!ok)
		; /* the values are not checked against modifiers that are wrong */
	else if (val->kind == YTREE_SEQ)
		t = values_tree(c, f, mods, val);
	else if (val->kind == YTREE_SCALAR)
		t = value_tree(c, f, mods, val);
	else
		sigma_err(c, val, "a field's value must be a scalar or a list, not a mapping");
	free(k);
	return t;
}

static struct cond *map_tree(struct ctx *c, const struct ytree_node *m) {
	if (m->n == 0) {
		sigma_err(c, m, "empty selection");
		return NULL;
	}
	struct cond *t = cnode(COND_AND);
	if (!t) {
		sigma_oom(c, m);
		return NULL;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct cond *x = field_tree(c, m->pairs[i].key, m->pairs[i].value);
		if (x && cadd(t, x) < 0)
			sigma_oom(c, m->pairs[i].key);
	}
	return t;
}

static struct cond *selection_tree(struct ctx *c, const struct ytree_node *v) {
	if (v->kind == YTREE_MAP)
		return map_tree(c, v);
	if (v->kind == YTREE_SCALAR)
		return value_tree(c, NULL, M_CONTAINS, v);
	if (v->n == 0) {
		sigma_err(c, v, "empty selection");
		return NULL;
	}
	bool maps = v->items[0]->kind == YTREE_MAP;
	struct cond *t = cnode(COND_OR);
	if (!t) {
		sigma_oom(c, v);
		return NULL;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct ytree_node *it = v->items[i];
		if ((it->kind == YTREE_MAP) != maps || it->kind == YTREE_SEQ) {
			sigma_err(c, it,
			          "a selection list must hold only keywords or only mappings");
			continue;
		}
		struct cond *x = maps ? map_tree(c, it) : value_tree(c, NULL, M_CONTAINS, it);
		if (x && cadd(t, x) < 0)
			sigma_oom(c, it);
	}
	return t;
}

/* Every selection (checked even after an error); returns the `condition` node. */
static const struct ytree_node *load_selections(struct ctx *c, const struct ytree_node *d) {
	struct rule *r = c->r;
	const struct ytree_node *cond = NULL;
	for (size_t i = 0; i < d->n; i++) {
		const struct ytree_node *k = d->pairs[i].key, *v = d->pairs[i].value;
		if (!strcmp(k->str, "condition")) {
			cond = v;
			continue;
		}
		if (!strcmp(k->str, "timeframe")) {
			sigma_err(c, k, "'timeframe' is not supported: use a correlation rule");
			continue;
		}
		struct selection *s = realloc(r->sels, (r->n_sels + 1) * sizeof(*s));
		if (!s) {
			sigma_oom(c, k);
			return cond;
		}
		r->sels = s;
		s[r->n_sels].name = strdup(k->str);
		if (!s[r->n_sels].name) {
			sigma_oom(c, k);
			return cond;
		}
		s[r->n_sels].tree = NULL;
		r->n_sels++;
		s[r->n_sels - 1].tree = selection_tree(c, v);
	}
	return cond;
}

/* The condition (one expression or a list of them, OR'ed) over the selection names. */
static struct cond *load_condition(struct ctx *c, const struct ytree_node *cond) {
	struct rule *r = c->r;
	char **names = calloc(r->n_sels + 1, sizeof(char *));
	if (!names) {
		sigma_oom(c, cond);
		return NULL;
	}
	for (size_t i = 0; i < r->n_sels; i++)
		names[i] = r->sels[i].name;
	const struct ytree_node *one;
	size_t n = 1;
	const struct ytree_node *const *items = &one;
	one = cond;
	if (cond->kind == YTREE_SEQ) {
		items = (const struct ytree_node *const *)cond->items;
		n = cond->n;
		if (n == 0)
			sigma_err(c, cond, "empty condition list");
	}
	struct cond *top = n == 1 ? NULL : cnode(COND_OR);
	if (n > 1 && !top)
		sigma_oom(c, cond);
	for (size_t i = 0; i < n && (n == 1 || top); i++) {
		const char *text = sigma_scalar(c, items[i], "condition");
		if (!text)
			continue;
		char msg[256];
		unsigned col = 0;
		struct cond *x = NULL;
		if (cond_parse(text, names, r->n_sels, &x, msg, sizeof(msg), &col) < 0) {
			/* the column inside a plain one-line scalar maps onto the file */
			unsigned fcol = items[i]->col + (items[i]->plain ? col - 1 : col);
			ev_errlist_add(c->errs, c->file, items[i]->line, fcol, "condition: %s",
			               msg);
			c->bad = true;
			continue;
		}
		if (!top)
			top = x;
		else if (cadd(top, x) < 0)
			sigma_oom(c, items[i]);
	}
	free(names);
	return top;
}

void sigma_load_detection(struct ctx *c, const struct ytree_node *d) {
	if (d->kind != YTREE_MAP) {
		sigma_err(c, d, "'detection' must be a mapping");
		return;
	}
	const struct ytree_node *cond = load_selections(c, d);
	if (c->oom)
		return;
	if (!cond) {
		sigma_err(c, d, "detection has no 'condition'");
		return;
	}
	struct cond *top = load_condition(c, cond);
	if (c->bad)
		cond_free(top);
	else
		c->r->condition = top;
}
