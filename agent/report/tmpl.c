/* The template expander (tmpl.h). A template is parsed once into a flat list of nodes: a
 * section's node knows the index just past its close tag, so rendering walks ranges of
 * that list, recursively, with a stack of context values. Parsing checks every tag and
 * the nesting; rendering checks the names. Nothing is printed: errors go to an errlist. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent/report/tmpl.h"
#include "store/ledger.h"
#include "util/macro.h"

#define TMPL_MAX_SIZE  (1u << 20)
#define TMPL_MAX_DEPTH 32
#define TMPL_MAX_NAME  128

enum node_kind { N_TEXT, N_VAR, N_RAW, N_SECTION, N_INVERTED };

struct node {
	enum node_kind kind;
	const char *s; /* text, or the name (NUL-terminated in names) */
	size_t len;
	unsigned line, col;
	size_t end; /* sections: the index past the matching close */
};

struct ev_tmpl {
	char *file, *text, *names;
	struct node *v;
	size_t n, alloc, names_len, names_alloc;
};

void ev_tmpl_free(struct ev_tmpl *t) {
	if (!t)
		return;
	free(t->file);
	free(t->text);
	free(t->names);
	free(t->v);
	free(t);
}

static struct node *push(struct ev_tmpl *t) {
	if (t->n == t->alloc) {
		size_t na = t->alloc ? t->alloc * 2 : 64;
		struct node *nv = realloc(t->v, na * sizeof(*nv));
		if (!nv)
			return NULL;
		t->v = nv;
		t->alloc = na;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	return &t->v[t->n++];
}

/* Whether the tag [a, b) stands alone on its line: only blanks between the line's start
 * and a, and between b and the line's end. On yes, *ls is the line start and *le just
 * past its newline. */
static bool standalone(const char *text, const char *end, const char *a, const char *b,
                       const char **ls, const char **le) {
	const char *s = a;
	while (s > text && (s[-1] == ' ' || s[-1] == '\t'))
		s--;
	if (s > text && s[-1] != '\n')
		return false;
	const char *e = b;
	while (e < end && (*e == ' ' || *e == '\t'))
		e++;
	if (e < end && *e == '\r')
		e++;
	if (e < end && *e != '\n')
		return false;
	*ls = s;
	*le = e < end ? e + 1 : e;
	return true;
}

static bool valid_name(const char *s, size_t n) {
	if (n == 0 || n > TMPL_MAX_NAME)
		return false;
	if (n == 1 && s[0] == '.')
		return true;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
		            s[i]))
			return false;
	return true;
}

struct parser {
	struct ev_tmpl *t;
	struct ev_errlist *errs;
	size_t open[TMPL_MAX_DEPTH];
	size_t depth;
	struct ev_textpos tp; /* positions of tags, found in one pass */
};

