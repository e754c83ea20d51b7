/* Vectorscan prefilter: every message-level pattern leaf of every active rule, compiled
 * into one database, so a record is scanned once whatever logsources its rules name. The
 * logsource is checked after a candidate: a leaf of a rule whose logsource does not apply
 * may be marked, but the engine never evaluates that rule for the record. The one
 * exception is the pattern database of the leaves that are no plain literal of four bytes
 * or more (the literals' is scanned a block of lines at a time, prefilter_block.c): it is
 * scanned per record, so it holds only leaves that open a gate (rest_gates_only()), and
 * a record that no rule with a leaf in it applies to is not scanned with it
 * (db_applies()).
 *
 * Invariant: Vectorscan never decides a match. A leaf it did not report is false (exact
 * literal patterns, or a superset in PREFILTER mode for `re`), and PCRE2 confirms every
 * leaf it did report; so results equal the PCRE2-only engine's. A rule whose condition
 * cannot hold without one of its message leaves (its "must" set) is "gated": it is only
 * evaluated for records where Vectorscan reported one of those leaves.
 *
 * Keywords search the program tag as well as the message, so when there are keyword
 * leaves the program is scanned with the same database: a leaf matching there is a
 * candidate like one matching the message (other leaves it marks are decided by PCRE2).
 *
 * A `re` leaf goes into the database as the longest literal every match of it must
 * contain (prefilter_required_literal()) when it has one of at least MIN_LIT bytes: a cheaper and
 * equally valid prefilter (a superset of the regex's matches), and Vectorscan compiles a
 * literal in microseconds where PREFILTER mode can take milliseconds per pattern.
 *
 * A leaf on a decoded field (`outcome: Failed`) goes in as its required literal too: a
 * decoder's field is a copy of a substring of the message, so when the record came
 * without named fields of its own, the field can only contain the literal if the message
 * does. Records that came with fields (JSON, logfmt, the journal) trigger every rule
 * gated by such a leaf, and the leaf is decided by PCRE2 alone there. */
#include "config.h"

#ifdef HAVE_VECTORSCAN
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"

#define MIN_LIT 4

/* The longest run of literal bytes at the top level of regex `re` that every match must
 * contain, as a Vectorscan expression (every byte as \xHH), or NULL when there is none
 * of MIN_LIT bytes or the pattern uses anything this scanner does not fully understand
 * (top-level alternation, inline options, verbs, escapes other than single-character
 * classes and assertions, POSIX classes). Conservative: a byte is taken only when it is
 * certainly required; quantified bytes and everything inside groups and classes end a
 * run. */
/* the longest run of required literal bytes seen so far and the current one */
struct lit_run {
	char cur[256], best[256];
	size_t cur_n, best_n;
};

static void lit_run_end(struct lit_run *r) {
	if (r->cur_n > r->best_n) {
		memcpy(r->best, r->cur, r->cur_n);
		r->best_n = r->cur_n;
	}
	r->cur_n = 0;
}

/* the index after the class that opens at re[i] ('['), 0 to give up */
static size_t class_end(const char *re, size_t i) {
	size_t j = i + 1;
	if (re[j] == '^')
		j++;
	if (re[j] == ']')
		j++;
	for (; re[j] && re[j] != ']'; j++) {
		if (re[j] == '\\') {
			if (!re[j + 1])
				return 0;
			j++;
		} else if (re[j] == '[' &&
		           (re[j + 1] == ':' || re[j + 1] == '.' || re[j + 1] == '='))
			return 0;
	}
	if (!re[j])
		return 0;
	return j + 1;
}

/* the index after the quantifier {n}, {n,}, {n,m}, {,m} whose body starts at re[i], 0 when
 * it is a literal '{' or something else: give up */
static size_t quantifier_end(const char *re, size_t i) {
	size_t j = i;
	while (re[j] >= '0' && re[j] <= '9')
		j++;
	if (re[j] == ',')
		j++;
	while (re[j] >= '0' && re[j] <= '9')
		j++;
	if (re[j] != '}')
		return 0;
	return j + 1;
}

