/* Condition parser: a recursive-descent parser over a tiny tokenizer; `1 of` and
 * `all of` are expanded at parse time into OR/AND over the matching names, so evaluation
 * is a plain tree walk. Depth is capped so hostile input cannot exhaust the stack. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/cond.h"
#include "util/macro.h"

#define COND_MAX_DEPTH 64

struct parser {
	const char *s;
	size_t pos;
	char *const *names;
	size_t n_names;
	char *msg;
	size_t msg_len;
	unsigned col;
	int depth;
	bool failed;
};

struct tok {
	enum { T_END, T_LP, T_RP, T_WORD, T_BAD } type;
	size_t start, len;
};

static bool is_word_char(char c) {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '*' || c == '-' || c == '.' || c == '?';
}

static struct tok peek(struct parser *p) {
	size_t i = p->pos;
	while (p->s[i] == ' ' || p->s[i] == '\t' || p->s[i] == '\n' || p->s[i] == '\r')
		i++;
	struct tok t = {T_END, i, 0};
	char c = p->s[i];
	if (!c)
		return t;
	if (c == '(' || c == ')') {
		t.type = c == '(' ? T_LP : T_RP;
		t.len = 1;
		return t;
	}
	if (!is_word_char(c)) {
		t.type = T_BAD;
		t.len = 1;
		return t;
	}
	size_t j = i;
	while (is_word_char(p->s[j]))
		j++;
	t.type = T_WORD;
	t.len = j - i;
	return t;
}

static void advance(struct parser *p, struct tok t) {
	p->pos = t.start + t.len;
}

static bool word_is(struct parser *p, struct tok t, const char *w) {
	return t.type == T_WORD && t.len == strlen(w) && strncmp(p->s + t.start, w, t.len) == 0;
}

_printf_(3, 4) static struct cond *fail(struct parser *p, size_t at, const char *fmt, ...) {
	if (!p->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->msg, p->msg_len, fmt, ap);
		va_end(ap);
		p->col = (unsigned)at + 1;
		p->failed = true;
	}
	return NULL;
}

static struct cond *node(enum cond_type t) {
	struct cond *c = calloc(1, sizeof(*c));
	if (c)
		c->type = t;
	return c;
}

static int add_kid(struct cond *c, struct cond *k) {
	struct cond **v = realloc(c->kids, (c->n + 1) * sizeof(*v));
	if (!v) {
		cond_free(k);
		return -ENOMEM;
	}
	c->kids = v;
	c->kids[c->n++] = k;
	return 0;
}

static struct cond *parse_or(struct parser *p);

static struct cond *parse_quantified(struct parser *p, struct tok q) {
	bool all = word_is(p, q, "all");
	advance(p, q);
	struct tok of = peek(p);
	if (!word_is(p, of, "of"))
		return fail(p, of.start, "expected 'of' after '%.*s'", (int)q.len, p->s + q.start);
	advance(p, of);
	struct tok pat = peek(p);
	if (pat.type != T_WORD || word_is(p, pat, "and") || word_is(p, pat, "or") ||
	    word_is(p, pat, "not"))
		return fail(p, pat.start, "expected a name pattern or 'them' after 'of'");
	advance(p, pat);
	char buf[256];
	if (pat.len >= sizeof(buf))
		return fail(p, pat.start, "name pattern too long");
	memcpy(buf, p->s + pat.start, pat.len);
	buf[pat.len] = 0;
	bool them = strcmp(buf, "them") == 0;
	struct cond *c = node(all ? COND_AND : COND_OR);
	if (!c)
		return fail(p, pat.start, "out of memory");
	for (size_t i = 0; i < p->n_names; i++) {
		bool m = them ? p->names[i][0] != '_' : fnmatch(buf, p->names[i], 0) == 0;
		if (!m)
			continue;
		struct cond *r = node(COND_REF);
		if (!r || add_kid(c, r) < 0) {
			cond_free(c);
			return fail(p, pat.start, "out of memory");
		}
		r->ref = (unsigned)i;
	}
	if (c->n == 0) {
		cond_free(c);
		return fail(p, pat.start, "'%s' matches no %s", buf,
		            them ? "identifier" : "identifier name");
	}
	return c;
}

static struct cond *parse_primary(struct parser *p) {
	struct tok t = peek(p);
	if (++p->depth > COND_MAX_DEPTH)
		return fail(p, t.start, "condition nested too deeply");
	struct cond *c = NULL;
	if (t.type == T_LP) {
		advance(p, t);
		c = parse_or(p);
		if (!c)
			return NULL;
		struct tok r = peek(p);
		if (r.type != T_RP) {
			cond_free(c);
			return fail(p, r.start, "expected ')'");
		}
		advance(p, r);
	} else if (word_is(p, t, "not")) {
		advance(p, t);
		struct cond *k = parse_primary(p);
		if (!k)
			return NULL;
		c = node(COND_NOT);
		if (!c || add_kid(c, k) < 0) {
			free(c);
			return fail(p, t.start, "out of memory");
		}
	} else if (word_is(p, t, "1") || word_is(p, t, "all") || word_is(p, t, "any")) {
		c = parse_quantified(p, t);
	} else if (t.type == T_WORD && !word_is(p, t, "and") && !word_is(p, t, "or") &&
	           !word_is(p, t, "of") && !word_is(p, t, "them")) {
		if (t.len > 0 && p->s[t.start] >= '0' && p->s[t.start] <= '9')
			return fail(p, t.start,
			            "unsupported quantifier '%.*s' (use '1 of' or 'all of')",
			            (int)t.len, p->s + t.start);
		for (size_t i = 0; i < p->n_names; i++)
			if (strlen(p->names[i]) == t.len &&
			    strncmp(p->names[i], p->s + t.start, t.len) == 0) {
				c = node(COND_REF);
				if (!c)
					return fail(p, t.start, "out of memory");
				c->ref = (unsigned)i;
				advance(p, t);
				break;
			}
		if (!c)
			return fail(p, t.start, "unknown identifier '%.*s'", (int)t.len,
			            p->s + t.start);
	} else if (t.type == T_END) {
		return fail(p, t.start, "unexpected end of condition");
	} else if (t.type == T_BAD && p->s[t.start] == '|') {
		return fail(
		        p, t.start,
		        "aggregation expressions ('|') are not supported: use a correlation rule");
	} else {
		return fail(p, t.start, "unexpected '%.*s'", (int)(t.len ? t.len : 1),
		            p->s + t.start);
	}
	p->depth--;
	return c;
}

static struct cond *parse_binary(struct parser *p, bool is_or) {
	struct cond *l = is_or ? parse_binary(p, false) : parse_primary(p);
	if (!l)
		return NULL;
	const char *op = is_or ? "or" : "and";
	struct tok t = peek(p);
	if (!word_is(p, t, op))
		return l;
	struct cond *c = node(is_or ? COND_OR : COND_AND);
	if (!c || add_kid(c, l) < 0) {
		if (!c)
			cond_free(l);
		return fail(p, t.start, "out of memory");
	}
	while (word_is(p, t, op)) {
		advance(p, t);
		struct cond *r = is_or ? parse_binary(p, false) : parse_primary(p);
		if (!r || add_kid(c, r) < 0) {
			cond_free(c);
			return r ? fail(p, t.start, "out of memory") : NULL;
		}
		t = peek(p);
	}
	return c;
}

static struct cond *parse_or(struct parser *p) {
	return parse_binary(p, true);
}

int cond_parse(const char *text, char *const *names, size_t n_names, struct cond **ret,
               char *ret_msg, size_t msg_len, unsigned *ret_col) {
	struct parser p = {
	        .s = text, .names = names, .n_names = n_names, .msg = ret_msg, .msg_len = msg_len};
	struct cond *c = parse_or(&p);
	if (c) {
		struct tok t = peek(&p);
		if (t.type == T_BAD && text[t.start] == '|') {
			cond_free(c);
			c = fail(&p, t.start,
			         "aggregation expressions ('|') are not supported: use a "
			         "correlation rule");
		} else if (t.type != T_END) {
			cond_free(c);
			c = fail(&p, t.start, "unexpected '%.*s' (expected 'and', 'or' or the end)",
			         (int)(t.len ? t.len : 1), text + t.start);
		}
	}
	if (!c) {
		*ret_col = p.col;
		return -EINVAL;
	}
	*ret = c;
	return 0;
}

bool cond_eval(const struct cond *c, cond_ref_fn ref, void *ctx) {
	switch (c->type) {
	case COND_REF:
		return ref(ctx, c->ref);
	case COND_NOT:
		return !cond_eval(c->kids[0], ref, ctx);
	case COND_AND:
		for (size_t i = 0; i < c->n; i++)
			if (!cond_eval(c->kids[i], ref, ctx))
				return false;
		return true;
	case COND_OR:
		for (size_t i = 0; i < c->n; i++)
			if (cond_eval(c->kids[i], ref, ctx))
				return true;
		return false;
	case COND_TRUE:
		return true;
	case COND_FALSE:
		return false;
	}
	return false;
}

bool cond_has_not(const struct cond *c) {
	if (c->type == COND_NOT)
		return true;
	for (size_t i = 0; i < c->n; i++)
		if (cond_has_not(c->kids[i]))
			return true;
	return false;
}

struct cond *cond_free(struct cond *c) {
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		cond_free(c->kids[i]);
	free(c->kids);
	free(c);
	return NULL;
}
