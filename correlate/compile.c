/* Compilation, in phases: logsources resolved per detection rule, correlation references
 * resolved (and their cycles refused), every leaf compiled (PCRE2, JIT where allowed) into
 * one global leaf table, the Vectorscan prefilter built, the always-run rule list made,
 * then the correlation windows set up. Rules that can never match on this host are kept
 * inactive with a warning; errors that make a rule unusable go to errs. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"

static const char *rule_label(const struct rule *r) {
	return r->title ? r->title : r->id ? r->id : "?";
}

static void resolve_logsource(struct correlate_engine *e, struct rule *r,
                              struct ev_errlist *warnings) {
	if (r->product && strcmp(r->product, "linux")) {
		r->inactive = true;
		ev_errlist_add(warnings, r->file, r->line, r->col,
		               "rule '%s': logsource product '%s' never matches on this host",
		               rule_label(r), r->product);
		return;
	}
	if (r->category) {
		r->logsource = logsource_category(e, r->category);
		if (r->logsource >= 0)
			return;
		r->inactive = true;
		ev_errlist_add(warnings, r->file, r->line, r->col,
		               "rule '%s': logsource category '%s' is not available from "
		               "syslog, the journal, auditd or Sysmon for Linux (observed: "
		               "process_creation, file_event, network_connection)",
		               r->title ? r->title : "?", r->category);
		return;
	}
	if (!r->service)
		return;
	for (size_t j = 0; j < e->n_ls; j++)
		if (!e->ls[j].category && !strcmp(e->ls[j].service, r->service))
			r->logsource = (int)j;
	if (r->logsource < 0) {
		r->inactive = true;
		ev_errlist_add(warnings, r->file, r->line, r->col,
		               "rule '%s': unknown logsource service '%s' (never "
		               "matches; define it in rules.logsources, e.g. '%s: "
		               "PROGRAM unit:NAME.service')",
		               r->title ? r->title : "?", r->service, r->service);
	}
}

static int find_rule(const struct correlate_engine *e, const char *ref) {
	for (size_t i = 0; i < e->rules.n; i++)
		if ((e->rules.v[i].id && !strcmp(e->rules.v[i].id, ref)) ||
		    (e->rules.v[i].name && !strcmp(e->rules.v[i].name, ref)))
			return (int)i;
	return -1;
}

/* Correlation i's references: resolved, and i noted as a user of each. */
static int resolve_references(struct correlate_engine *e, size_t i, struct ev_errlist *errs,
                              struct ev_errlist *warnings) {
	struct rule *r = &e->rules.v[i];
	for (size_t j = 0; j < r->corr.n_refs; j++) {
		int t = find_rule(e, r->corr.refs[j]);
		r->corr.ref_rule[j] = t;
		if (t < 0) {
			ev_errlist_add(warnings, r->file, r->corr.ref_line[j], r->corr.ref_col[j],
			               "rule '%s' is not loaded: this correlation never fires",
			               r->corr.refs[j]);
			continue;
		}
		if (t == (int)i) {
			ev_errlist_add(errs, r->file, r->corr.ref_line[j], r->corr.ref_col[j],
			               "a correlation cannot reference itself");
			r->corr.ref_rule[j] = -1;
			continue;
		}
		struct rule *u = &e->rules.v[t];
		unsigned *nu = realloc(u->users, (u->n_users + 1) * sizeof(unsigned));
		if (!nu)
			return -ENOMEM;
		u->users = nu;
		bool dup = false;
		for (size_t k = 0; k < u->n_users; k++)
			dup |= u->users[k] == i;
		if (!dup)
			u->users[u->n_users++] = (unsigned)i;
		if (!r->corr.generate)
			u->quiet = true;
	}
	return 0;
}

/* Depth-first over the references, a colour per rule; the rule closing a cycle, or -1.
 * -ENOMEM in *ret when out of memory. */
static int find_cycle(const struct correlate_engine *e, int *ret) {
	uint8_t *colour = calloc(e->rules.n + 1, 1);
	size_t *stack = calloc(e->rules.n + 1, sizeof(size_t)),
	       *pos = calloc(e->rules.n + 1, sizeof(size_t));
	int cyc = -1;
	*ret = colour && stack && pos ? 0 : -ENOMEM;
	for (size_t root = 0; *ret == 0 && root < e->rules.n && cyc < 0; root++) {
		if (colour[root])
			continue;
		size_t sp = 0;
		stack[sp] = root;
		pos[sp] = 0;
		colour[root] = 1;
		while (sp != (size_t)-1 && cyc < 0) {
			const struct rule *r = &e->rules.v[stack[sp]];
			size_t nref = r->kind == RULE_CORRELATION ? r->corr.n_refs : 0;
			if (pos[sp] >= nref) {
				colour[stack[sp]] = 2;
				sp--;
				continue;
			}
			int t = r->corr.ref_rule[pos[sp]++];
			if (t < 0 || colour[t] == 2)
				continue;
			if (colour[t] == 1) {
				cyc = (int)stack[sp];
				break;
			}
			colour[t] = 1;
			sp++;
			stack[sp] = (size_t)t;
			pos[sp] = 0;
		}
	}
	free(colour);
	free(stack);
	free(pos);
	return cyc;
}

/* Every leaf into the global table, compiled; the match data sized for the most
 * captures of any leaf or decoder pattern. */