/* the literal byte at re[i] into *lb (-1 if none) and its width into *w; -1 to give up */
static int atom_at(const char *re, size_t i, int *lb, size_t *w) {
	unsigned char ch = (unsigned char)re[i];
	*lb = -1;
	*w = 1;
	if (ch == '\\') {
		unsigned char n = (unsigned char)re[i + 1];
		if (!n)
			return -1;
		if ((n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z') || (n >= '0' && n <= '9')) {
			if (!strchr("dDwWsSbBAzZGhHvVRN", n))
				return -1;
		} else
			*lb = n;
		*w = 2;
	} else if (ch != '.' && ch != '^' && ch != '$' && ch != '+')
		*lb = ch;
	if (*lb >= 0x80)
		*lb = -1; /* keep to ASCII: case folding beyond it is PCRE2's business */
	return 0;
}

/* the bytes as \xHH escapes (a pattern that matches them literally) */
static char *hex_literal(const char *b, size_t n) {
	char *out = malloc(n * 4 + 1);
	if (!out)
		return NULL;
	for (size_t k = 0; k < n; k++)
		snprintf(out + 4 * k, 5, "\\x%02x", (unsigned char)b[k]);
	return out;
}

char *prefilter_required_literal(const char *re, uint32_t opts) {
	if (opts & ~(uint32_t)(PCRE2_CASELESS | PCRE2_MULTILINE | PCRE2_DOTALL))
		return NULL;
	struct lit_run run = {.cur_n = 0, .best_n = 0};
	int depth = 0;
	for (size_t i = 0; re[i];) {
		unsigned char ch = (unsigned char)re[i];
		if (ch == '(') {
			if (re[i + 1] == '*')
				return NULL; /* verbs */
			if (re[i + 1] == '?' && re[i + 2] != ':' && re[i + 2] != '<' &&
			    re[i + 2] != '=' && re[i + 2] != '!')
				return NULL; /* inline options, comments, conditionals, ... */
			lit_run_end(&run);
			depth++;
			i++;
		} else if (ch == ')') {
			if (depth == 0)
				return NULL;
			depth--;
			i++;
		} else if (ch == '[') { /* a class: skip it */
			if (!(i = class_end(re, i)))
				return NULL;
			lit_run_end(&run);
		} else if (ch == '|') {
			if (depth == 0)
				return NULL;
			i++;
		} else if (ch == '{' || ch == '?' || ch == '*') {
			/* the byte before is optional or repeated: not required */
			if (run.cur_n)
				run.cur_n--;
			lit_run_end(&run);
			i++;
			if (ch == '{' && !(i = quantifier_end(re, i)))
				return NULL;
		} else {
			int lb;
			size_t w;
			if (atom_at(re, i, &lb, &w) < 0)
				return NULL;
			if (depth > 0 || lb < 0)
				lit_run_end(&run);
			else if (run.cur_n < sizeof(run.cur))
				run.cur[run.cur_n++] = (char)lb;
			i += w;
		}
	}
	lit_run_end(&run);
	if (depth != 0 || run.best_n < MIN_LIT)
		return NULL;
	return hex_literal(run.best, run.best_n);
}

/* The database of the leaves in the database (only those marked in `only`, unless it
 * is NULL). */
static int compile_db(struct correlate_engine *e, const bool *only, hs_database_t **ret,
                      struct ev_errlist *errs) {
	const char **exprs = calloc(e->n_leaves + 1, sizeof(char *));
	char **lits = calloc(e->n_leaves + 1, sizeof(char *));
	unsigned *flags = calloc(e->n_leaves + 1, sizeof(unsigned)),
	         *ids = calloc(e->n_leaves + 1, sizeof(unsigned));
	int r = 0;
	*ret = NULL;
	if (!exprs || !lits || !flags || !ids) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		size_t n = 0;
		for (size_t i = 0; i < e->n_leaves; i++) {
			const struct leaf *l = e->leaves[i];
			if (!e->in_db[i] || (only && !only[i]))
				continue;
			unsigned f = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY |
			             (l->pcre_opts & PCRE2_CASELESS ? HS_FLAG_CASELESS : 0);
			if ((l->is_re || !l->std_field) && !lits[i])
				lits[i] = prefilter_required_literal(l->regex, l->pcre_opts);
			if (!lits[i] && !l->std_field) {
				e->in_db[i] = false; /* a decoded field needs a literal */
				continue;
			}
			if (lits[i])
				exprs[n] = lits[i];
			else {
				exprs[n] = l->regex;
				f |= (l->pcre_opts & PCRE2_DOTALL ? HS_FLAG_DOTALL : 0) |
				     (l->pcre_opts & PCRE2_MULTILINE ? HS_FLAG_MULTILINE : 0) |
				     (l->is_re ? HS_FLAG_PREFILTER : 0);
			}
			flags[n] = f;
			ids[n] = (unsigned)i;
			n++;
		}
		if (n == 0)
			break;
		hs_compile_error_t *ce = NULL;
		if (dbcache_compile(&e->dbc, exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, ret,
		                    &ce) == HS_SUCCESS) {
			if (hs_alloc_scratch(*ret, &e->scratch) != HS_SUCCESS)
				r = -ENOMEM;
			break;
		}
		/* drop the expression it names (PCRE2 alone decides that leaf) and retry */
		int bad = ce ? ce->expression : -1;
		hs_free_compile_error(ce);
		if (bad < 0 || (size_t)bad >= n) {
			ev_errlist_add(errs, NULL, 0, 0,
			               "Vectorscan could not build the prefilter database");
			r = -EINVAL;
			break;
		}
		e->in_db[ids[bad]] = false;
	}
out:
	for (size_t i = 0; lits && i < e->n_leaves; i++)
		free(lits[i]);
	free(lits);
	free(exprs);
	free(flags);
	free(ids);
	return r;
}

