/* Correlation windows, in event time.
 *
 * Matches that feed correlations become `cev`s and wait in a reorder heap ordered by
 * (time, arrival, correlation, reference position descending) until the watermark
 * (largest event time seen minus the allowed lateness) reaches them; deadlines (lt/lte
 * windows, absence) wait in a second heap. Both are drained as one timeline: an event at
 * time t is handled before a deadline at t (windows are inclusive), a deadline d fires
 * once the watermark is past d. So any input that is out of order by no more than the
 * lateness is handled exactly like sorted input, and alerts are deterministic.
 *
 * Each correlation keeps a hash table of groups (group.c); the waiting events and the
 * deadlines are in pending.c. This file applies each event to its group by the
 * correlation's mode and fires alerts. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"

static bool conds_ok(const struct correlation *k, uint64_t x) {
	for (size_t i = 0; i < k->n_conds; i++) {
		uint64_t v = (uint64_t)k->conds[i].v;
		bool ok = false;
		switch (k->conds[i].op) {
		case OP_GT:
			ok = x > v;
			break;
		case OP_GTE:
			ok = x >= v;
			break;
		case OP_LT:
			ok = x < v;
			break;
		case OP_LTE:
			ok = x <= v;
			break;
		case OP_EQ:
			ok = x == v;
			break;
		case OP_NEQ:
			ok = x != v;
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

static void decode_key(const struct group *g, struct ev_str *vals, size_t n) {
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t l = 0;
		if (off + 4 <= g->key_len) {
			memcpy(&l, g->key + off, 4);
			off += 4;
		}
		vals[i].p = g->key + off;
		vals[i].len = l;
		off += l;
	}
}

static int fire(struct correlate_engine *e, unsigned corr, struct group *g, const char *kind,
                int64_t time, uint64_t count, uint64_t distinct, bool has_distinct) {
	const struct rule *r = &e->rules.v[corr];
	const struct correlation *k = &r->corr;
	struct ev_str vals[64];
	size_t ng = MIN(k->n_group_by, ELEMENTSOF(vals));
	decode_key(g, vals, ng);
	struct sample *kept[SAMPLE_MAX], *smp[SAMPLE_MAX];
	size_t ns = 0;
	struct gev *ev = gevs(g);
	for (uint32_t i = 0; i < g->n_ev && ns < SAMPLE_MAX; i++)
		if (ev[i].s)
			kept[ns++] = ev[i].s;
	if (sample_views(e, kept, ns, smp) < 0)
		return -ENOMEM;
	struct alert_data a = {.rule = r,
	                       .kind = kind,
	                       .time = time,
	                       .count = count,
	                       .distinct = distinct,
	                       .has_distinct = has_distinct,
	                       .gnames = k->group_by,
	                       .gvals = vals,
	                       .n_g = ng,
	                       .samples = smp,
	                       .n_samples = ns};
	a.first = g->n_ev ? ev[0].time : time;
	a.last = g->n_ev ? ev[g->n_ev - 1].time : time;
	e->rule_matches[corr]++;
	if (!r->quiet || !r->n_users)
		alert_emit(e, &a);
	if (!r->n_users)
		return 0;
	/* the views are the next alert's: the events take the first sample itself */
	return window_on_match(e, corr, time, NULL, k->group_by, vals, ng, ns ? kept[0] : NULL);
}

static bool ref_seen(void *p, unsigned ref) {
	const int64_t *t = p;
	return t[ref + 1] != INT64_MIN && t[ref + 1] >= t[0];
}

/* A group whose window holds nothing any future event could use behaves exactly like a
 * new one: no deadline pending, not suppressed at `now`, every kept time older than
 * now - timespan. Freeing such groups keeps the tables to the groups that matter. */
