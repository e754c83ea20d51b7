/* Private to the Sigma loader (sigma.c, sigma_corr.c): the per-rule load context and
 * positioned error reporting. */
#pragma once
#include <stdbool.h>

#include "correlate/rule.h"
#include "correlate/sigma.h"
#include "util/err.h"
#include "util/ytree.h"

struct ctx {
	const char *file;
	struct ev_errlist *errs;
	bool bad; /* the rule has an error: it will be rejected whole */
	bool oom; /* ... and one of them is out of memory: loading stops with -ENOMEM */
	struct rule *r;
	const struct rule_set *set; /* the placeholders of `|expand` */
};

/* Append "FILE:LINE:COL: message" for node n (may be NULL) and mark the rule bad. */
void sigma_err(struct ctx *c, const struct ytree_node *n, const char *fmt, ...) _printf_(3, 4);
/* Out of memory while building the rule at node n: an error, and the load fails. */
void sigma_oom(struct ctx *c, const struct ytree_node *n);
/* The node's string, or an error naming `what` when it is not a scalar. */
const char *sigma_scalar(struct ctx *c, const struct ytree_node *n, const char *what);
/* The `detection` mapping of a rule into c->r (sigma_det.c). */
void sigma_load_detection(struct ctx *c, const struct ytree_node *d);
/* The `correlation` mapping of a rule into c->r->corr (sigma_corr.c). */
void sigma_load_correlation(struct ctx *c, const struct ytree_node *d);

/* `|expand`: the strings value v stands for, every %NAME% replaced by each value of the
 * placeholder (all combinations). Returns 0 with a new list in *ret (ev_strv_free_n), or
 * an error reported at v (undefined placeholder, none in the value, too many strings). */
int sigma_expand(struct ctx *c, const struct ytree_node *v, char ***ret, size_t *ret_n);

enum sigma_utf16 { SIGMA_UTF16LE, SIGMA_UTF16BE, SIGMA_UTF16_BOM /* LE after FF FE */ };
/* UTF-8 bytes -> UTF-16 bytes (new buffer, length in *ret_len); NULL with errno EILSEQ
 * when s is not valid UTF-8, ENOMEM when out of memory. */
char *sigma_utf16(const char *s, size_t len, enum sigma_utf16 kind, size_t *ret_len);