/* Message leaves without which a condition cannot hold: for AND the set of any child
 * that has one, for OR the union when every child has one, nothing under NOT. Returns
 * false when there is no such set. */
static bool must_set(const struct correlate_engine *e, const struct rule *r, const struct cond *c,
                     bool sel_level, bool *mark) {
	switch (c->type) {
	case COND_REF:
		if (sel_level)
			return must_set(e, r, r->sels[c->ref].tree, false, mark);
		else {
			const struct leaf *l = &r->leaves[c->ref];
			if (!e->in_db[l->id] || l->negate)
				return false;
			mark[l->id] = true;
			return true;
		}
	case COND_AND:
		for (size_t i = 0; i < c->n; i++) {
			bool *tmp = calloc(e->n_leaves + 1, sizeof(bool));
			if (!tmp)
				return false;
			bool ok = must_set(e, r, c->kids[i], sel_level, tmp);
			if (ok)
				for (size_t k = 0; k < e->n_leaves; k++)
					mark[k] |= tmp[k];
			free(tmp);
			if (ok)
				return true;
		}
		return false;
	case COND_OR: {
		bool *tmp = calloc(e->n_leaves + 1, sizeof(bool));
		if (!tmp)
			return false;
		bool ok = c->n > 0;
		for (size_t i = 0; ok && i < c->n; i++)
			ok = must_set(e, r, c->kids[i], sel_level, tmp);
		if (ok)
			for (size_t k = 0; k < e->n_leaves; k++)
				mark[k] |= tmp[k];
		free(tmp);
		return ok;
	}
	default:
		return false;
	}
}

/* The gates of the rules over the leaves now in_db (again after a change of in_db). */
static int build_gates(struct correlate_engine *e) {
	if (!e->leaf_gate) {
		e->leaf_gate = malloc((e->n_leaves + 1) * sizeof(int));
		e->rule_gated = calloc(e->rules.n + 1, sizeof(bool));
		e->rule_gen = calloc(e->rules.n + 1, sizeof(uint32_t));
		e->trig = calloc(e->rules.n + 1, sizeof(unsigned));
		e->fg_rules = calloc(e->rules.n + 1, sizeof(unsigned));
	}
	bool *mark = calloc(e->n_leaves + 1, sizeof(bool));
	if (!e->leaf_gate || !e->rule_gated || !e->rule_gen || !e->trig || !e->fg_rules || !mark) {
		free(mark);
		return -ENOMEM;
	}
	memset(e->rule_gated, 0, (e->rules.n + 1) * sizeof(bool));
	e->n_fg = 0;
	for (size_t i = 0; i < e->n_leaves; i++)
		e->leaf_gate[i] = -1;
	for (size_t i = 0; i < e->rules.n; i++) {
		const struct rule *r = &e->rules.v[i];
		if (r->kind != RULE_DETECTION || r->inactive || !r->condition)
			continue;
		memset(mark, 0, e->n_leaves * sizeof(bool));
		if (!must_set(e, r, r->condition, true, mark))
			continue;
		e->rule_gated[i] = true;
		bool fg = false;
		for (size_t k = 0; k < e->n_leaves; k++)
			if (mark[k]) {
				e->leaf_gate[k] = (int)i;
				fg |= !e->leaves[k]->std_field;
			}
		if (fg)
			e->fg_rules[e->n_fg++] = (unsigned)i;
	}
	free(mark);
	return 0;
}

