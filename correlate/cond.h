/* Sigma condition expressions: parsing and evaluation.
 *
 * Grammar (Sigma's precedence, loosest first): or, and, not, then primaries:
 * NAME, `(` expr `)`, `1 of PATTERN`, `all of PATTERN`, `1 of them`, `all of them`.
 * PATTERN may end in (or contain) `*`; `them` covers every name not starting with `_`.
 * Names are looked up in a table given by the caller (selection names for detections,
 * referenced rule names for temporal correlations); a name that is not there, or a
 * pattern that matches nothing, is an error with the column where it starts. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

enum cond_type { COND_AND, COND_OR, COND_NOT, COND_REF, COND_TRUE, COND_FALSE };

struct cond {
	enum cond_type type;
	unsigned ref; /* COND_REF: index into the name table */
	size_t n;     /* children of AND/OR, 1 for NOT */
	struct cond **kids;
};

/* Parse `text`. On error returns -EINVAL, with a message and the 1-based column within
 * `text` in ret_msg/ret_col; -ENOMEM on OOM. */
int cond_parse(const char *text, char *const *names, size_t n_names, struct cond **ret,
               char *ret_msg, size_t msg_len, unsigned *ret_col);
/* Evaluate with a callback for references (short-circuit, left to right). */
typedef bool (*cond_ref_fn)(void *ctx, unsigned ref);
bool cond_eval(const struct cond *c, cond_ref_fn ref, void *ctx);
/* Whether reference `ref` appears under a NOT. */
bool cond_has_not(const struct cond *c);
struct cond *cond_free(struct cond *c);
