/* Sigma correlation rules: the `correlation` mapping (type, rules, group-by, timespan,
 * condition, aliases, generate) into struct correlation, every problem a positioned
 * error. Each part is checked even when an earlier one had an error, so a rule with
 * several mistakes reports them all. Absence is recognised here: a temporal rule whose
 * condition reads `A and not B`. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/sigma.h"
#include "correlate/sigma_internal.h"

int sigma_parse_duration(const char *s, int64_t *ret_us) {
	char *end;
	errno = 0;
	if (!s || !(*s >= '0' && *s <= '9'))
		return -EINVAL;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	int64_t mul;
	if (!strcmp(end, "ms"))
		mul = 1000;
	else if (!strcmp(end, "s"))
		mul = 1000000;
	else if (!strcmp(end, "m"))
		mul = 60000000LL;
	else if (!strcmp(end, "h"))
		mul = 3600000000LL;
	else if (!strcmp(end, "d"))
		mul = 86400000000LL;
	else if (!strcmp(end, "w"))
		mul = 7 * 86400000000LL;
	else
		return -EINVAL;
	if (v == 0 || v > (unsigned long long)(INT64_MAX / 4) / (unsigned long long)mul)
		return -EINVAL;
	*ret_us = (int64_t)v * mul;
	return 0;
}

static bool parse_i64(const char *s, int64_t *ret) {
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return false;
	*ret = v;
	return true;
}

/* A copy of the node's string into *dst; false (with an error) when it is not a string
 * or memory ran out. */
static bool dup_scalar(struct ctx *c, const struct ytree_node *n, const char *what, char **dst) {
	const char *s = sigma_scalar(c, n, what);
	if (!s)
		return false;
	*dst = strdup(s);
	if (!*dst) {
		sigma_oom(c, n);
		return false;
	}
	return true;
}

/* A scalar or a list of scalars, as items. */
static const struct ytree_node *const *one_or_list(const struct ytree_node *n,
                                                   const struct ytree_node **one, size_t *ret_n) {
	if (n->kind == YTREE_SEQ) {
		*ret_n = n->n;
		return (const struct ytree_node *const *)n->items;
	}
	*one = n;
	*ret_n = 1;
	return one;
}

static void check_keys(struct ctx *c, const struct ytree_node *d) {
	static const char *known[] = {"type",      "rules",   "group-by", "timespan",
	                              "condition", "aliases", "generate"};
	for (size_t i = 0; i < d->n; i++) {
		bool ok = false;
		for (size_t j = 0; j < ELEMENTSOF(known); j++)
			ok |= !strcmp(d->pairs[i].key->str, known[j]);
		if (!ok)
			sigma_err(c, d->pairs[i].key, "unknown correlation key '%s'",
			          d->pairs[i].key->str);
	}
}

/* Returns false when the type is missing or not supported. */
static bool load_type(struct ctx *c, const struct ytree_node *d, const struct ytree_node *type) {
	struct correlation *k = &c->r->corr;
	if (!type) {
		sigma_err(c, d, "correlation has no 'type'");
		return false;
	}
	const char *t = sigma_scalar(c, type, "type");
	if (!t)
		return false;
	static const struct {
		const char *name;
		enum corr_type type;
	} types[] = {{"event_count", CORR_EVENT_COUNT},
	             {"value_count", CORR_VALUE_COUNT},
	             {"temporal", CORR_TEMPORAL},
	             {"temporal_ordered", CORR_TEMPORAL_ORDERED}};
	for (size_t i = 0; i < ELEMENTSOF(types); i++)
		if (!strcmp(t, types[i].name)) {
			k->type = types[i].type;
			return true;
		}
	if (!strcmp(t, "value_sum") || !strcmp(t, "value_avg") || !strcmp(t, "value_percentile") ||
	    !strcmp(t, "value_median"))
		sigma_err(c, type,
		          "correlation type '%s' is not supported yet (supported: event_count, "
		          "value_count, temporal, temporal_ordered)",
		          t);
	else
		sigma_err(c, type,
		          "unknown correlation type '%s' (expected event_count, value_count, "
		          "temporal or temporal_ordered)",
		          t);
	return false;
}

static void load_rules(struct ctx *c, const struct ytree_node *d, const struct ytree_node *rules) {
	struct correlation *k = &c->r->corr;
	if (!rules) {
		sigma_err(c, d, "correlation has no 'rules'");
		return;
	}
	const struct ytree_node *one;
	size_t n;
	const struct ytree_node *const *items = one_or_list(rules, &one, &n);
	if (n == 0 || n > 64) {
		sigma_err(c, rules, "'rules' must name 1 to 64 rules");
		return;
	}
	k->refs = calloc(n, sizeof(char *));
	k->ref_line = calloc(n, sizeof(unsigned));
	k->ref_col = calloc(n, sizeof(unsigned));
	k->ref_rule = calloc(n, sizeof(int));
	if (!k->refs || !k->ref_line || !k->ref_col || !k->ref_rule) {
		sigma_oom(c, rules);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!dup_scalar(c, items[i], "a rule reference", &k->refs[k->n_refs]))
			continue;
		k->ref_line[k->n_refs] = items[i]->line;
		k->ref_col[k->n_refs] = items[i]->col;
		k->ref_rule[k->n_refs] = -1;
		k->n_refs++;
	}
}

