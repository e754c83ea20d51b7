/* Correlation engine: construction, per-record matching, statistics. The logsource table
 * is in logsource.c, decoders in decoder.c, compilation in compile.c.
 *
 * Matching a record: Vectorscan scans the message once, with one database for the
 * message-level leaves of every rule (and the literals of leaves on decoded fields), and
 * marks candidates; then each active detection rule whose logsource applies evaluates its
 * condition, short-circuit, where a leaf that Vectorscan did not mark is false without
 * running PCRE2 (prefilter.c says when that holds for decoded fields), and every other
 * leaf is decided by PCRE2. Decoders (by program) add fields at the first lookup of one. Since
 * Vectorscan only ever removes leaves PCRE2 would reject too (exact literals, or PREFILTER
 * supersets for `re`), the pcre2 engine and the vectorscan engine give the same matches by
 * construction. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"

const char *correlate_engine_name(void) {
#ifdef HAVE_VECTORSCAN
	return "vectorscan+pcre2";
#else
	return "pcre2";
#endif
}

/* ---- construction ---- */

int correlate_engine_new(const struct correlate_opts *o, struct correlate_engine **ret,
                         struct ev_errlist *errs) {
	struct correlate_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (o)
		e->o = *o;
	if (e->o.allowed_lateness_us < 0 || !o)
		e->o.allowed_lateness_us = 10 * 1000000LL;
	if (!e->o.max_groups)
		e->o.max_groups = 100000;
	if (!e->o.max_values)
		e->o.max_values = 100000;
	if (e->o.max_future_us <= 0)
		e->o.max_future_us = 300 * 1000000LL;
	const char *eng = e->o.engine ? e->o.engine : "auto";
#ifdef HAVE_VECTORSCAN
	if (!strcmp(eng, "auto") || !strcmp(eng, "vectorscan"))
		e->use_hs = true;
	else if (strcmp(eng, "pcre2")) {
#else
	if (!strcmp(eng, "vectorscan")) {
		ev_errlist_add(errs, NULL, 0, 0,
		               "engine 'vectorscan' is not available: this build has PCRE2 only");
		free(e);
		return -EINVAL;
	} else if (strcmp(eng, "auto") && strcmp(eng, "pcre2")) {
#endif
		ev_errlist_add(errs, NULL, 0, 0,
		               "unknown engine '%s' (expected auto, vectorscan or pcre2)", eng);
		free(e);
		return -EINVAL;
	}
	e->o.engine = NULL;
	e->o.db_cache_dir = NULL;
#ifdef HAVE_VECTORSCAN
	if (o && o->db_cache_dir && !(e->dbc.dir = strdup(o->db_cache_dir))) {
		free(e);
		return -ENOMEM;
	}
#endif
	int r = logsource_add_builtins(e);
	if (r < 0) {
		correlate_engine_free(e);
		return r;
	}
	e->jit_ok = !e->o.no_jit;
	e->st.last_future_us = INT64_MIN;
	e->watermark = INT64_MIN;
	e->max_time = INT64_MIN;
	*ret = e;
	return 0;
}

int correlate_engine_add_rules(struct correlate_engine *e, const char *path,
                               struct ev_errlist *errs) {
	if (e->compiled)
		return -EBUSY;
	return sigma_load_path(path, &e->rules, errs);
}

int correlate_engine_add_rules_buffer(struct correlate_engine *e, const char *name, const char *buf,
                                      size_t len, struct ev_errlist *errs) {
	if (e->compiled)
		return -EBUSY;
	return sigma_load_buffer(name, buf, len, &e->rules, errs);
}

int correlate_engine_add_placeholder_spec(struct correlate_engine *e, const char *spec,
                                          const char *origin, struct ev_errlist *errs) {
	if (e->compiled)
		return -EBUSY;
	return sigma_placeholder_add(&e->rules, spec, origin, errs);
}

void correlate_engine_set_callback(struct correlate_engine *e, correlate_alert_fn fn, void *ctx) {
	e->cb = fn;
	e->cb_ctx = ctx;
}

/* ---- matching ---- */

static int cmp_unsigned(const void *a, const void *b) {
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

const struct ev_str *engine_field(struct correlate_engine *e, const struct ev_record *rec,
                                  const char *name) {
	if (rec == e->rec && !e->decoded && engine_decodable(e, name) && !engine_is_std_field(name))
		engine_ensure_decoded(e);
	const struct ev_str *v = ev_record_get(rec, name);
	if (v)
		return v;
	/* captures of the current rule's re values */
	for (size_t i = e->n_caps; i-- > 0;) {
		const struct capture *c = &e->caps[i];
		if (e->cur && c->rule == (unsigned)(e->cur - e->rules.v) &&
		    c->name_len == strlen(name) && !memcmp(c->name, name, c->name_len)) {
			static __thread struct ev_str tmp;
			tmp.p = c->value;
			tmp.len = c->value_len;
			return &tmp;
		}
	}
	for (size_t m = 0; m < e->n_fmap; m++)
		if (!strcmp(e->fmap_from[m], name))
			return ev_record_get(rec, e->fmap_to[m]);
	return NULL;
}

static void on_capture(void *p, const char *name, size_t nl, const char *v, size_t vl) {
	struct correlate_engine *e = p;
	if (e->n_caps >= CAPTURES_MAX) {
		e->st.captures_dropped++;
		return;
	}
	if (e->n_caps == e->alloc_caps) {
		struct capture *c = realloc(e->caps, (e->alloc_caps + 16) * sizeof(*c));
		if (!c)
			return;
		e->caps = c;
		e->alloc_caps += 16;
	}
	size_t need = e->cap_len + nl + vl + 2;
	if (need > e->cap_alloc) {
		/* captures keep offsets until the buffer settles: store, then fix pointers */
		size_t na = MAX(need, e->cap_alloc * 2 + 256);
		char *nb = realloc(e->cap_buf, na);
		if (!nb)
			return;
		for (size_t i = 0; i < e->n_caps; i++) {
			e->caps[i].name = nb + (e->caps[i].name - e->cap_buf);
			e->caps[i].value = nb + (e->caps[i].value - e->cap_buf);
		}
		e->cap_buf = nb;
		e->cap_alloc = na;
	}
	struct capture *c = &e->caps[e->n_caps++];
	c->rule = (unsigned)(e->cur - e->rules.v);
	c->name = e->cap_buf + e->cap_len;
	memcpy(c->name, name, nl);
	c->name[nl] = 0;
	c->name_len = nl;
	c->value = c->name + nl + 1;
	memcpy(c->value, v, vl);
	c->value[vl] = 0;
	c->value_len = vl;
	e->cap_len = need;
}

/* A keyword (a leaf without a field) searches the event text: the message, then the
 * program tag (docs/rules.md, "Detection"), so `pkexec` finds pkexec's lines. */
static bool eval_keyword(struct correlate_engine *e, struct leaf *l) {
	static const struct ev_str empty = {"", 0};
	const struct ev_str *m = e->rec->message.p ? &e->rec->message : &empty;
	if (leaf_test(l, m, e->md, e->jit_ok, on_capture, e))
		return true;
	const struct ev_str *p = &e->rec->program;
	return p->p && p->len && leaf_test(l, p, e->md, e->jit_ok, on_capture, e);
}

static bool eval_leaf(void *p, unsigned idx) {
	struct correlate_engine *e = p;
	struct leaf *l = &e->cur->leaves[idx];
#ifdef HAVE_VECTORSCAN
	/* Vectorscan saw no match: PCRE2 would not either (prefilter.c says when) */
	if (e->n_dbs && e->in_db[l->id] && e->cand[l->id] != e->gen &&
	    (l->std_field || !e->rec_fields))
		return l->negate;
#endif
	if (!l->field)
		return eval_keyword(e, l);
	if (l->decodable)
		engine_ensure_decoded(e);
	/* the same program gives the same answer (logsource.c): known, no lookup */
	int8_t *known = l->prog_slot ? &e->prog_cache[l->prog_slot - 1] : NULL;
	if (known && *known >= 0)
		return *known;
	const struct ev_str *v = !l->is_message      ? ev_record_get(e->rec, l->field)
	                         : e->rec->message.p ? &e->rec->message
	                                             : NULL;
	if (!v && l->alt_field)
		v = ev_record_get(e->rec, l->alt_field);
	if (l->kind == LEAF_FIELDREF)
		return leaf_fieldref_test(l, v, engine_field(e, e->rec, l->ref));
	bool hit = leaf_test(l, v, e->md, e->jit_ok, on_capture, e);
	if (known)
		*known = hit;
	return hit;
}

static bool eval_sel(void *p, unsigned idx) {
	struct correlate_engine *e = p;
	return cond_eval(e->cur->sels[idx].tree, eval_leaf, e);
}

/* Per-record state back to empty; Vectorscan marks the candidates. */
static void feed_begin(struct correlate_engine *e, struct ev_record *rec) {
	e->st.records++;
	e->seq++;
	e->rec = rec;
	if (++e->gen == 0) {
		memset(e->cand, 0, e->n_leaves * sizeof(uint32_t));
		e->gen = 1;
	}
	engine_ls_begin(e, rec);
	e->n_caps = 0;
	e->cap_len = 0;
	e->decoded = false;
	e->n_trig = 0;
	e->rec_fields = rec->n_fields > 0;
#ifdef HAVE_VECTORSCAN
	if (e->n_dbs)
		prefilter_scan(e, rec);
#endif
	if (e->n_trig > 16)
		qsort(e->trig, e->n_trig, sizeof(unsigned), cmp_unsigned);
	else /* mostly one or two: no call */
		for (size_t i = 1; i < e->n_trig; i++) {
			unsigned v = e->trig[i];
			size_t j = i;
			for (; j > 0 && e->trig[j - 1] > v; j--)
				e->trig[j] = e->trig[j - 1];
			e->trig[j] = v;
		}
}

/* Rule i matched the current record: its alert (unless quiet), then the correlations
 * that use it (unless the record is late or far in the future). */
static int on_rule_match(struct correlate_engine *e, size_t i, size_t caps_before,
                         enum tg_class cls, bool late) {
	const struct rule *r = &e->rules.v[i];
	const struct ev_record *rec = e->rec;
	e->rule_matches[i]++;
	e->st.matches++;
	if (!r->quiet || !r->n_users) {
		engine_ensure_decoded(e); /* the alert lists every field */
		struct alert_data a = {.rule = r,
		                       .kind = "match",
		                       .time = rec->time_us,
		                       .first = rec->time_us,
		                       .last = rec->time_us,
		                       .count = 1,
		                       .rec = rec,
		                       .caps = e->caps ? e->caps + caps_before : NULL,
		                       .n_caps = e->n_caps - caps_before,
		                       .future = e->flag_future};
		alert_emit(e, &a);
	}
	if (!r->n_users || cls == TG_FUTURE)
		return 0;
	if (late) {
		e->st.late++;
		return 0;
	}
	return window_on_match(e, (unsigned)i, rec->time_us, rec, NULL, NULL, 0, NULL);
}

/* A quiet record (EV_REC_QUIET): what correlate_engine_feed does for a record that
 * triggers no rule, without the per-record set-up. */
static __attribute__((noinline)) int feed_quiet(struct correlate_engine *e,
                                                const struct ev_record *rec) {
	e->st.records++;
	e->st.quiet_records++;
	e->seq++;
	int ret = 0;
	enum tg_class cls = timeguard_begin(e, rec->time_us, &ret);
	timeguard_end(e, cls, rec->time_us);
	int k = window_release(e, e->watermark, false);
	return ret < 0 ? ret : k;
}

int correlate_engine_feed(struct correlate_engine *e, struct ev_record *rec) {
	if (!e->compiled)
		return -EINVAL;
	if (__builtin_expect(rec->flags & EV_REC_QUIET, 0))
		return feed_quiet(e, rec);
	feed_begin(e, rec);
	int ret = 0;
	enum tg_class cls = timeguard_begin(e, rec->time_us, &ret);
	bool late = rec->time_us < e->watermark; /* INT64_MIN until a record or the clock */
	e->holding = cls == TG_SUSPECT;
	e->flag_future = cls == TG_FUTURE;
	/* merge the always-run rules with the triggered ones, in rule order */
	bool plain = !(rec->flags & EV_REC_CATEGORIES);
	const unsigned *always = plain ? e->always_plain : e->always;
	size_t n_always = plain ? e->n_always_plain : e->n_always;
	size_t ai = 0, ti = 0;
	while (ai < n_always || ti < e->n_trig) {
		size_t i;
		if (ti >= e->n_trig || (ai < n_always && always[ai] < e->trig[ti]))
			i = always[ai++];
		else
			i = e->trig[ti++];
		const struct rule *r = &e->rules.v[i];
		if (!engine_ls_applies(e, r->logsource, rec))
			continue;
		e->cur = r;
		size_t caps_before = e->n_caps;
		if (!cond_eval(r->condition, eval_sel, e)) {
			e->n_caps = caps_before;
			continue;
		}
		int k = on_rule_match(e, i, caps_before, cls, late);
		if (k < 0)
			ret = k;
	}
	e->cur = NULL;
	e->holding = e->flag_future = false;
	timeguard_end(e, cls, rec->time_us);
	int k = window_release(e, e->watermark, false);
	sample_unref(e, e->rec_sample); /* the events hold their own references */
	e->rec_sample = NULL;
	e->rec = NULL;
	return ret < 0 ? ret : k;
}

int correlate_engine_advance(struct correlate_engine *e, int64_t now_us) {
	return correlate_engine_advance_idle(e, now_us, now_us);
}

int correlate_engine_advance_idle(struct correlate_engine *e, int64_t clock_us, int64_t idle_us) {
	int r = correlate_engine_set_clock(e, clock_us);
	int64_t w = idle_us - e->o.allowed_lateness_us;
	if (w > e->watermark)
		e->watermark = w;
	int k = window_release(e, e->watermark, false);
	return r < 0 ? r : k;
}

int correlate_engine_finish(struct correlate_engine *e) {
	int r = timeguard_flush(e);
	int k = window_release(e, INT64_MAX, true);
	return r < 0 ? r : k;
}

void correlate_engine_get_stats(const struct correlate_engine *e, struct correlate_stats *ret) {
	*ret = e->st;
#ifdef HAVE_VECTORSCAN
	ret->vectorscan = e->n_dbs > 0;
	ret->db_loaded = e->dbc.loaded;
	ret->db_compiled = e->dbc.compiled;
#endif
	ret->jit = e->jit_ok;
	ret->watermark_us = e->watermark;
	ret->max_time_us = e->have_time ? e->max_time : INT64_MIN;
	uint64_t live = 0;
	for (size_t i = 0; e->cs && i < e->rules.n; i++)
		live += e->cs[i].n_groups;
	ret->live_groups = live;
}

size_t correlate_engine_n_rules(const struct correlate_engine *e) {
	return e->rules.n;
}

bool correlate_engine_rule_stats(const struct correlate_engine *e, size_t i,
                                 struct correlate_rule_stats *ret) {
	if (i >= e->rules.n)
		return false;
	const struct rule *r = &e->rules.v[i];
	ret->id = r->id;
	ret->title = r->title;
	ret->name = r->name;
	ret->level = r->level;
	ret->tags = (const char *const *)r->tags;
	ret->n_tags = r->n_tags;
	ret->matches = e->rule_matches ? e->rule_matches[i] : 0;
	return true;
}

char *correlate_engine_rule_json(const struct correlate_engine *e, size_t i) {
	if (i >= e->rules.n)
		return NULL;
	const struct rule *r = &e->rules.v[i];
	json_t *ls = json_object();
	if (r->product)
		json_object_set_new(ls, "product", json_string(r->product));
	if (r->service)
		json_object_set_new(ls, "service", json_string(r->service));
	if (r->category)
		json_object_set_new(ls, "category", json_string(r->category));
	json_t *o = json_pack("{s:s?, s:s?, s:s?, s:s?, s:o, s:s, s:s, s:i, s:b}", "id", r->id,
	                      "name", r->name, "title", r->title, "level", r->level, "logsource",
	                      ls, "kind", rule_kind_name(r), "file", r->file, "line", (int)r->line,
	                      "live", !r->inactive);
	char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	return s;
}

struct correlate_engine *correlate_engine_free(struct correlate_engine *e) {
	if (!e)
		return NULL;
	timeguard_free(e);
	alert_scratch_free(e);
	window_free(e);
#ifdef HAVE_VECTORSCAN
	prefilter_free(e);
#endif
	rule_set_free(&e->rules);
	free(e->rule_matches);
	free(e->always);
	free(e->always_plain);
	free(e->leaves);
	free(e->cand);
	free(e->ls_rows);
	free(e->ls_memo);
	free(e->prog_rows);
	logsource_free_all(e);
	decoder_free_all(e);
	pcre2_match_data_free(e->md);
	free(e->caps);
	free(e->cap_buf);
	free(e);
	return NULL;
}