static int perr(struct parser *ps, const char *at, const char *fmt, ...) _printf_(3, 4);
static int perr(struct parser *ps, const char *at, const char *fmt, ...) {
	unsigned line, col;
	ev_textpos_at(&ps->tp, at, &line, &col);
	va_list ap;
	va_start(ap, fmt);
	ev_errlist_addv(ps->errs, ps->t->file, line, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int add_text(struct ev_tmpl *t, const char *a, const char *b) {
	if (b <= a)
		return 0;
	struct node *n = push(t);
	if (!n)
		return -ENOMEM;
	n->kind = N_TEXT;
	n->s = a;
	n->len = (size_t)(b - a);
	return 0;
}

/* One tag whose inside is [in, in_end); its whole text is [a, b). */
static int add_tag(struct parser *ps, const char *a, const char *in, const char *in_end) {
	struct ev_tmpl *t = ps->t;
	char sigil = *in;
	bool raw = a[2] == '{';
	if (strchr("#^/!", sigil))
		in++;
	while (in < in_end && *in == ' ')
		in++;
	while (in_end > in && in_end[-1] == ' ')
		in_end--;
	if (sigil == '!')
		return 0;
	size_t nl = (size_t)(in_end - in);
	char nm[TMPL_MAX_NAME + 1];
	snprintf(nm, sizeof(nm), "%.*s", (int)MIN(nl, (size_t)TMPL_MAX_NAME), in);
	if (!valid_name(in, nl))
		return perr(ps, a, "'%s' is not a field name (letters, digits, '_', '-', '.')", nm);
	if (sigil == '/') {
		if (!ps->depth)
			return perr(ps, a, "{{/%s}} closes no section", nm);
		struct node *o = &t->v[ps->open[ps->depth - 1]];
		if (strcmp(o->s, nm))
			return perr(ps, a, "{{/%s}} does not close the open section", nm);
		o->end = t->n;
		ps->depth--;
		return 0;
	}
	struct node *n = push(t);
	if (!n)
		return -ENOMEM;
	unsigned line, col;
	ev_textpos_at(&ps->tp, a, &line, &col);
	n->line = line;
	n->col = col;
	n->kind = sigil == '#' ? N_SECTION : sigil == '^' ? N_INVERTED : raw ? N_RAW : N_VAR;
	/* names are kept NUL-terminated in t->names; offsets fixed up after parsing */
	if (t->names_len + nl + 1 >
	    t->names_alloc) { /* grown by doubling: one copy per tag was quadratic */
		size_t na = MAX(2 * t->names_alloc, t->names_len + nl + 1);
		char *nn = realloc(t->names, na);
		if (!nn)
			return -ENOMEM;
		t->names = nn;
		t->names_alloc = na;
	}
	memcpy(t->names + t->names_len, in, nl);
	t->names[t->names_len + nl] = '\0';
	n->s = NULL;
	n->len = t->names_len; /* offset, for now */
	t->names_len += nl + 1;
	if (n->kind == N_SECTION || n->kind == N_INVERTED) {
		if (ps->depth == TMPL_MAX_DEPTH)
			return perr(ps, a, "sections nested deeper than 32 at {{#%s}}", nm);
		n->s = t->names + n->len; /* valid until the next realloc: compared by value */
		ps->open[ps->depth++] = t->n - 1;
	}
	return 0;
}

static int parse_all(struct parser *ps, size_t len) {
	struct ev_tmpl *t = ps->t;
	const char *p = t->text, *end = t->text + len, *text_start = p;
	while (p < end) {
		/* memmem within [p, end): strstr would measure the rest of the text each time */
		const char *a = memmem(p, (size_t)(end - p), "{{", 2);
		if (!a)
			break;
		bool raw = a + 2 < end && a[2] == '{';
		const char *close =
		        memmem(a + 2, (size_t)(end - a - 2), raw ? "}}}" : "}}", raw ? 3 : 2);
		if (!close)
			return perr(ps, a, "a tag opened here is never closed ('%s')",
			            raw ? "}}}" : "}}");
		const char *in = a + (raw ? 3 : 2), *b = close + (raw ? 3 : 2);
		const char *ls = a, *le = b;
		bool block = !raw && in < close && strchr("#^/!", *in) &&
		             standalone(t->text, end, a, b, &ls, &le);
		int r = add_text(t, text_start, block ? ls : a);
		/* names may move when t->names grows: sections re-resolve after parsing */
		if (!r && ps->depth)
			for (size_t i = 0; i < ps->depth; i++)
				t->v[ps->open[i]].s = t->names + t->v[ps->open[i]].len;
		if (!r)
			r = add_tag(ps, a, in, close);
		if (r < 0)
			return r;
		p = text_start = block ? le : b;
	}
	if (ps->depth) {
		const struct node *o = &t->v[ps->open[ps->depth - 1]];
		ev_errlist_add(ps->errs, t->file, o->line, o->col,
		               "section {{#%s}} is never closed", t->names + o->len);
		return -EINVAL;
	}
	return add_text(t, text_start, end);
}

int ev_tmpl_parse(const char *text, size_t len, const char *file, struct ev_tmpl **ret,
                  struct ev_errlist *errs) {
	if (len > TMPL_MAX_SIZE) {
		ev_errlist_add(errs, file, 0, 0, "template larger than 1 MiB");
		return -EFBIG;
	}
	struct ev_tmpl *t = calloc(1, sizeof(*t));
	if (!t || !(t->file = strdup(file ? file : "template")) || !(t->text = malloc(len + 1))) {
		ev_tmpl_free(t);
		return -ENOMEM;
	}
	memcpy(t->text, text, len);
	t->text[len] = '\0';
	if (memchr(text, '\0', len)) {
		ev_errlist_add(errs, file, 0, 0, "a template is text: it holds a NUL byte");
		ev_tmpl_free(t);
		return -EINVAL;
	}
	struct parser ps = {.t = t, .errs = errs};
	ev_textpos_init(&ps.tp, t->text);
	int r = parse_all(&ps, len);
	if (r < 0) {
		ev_tmpl_free(t);
		return r;
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].kind != N_TEXT) {
			t->v[i].s = t->names + t->v[i].len;
			t->v[i].len = strlen(t->v[i].s);
		}
	*ret = t;
	return 0;
}

int ev_tmpl_load(const char *path, struct ev_tmpl **ret, struct ev_errlist *errs) {
	char *buf = NULL;
	size_t len = 0;
	int r = store_read_file(path, TMPL_MAX_SIZE + 1, &buf, &len);
	if (r < 0) {
		ev_errlist_add(errs, path, 0, 0, "cannot read the template: %s", strerror(-r));
		return r;
	}
	r = ev_tmpl_parse(buf, len, path, ret, errs);
	free(buf);
	return r;
}

/* Rendering */

struct render {
	const struct ev_tmpl *t;
	enum ev_tmpl_escape esc;
	FILE *out;
	const json_t *stack[TMPL_MAX_DEPTH + 2];
	size_t depth;
	struct ev_errlist *errs;
};

static const json_t *lookup1(const json_t *ctx, const char *name) {
	if (!strcmp(name, "."))
		return ctx;
	char part[TMPL_MAX_NAME + 1];
	const json_t *v = ctx;
	const char *p = name;
	while (v && *p) {
		size_t n = strcspn(p, ".");
		snprintf(part, sizeof(part), "%.*s", (int)n, p);
		v = json_is_object(v) ? json_object_get(v, part) : NULL;
		p += n;
		if (*p == '.')
			p++;
	}
	return v;
}

static const json_t *lookup(struct render *rd, const struct node *n, bool *found) {
	for (size_t i = rd->depth; i-- > 0;) {
		const json_t *v = lookup1(rd->stack[i], n->s);
		if (v) {
			*found = true;
			return v;
		}
	}
	*found = false;
	ev_errlist_add(rd->errs, rd->t->file, n->line, n->col, "no field '%s' here", n->s);
	return NULL;
}

static void put_escaped(struct render *rd, const char *s, size_t n, bool raw) {
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		const char *rep = NULL;
		if (!raw && rd->esc == EV_TMPL_HTML)
			rep = c == '&'    ? "&amp;"
			      : c == '<'  ? "&lt;"
			      : c == '>'  ? "&gt;"
			      : c == '"'  ? "&quot;"
			      : c == '\'' ? "&#39;"
			                  : NULL;
		else if (!raw && rd->esc == EV_TMPL_MD)
			rep = c == '|' ? "\\|" : c == '\n' ? " " : c == '\r' ? "" : NULL;
		if (rep)
			fputs(rep, rd->out);
		else
			fputc(c, rd->out);
	}
}