/* e->db_ls: the logsource entries of the rules that own a leaf in db (those marked in
 * `only`, unless it is NULL). */
static int db_logsources(struct correlate_engine *e, const bool *only) {
	e->db_ls = calloc(e->rules.n + 1, sizeof(int));
	if (!e->db_ls)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_leaves; i++) {
		if (!e->in_db[i] || (only && !only[i]))
			continue;
		int ls = e->rules.v[e->leaves[i]->rule].logsource;
		size_t k = 0;
		while (k < e->n_db_ls && e->db_ls[k] != ls)
			k++;
		if (k == e->n_db_ls)
			e->db_ls[e->n_db_ls++] = ls;
	}
	return 0;
}

/* The pattern database is scanned per record (the literals' is scanned a block at a
 * time): of the leaves left to it, keep only those that open a gate. A leaf of a gated
 * rule that is not in the rule's gate is only looked at once the gate has let the rule
 * through, and then PCRE2 decides it alone (SigmaHQ's "Remote File Copy" is gated by
 * `scp `, `rsync `, `sftp `; its `@` and `:` cost a scan of every record). Leaves of
 * ungated rules stay: those rules run for every record their logsource applies to. */
static int rest_gates_only(struct correlate_engine *e, bool *rest, bool *ret_any_rest) {
	int r = build_gates(e);
	if (r < 0)
		return r;
	bool any = false;
	for (size_t i = 0; i < e->n_leaves; i++) {
		if (!rest[i])
			continue;
		if (e->rule_gated[e->leaves[i]->rule] && e->leaf_gate[i] < 0)
			rest[i] = e->in_db[i] = false;
		else
			any = true;
	}
	*ret_any_rest = any;
	return 0;
}

/* Which leaves can go to a database at all (before the block and pattern databases
 * split them). */
static void init_in_db(struct correlate_engine *e) {
	memset(e->in_db, 0, (e->n_leaves + 1) * sizeof(bool));
	for (size_t i = 0; i < e->n_leaves; i++) {
		const struct leaf *l = e->leaves[i];
		if (l->kind != LEAF_PATTERN || e->rules.v[l->rule].inactive)
			continue;
		e->kw_in_db |= !l->field;
		if (!l->field || !strcmp(l->field, "message"))
			e->in_db[i] = true;
		else if (!l->std_field && !l->negate &&
		         (!l->alt_field || !engine_is_std_field(l->alt_field)))
			e->in_db[i] = true; /* a decoded field: see the top of the file */
	}
}

/* Every active detection rule gated by the block database alone (no pattern database,
 * no rule on the fields a parse adds), but for the rules of a Sigma category, which only
 * see the category records of audit and Sysmon lines (and those hold a sentinel): then a
 * line without a hit of it triggers nothing, and the block database gets the sentinels
 * (prefilter_block.c) so that such lines need not be parsed. */
static bool quiet_possible(const struct correlate_engine *e) {
	if (!e->bp_n || e->db || e->n_fg)
		return false;
	for (size_t i = 0; i < e->rules.n; i++) {
		const struct rule *r = &e->rules.v[i];
		bool category = r->logsource >= 0 && e->ls[r->logsource].category;
		if (r->kind == RULE_DETECTION && !r->inactive && r->condition &&
		    !e->rule_gated[i] && !category)
			return false;
	}
	return true;
}