static void load_group_by(struct ctx *c, const struct ytree_node *gb) {
	struct correlation *k = &c->r->corr;
	if (!gb)
		return;
	const struct ytree_node *one;
	size_t n;
	const struct ytree_node *const *items = one_or_list(gb, &one, &n);
	k->group_by = calloc(n + 1, sizeof(char *));
	if (!k->group_by) {
		sigma_oom(c, gb);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (dup_scalar(c, items[i], "a group-by field", &k->group_by[k->n_group_by]))
			k->n_group_by++;
}

static void load_timespan(struct ctx *c, const struct ytree_node *d, const struct ytree_node *ts) {
	if (!ts) {
		sigma_err(c, d, "correlation has no 'timespan'");
		return;
	}
	const char *s = sigma_scalar(c, ts, "timespan");
	if (s && sigma_parse_duration(s, &c->r->corr.timespan_us) < 0)
		sigma_err(c, ts,
		          "invalid timespan '%s' (expected a number and a unit: ms, s, m, h, d, w)",
		          s);
}

/* One `op: N` (or `field: NAME`) of a counting condition. */
static void load_count_op(struct ctx *c, const struct ytree_node *key, const struct ytree_node *v) {
	struct correlation *k = &c->r->corr;
	if (!strcmp(key->str, "field")) {
		if (k->type != CORR_VALUE_COUNT)
			sigma_err(c, key, "'field' applies only to value_count");
		free(k->field);
		k->field = NULL;
		dup_scalar(c, v, "field", &k->field);
		return;
	}
	static const char *ops[] = {"gt", "gte", "lt", "lte", "eq", "neq"};
	int op = -1;
	for (size_t j = 0; j < ELEMENTSOF(ops); j++)
		if (!strcmp(key->str, ops[j]))
			op = (int)j;
	int64_t x;
	if (op < 0)
		sigma_err(c, key,
		          "unknown condition operator '%s' (expected gt, gte, lt, lte, eq, neq%s)",
		          key->str, k->type == CORR_VALUE_COUNT ? " or field" : "");
	else if (v->kind != YTREE_SCALAR || !parse_i64(v->str, &x) || x < 0)
		sigma_err(c, v, "'%s' needs a non-negative integer", key->str);
	else if (k->n_conds >= ELEMENTSOF(k->conds))
		sigma_err(c, key, "too many condition operators");
	else
		k->conds[k->n_conds++] = (struct corr_cond){(enum corr_op)op, x};
}

static void load_count_condition(struct ctx *c, const struct ytree_node *cond, bool temporal) {
	struct correlation *k = &c->r->corr;
	bool bad_before = c->bad;
	for (size_t i = 0; i < cond->n; i++)
		load_count_op(c, cond->pairs[i].key, cond->pairs[i].value);
	for (size_t i = 0; i < k->n_conds && k->type == CORR_EVENT_COUNT; i++)
		if (k->conds[i].v > 65534 && k->conds[i].op != OP_LT && k->conds[i].op != OP_LTE)
			sigma_err(c, cond, "event_count thresholds above 65534 are not supported");
	if (temporal && k->n_conds)
		sigma_err(c, cond, "a %s correlation takes a condition expression, not a count",
		          k->type == CORR_TEMPORAL ? "temporal" : "temporal_ordered");
	if (bad_before || c->bad)
		return;
	if (!temporal && k->n_conds == 0)
		sigma_err(c, cond, "condition needs at least one of gt, gte, lt, lte, eq, neq");
	else if (k->type == CORR_VALUE_COUNT && !k->field)
		sigma_err(c, cond, "value_count needs 'field' in its condition");
}

/* temporal: a boolean expression over the referenced rules; `A and not B` is absence. */
static void load_temporal_condition(struct ctx *c, const struct ytree_node *cond) {
	struct correlation *k = &c->r->corr;
	char msg[256];
	unsigned col = 0;
	/* references can be used by their name or id, as written in `rules` */
	if (cond_parse(cond->str, k->refs, k->n_refs, &k->tcond, msg, sizeof(msg), &col) < 0) {
		ev_errlist_add(c->errs, c->file, cond->line,
		               cond->col + (cond->plain ? col - 1 : col), "condition: %s", msg);
		c->bad = true;
		return;
	}
	if (!cond_has_not(k->tcond))
		return;
	const struct cond *x = k->tcond;
	if (k->type != CORR_TEMPORAL || x->type != COND_AND || x->n != 2 ||
	    x->kids[0]->type != COND_REF || x->kids[1]->type != COND_NOT ||
	    x->kids[1]->kids[0]->type != COND_REF) {
		sigma_err(c, cond,
		          "an absence condition must read 'A and not B' on a temporal correlation");
		return;
	}
	k->type = CORR_ABSENCE;
	k->present_ref = x->kids[0]->ref;
	k->absent_ref = x->kids[1]->kids[0]->ref;
}

static void load_condition(struct ctx *c, const struct ytree_node *d, const struct ytree_node *cond,
                           bool type_ok) {
	struct correlation *k = &c->r->corr;
	bool temporal = k->type == CORR_TEMPORAL || k->type == CORR_TEMPORAL_ORDERED;
	if (cond && cond->kind == YTREE_MAP)
		load_count_condition(c, cond, temporal);
	else if (cond && cond->kind == YTREE_SCALAR && temporal)
		load_temporal_condition(c, cond);
	else if (cond)
		sigma_err(c, cond, "condition must be a mapping of operators%s",
		          temporal ? " or an expression" : "");
	else if (!temporal && type_ok)
		sigma_err(c, d, "%s correlation has no 'condition'", rule_kind_name(c->r));
}

static void load_alias(struct ctx *c, struct corr_alias *a, const struct ytree_node *m) {
	struct correlation *k = &c->r->corr;
	if (m->kind != YTREE_MAP) {
		sigma_err(c, m, "alias '%s' must map rule names to field names", a->name);
		return;
	}
	for (size_t j = 0; j < m->n; j++) {
		int found = -1;
		for (size_t q = 0; q < k->n_refs; q++)
			if (!strcmp(k->refs[q], m->pairs[j].key->str))
				found = (int)q;
		if (found < 0) {
			sigma_err(c, m->pairs[j].key,
			          "alias '%s': '%s' is not one of this correlation's rules",
			          a->name, m->pairs[j].key->str);
			continue;
		}
		free(a->fields[found]);
		a->fields[found] = NULL;
		dup_scalar(c, m->pairs[j].value, "an alias field", &a->fields[found]);
	}
}

static void load_aliases(struct ctx *c, const struct ytree_node *al) {
	struct correlation *k = &c->r->corr;
	if (!al)
		return;
	if (al->kind != YTREE_MAP) {
		sigma_err(c, al, "'aliases' must be a mapping");
		return;
	}
	k->aliases = calloc(al->n + 1, sizeof(*k->aliases));
	if (!k->aliases) {
		sigma_oom(c, al);
		return;
	}
	for (size_t i = 0; i < al->n; i++) {
		struct corr_alias *a = &k->aliases[k->n_aliases];
		a->name = strdup(al->pairs[i].key->str);
		a->fields = calloc(k->n_refs + 1, sizeof(char *));
		if (!a->name || !a->fields) {
			free(a->name);
			free(a->fields);
			*a = (struct corr_alias){0};
			sigma_oom(c, al->pairs[i].key);
			return;
		}
		k->n_aliases++;
		load_alias(c, a, al->pairs[i].value);
	}
}

static void load_generate(struct ctx *c, const struct ytree_node *gen) {
	if (!gen)
		return;
	if (gen->kind == YTREE_SCALAR && gen->plain && !strcmp(gen->str, "true"))
		c->r->corr.generate = true;
	else if (gen->kind == YTREE_SCALAR && gen->plain && !strcmp(gen->str, "false"))
		c->r->corr.generate = false;
	else
		sigma_err(c, gen, "'generate' must be true or false");
}

void sigma_load_correlation(struct ctx *c, const struct ytree_node *d) {
	struct correlation *k = &c->r->corr;
	k->generate = false;
	if (d->kind != YTREE_MAP) {
		sigma_err(c, d, "'correlation' must be a mapping");
		return;
	}
	check_keys(c, d);
	bool type_ok = load_type(c, d, ytree_map_get(d, "type"));
	load_rules(c, d, ytree_map_get(d, "rules"));
	load_group_by(c, ytree_map_get(d, "group-by"));
	load_timespan(c, d, ytree_map_get(d, "timespan"));
	if (type_ok)
		load_condition(c, d, ytree_map_get(d, "condition"), type_ok);
	load_aliases(c, ytree_map_get(d, "aliases"));
	load_generate(c, ytree_map_get(d, "generate"));
	if (type_ok && k->type == CORR_VALUE_COUNT && !k->field && !c->bad)
		sigma_err(c, d, "value_count needs condition.field");
}
