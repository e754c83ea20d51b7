/* Loaded Sigma rules: detection rules and correlation rules, as the loader builds them
 * (correlate/sigma.c) and the engine runs them (correlate/engine.c). */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "correlate/cond.h"
#include "correlate/leaf.h"

enum rule_kind { RULE_DETECTION, RULE_CORRELATION };
enum corr_type {
	CORR_EVENT_COUNT,
	CORR_VALUE_COUNT,
	CORR_TEMPORAL,
	CORR_TEMPORAL_ORDERED,
	CORR_ABSENCE
};
enum corr_op { OP_GT, OP_GTE, OP_LT, OP_LTE, OP_EQ, OP_NEQ };

struct corr_cond {
	enum corr_op op;
	int64_t v;
};

struct corr_alias {
	char *name;    /* the alias (a group-by name) */
	char **fields; /* per referenced rule (index as in refs), NULL = use the alias name */
};

struct correlation {
	enum corr_type type;
	char **refs; /* as written: rule id or name */
	unsigned *ref_line, *ref_col;
	size_t n_refs;
	int *ref_rule; /* resolved rule index, -1 unresolved */
	char **group_by;
	size_t n_group_by;
	struct corr_alias *aliases; /* one per group-by name that is an alias */
	size_t n_aliases;
	int64_t timespan_us;
	struct corr_cond conds[4];
	size_t n_conds;
	char *field; /* value_count */
	bool generate;
	struct cond *tcond;               /* temporal: condition over refs (NULL = all of them) */
	unsigned absent_ref, present_ref; /* CORR_ABSENCE: `present and not absent` */
};

struct selection {
	char *name;
	struct cond *tree; /* COND_REF = leaf index within the rule's leaves */
};

struct rule {
	enum rule_kind kind;
	char *file;
	unsigned line, col;
	char *id, *name, *title, *level, *status, *description;
	char **tags;
	size_t n_tags;
	char *product, *service, *category;
	json_t *meta; /* custom top-level keys */
	/* detection */
	struct selection *sels;
	size_t n_sels;
	struct leaf *leaves;
	size_t n_leaves;
	struct cond *condition; /* COND_REF = selection index */
	/* correlation */
	struct correlation corr;
	/* resolved by the engine */
	int logsource;   /* index in the logsource table, -1 = every record */
	bool inactive;   /* logsource never applies on this host (e.g. windows) */
	bool quiet;      /* referenced by a correlation with generate: false */
	unsigned *users; /* correlations that reference this rule */
	size_t n_users;
};

void rule_free(struct rule *r);
/* The kind string of a rule for listings and alerts. */
const char *rule_kind_name(const struct rule *r);
