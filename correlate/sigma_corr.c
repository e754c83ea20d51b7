/* Sigma correlation rules: the `correlation` mapping (type, rules, group-by, timespan,
 * condition, aliases, generate) into struct correlation, every problem a positioned
 * error. Absence is recognised here: a temporal rule whose condition reads `A and not B`. */
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

void sigma_load_correlation(struct ctx *c, const struct ytree_node *d) {
	struct correlation *k = &c->r->corr;
	k->generate = false;
	if (d->kind != YTREE_MAP) {
		err(c, d, "'correlation' must be a mapping");
		return;
	}
	const struct ytree_node *type = ytree_map_get(d, "type"),
	                        *rules = ytree_map_get(d, "rules"),
	                        *gb = ytree_map_get(d, "group-by"),
	                        *ts = ytree_map_get(d, "timespan"),
	                        *cond = ytree_map_get(d, "condition"),
	                        *al = ytree_map_get(d, "aliases"),
	                        *gen = ytree_map_get(d, "generate");
	for (size_t i = 0; i < d->n; i++) {
		static const char *known[] = {"type",      "rules",   "group-by", "timespan",
		                              "condition", "aliases", "generate"};
		bool ok = false;
		for (size_t j = 0; j < ELEMENTSOF(known); j++)
			ok |= !strcmp(d->pairs[i].key->str, known[j]);
		if (!ok)
			err(c, d->pairs[i].key, "unknown correlation key '%s'",
			    d->pairs[i].key->str);
	}
	const char *t = type ? scalar(c, type, "type") : NULL;
	if (!type)
		err(c, d, "correlation has no 'type'");
	else if (t) {
		if (!strcmp(t, "event_count"))
			k->type = CORR_EVENT_COUNT;
		else if (!strcmp(t, "value_count"))
			k->type = CORR_VALUE_COUNT;
		else if (!strcmp(t, "temporal"))
			k->type = CORR_TEMPORAL;
		else if (!strcmp(t, "temporal_ordered"))
			k->type = CORR_TEMPORAL_ORDERED;
		else if (!strcmp(t, "value_sum") || !strcmp(t, "value_avg") ||
		         !strcmp(t, "value_percentile") || !strcmp(t, "value_median"))
			err(c, type,
			    "correlation type '%s' is not supported yet (supported: event_count, "
			    "value_count, temporal, temporal_ordered)",
			    t);
		else
			err(c, type,
			    "unknown correlation type '%s' (expected event_count, value_count, "
			    "temporal or "
			    "temporal_ordered)",
			    t);
	}
	if (c->bad)
		return;
	/* rules */
	if (!rules) {
		err(c, d, "correlation has no 'rules'");
		return;
	}
	const struct ytree_node *one[1] = {rules};
	const struct ytree_node *const *items =
	        rules->kind == YTREE_SEQ ? (const struct ytree_node *const *)rules->items : one;
	size_t n = rules->kind == YTREE_SEQ ? rules->n : 1;
	if (n == 0 || n > 64) {
		err(c, rules, "'rules' must name 1 to 64 rules");
		return;
	}
	k->refs = calloc(n, sizeof(char *));
	k->ref_line = calloc(n, sizeof(unsigned));
	k->ref_col = calloc(n, sizeof(unsigned));
	k->ref_rule = calloc(n, sizeof(int));
	if (!k->refs || !k->ref_line || !k->ref_col || !k->ref_rule) {
		err(c, rules, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = scalar(c, items[i], "a rule reference");
		if (!s)
			return;
		k->refs[i] = strdup(s);
		k->ref_line[i] = items[i]->line;
		k->ref_col[i] = items[i]->col;
		k->ref_rule[i] = -1;
		k->n_refs++;
	}
	/* group-by */
	if (gb) {
		const struct ytree_node *g1[1] = {gb};
		const struct ytree_node *const *gi =
		        gb->kind == YTREE_SEQ ? (const struct ytree_node *const *)gb->items : g1;
		size_t gn = gb->kind == YTREE_SEQ ? gb->n : 1;
		k->group_by = calloc(gn + 1, sizeof(char *));
		for (size_t i = 0; k->group_by && i < gn; i++) {
			const char *s = scalar(c, gi[i], "a group-by field");
			if (!s)
				return;
			k->group_by[k->n_group_by++] = strdup(s);
		}
	}
	/* timespan */
	if (!ts)
		err(c, d, "correlation has no 'timespan'");
	else {
		const char *s = scalar(c, ts, "timespan");
		if (s && sigma_parse_duration(s, &k->timespan_us) < 0)
			err(c, ts,
			    "invalid timespan '%s' (expected a number and a unit: ms, s, m, h, d, "
			    "w)",
			    s);
	}
	/* condition */
	bool temporal = k->type == CORR_TEMPORAL || k->type == CORR_TEMPORAL_ORDERED;
	if (cond && cond->kind == YTREE_MAP) {
		for (size_t i = 0; i < cond->n && !c->bad; i++) {
			const char *key = cond->pairs[i].key->str;
			const struct ytree_node *v = cond->pairs[i].value;
			if (!strcmp(key, "field")) {
				if (k->type != CORR_VALUE_COUNT)
					err(c, cond->pairs[i].key,
					    "'field' applies only to value_count");
				const char *s = scalar(c, v, "field");
				if (s)
					k->field = strdup(s);
				continue;
			}
			static const char *ops[] = {"gt", "gte", "lt", "lte", "eq", "neq"};
			int op = -1;
			for (size_t j = 0; j < ELEMENTSOF(ops); j++)
				if (!strcmp(key, ops[j]))
					op = (int)j;
			if (op < 0) {
				err(c, cond->pairs[i].key,
				    "unknown condition operator '%s' (expected gt, gte, lt, lte, "
				    "eq, neq%s)",
				    key, k->type == CORR_VALUE_COUNT ? " or field" : "");
				break;
			}
			int64_t x;
			if (v->kind != YTREE_SCALAR || !parse_i64(v->str, &x) || x < 0) {
				err(c, v, "'%s' needs a non-negative integer", key);
				break;
			}
			if (k->n_conds >= ELEMENTSOF(k->conds)) {
				err(c, cond->pairs[i].key, "too many condition operators");
				break;
			}
			k->conds[k->n_conds++] = (struct corr_cond){(enum corr_op)op, x};
		}
		for (size_t i = 0; i < k->n_conds && k->type == CORR_EVENT_COUNT; i++)
			if (k->conds[i].v > 65534 && k->conds[i].op != OP_LT &&
			    k->conds[i].op != OP_LTE)
				err(c, cond,
				    "event_count thresholds above 65534 are not supported");
		if (temporal && k->n_conds)
			err(c, cond, "a %s correlation takes a condition expression, not a count",
			    t);
		if (!c->bad && !temporal && k->n_conds == 0)
			err(c, cond, "condition needs at least one of gt, gte, lt, lte, eq, neq");
		if (!c->bad && k->type == CORR_VALUE_COUNT && !k->field)
			err(c, cond, "value_count needs 'field' in its condition");
	} else if (cond && cond->kind == YTREE_SCALAR && temporal) {
		char msg[256];
		unsigned col = 0;
		/* references can be used by their name or id, as written in `rules` */
		if (cond_parse(cond->str, k->refs, k->n_refs, &k->tcond, msg, sizeof(msg), &col) <
		    0) {
			ev_errlist_add(c->errs, c->file, cond->line,
			               cond->col + (cond->plain ? col - 1 : col), "condition: %s",
			               msg);
			c->bad = true;
		} else if (cond_has_not(k->tcond)) {
			/* absence: exactly `A and not B` */
			const struct cond *x = k->tcond;
			if (k->type != CORR_TEMPORAL || x->type != COND_AND || x->n != 2 ||
			    x->kids[0]->type != COND_REF || x->kids[1]->type != COND_NOT ||
			    x->kids[1]->kids[0]->type != COND_REF)
				err(c, cond,
				    "an absence condition must read 'A and not B' on a temporal "
				    "correlation");
			else {
				k->type = CORR_ABSENCE;
				k->present_ref = x->kids[0]->ref;
				k->absent_ref = x->kids[1]->kids[0]->ref;
			}
		}
	} else if (cond) {
		err(c, cond, "condition must be a mapping of operators%s",
		    temporal ? " or an expression" : "");
	} else if (!temporal) {
		err(c, d, "%s correlation has no 'condition'", t);
	}
	/* aliases */
	if (al && al->kind != YTREE_MAP)
		err(c, al, "'aliases' must be a mapping");
	else if (al && !c->bad) {
		k->aliases = calloc(al->n + 1, sizeof(*k->aliases));
		for (size_t i = 0; k->aliases && i < al->n && !c->bad; i++) {
			struct corr_alias *a = &k->aliases[k->n_aliases++];
			a->name = strdup(al->pairs[i].key->str);
			a->fields = calloc(k->n_refs, sizeof(char *));
			const struct ytree_node *m = al->pairs[i].value;
			if (m->kind != YTREE_MAP) {
				err(c, m, "alias '%s' must map rule names to field names", a->name);
				break;
			}
			for (size_t j = 0; j < m->n; j++) {
				int found = -1;
				for (size_t q = 0; q < k->n_refs; q++)
					if (!strcmp(k->refs[q], m->pairs[j].key->str))
						found = (int)q;
				if (found < 0) {
					err(c, m->pairs[j].key,
					    "alias '%s': '%s' is not one of this correlation's "
					    "rules",
					    a->name, m->pairs[j].key->str);
					break;
				}
				const char *f = scalar(c, m->pairs[j].value, "an alias field");
				if (f && a->fields)
					a->fields[found] = strdup(f);
			}
		}
	}
	if (gen) {
		if (gen->kind == YTREE_SCALAR && gen->plain && !strcmp(gen->str, "true"))
			k->generate = true;
		else if (gen->kind == YTREE_SCALAR && gen->plain && !strcmp(gen->str, "false"))
			k->generate = false;
		else
			err(c, gen, "'generate' must be true or false");
	}
	if (k->type == CORR_VALUE_COUNT && !k->field && !c->bad)
		err(c, d, "value_count needs condition.field");
}