static bool group_idle(const struct correlation *k, const struct corr_state *cs, struct group *g,
                       int64_t now) {
	int64_t from = now - k->timespan_us;
	if (cs->deadline_mode || k->type == CORR_ABSENCE)
		return false; /* they leave through their deadline */
	if (g->suppress_until >= now)
		return false;
	if (g->n_ev && gevs(g)[g->n_ev - 1].time >= from)
		return false;
	if (g->x) {
		for (uint32_t i = 0; i < g->x->n_vals; i++)
			if (g->x->vals[i].last >= from)
				return false;
		for (size_t i = 0; g->x->t && i < k->n_refs; i++)
			if (g->x->t[i] != INT64_MIN && g->x->t[i] >= from)
				return false;
	}
	return true;
}

/* Append a copy of the cev's value to the group's values (the caller keeps to the cap). */
static int gval_add(struct group *g, const struct cev *c, int64_t t) {
	if (g->x->n_vals == g->x->cap_vals) {
		uint32_t nc = g->x->cap_vals ? g->x->cap_vals * 2 : 1;
		bool inl = g->x->vals == gext_tail(g->x); /* the first value, in the group */
		struct gval *v = realloc(inl ? NULL : g->x->vals, nc * sizeof(*v));
		if (!v)
			return -ENOMEM;
		if (inl)
			memcpy(v, g->x->vals, g->x->n_vals * sizeof(*v));
		g->x->vals = v;
		g->x->cap_vals = nc;
	}
	struct gval gv = {.last = t, .len = c->value_len};
	if (c->value_len > GVAL_INLINE) {
		gv.v = malloc(c->value_len + 1);
		if (!gv.v)
			return -ENOMEM;
		memcpy(gv.v, cev_value(c), c->value_len + 1);
	} else if (c->value_len)
		memcpy(gv.inl, cev_value(c), c->value_len);
	g->x->vals[g->x->n_vals++] = gv;
	return 0;
}

static struct gval *gval_find(struct group *g, const struct cev *c) {
	for (uint32_t i = 0; i < g->x->n_vals; i++)
		if (g->x->vals[i].len == c->value_len &&
		    !memcmp(gval_str(&g->x->vals[i]), cev_value(c), c->value_len))
			return &g->x->vals[i];
	return NULL;
}

/* Absence: `present` opens a deadline, `absent` in time frees the group. */
static int process_absence(struct correlate_engine *e, struct cev *c, struct group *g) {
	const struct correlation *k = &e->rules.v[c->corr].corr;
	struct corr_state *cs = &e->cs[c->corr];
	if (c->ref == k->present_ref && g->deadline == INT64_MAX) {
		g->deadline = c->time + k->timespan_us;
		int r = dl_push(e, g);
		if (r < 0)
			return r;
		return ev_add(e, g, c->time, sample_ref(e, c->sample), SAMPLE_MAX, true);
	}
	/* a `finished` in time, or one with nothing started: the group is done; a second
	 * `started` while one waits changes nothing */
	if (c->ref == k->absent_ref || g->deadline == INT64_MAX)
		group_unlink_free(e, cs, g);
	return 0;
}

/* lt/lte windows: count (and collect values) until the deadline decides. */
static int process_deadline(struct correlate_engine *e, struct cev *c, struct group *g) {
	const struct correlation *k = &e->rules.v[c->corr].corr;
	const struct corr_state *cs = &e->cs[c->corr];
	if (g->deadline == INT64_MAX) {
		g->deadline = c->time + k->timespan_us;
		int r = dl_push(e, g);
		if (r < 0)
			return r;
	}
	if (g->x->count < UINT32_MAX)
		g->x->count++;
	if (k->type == CORR_VALUE_COUNT && cev_value(c) && !gval_find(g, c)) {
		if (g->x->n_vals < cs->val_cap) {
			int r = gval_add(g, c, c->time);
			if (r < 0)
				return r;
		} else if (!cs->val_cap_exact)
			e->st.values_dropped++;
	}
	return ev_add(e, g, c->time, sample_ref(e, c->sample), SAMPLE_MAX, true);
}

