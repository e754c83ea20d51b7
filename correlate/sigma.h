/* Sigma rule loader: YAML (through util/ytree, so every error has FILE:LINE:COL) to
 * struct rule. A rule with any error is rejected whole; the others still load.
 * Unsupported constructs (an unknown modifier, value_sum, an aggregation `|`) are errors
 * that name the construct. */
#pragma once
#include <stddef.h>

#include "correlate/rule.h"
#include "util/err.h"
#include "util/strv.h"

/* A `%NAME%` placeholder of `|expand` values and the strings it stands for. */
struct sigma_placeholder {
	char *name; /* without the % signs */
	struct ev_strv values;
};

struct rule_set {
	struct rule *v;
	size_t n, alloc;
	struct sigma_placeholder *ph; /* defined before loading; used by `|expand` */
	size_t n_ph;
};

/* Parse every document of a buffer named `name`. Returns the number of rules added to
 * `set` (>= 0) and appends one error per problem to errs; -ENOMEM on OOM. */
int sigma_load_buffer(const char *name, const char *buf, size_t len, struct rule_set *set,
                      struct ev_errlist *errs);
/* A file, or a directory tree (`*.yml`/`*.yaml`, sorted, `*.test.yaml`/`*.test.yml`
 * skipped). Returns rules added, or -errno when the path cannot be read (message in errs). */
int sigma_load_path(const char *path, struct rule_set *set, struct ev_errlist *errs);
/* Frees the rules and the placeholders. */
void rule_set_free(struct rule_set *set);

/* Define placeholder NAME from "NAME: VALUE..." (values separated by spaces; a later
 * definition of a name replaces the earlier one). Returns 0, -EINVAL with a message naming
 * `origin` in errs, or -ENOMEM. Rules loaded afterwards can use `%NAME%` with `|expand`. */
int sigma_placeholder_add(struct rule_set *set, const char *spec, const char *origin,
                          struct ev_errlist *errs);
void sigma_placeholders_free(struct rule_set *set);

/* "5m", "1h", "10s", "500ms", "2d", "1w" -> µs. Returns 0 or -EINVAL. */
int sigma_parse_duration(const char *s, int64_t *ret_us);
/* Call fn for each rule-like file under path in sorted order (directories recursively);
 * stops at the first negative return. */
int sigma_walk(const char *path, int (*fn)(const char *file, void *ctx), void *ctx,
               struct ev_errlist *errs);
