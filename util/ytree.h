/* A YAML document tree with source positions, built with libyaml.
 *
 * Every node remembers the 1-based line and column where it starts, so that callers
 * (configuration, Sigma rules, decoders) can report "FILE:LINE:COL: message".
 * The parser rejects what callers should never have to think about: duplicate keys in a
 * mapping, aliases and anchors (no "billion laughs"), non-scalar keys, NUL bytes (a binary
 * file), input above the size cap, nesting deeper than YTREE_MAX_DEPTH, and more than
 * YTREE_MAX_NODES nodes. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define YTREE_MAX_DEPTH 64
#define YTREE_MAX_NODES 1000000
#define YTREE_MAX_INPUT (16u << 20) /* 16 MiB */

enum ytree_kind { YTREE_SCALAR, YTREE_SEQ, YTREE_MAP };

struct ytree_node;
struct ytree_pair {
	struct ytree_node *key; /* always a scalar */
	struct ytree_node *value;
};

struct ytree_node {
	enum ytree_kind kind;
	unsigned line, col;
	/* scalar */
	char *str; /* NUL-terminated (NUL bytes are rejected at parse time) */
	size_t len;
	bool plain; /* unquoted: `null`, `~`, empty, true/false, numbers are meaningful */
	/* sequence: items; mapping: pairs, in document order */
	size_t n;
	struct ytree_node **items;
	struct ytree_pair *pairs;
};

struct ytree_doc {
	struct ytree_node *root; /* NULL for an empty document */
	unsigned line, col;
};

struct ytree_docs {
	struct ytree_doc *v;
	size_t n;
};

/* Parse `len` bytes named `name` (used in messages). All documents are returned.
 * On a syntax or structure error: returns -EINVAL with the error(s) in errs and no docs.
 * Returns -ENOMEM on allocation failure. */
int ytree_parse_buffer(const char *name, const char *buf, size_t len, struct ytree_docs *ret_docs,
                       struct ev_errlist *errs);
/* Read and parse a file (capped at YTREE_MAX_INPUT). -errno on read failure, with a
 * message in errs naming the file. */
int ytree_parse_file(const char *path, struct ytree_docs *ret_docs, struct ev_errlist *errs);
void ytree_docs_free(struct ytree_docs *d);

/* Lookups. */
struct ytree_node *ytree_map_get(const struct ytree_node *map, const char *key);
bool ytree_is_null(const struct ytree_node *n); /* plain `null`, `~`, empty, or n == NULL */
const char *ytree_kind_name(enum ytree_kind k);
/* Read a whole file into memory with a cap; appends NUL. -EFBIG over the cap. */
int ev_read_file(const char *path, size_t cap, char **ret_buf, size_t *ret_len);