/* value_count: forget values that left the window, note this one; the distinct count. */
static int value_count_update(struct correlate_engine *e, struct cev *c, struct group *g,
                              int64_t from, uint64_t *ret_distinct) {
	const struct corr_state *cs = &e->cs[c->corr];
	uint32_t w = 0;
	for (uint32_t i = 0; i < g->x->n_vals; i++) {
		if (g->x->vals[i].last < from)
			gval_drop(&g->x->vals[i]);
		else
			g->x->vals[w++] = g->x->vals[i];
	}
	g->x->n_vals = w;
	struct gval *found = gval_find(g, c);
	if (found)
		found->last = c->time;
	else {
		if (g->x->n_vals >= cs->val_cap) {
			/* drop the value seen longest ago */
			uint32_t o = 0;
			for (uint32_t i = 1; i < g->x->n_vals; i++)
				if (g->x->vals[i].last < g->x->vals[o].last)
					o = i;
			gval_drop(&g->x->vals[o]);
			g->x->vals[o] = g->x->vals[--g->x->n_vals];
			e->st.values_dropped++;
		}
		int r = gval_add(g, c, c->time);
		if (r < 0)
			return r;
	}
	*ret_distinct = g->x->n_vals;
	return 0;
}

static bool temporal_update(const struct correlation *k, const struct cev *c, struct group *g,
                            int64_t from) {
	g->x->t[c->ref] = c->time;
	int64_t tv[65];
	tv[0] = from;
	for (size_t i = 0; i < k->n_refs; i++)
		tv[i + 1] = g->x->t[i];
	if (k->tcond)
		return cond_eval(k->tcond, ref_seen, tv);
	for (size_t i = 0; i < k->n_refs; i++)
		if (!ref_seen(tv, (unsigned)i))
			return false;
	return true;
}

/* temporal_ordered: an event of a later step counts only when the step before it was
 * seen in the window (events are processed in time order, so an earlier step can no
 * longer arrive for it); others are not kept, not listed in an alert and not counted in
 * its count (correlate_stats.unchained). */
static bool ordered_chained(const struct group *g, const struct cev *c, int64_t from) {
	return c->ref == 0 || (g->x->t[c->ref - 1] != INT64_MIN && g->x->t[c->ref - 1] >= from);
}

static bool temporal_ordered_update(const struct correlation *k, const struct cev *c,
                                    struct group *g, int64_t from) {
	unsigned i = c->ref;
	int64_t *t = g->x->t;
	if (i == 0)
		t[0] = c->time;
	else if (t[i - 1] > t[i]) /* step i - 1 is in the window: ordered_chained() */
		t[i] = t[i - 1];
	return t[k->n_refs - 1] != INT64_MIN && t[k->n_refs - 1] >= from;
}

/* event_count (gt, gte, eq, neq), value_count, temporal, temporal_ordered: alert when the
 * condition holds at this event, then clear the group and suppress it for a timespan. */
static int process_window(struct correlate_engine *e, struct cev *c, struct group *g) {
	const struct rule *r = &e->rules.v[c->corr];
	const struct correlation *k = &r->corr;
	struct corr_state *cs = &e->cs[c->corr];
	int64_t t = c->time, from = t - k->timespan_us;
	if (t <= g->suppress_until) {
		e->st.suppressed++;
		return 0;
	}
	ev_expire(e, g, from);
	if (k->type == CORR_TEMPORAL_ORDERED && !ordered_chained(g, c, from)) {
		e->st.unchained++;
		return 0;
	}
	if (g->n_ev >= cs->ev_cap && k->type != CORR_EVENT_COUNT)
		e->st.times_dropped++; /* event_count keeps enough to decide; the others lose */
	int rr = ev_add(e, g, t, sample_ref(e, c->sample), cs->ev_cap, false);
	if (rr < 0)
		return rr;
	bool ok = false;
	uint64_t distinct = 0;
	switch (k->type) {
	case CORR_EVENT_COUNT:
		ok = conds_ok(k, g->n_ev);
		break;
	case CORR_VALUE_COUNT:
		rr = value_count_update(e, c, g, from, &distinct);
		if (rr < 0)
			return rr;
		ok = conds_ok(k, distinct);
		break;
	case CORR_TEMPORAL:
		ok = temporal_update(k, c, g, from);
		break;
	case CORR_TEMPORAL_ORDERED:
		ok = temporal_ordered_update(k, c, g, from);
		break;
	default:
		break;
	}
	if (!ok)
		return 0;
	int fr = fire(e, c->corr, g, rule_kind_name(r), t, g->n_ev, distinct,
	              k->type == CORR_VALUE_COUNT);
	group_clear(e, g);
	if (g->x && g->x->t)
		for (size_t i = 0; i < k->n_refs; i++)
			g->x->t[i] = INT64_MIN;
	g->suppress_until = t + k->timespan_us;
	return fr;
}

