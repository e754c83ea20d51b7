/* Private to the Sigma loader (sigma.c, sigma_corr.c): the per-rule load context and
 * positioned error reporting. */
#pragma once
#include <stdbool.h>

#include "correlate/rule.h"
#include "util/err.h"
#include "util/ytree.h"

struct ctx {
	const char *file;
	struct ev_errlist *errs;
	bool bad; /* the rule has an error: it will be rejected whole */
	struct rule *r;
};

/* Append "FILE:LINE:COL: message" for node n (may be NULL) and mark the rule bad. */
void sigma_err(struct ctx *c, const struct ytree_node *n, const char *fmt, ...) _printf_(3, 4);
/* The node's string, or an error naming `what` when it is not a scalar. */
const char *sigma_scalar(struct ctx *c, const struct ytree_node *n, const char *what);
/* The `correlation` mapping of a rule into c->r->corr. */
void sigma_load_correlation(struct ctx *c, const struct ytree_node *d);

#define err    sigma_err
#define scalar sigma_scalar