static void put_value(struct render *rd, const json_t *v, bool raw) {
	char num[64];
	if (json_is_string(v))
		put_escaped(rd, json_string_value(v), json_string_length(v), raw);
	else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		fputs(num, rd->out);
	} else if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%g", json_real_value(v));
		fputs(num, rd->out);
	} else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "yes" : "no", rd->out);
	else if (json_is_array(v) || json_is_object(v)) {
		char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		if (s)
			put_escaped(rd, s, strlen(s), raw);
		free(s);
	}
}

static bool truthy(const json_t *v) {
	if (!v || json_is_null(v) || json_is_false(v))
		return false;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	if (json_is_real(v))
		return json_real_value(v) != 0;
	return true;
}

static int render_range(struct render *rd, size_t from, size_t to);

static int render_with(struct render *rd, const json_t *ctx, size_t from, size_t to) {
	rd->stack[rd->depth++] = ctx;
	int r = render_range(rd, from, to);
	rd->depth--;
	return r;
}

static int render_range(struct render *rd, size_t from, size_t to) {
	for (size_t i = from; i < to;) {
		const struct node *n = &rd->t->v[i];
		bool found;
		if (n->kind == N_TEXT) {
			fwrite(n->s, 1, n->len, rd->out);
			i++;
			continue;
		}
		const json_t *v = lookup(rd, n, &found);
		if (!found)
			return -EINVAL;
		if (n->kind == N_VAR || n->kind == N_RAW) {
			put_value(rd, v, n->kind == N_RAW);
			i++;
			continue;
		}
		int r = 0;
		if (n->kind == N_INVERTED) {
			if (!truthy(v))
				r = render_range(rd, i + 1, n->end);
		} else if (json_is_array(v)) {
			size_t k;
			const json_t *e;
			json_array_foreach(v, k, e) if (!r) r = render_with(rd, e, i + 1, n->end);
		} else if (truthy(v))
			r = json_is_object(v) ? render_with(rd, v, i + 1, n->end)
			                      : render_range(rd, i + 1, n->end);
		if (r < 0)
			return r;
		i = n->end;
	}
	return 0;
}

int ev_tmpl_render(const struct ev_tmpl *t, const json_t *model, enum ev_tmpl_escape esc,
                   char **ret, struct ev_errlist *errs) {
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	struct render rd = {.t = t, .esc = esc, .out = f, .errs = errs};
	int r = render_with(&rd, model, 0, t->n);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}