static int process(struct correlate_engine *e, struct cev *c) {
	const struct correlation *k = &e->rules.v[c->corr].corr;
	struct corr_state *cs = &e->cs[c->corr];
	/* reap up to two idle groups from the cold end (events arrive in time order, so the
	 * least recently used groups are the oldest) */
	for (int n = 0; n < 2 && cs->lru_tail && group_idle(k, cs, cs->lru_tail, c->time); n++)
		group_unlink_free(e, cs, cs->lru_tail);
	struct group *g;
	if (k->type == CORR_TEMPORAL_ORDERED && c->ref > 0) {
		/* a later step needs the step before it in the group's window: with no group
		 * there is no such step, so no group is made for it */
		g = group_find(e, c->corr, cev_key(c), c->key_len);
		if (!g) {
			e->st.unchained++;
			return 0;
		}
	} else if (!(g = group_get(e, c->corr, cev_key(c), c->key_len)))
		return -ENOMEM;
	if (k->type == CORR_ABSENCE)
		return process_absence(e, c, g);
	if (cs->deadline_mode)
		return process_deadline(e, c, g);
	return process_window(e, c, g);
}

static int fire_deadline(struct correlate_engine *e, struct group *g) {
	unsigned corr = g->x->corr;
	const struct rule *r = &e->rules.v[corr];
	const struct correlation *k = &r->corr;
	int64_t d = g->deadline;
	dl_remove(e, g);
	int rr = 0;
	if (k->type == CORR_ABSENCE)
		rr = fire(e, corr, g, "absence", d, g->n_ev, 0, false);
	else if (k->type == CORR_VALUE_COUNT && conds_ok(k, g->x->n_vals))
		rr = fire(e, corr, g, "value_count", d, g->x->count, g->x->n_vals, true);
	else if (k->type == CORR_EVENT_COUNT && conds_ok(k, g->x->count))
		rr = fire(e, corr, g, "event_count", d, g->x->count, 0, false);
	group_unlink_free(e, &e->cs[corr], g);
	return rr;
}

void cev_free(struct correlate_engine *e, struct cev *c) {
	/* key and value live in the same allocation as the cev */
	sample_unref(e, c->sample);
	slab_put(e, c);
}

int window_release(struct correlate_engine *e, int64_t upto, bool all) {
	/* nothing added since the last pass up to the same time: it would find nothing */
	if (!all && e->rel_valid && e->rel_upto == upto && e->rel_adds == e->win_adds)
		return 0;
	int ret = 0;
	for (;;) {
		struct cev *c = pend_peek(e);
		struct group *g = e->n_dl ? e->dl[0] : NULL;
		bool ce = c && (all || c->time <= upto);
		bool ge = g && (all || g->deadline < upto);
		int r;
		if (ce && (!ge || c->time <= g->deadline)) {
			c = pend_pop(e);
			r = process(e, c);
			cev_free(e, c);
		} else if (ge)
			r = fire_deadline(e, g);
		else
			break;
		if (r < 0)
			ret = r;
	}
	e->rel_valid = !all;
	e->rel_upto = upto;
	e->rel_adds = e->win_adds;
	return ret;
}