int prefilter_build(struct correlate_engine *e, struct ev_errlist *errs) {
	e->in_db = calloc(e->n_leaves + 1, sizeof(bool));
	if (!e->in_db)
		return -ENOMEM;
	init_in_db(e);
	/* the literals' database (prefilter_block.c) and the patterns' for the leaves without
	 * a literal, or the patterns' for every leaf; the literals' is compiled last, when it
	 * is known whether it needs the sentinels */
	bool *rest = calloc(e->n_leaves + 1, sizeof(bool)), any_rest = false;
	int r = rest ? prefilter_block_prepare(e, rest, &any_rest) : -ENOMEM;
	bool blk = r >= 0 && e->bp_n;
	if (r >= 0 && blk && any_rest)
		r = rest_gates_only(e, rest, &any_rest);
	if (r >= 0 && (!blk || any_rest))
		r = compile_db(e, blk ? rest : NULL, &e->db, errs);
	if (r >= 0 && e->db)
		r = db_logsources(e, blk ? rest : NULL);
	free(rest);
	if (r >= 0)
		r = build_gates(e);
	if (r >= 0 && blk)
		r = prefilter_block_compile(e, quiet_possible(e));
	if (r < 0)
		return r;
	if (blk && !e->bdb) { /* it did not compile: the pattern database takes every leaf */
		hs_free_database(e->db);
		e->db = NULL;
		free(e->db_ls);
		e->db_ls = NULL;
		e->n_db_ls = 0;
		init_in_db(e);
		r = compile_db(e, NULL, &e->db, errs);
		if (r >= 0 && e->db)
			r = db_logsources(e, NULL);
		if (r < 0)
			return r;
	}
	e->n_dbs = e->db || e->bdb ? 1 : 0;
	if (!e->n_dbs)
		memset(e->in_db, 0, e->n_leaves * sizeof(bool));
	/* the gates again only when which leaves are in a database changed since */
	return (blk && !e->bdb) || !e->n_dbs ? build_gates(e) : 0;
}

static void trigger(struct correlate_engine *e, int r) {
	if (r >= 0 && e->rule_gen[r] != e->gen) {
		e->rule_gen[r] = e->gen;
		e->trig[e->n_trig++] = (unsigned)r;
	}
}

void prefilter_mark(struct correlate_engine *e, unsigned id) {
	e->hs_hits++;
	if (e->cand[id] == e->gen)
		return;
	e->st.candidates++;
	e->cand[id] = e->gen;
	trigger(e, e->leaf_gate[id]);
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx) {
	(void)from, (void)to, (void)flags;
	prefilter_mark(ctx, id);
	return 0;
}

/* Does a rule with a leaf in db apply to rec? Remembered with the program's logsource
 * answers (engine_ls_begin()) for records that are not category records: for those the
 * answer depends on the program and facility alone. */
static bool db_applies(struct correlate_engine *e, const struct ev_record *rec) {
	struct ls_memo *m = rec->flags & EV_REC_CATEGORIES ? NULL : e->ls_cur;
	if (m && m->db_need >= 0)
		return m->db_need;
	bool need = false;
	for (size_t k = 0; !need && k < e->n_db_ls; k++)
		need = engine_ls_applies(e, e->db_ls[k], rec);
	if (m)
		m->db_need = need;
	return need;
}

void prefilter_scan(struct correlate_engine *e, const struct ev_record *rec) {
	const char *m = rec->message.p ? rec->message.p : "";
	unsigned len = (unsigned)MIN(rec->message.len, UINT32_MAX);
	if (e->bdb && !prefilter_block_take(e, rec))
		prefilter_block_scan(e, m, len);
	bool db = e->db && db_applies(e, rec);
	if (db)
		hs_scan(e->db, m, len, 0, e->scratch, on_match, e);
	/* keywords search the program tag too (eval_keyword): a candidate there counts. The
	 * same program gives the same matches: one that gave none is not scanned again (what
	 * a scan without db found is not remembered: another record of the program may need
	 * db, a category record derived from it for one). */
	const struct ev_str *p = &rec->program;
	struct ls_memo *memo = e->ls_cur;
	if (e->kw_in_db && p->p && p->len && !(memo && memo->prog_scan == 0)) {
		uint64_t hits = e->hs_hits;
		if (e->bdb)
			prefilter_block_scan(e, p->p, (unsigned)MIN(p->len, UINT32_MAX));
		if (db)
			hs_scan(e->db, p->p, (unsigned)MIN(p->len, UINT32_MAX), 0, e->scratch,
			        on_match, e);
		if (memo && (db || !e->db))
			memo->prog_scan = e->hs_hits != hits;
	}
	for (size_t i = 0; e->rec_fields && i < e->n_fg; i++)
		trigger(e, (int)e->fg_rules[i]);
}

void prefilter_free(struct correlate_engine *e) {
	free(e->leaf_gate);
	free(e->rule_gated);
	free(e->rule_gen);
	free(e->trig);
	free(e->fg_rules);
	free(e->db_ls);
	prefilter_block_free(e);
	hs_free_scratch(e->scratch);
	hs_free_database(e->db);
	free(e->in_db);
	dbcache_done(&e->dbc);
	free(e->dbc.dir);
}
#endif
