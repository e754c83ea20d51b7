/* YAML to position-annotated tree. One pass over libyaml events with an explicit stack;
 * on any error the partial tree is freed and nothing is returned (callers never see
 * half a document). */
#include "util/ytree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

static void node_free(struct ytree_node *n) {
	if (!n)
		return;
	free(n->str);
	if (n->kind == YTREE_SEQ)
		for (size_t i = 0; i < n->n; i++)
			node_free(n->items[i]);
	if (n->kind == YTREE_MAP)
		for (size_t i = 0; i < n->n; i++) {
			node_free(n->pairs[i].key);
			node_free(n->pairs[i].value);
		}
	free(n->items);
	free(n->pairs);
	free(n);
}

void ytree_docs_free(struct ytree_docs *d) {
	for (size_t i = 0; i < d->n; i++)
		node_free(d->v[i].root);
	free(d->v);
	*d = (struct ytree_docs){0};
}

const char *ytree_kind_name(enum ytree_kind k) {
	switch (k) {
	case YTREE_SCALAR:
		return "a scalar";
	case YTREE_SEQ:
		return "a list";
	case YTREE_MAP:
		return "a mapping";
	}
	return "?";
}

struct frame {
	struct ytree_node *node;
	struct ytree_node *pending_key; /* maps: key waiting for its value */
	size_t alloc;
};

struct builder {
	const char *name;
	struct ev_errlist *errs;
	struct frame stack[YTREE_MAX_DEPTH + 1];
	int depth;
	size_t nodes;
	struct ytree_node *root;
};

static int add_child(struct builder *b, struct ytree_node *child) {
	if (b->depth == 0) {
		b->root = child;
		return 0;
	}
	struct frame *f = &b->stack[b->depth - 1];
	struct ytree_node *p = f->node;
	if (p->kind == YTREE_MAP && !f->pending_key) {
		if (child->kind != YTREE_SCALAR) {
			ev_errlist_add(b->errs, b->name, child->line, child->col,
			               "mapping keys must be scalars, found %s",
			               ytree_kind_name(child->kind));
			node_free(child);
			return -EINVAL;
		}
		for (size_t i = 0; i < p->n; i++)
			if (strcmp(p->pairs[i].key->str, child->str) == 0) {
				ev_errlist_add(b->errs, b->name, child->line, child->col,
				               "duplicate key '%s' (first at line %u)", child->str,
				               p->pairs[i].key->line);
				node_free(child);
				return -EINVAL;
			}
		f->pending_key = child;
		return 0;
	}
	if (p->n == f->alloc) {
		size_t na = f->alloc ? f->alloc * 2 : 4;
		if (p->kind == YTREE_MAP) {
			struct ytree_pair *np = realloc(p->pairs, na * sizeof(*np));
			if (!np)
				goto oom;
			p->pairs = np;
		} else {
			struct ytree_node **ni = realloc(p->items, na * sizeof(*ni));
			if (!ni)
				goto oom;
			p->items = ni;
		}
		f->alloc = na;
	}
	if (p->kind == YTREE_MAP) {
		p->pairs[p->n].key = f->pending_key;
		p->pairs[p->n].value = child;
		f->pending_key = NULL;
	} else
		p->items[p->n] = child;
	p->n++;
	return 0;
oom:
	node_free(child);
	return -ENOMEM;
}

static struct ytree_node *node_new(struct builder *b, enum ytree_kind k, const yaml_mark_t *m) {
	if (++b->nodes > YTREE_MAX_NODES) {
		ev_errlist_add(b->errs, b->name, m->line + 1, m->column + 1,
		               "document too large (more than %d nodes)", YTREE_MAX_NODES);
		return NULL;
	}
	struct ytree_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = k;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	return n;
}

static void builder_reset(struct builder *b) {
	for (int i = 0; i < b->depth; i++)
		node_free(b->stack[i].pending_key);
	/* The bottom frame's node owns everything above it through add_child, except the
	 * frames still open which were not yet attached. */
	for (int i = b->depth - 1; i >= 0; i--)
		node_free(b->stack[i].node);
	b->depth = 0;
	node_free(b->root);
	b->root = NULL;
}

static void parser_error(struct builder *b, yaml_parser_t *p) {
	const char *what = p->problem ? p->problem : "YAML error";
	unsigned line = (unsigned)p->problem_mark.line + 1,
	         col = (unsigned)p->problem_mark.column + 1;
	if (p->error == YAML_READER_ERROR) {
		/* Reader errors have an offset, not a line: report the offset. */
		ev_errlist_add(b->errs, b->name, 0, 0, "%s at byte offset %zu", what,
		               (size_t)p->problem_offset);
		return;
	}
	if (p->context)
		ev_errlist_add(b->errs, b->name, line, col, "%s %s (started at line %u)", what,
		               p->context, (unsigned)p->context_mark.line + 1);
	else
		ev_errlist_add(b->errs, b->name, line, col, "%s", what);
}

/* The documents parsed so far and where the current one started. */
struct doc_list {
	struct ytree_docs docs;
	size_t alloc;
	unsigned line, col;
};