static int key_append(char **buf, uint32_t *len, size_t *alloc, const char *p, size_t n) {
	if (n > 65536)
		n = 65536;
	if (*len + 4 + n > *alloc) {
		size_t na = (*len + 4 + n) * 2;
		char *b = realloc(*buf, na);
		if (!b)
			return -ENOMEM;
		*buf = b;
		*alloc = na;
	}
	uint32_t l = (uint32_t)n;
	memcpy(*buf + *len, &l, 4);
	if (n)
		memcpy(*buf + *len + 4, p, n);
	*len += 4 + (uint32_t)n;
	return 0;
}

static const struct ev_str *lookup(struct correlate_engine *e, const struct ev_record *rec,
                                   char *const *gnames, const struct ev_str *gvals, size_t n_g,
                                   const char *name) {
	if (rec)
		return engine_field(e, rec, name);
	for (size_t i = 0; i < n_g; i++)
		if (!strcmp(gnames[i], name))
			return &gvals[i];
	return NULL;
}

/* Where a match comes from: a record, or a correlation's alert (its group as fields and
 * its first sample). `s` is the sample the events take references to (for a record, made
 * at its first event). */
struct match_src {
	const struct ev_record *rec;
	char *const *gnames;
	const struct ev_str *gvals;
	size_t n_g;
	struct sample *s;
};

/* The group key of reference j of correlation k into e->kbuf (*ret_klen bytes) and the
 * value_count value. Returns 1 when a group-by field or the value is missing (the event
 * is not counted), 0, or -ENOMEM. */
static int match_key(struct correlate_engine *e, const struct correlation *k, size_t j,
                     const struct match_src *m, uint32_t *ret_klen, const struct ev_str **ret_val) {
	uint32_t klen = 0;
	for (size_t g = 0; g < k->n_group_by; g++) {
		const char *fname = k->group_by[g];
		for (size_t a = 0; a < k->n_aliases; a++)
			if (!strcmp(k->aliases[a].name, fname) && k->aliases[a].fields &&
			    k->aliases[a].fields[j])
				fname = k->aliases[a].fields[j];
		const struct ev_str *v = lookup(e, m->rec, m->gnames, m->gvals, m->n_g, fname);
		if (!v)
			return 1;
		if (key_append(&e->kbuf, &klen, &e->kbuf_alloc, v->p, v->len) < 0)
			return -ENOMEM;
	}
	*ret_val = NULL;
	if (k->type == CORR_VALUE_COUNT) {
		*ret_val = lookup(e, m->rec, m->gnames, m->gvals, m->n_g, k->field);
		if (!*ret_val)
			return 1;
	}
	*ret_klen = klen;
	return 0;
}

/* One allocation: the cev, its key (from e->kbuf) and its value; a reference to the
 * match's sample. */
static struct cev *cev_new(struct correlate_engine *e, int64_t time, unsigned ci, size_t j,
                           uint32_t klen, const struct ev_str *val, const struct match_src *m) {
	size_t vlen = val ? val->len : 0;
	struct cev *c = slab_get(e, sizeof(struct cev) + klen + vlen + 2);
	if (!c)
		return NULL;
	c->time = time;
	c->seq = e->seq;
	c->corr = ci;
	c->ref = (unsigned)j;
	char *key = cev_key(c);
	if (klen)
		memcpy(key, e->kbuf, klen);
	key[klen] = 0;
	c->key_len = klen;
	c->value_len = CEV_NO_VALUE;
	if (val) {
		char *v = key + klen + 1;
		if (vlen)
			memcpy(v, val->p, vlen);
		v[vlen] = 0;
		c->value_len = (uint32_t)vlen;
	}
	c->sample = sample_ref(e, m->s);
	return c;
}

/* Queue (a record's match) or process (a correlation's alert) one event. */
static int cev_submit(struct correlate_engine *e, struct cev *c, bool from_rec) {
	int r;
	if (from_rec)
		r = e->holding ? timeguard_hold_cev(e, c) : pend_push(e, c);
	else {
		/* a correlation's alert: the timeline is being drained in order */
		r = process(e, c);
		cev_free(e, c);
	}
	if (r < 0 && from_rec)
		cev_free(e, c);
	return r;
}

