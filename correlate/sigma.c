/* Sigma loader: ytree documents -> struct rule.
 *
 * Each document is one rule. While a rule is built, every problem is appended to the
 * error list with the position of the offending node and the rule is marked bad; a bad
 * rule is freed, never added. Detection selections become small AND/OR trees over leaves
 * (struct cond with COND_REF = leaf index); the condition becomes a tree over selections. */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "correlate/sigma.h"
#include "correlate/sigma_internal.h"
#include "util/strdist.h"
#include "util/ytree.h"

void sigma_err(struct ctx *c, const struct ytree_node *n, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	ev_errlist_addv(c->errs, c->file, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
	c->bad = true;
}

const char *sigma_scalar(struct ctx *c, const struct ytree_node *n, const char *what) {
	if (!n || n->kind != YTREE_SCALAR) {
		err(c, n, "%s must be a string, not a %s", what,
		    n ? ytree_kind_name(n->kind) : "nothing");
		return NULL;
	}
	return n->str;
}

static char *xstrdup(const char *s) {
	return s ? strdup(s) : NULL;
}

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
};
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
};

/* ---- leaves ---- */

static int add_leaf(struct ctx *c, struct leaf *tmpl, unsigned *ret_idx) {
	struct rule *r = c->r;
	struct leaf *v = realloc(r->leaves, (r->n_leaves + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->leaves = v;
	tmpl->field = xstrdup(tmpl->field);
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

static int cadd(struct cond *p, struct cond *k) {
	if (!k)
		return -ENOMEM;
	struct cond **v = realloc(p->kids, (p->n + 1) * sizeof(*v));
	if (!v) {
		cond_free(k);
		return -ENOMEM;
	}
	p->kids = v;
	p->kids[p->n++] = k;
	return 0;
}

static struct cond *pattern_leaf(struct ctx *c, const char *field, const char *body, uint32_t opts,
                                 unsigned mods, bool is_re) {
	struct leaf l = {.kind = LEAF_PATTERN,
	                 .field = (char *)field,
	                 .pcre_opts = opts,
	                 .is_re = is_re,
	                 .negate = !!(mods & M_NEQ)};
	size_t n = strlen(body) + 16;
	l.regex = malloc(n);
	if (!l.regex)
		return NULL;
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
	unsigned idx;
	if (add_leaf(c, &l, &idx) < 0) {
		free(l.regex);
		return NULL;
	}
	struct cond *k = cnode(COND_REF);
	if (k)
		k->ref = idx;
	return k;
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

/* One value of a field with its modifiers -> a subtree (usually one leaf). */
static struct cond *value_tree(struct ctx *c, const char *field, unsigned mods,
                               const struct ytree_node *v) {
	if (v->kind != YTREE_SCALAR) {
		err(c, v, "a value must be a scalar, not a %s", ytree_kind_name(v->kind));
		return NULL;
	}
	if (mods & M_EXISTS) {
		struct leaf l = {.kind = LEAF_EXISTS, .field = (char *)field};
		if (v->plain && (!strcmp(v->str, "true") || !strcmp(v->str, "yes")))
			l.exists = true;
		else if (v->plain && (!strcmp(v->str, "false") || !strcmp(v->str, "no")))
			l.exists = false;
		else {
			err(c, v, "'exists' needs true or false, not '%s'", v->str);
			return NULL;
		}
		unsigned idx;
		if (add_leaf(c, &l, &idx) < 0)
			return NULL;
		struct cond *k = cnode(COND_REF);
		if (k)
			k->ref = idx;
		return k;
	}
	if (ytree_is_null(v) && v->plain) {
		if (mods & ~(M_NEQ | M_ALL)) {
			err(c, v, "null cannot be combined with modifiers");
			return NULL;
		}
		if (!field) {
			err(c, v, "a keyword cannot be null");
			return NULL;
		}
		struct leaf l = {
		        .kind = LEAF_NULL, .field = (char *)field, .negate = !!(mods & M_NEQ)};
		unsigned idx;
		if (add_leaf(c, &l, &idx) < 0)
			return NULL;
		struct cond *k = cnode(COND_REF);
		if (k)
			k->ref = idx;
		return k;
	}
	if (mods & M_CIDR) {
		struct leaf l = {
		        .kind = LEAF_CIDR, .field = (char *)field, .negate = !!(mods & M_NEQ)};
		char buf[64];
		const char *slash = strchr(v->str, '/');
		size_t al = slash ? (size_t)(slash - v->str) : v->len;
		if (al >= sizeof(buf)) {
			err(c, v, "invalid CIDR '%s'", v->str);
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
			err(c, v, "invalid CIDR '%s': not an IPv4 or IPv6 address", v->str);
			return NULL;
		}
		l.prefix = max;
		if (slash) {
			char *end;
			errno = 0;
			unsigned long p = strtoul(slash + 1, &end, 10);
			if (errno || *end || end == slash + 1 || p > max) {
				err(c, v, "invalid CIDR '%s': prefix length must be 0..%u", v->str,
				    max);
				return NULL;
			}
			l.prefix = (unsigned)p;
		}
		unsigned idx;
		if (add_leaf(c, &l, &idx) < 0)
			return NULL;
		struct cond *k = cnode(COND_REF);
		if (k)
			k->ref = idx;
		return k;
	}
	if (mods & (M_LT | M_LTE | M_GT | M_GTE)) {
		struct leaf l = {
		        .kind = LEAF_NUM, .field = (char *)field, .negate = !!(mods & M_NEQ)};
		l.cmp = mods & M_LT    ? CMP_LT
		        : mods & M_LTE ? CMP_LTE
		        : mods & M_GT  ? CMP_GT
		                       : CMP_GTE;
		char *end;
		errno = 0;
		l.num = strtod(v->str, &end);
		if (errno || *end || end == v->str || isnan(l.num)) {
			err(c, v, "'%s' is not a number", v->str);
			return NULL;
		}
		unsigned idx;
		if (add_leaf(c, &l, &idx) < 0)
			return NULL;
		struct cond *k = cnode(COND_REF);
		if (k)
			k->ref = idx;
		return k;
	}
	uint32_t opts = PCRE2_DOTALL;
	if (mods & M_RE) {
		opts = (mods & M_I ? PCRE2_CASELESS : 0) | (mods & M_M ? PCRE2_MULTILINE : 0) |
		       (mods & M_S ? PCRE2_DOTALL : 0);
		int ec;
		PCRE2_SIZE off;
		pcre2_code *code = pcre2_compile((PCRE2_SPTR)v->str, v->len, opts, &ec, &off, NULL);
		if (!code) {
			char buf[200];
			pcre2_get_error_message(ec, (PCRE2_UCHAR *)buf, sizeof(buf));
			err(c, v, "invalid regular expression at offset %zu: %s", (size_t)off, buf);
			return NULL;
		}
		pcre2_code_free(code);
		return pattern_leaf(c, field, v->str, opts, mods, true);
	}
	if (!(mods & (M_CASED | M_BASE64 | M_BASE64OFFSET)))
		opts |= PCRE2_CASELESS;
	/* variants: base64offset gives 3, windash 5, else 1 */
	char *variants[5] = {0};
	size_t nv = 0;
	bool wild = true;
	if (mods & M_BASE64) {
		variants[nv++] = leaf_base64(v->str, v->len);
		wild = false;
	} else if (mods & M_BASE64OFFSET) {
		static const size_t start[3] = {0, 2, 3}, endcut[3] = {0, 3, 2};
		for (size_t i = 0; i < 3; i++) {
			char *pad = malloc(v->len + 3);
			if (!pad)
				break;
			memset(pad, ' ', i);
			memcpy(pad + i, v->str, v->len);
			char *b = leaf_base64(pad, v->len + i);
			free(pad);
			if (!b)
				break;
			size_t bl = strlen(b), cut = endcut[(v->len + i) % 3];
			size_t e = bl > cut ? bl - cut : 0;
			if (e <= start[i]) {
				free(b);
				continue;
			}
			memmove(b, b + start[i], e - start[i]);
			b[e - start[i]] = 0;
			variants[nv++] = b;
		}
		wild = false;
	} else if (mods & M_WINDASH) {
		static const char *dashes[] = {"-", "/", "\xe2\x80\x93", "\xe2\x80\x94",
		                               "\xe2\x80\x95"};
		for (size_t i = 0; i < 5; i++)
			variants[nv++] = windash_variant(v->str, dashes[i]);
	} else
		variants[nv++] = strdup(v->str);
	struct cond *out = nv > 1 ? cnode(COND_OR) : NULL;
	struct cond *single = NULL;
	for (size_t i = 0; i < nv; i++) {
		if (!variants[i])
			continue;
		char *body = leaf_wildcard_to_regex(variants[i], strlen(variants[i]), wild);
		struct cond *k = body ? pattern_leaf(c, field, body, opts, mods, false) : NULL;
		free(body);
		if (out)
			cadd(out, k);
		else
			single = k;
	}
	for (size_t i = 0; i < nv; i++)
		free(variants[i]);
	if (!single && (!out || out->n == 0)) {
		cond_free(out);
		err(c, v, "value '%s' gives nothing to match with these modifiers", v->str);
		return NULL;
	}
	return out ? out : single;
}

/* `field|mods: value(s)` -> subtree. */
static struct cond *field_tree(struct ctx *c, const struct ytree_node *key,
                               const struct ytree_node *val) {
	char *k = strdup(key->str);
	if (!k)
		return NULL;
	char *save = NULL, *field = k, *bar = strchr(k, '|');
	unsigned mods = 0;
	if (bar) {
		*bar = 0;
		for (char *m = strtok_r(bar + 1, "|", &save); m; m = strtok_r(NULL, "|", &save)) {
			unsigned bit = 0;
			for (size_t i = 0; i < ELEMENTSOF(modifiers); i++)
				if (!strcmp(m, modifiers[i].name))
					bit = modifiers[i].bit;
			if (!bit) {
				struct ev_suggest sg = ev_suggest_init(m);
				for (size_t i = 0; i < ELEMENTSOF(modifiers); i++)
					ev_suggest_add(&sg, modifiers[i].name);
				const char *best = ev_suggest_best(&sg);
				if (best)
					err(c, key, "unknown modifier '%s' (did you mean '%s'?)", m,
					    best);
				else
					err(c, key, "unknown or unsupported modifier '%s'", m);
				free(k);
				return NULL;
			}
			mods |= bit;
		}
	}
	const char *f = *field ? field : NULL;
	const char *why = NULL;
	unsigned pos = mods & (M_CONTAINS | M_STARTSWITH | M_ENDSWITH);
	unsigned num = mods & (M_LT | M_LTE | M_GT | M_GTE);
	if (pos & (pos - 1))
		why = "only one of contains, startswith, endswith may be used";
	else if ((mods & M_RE) &&
	         (mods & (M_CONTAINS | M_STARTSWITH | M_ENDSWITH | M_BASE64 | M_BASE64OFFSET |
	                  M_WINDASH | M_CIDR | M_CASED | M_EXISTS) ||
	          num))
		why = "'re' cannot be combined with other value modifiers (only i, m, s, all, neq)";
	else if ((mods & (M_I | M_M | M_S)) && !(mods & M_RE))
		why = "the i, m and s modifiers apply only to 're'";
	else if ((mods & M_EXISTS) && (mods & ~M_EXISTS))
		why = "'exists' cannot be combined with other modifiers";
	else if ((mods & M_CIDR) && (mods & ~(M_CIDR | M_NEQ | M_ALL)))
		why = "'cidr' cannot be combined with other value modifiers";
	else if (num & (num - 1))
		why = "only one of lt, lte, gt, gte may be used";
	else if (num && (mods & ~(num | M_NEQ | M_ALL)))
		why = "lt/lte/gt/gte cannot be combined with other value modifiers";
	else if ((mods & M_BASE64) && (mods & M_BASE64OFFSET))
		why = "base64 and base64offset are exclusive";
	else if ((mods & (M_BASE64 | M_BASE64OFFSET)) && (mods & M_WINDASH))
		why = "base64 and windash cannot be combined";
	else if (!f && (mods & (M_EXISTS | M_CIDR | M_NEQ) || num))
		why = "keywords (no field name) take only string modifiers";
	if (why) {
		err(c, key, "%s", why);
		free(k);
		return NULL;
	}
	struct cond *t = NULL;
	if (val->kind == YTREE_SEQ) {
		if (val->n == 0) {
			err(c, val, "empty value list");
			free(k);
			return NULL;
		}
		t = cnode(mods & M_ALL ? COND_AND : COND_OR);
		for (size_t i = 0; t && i < val->n && !c->bad; i++) {
			struct cond *x = value_tree(c, f, mods, val->items[i]);
			if (!x || cadd(t, x) < 0) {
				if (!c->bad)
					err(c, val->items[i], "out of memory");
			}
		}
	} else if (val->kind == YTREE_SCALAR) {
		t = value_tree(c, f, mods, val);
	} else {
		err(c, val, "a field's value must be a scalar or a list, not a mapping");
	}
	free(k);
	if (c->bad)
		return cond_free(t);
	return t;
}

static struct cond *map_tree(struct ctx *c, const struct ytree_node *m) {
	if (m->n == 0) {
		err(c, m, "empty selection");
		return NULL;
	}
	struct cond *t = cnode(COND_AND);
	for (size_t i = 0; t && i < m->n && !c->bad; i++) {
		struct cond *x = field_tree(c, m->pairs[i].key, m->pairs[i].value);
		if (x)
			cadd(t, x);
	}
	return c->bad ? cond_free(t) : t;
}

static struct cond *selection_tree(struct ctx *c, const struct ytree_node *v) {
	if (v->kind == YTREE_MAP)
		return map_tree(c, v);
	if (v->kind == YTREE_SCALAR)
		return value_tree(c, NULL, M_CONTAINS, v);
	if (v->n == 0) {
		err(c, v, "empty selection");
		return NULL;
	}
	bool maps = v->items[0]->kind == YTREE_MAP;
	struct cond *t = cnode(COND_OR);
	for (size_t i = 0; t && i < v->n && !c->bad; i++) {
		const struct ytree_node *it = v->items[i];
		if ((it->kind == YTREE_MAP) != maps || it->kind == YTREE_SEQ) {
			err(c, it, "a selection list must hold only keywords or only mappings");
			break;
		}
		struct cond *x = maps ? map_tree(c, it) : value_tree(c, NULL, M_CONTAINS, it);
		if (x)
			cadd(t, x);
	}
	return c->bad ? cond_free(t) : t;
}

static void load_detection(struct ctx *c, const struct ytree_node *d) {
	struct rule *r = c->r;
	if (d->kind != YTREE_MAP) {
		err(c, d, "'detection' must be a mapping");
		return;
	}
	const struct ytree_node *cond = NULL;
	for (size_t i = 0; i < d->n && !c->bad; i++) {
		const struct ytree_node *k = d->pairs[i].key, *v = d->pairs[i].value;
		if (!strcmp(k->str, "condition")) {
			cond = v;
			continue;
		}
		if (!strcmp(k->str, "timeframe")) {
			err(c, k, "'timeframe' is not supported: use a correlation rule");
			return;
		}
		struct selection *s = realloc(r->sels, (r->n_sels + 1) * sizeof(*s));
		if (!s) {
			err(c, k, "out of memory");
			return;
		}
		r->sels = s;
		s[r->n_sels].name = strdup(k->str);
		s[r->n_sels].tree = NULL;
		r->n_sels++;
		s[r->n_sels - 1].tree = selection_tree(c, v);
	}
	if (c->bad)
		return;
	if (!cond) {
		err(c, d, "detection has no 'condition'");
		return;
	}
	char **names = calloc(r->n_sels + 1, sizeof(char *));
	if (!names)
		return;
	for (size_t i = 0; i < r->n_sels; i++)
		names[i] = r->sels[i].name;
	const struct ytree_node *items_one[1] = {cond};
	const struct ytree_node *const *items = items_one;
	size_t n = 1;
	if (cond->kind == YTREE_SEQ) {
		items = (const struct ytree_node *const *)cond->items;
		n = cond->n;
		if (n == 0)
			err(c, cond, "empty condition list");
	}
	struct cond *top = n == 1 ? NULL : cnode(COND_OR);
	for (size_t i = 0; i < n && !c->bad; i++) {
		const char *text = scalar(c, items[i], "condition");
		if (!text)
			break;
		char msg[256];
		unsigned col = 0;
		struct cond *x = NULL;
		if (cond_parse(text, names, r->n_sels, &x, msg, sizeof(msg), &col) < 0) {
			/* the column inside a plain one-line scalar maps onto the file */
			unsigned fcol = items[i]->col + (items[i]->plain ? col - 1 : col);
			ev_errlist_add(c->errs, c->file, items[i]->line, fcol, "condition: %s",
			               msg);
			c->bad = true;
			break;
		}
		if (top)
			cadd(top, x);
		else
			top = x;
	}
	free(names);
	if (c->bad)
		cond_free(top);
	else
		r->condition = top;
}

/* ---- correlations ---- */

/* ---- documents ---- */

static void set_str(struct ctx *c, char **dst, const struct ytree_node *n, const char *what) {
	if (!n)
		return;
	const char *s = scalar(c, n, what);
	if (s)
		*dst = strdup(s);
}

static json_t *node_json(const struct ytree_node *n) {
	if (!n)
		return json_null();
	if (n->kind == YTREE_SCALAR)
		return json_stringn(n->str, n->len);
	if (n->kind == YTREE_SEQ) {
		json_t *a = json_array();
		for (size_t i = 0; i < n->n; i++)
			json_array_append_new(a, node_json(n->items[i]));
		return a;
	}
	json_t *o = json_object();
	for (size_t i = 0; i < n->n; i++)
		json_object_set_new(o, n->pairs[i].key->str, node_json(n->pairs[i].value));
	return o;
}

static int load_doc(const char *name, const struct ytree_doc *doc, struct rule_set *set,
                    struct ev_errlist *errs) {
	const struct ytree_node *root = doc->root;
	struct rule r = {.logsource = -1};
	struct ctx c = {.file = name, .errs = errs, .r = &r};
	if (!root)
		return 0; /* empty document */
	r.file = strdup(name);
	r.line = root->line;
	r.col = root->col;
	if (root->kind != YTREE_MAP) {
		err(&c, root, "a rule must be a mapping, not a %s", ytree_kind_name(root->kind));
		goto bad;
	}
	static const char *known[] = {
	        "title",       "id",         "name",      "status",      "level",
	        "tags",        "logsource",  "detection", "correlation", "falsepositives",
	        "description", "references", "author",    "date",        "modified",
	        "related",     "fields",     "license",   "taxonomy",    "scope"};
	for (size_t i = 0; i < root->n; i++) {
		const char *k = root->pairs[i].key->str;
		bool is_known = false;
		for (size_t j = 0; j < ELEMENTSOF(known); j++)
			is_known |= !strcmp(k, known[j]);
		if (!is_known) {
			if (!r.meta)
				r.meta = json_object();
			json_object_set_new(r.meta, k, node_json(root->pairs[i].value));
		}
	}
	set_str(&c, &r.title, ytree_map_get(root, "title"), "title");
	set_str(&c, &r.id, ytree_map_get(root, "id"), "id");
	set_str(&c, &r.name, ytree_map_get(root, "name"), "name");
	set_str(&c, &r.status, ytree_map_get(root, "status"), "status");
	set_str(&c, &r.description, ytree_map_get(root, "description"), "description");
	const struct ytree_node *lv = ytree_map_get(root, "level");
	set_str(&c, &r.level, lv, "level");
	if (r.level) {
		static const char *levels[] = {"informational", "low", "medium", "high",
		                               "critical"};
		bool ok = false;
		for (size_t i = 0; i < ELEMENTSOF(levels); i++)
			ok |= !strcmp(r.level, levels[i]);
		if (!ok)
			err(&c, lv,
			    "unknown level '%s' (expected informational, low, medium, high or "
			    "critical)",
			    r.level);
	}
	const struct ytree_node *tags = ytree_map_get(root, "tags");
	if (tags && tags->kind != YTREE_SEQ)
		err(&c, tags, "'tags' must be a list");
	else if (tags) {
		r.tags = calloc(tags->n + 1, sizeof(char *));
		for (size_t i = 0; r.tags && i < tags->n; i++) {
			const char *s = scalar(&c, tags->items[i], "a tag");
			if (s)
				r.tags[r.n_tags++] = strdup(s);
		}
	}
	const struct ytree_node *ls = ytree_map_get(root, "logsource");
	if (ls && ls->kind != YTREE_MAP)
		err(&c, ls, "'logsource' must be a mapping");
	else if (ls) {
		set_str(&c, &r.product, ytree_map_get(ls, "product"), "logsource product");
		set_str(&c, &r.service, ytree_map_get(ls, "service"), "logsource service");
		set_str(&c, &r.category, ytree_map_get(ls, "category"), "logsource category");
	}
	const struct ytree_node *det = ytree_map_get(root, "detection"),
	                        *cor = ytree_map_get(root, "correlation");
	if (det && cor)
		err(&c, cor, "a rule has either 'detection' or 'correlation', not both");
	else if (det) {
		r.kind = RULE_DETECTION;
		load_detection(&c, det);
	} else if (cor) {
		r.kind = RULE_CORRELATION;
		sigma_load_correlation(&c, cor);
	} else
		err(&c, root, "a rule needs 'detection' or 'correlation'");
	if (c.bad)
		goto bad;
	if (set->n == set->alloc) {
		size_t na = set->alloc ? set->alloc * 2 : 16;
		struct rule *v = realloc(set->v, na * sizeof(*v));
		if (!v) {
			rule_free(&r);
			return -ENOMEM;
		}
		set->v = v;
		set->alloc = na;
	}
	set->v[set->n++] = r;
	return 1;
bad:
	rule_free(&r);
	return 0;
}

int sigma_load_buffer(const char *name, const char *buf, size_t len, struct rule_set *set,
                      struct ev_errlist *errs) {
	struct ytree_docs docs = {0};
	int r = ytree_parse_buffer(name, buf, len, &docs, errs);
	if (r == -EINVAL)
		return 0;
	if (r < 0)
		return r;
	int added = 0;
	for (size_t i = 0; i < docs.n; i++) {
		r = load_doc(name, &docs.v[i], set, errs);
		if (r < 0) {
			ytree_docs_free(&docs);
			return r;
		}
		added += r;
	}
	ytree_docs_free(&docs);
	return added;
}

static bool has_suffix(const char *s, const char *suf) {
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

static bool rule_file_name(const char *n) {
	if (has_suffix(n, ".test.yaml") || has_suffix(n, ".test.yml"))
		return false;
	return has_suffix(n, ".yml") || has_suffix(n, ".yaml");
}

static int walk(const char *path, int depth, int (*fn)(const char *, void *), void *ctx,
                struct ev_errlist *errs) {
	struct stat st;
	if (stat(path, &st) < 0) {
		int e = errno;
		ev_errlist_add(errs, path, 0, 0, "cannot read: %s", strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode))
		return fn(path, ctx);
	if (depth > 16)
		return 0;
	struct dirent **ents = NULL;
	int n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		int e = errno;
		ev_errlist_add(errs, path, 0, 0, "cannot read directory: %s", strerror(e));
		return -e;
	}
	int r = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		if (r >= 0 && nm[0] != '.') {
			size_t l = strlen(path) + strlen(nm) + 2;
			char *p = malloc(l);
			if (p) {
				snprintf(p, l, "%s/%s", path, nm);
				struct stat s2;
				if (stat(p, &s2) == 0 && S_ISDIR(s2.st_mode))
					r = walk(p, depth + 1, fn, ctx, errs);
				else if (rule_file_name(nm))
					r = fn(p, ctx);
				free(p);
			}
		}
		free(ents[i]);
	}
	free(ents);
	return r < 0 ? r : 0;
}

int sigma_walk(const char *path, int (*fn)(const char *file, void *ctx), void *ctx,
               struct ev_errlist *errs) {
	return walk(path, 0, fn, ctx, errs);
}

struct load_ctx {
	struct rule_set *set;
	struct ev_errlist *errs;
	int added;
};

static int load_one(const char *file, void *p) {
	struct load_ctx *lc = p;
	struct ytree_docs docs = {0};
	int r = ytree_parse_file(file, &docs, lc->errs);
	if (r == -EINVAL)
		return 0;
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	for (size_t i = 0; i < docs.n; i++) {
		r = load_doc(file, &docs.v[i], lc->set, lc->errs);
		if (r < 0)
			break;
		lc->added += r;
	}
	ytree_docs_free(&docs);
	return r < 0 ? r : 0;
}

int sigma_load_path(const char *path, struct rule_set *set, struct ev_errlist *errs) {
	struct load_ctx lc = {set, errs, 0};
	int r = walk(path, 0, load_one, &lc, errs);
	return r < 0 ? r : lc.added;
}

static void strv_free(char **v, size_t n) {
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void rule_free(struct rule *r) {
	if (!r)
		return;
	free(r->file);
	free(r->id);
	free(r->name);
	free(r->title);
	free(r->level);
	free(r->status);
	free(r->description);
	strv_free(r->tags, r->n_tags);
	free(r->product);
	free(r->service);
	free(r->category);
	json_decref(r->meta);
	for (size_t i = 0; i < r->n_sels; i++) {
		free(r->sels[i].name);
		cond_free(r->sels[i].tree);
	}
	free(r->sels);
	for (size_t i = 0; i < r->n_leaves; i++)
		leaf_free(&r->leaves[i]);
	free(r->leaves);
	cond_free(r->condition);
	struct correlation *k = &r->corr;
	strv_free(k->refs, k->n_refs);
	free(k->ref_line);
	free(k->ref_col);
	free(k->ref_rule);
	strv_free(k->group_by, k->n_group_by);
	for (size_t i = 0; i < k->n_aliases; i++) {
		free(k->aliases[i].name);
		strv_free(k->aliases[i].fields, k->n_refs);
	}
	free(k->aliases);
	free(k->field);
	cond_free(k->tcond);
	free(r->users);
	memset(r, 0, sizeof(*r));
}

void rule_set_free(struct rule_set *set) {
	for (size_t i = 0; i < set->n; i++)
		rule_free(&set->v[i]);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

const char *rule_kind_name(const struct rule *r) {
	if (r->kind == RULE_DETECTION)
		return "match";
	static const char *names[] = {"event_count", "value_count", "temporal", "temporal_ordered",
	                              "absence"};
	return names[r->corr.type];
}