/* A document ends: its tree (b->root) joins the list. */
static int doc_end(struct builder *b, struct doc_list *dl) {
	if (dl->docs.n == dl->alloc) {
		size_t na = dl->alloc ? dl->alloc * 2 : 2;
		struct ytree_doc *nv = realloc(dl->docs.v, na * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		dl->docs.v = nv;
		dl->alloc = na;
	}
	dl->docs.v[dl->docs.n++] =
	        (struct ytree_doc){.root = b->root, .line = dl->line, .col = dl->col};
	b->root = NULL;
	return 0;
}

static int refuse_anchor(struct builder *b, const yaml_mark_t *m, const yaml_char_t *anchor) {
	ev_errlist_add(b->errs, b->name, m->line + 1, m->column + 1,
	               "YAML anchors (&%s) are not supported", (const char *)anchor);
	return -EINVAL;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev) {
	const yaml_mark_t *m = &ev->start_mark;
	if (ev->data.scalar.anchor)
		return refuse_anchor(b, m, ev->data.scalar.anchor);
	struct ytree_node *n = node_new(b, YTREE_SCALAR, m);
	if (!n)
		return b->nodes > YTREE_MAX_NODES ? -EINVAL : -ENOMEM;
	n->len = ev->data.scalar.length;
	n->str = malloc(n->len + 1);
	if (!n->str) {
		node_free(n);
		return -ENOMEM;
	}
	memcpy(n->str, ev->data.scalar.value, n->len);
	n->str[n->len] = '\0';
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return add_child(b, n);
}

/* A sequence or mapping starts: a new node on the stack, within the depth cap. */
static int on_collection_start(struct builder *b, const yaml_event_t *ev) {
	const yaml_mark_t *m = &ev->start_mark;
	bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
	const yaml_char_t *anchor =
	        seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
	if (anchor)
		return refuse_anchor(b, m, anchor);
	if (b->depth >= YTREE_MAX_DEPTH) {
		ev_errlist_add(b->errs, b->name, m->line + 1, m->column + 1,
		               "nesting deeper than %d levels", YTREE_MAX_DEPTH);
		return -EINVAL;
	}
	struct ytree_node *n = node_new(b, seq ? YTREE_SEQ : YTREE_MAP, m);
	if (!n)
		return b->nodes > YTREE_MAX_NODES ? -EINVAL : -ENOMEM;
	b->stack[b->depth++] = (struct frame){.node = n};
	return 0;
}

/* One parser event into the tree. Returns 1 at the end of the stream, 0 to go on, or
 * -errno (a message in b->errs for input errors). */
static int on_event(struct builder *b, struct doc_list *dl, const yaml_event_t *ev) {
	const yaml_mark_t *m = &ev->start_mark;
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		dl->line = (unsigned)m->line + 1;
		dl->col = (unsigned)m->column + 1;
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		return doc_end(b, dl);
	case YAML_ALIAS_EVENT:
		ev_errlist_add(b->errs, b->name, m->line + 1, m->column + 1,
		               "YAML aliases (*%s) are not supported",
		               (const char *)ev->data.alias.anchor);
		return -EINVAL;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return on_collection_start(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct frame f = b->stack[--b->depth];
		return add_child(b, f.node);
	}
	default:
		return 0;
	}
}

/* What is refused before parsing: NUL bytes and input over YTREE_MAX_INPUT. */
static int check_input(const char *name, const char *buf, size_t len, struct ev_errlist *errs) {
	const char *nul = memchr(buf, '\0', len);
	if (nul) {
		ev_errlist_add(errs, name, 0, 0,
		               "binary data (NUL byte at offset %zu): not a YAML text file",
		               (size_t)(nul - buf));
		return -EINVAL;
	}
	if (len > YTREE_MAX_INPUT) {
		ev_errlist_add(errs, name, 0, 0, "file too large (%zu bytes, limit %u)", len,
		               YTREE_MAX_INPUT);
		return -EFBIG;
	}
	return 0;
}

int ytree_parse_buffer(const char *name, const char *buf, size_t len, struct ytree_docs *ret_docs,
                       struct ev_errlist *errs) {
	int r = check_input(name, buf, len, errs);
	if (r < 0)
		return r;
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);

	struct builder b = {.name = name, .errs = errs};
	struct doc_list dl = {.line = 1, .col = 1};
	while (r == 0) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			parser_error(&b, &p);
			r = -EINVAL;
			break;
		}
		r = on_event(&b, &dl, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (r < 0) {
		builder_reset(&b);
		ytree_docs_free(&dl.docs);
		return r;
	}
	*ret_docs = dl.docs;
	return 0;
}

int ev_read_file(const char *path, size_t cap, char **ret_buf, size_t *ret_len) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	size_t alloc =
	        S_ISREG(st.st_mode) && (size_t)st.st_size < cap ? (size_t)st.st_size + 1 : 4096;
	size_t len = 0;
	_cleanup_free_ char *buf = malloc(alloc);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len + 1 >= alloc) {
			if (alloc > cap)
				return -EFBIG;
			size_t na = alloc * 2;
			char *nb = realloc(buf, na);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			alloc = na;
		}
		ssize_t k = read(fd, buf + len, alloc - len - 1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		len += (size_t)k;
		if (len > cap)
			return -EFBIG;
	}
	buf[len] = '\0';
	*ret_buf = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int ytree_parse_file(const char *path, struct ytree_docs *ret_docs, struct ev_errlist *errs) {
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = ev_read_file(path, YTREE_MAX_INPUT, &buf, &len);
	if (r == -EFBIG) {
		ev_errlist_add(errs, path, 0, 0, "file too large (limit %u bytes)",
		               YTREE_MAX_INPUT);
		return r;
	}
	if (r < 0) {
		ev_errlist_add(errs, path, 0, 0, "cannot read: %s", strerror(-r));
		return r;
	}
	return ytree_parse_buffer(path, buf, len, ret_docs, errs);
}

struct ytree_node *ytree_map_get(const struct ytree_node *map, const char *key) {
	if (!map || map->kind != YTREE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->pairs[i].key->str, key) == 0)
			return map->pairs[i].value;
	return NULL;
}

bool ytree_is_null(const struct ytree_node *n) {
	if (!n)
		return true;
	if (n->kind != YTREE_SCALAR || !n->plain)
		return false;
	return n->len == 0 || strcmp(n->str, "null") == 0 || strcmp(n->str, "~") == 0 ||
	       strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}