int window_on_match(struct correlate_engine *e, unsigned rule, int64_t time,
                    const struct ev_record *rec, char *const *gnames, const struct ev_str *gvals,
                    size_t n_g, struct sample *s) {
	const struct rule *src = &e->rules.v[rule];
	struct match_src m = {rec, gnames, gvals, n_g, rec ? e->rec_sample : s};
	int r = 0;
	for (size_t u = 0; r >= 0 && u < src->n_users; u++) {
		unsigned ci = src->users[u];
		const struct correlation *k = &e->rules.v[ci].corr;
		for (size_t j = 0; r >= 0 && j < k->n_refs; j++) {
			if (k->ref_rule[j] != (int)rule)
				continue;
			uint32_t klen = 0;
			const struct ev_str *val = NULL;
			r = match_key(e, k, j, &m, &klen, &val);
			if (r != 0)
				continue;
			if (rec && !e->rec_sample) {
				e->rec_sample =
				        sample_new(e, rec->time_us, rec->source.p, rec->source.len,
				                   rec->message.p, rec->message.len);
				if (!e->rec_sample) {
					r = -ENOMEM;
					break;
				}
				m.s = e->rec_sample;
			}
			struct cev *c = cev_new(e, time, ci, j, klen, val, &m);
			r = c ? cev_submit(e, c, rec != NULL) : -ENOMEM;
		}
	}
	return r < 0 ? r : 0;
}

int window_init(struct correlate_engine *e) {
	e->cs = calloc(e->rules.n + 1, sizeof(*e->cs));
	if (!e->cs)
		return -ENOMEM;
	for (size_t i = 0; i < e->rules.n; i++) {
		const struct rule *r = &e->rules.v[i];
		if (r->kind != RULE_CORRELATION)
			continue;
		const struct correlation *k = &r->corr;
		struct corr_state *cs = &e->cs[i];
		bool upper_only = k->n_conds > 0;
		uint64_t need = 1;
		for (size_t j = 0; j < k->n_conds; j++) {
			enum corr_op op = k->conds[j].op;
			if (op != OP_LT && op != OP_LTE)
				upper_only = false;
			uint64_t v = (uint64_t)k->conds[j].v + 1;
			need = MAX(need, v);
		}
		cs->deadline_mode =
		        upper_only && (k->type == CORR_EVENT_COUNT || k->type == CORR_VALUE_COUNT);
		/* lt/lte: past the largest threshold the answer is known, so that many values
		 * are enough; otherwise the configured cap */
		cs->val_cap = (uint32_t)MIN((uint64_t)e->o.max_values, (uint64_t)UINT32_MAX);
		cs->val_cap_exact = cs->deadline_mode && need <= cs->val_cap;
		if (cs->val_cap_exact)
			cs->val_cap = (uint32_t)need;
		if (k->type == CORR_EVENT_COUNT)
			cs->ev_cap = (uint32_t)MIN(MAX(need, (uint64_t)SAMPLE_MAX),
			                           (uint64_t)UINT16_MAX);
		else
			cs->ev_cap = GROUP_TIMES_MAX;
	}
	return 0;
}

void window_free(struct correlate_engine *e) {
	while (e->n_pend || e->fifo_n)
		cev_free(e, pend_pop(e));
	free(e->fifo);
	e->fifo = NULL;
	e->fifo_cap = e->fifo_head = 0;
	for (size_t i = 0; i < e->n_sources; i++)
		free(e->sources[i]);
	free(e->sources);
	e->sources = NULL;
	e->n_sources = 0;
	free(e->pend);
	e->pend = NULL;
	if (e->cs) {
		for (size_t i = 0; i < e->rules.n; i++) {
			struct corr_state *cs = &e->cs[i];
			while (cs->lru_head)
				group_unlink_free(e, cs, cs->lru_head);
			free(cs->buckets);
		}
		free(e->cs);
		e->cs = NULL;
	}
	free(e->dl);
	e->dl = NULL;
	free(e->kbuf);
	e->kbuf = NULL;
	e->n_dl = 0;
	slab_drain(e);
	sample_templates_free(e);
}