static int compile_leaves(struct correlate_engine *e, struct ev_errlist *errs) {
	for (size_t i = 0; i < e->rules.n; i++)
		e->n_leaves += e->rules.v[i].n_leaves;
	e->leaves = calloc(e->n_leaves + 1, sizeof(*e->leaves));
	e->cand = calloc(e->n_leaves + 1, sizeof(uint32_t));
	e->rule_matches = calloc(e->rules.n + 1, sizeof(uint64_t));
	if (!e->leaves || !e->cand || !e->rule_matches || engine_ls_init(e) < 0 ||
	    decoder_names_build(e) < 0)
		return -ENOMEM;
	size_t k = 0;
	uint32_t max_ov = 1;
	for (size_t i = 0; i < e->rules.n; i++) {
		struct rule *r = &e->rules.v[i];
		for (size_t j = 0; j < r->n_leaves; j++) {
			struct leaf *l = &r->leaves[j];
			l->id = (unsigned)k;
			l->rule = (unsigned)i;
			e->leaves[k++] = l;
			l->std_field = !l->field || engine_is_std_field(l->field);
			l->is_message = l->field && !strcmp(l->field, "message");
			for (size_t m = 0; l->field && !l->std_field && m < e->n_fmap; m++)
				if (!strcmp(e->fmap_from[m], l->field) && !l->alt_field) {
					l->alt_field = strdup(e->fmap_to[m]);
					if (!l->alt_field)
						return -ENOMEM;
				}
			l->decodable = !l->std_field && (engine_decodable(e, l->field) ||
			                                 engine_decodable(e, l->alt_field));
			char msg[300];
			if (leaf_compile(l, msg, sizeof(msg)) < 0) {
				/* a `re` value that PCRE2 rejects: the rule is unusable */
				ev_errlist_add(errs, r->file, r->line, r->col, "rule '%s': %s: %s",
				               r->title ? r->title : "?", l->regex, msg);
				r->inactive = true;
			}
			if (l->code) {
				uint32_t cc = 0;
				pcre2_pattern_info(l->code, PCRE2_INFO_CAPTURECOUNT, &cc);
				max_ov = MAX(max_ov, cc + 1);
			}
		}
	}
	if (e->o.no_jit || (e->jit_ok && !leaf_jit_available()))
		e->jit_ok = false;
	if (engine_prog_memo_init(e) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_dec; i++)
		for (size_t j = 0; j < e->dec[i].n_pats; j++) {
			uint32_t cc = 0;
			pcre2_pattern_info(e->dec[i].pats[j], PCRE2_INFO_CAPTURECOUNT, &cc);
			max_ov = MAX(max_ov, cc + 1);
		}
	e->md = pcre2_match_data_create(max_ov, NULL);
	return e->md ? 0 : -ENOMEM;
}

/* Active detection rules that Vectorscan does not gate run on every record, in order. */
static int list_always(struct correlate_engine *e) {
	e->always = calloc(e->rules.n + 1, sizeof(unsigned));
	e->always_plain = calloc(e->rules.n + 1, sizeof(unsigned));
	if (!e->always || !e->always_plain)
		return -ENOMEM;
	for (size_t i = 0; i < e->rules.n; i++) {
		const struct rule *r = &e->rules.v[i];
		if (r->kind != RULE_DETECTION || r->inactive || !r->condition)
			continue;
#ifdef HAVE_VECTORSCAN
		if (e->rule_gated && e->rule_gated[i])
			continue;
#endif
		e->always[e->n_always++] = (unsigned)i;
		if (r->logsource < 0 || !e->ls[r->logsource].category)
			e->always_plain[e->n_always_plain++] = (unsigned)i;
	}
	return 0;
}

int correlate_engine_compile(struct correlate_engine *e, struct ev_errlist *errs,
                             struct ev_errlist *warnings) {
	if (e->compiled)
		return -EBUSY;
	e->compiled = true;
	for (size_t i = 0; i < e->rules.n; i++) {
		struct rule *r = &e->rules.v[i];
		r->logsource = -1;
		if (r->kind == RULE_DETECTION)
			resolve_logsource(e, r, warnings);
	}
	for (size_t i = 0; i < e->rules.n; i++)
		if (e->rules.v[i].kind == RULE_CORRELATION) {
			int r = resolve_references(e, i, errs, warnings);
			if (r < 0)
				return r;
		}
	int r;
	int cyc = find_cycle(e, &r);
	if (r < 0)
		return r;
	if (cyc >= 0) {
		const struct rule *c = &e->rules.v[cyc];
		ev_errlist_add(errs, c->file, c->line, c->col,
		               "correlation references form a cycle");
		return -EINVAL;
	}
	r = compile_leaves(e, errs);
	if (r < 0)
		return r;
	for (size_t i = 0; i < e->rules.n; i++) {
		e->st.rules++;
		if (e->rules.v[i].kind == RULE_DETECTION)
			e->st.detections++;
		else
			e->st.correlations++;
	}
#ifdef HAVE_VECTORSCAN
	if (e->use_hs) {
		r = prefilter_build(e, errs);
		if (e->dbc.note) /* once: the database is built once per engine */
			ev_errlist_add(warnings, NULL, 0, 0, "%s", e->dbc.note);
		if (r < 0)
			return r;
	}
#endif
	r = list_always(e);
	return r < 0 ? r : window_init(e);
}
