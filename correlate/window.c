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
 * Each correlation keeps a hash table of groups (key: the group-by values) with an LRU
 * list; at max_groups the least recently used group is evicted and counted. A group keeps
 * at most ev_cap event times (what its condition can need) and SAMPLE_MAX samples. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"

#define SRC_MANY 0xffff /* more than 4096 distinct sources: "(source)" */
#define SRC_NONE 0xfffe /* out of memory: "" */

static uint16_t intern(struct correlate_engine *e, const char *p, size_t n) {
	for (size_t i = e->n_sources; i-- > 0;)
		if (strlen(e->sources[i]) == n && !memcmp(e->sources[i], p, n))
			return (uint16_t)i;
	if (e->n_sources >= 4096)
		return SRC_MANY;
	char **v = realloc(e->sources, (e->n_sources + 1) * sizeof(char *));
	if (!v)
		return SRC_NONE;
	e->sources = v;
	char *c = malloc(n + 1);
	if (!c)
		return SRC_NONE;
	if (n)
		memcpy(c, p, n);
	c[n] = 0;
	e->sources[e->n_sources++] = c;
	return (uint16_t)(e->n_sources - 1);
}

const char *sample_src(const struct correlate_engine *e, const struct sample *s) {
	if (s->src < e->n_sources)
		return e->sources[s->src];
	return s->src == SRC_MANY ? "(source)" : "";
}

static void sample_fill(struct correlate_engine *e, struct sample *s, int64_t time, const char *src,
                        size_t src_len, const char *msg, size_t msg_len) {
	if (msg_len > SAMPLE_MSG_CAP)
		msg_len = SAMPLE_MSG_CAP;
	if (src_len > 4096)
		src_len = 4096;
	s->time = time;
	s->src = intern(e, src ? src : "", src ? src_len : 0);
	s->msg_len = (uint16_t)msg_len;
	if (msg_len)
		memcpy(s->msg, msg, msg_len);
}

struct sample *sample_new(struct correlate_engine *e, int64_t time, const char *src, size_t src_len,
                          const char *msg, size_t msg_len) {
	struct sample *s =
	        malloc(offsetof(struct sample, msg) + MIN(msg_len, (size_t)SAMPLE_MSG_CAP));
	if (s)
		sample_fill(e, s, time, src, src_len, msg, msg_len);
	return s;
}

static struct sample *sample_dup(const struct sample *s) {
	if (!s)
		return NULL;
	struct sample *d = malloc(offsetof(struct sample, msg) + s->msg_len);
	if (d)
		memcpy(d, s, offsetof(struct sample, msg) + s->msg_len);
	return d;
}

/* ---- heaps ---- */

static bool cev_before(const struct cev *a, const struct cev *b) {
	if (a->time != b->time)
		return a->time < b->time;
	if (a->seq != b->seq)
		return a->seq < b->seq;
	if (a->corr != b->corr)
		return a->corr < b->corr;
	return a->ref > b->ref;
}

static int heap_push(struct correlate_engine *e, struct cev *c) {
	if (e->n_pend == e->alloc_pend) {
		size_t na = e->alloc_pend ? e->alloc_pend * 2 : 256;
		struct cev **v = realloc(e->pend, na * sizeof(*v));
		if (!v)
			return -ENOMEM;
		e->pend = v;
		e->alloc_pend = na;
	}
	size_t i = e->n_pend++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!cev_before(c, e->pend[p]))
			break;
		e->pend[i] = e->pend[p];
		i = p;
	}
	e->pend[i] = c;
	return 0;
}

static struct cev *heap_pop(struct correlate_engine *e) {
	struct cev *top = e->pend[0], *last = e->pend[--e->n_pend];
	size_t i = 0, n = e->n_pend;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct cev *mv = last;
		if (l < n && cev_before(e->pend[l], mv))
			m = l, mv = e->pend[l];
		if (r < n && cev_before(e->pend[r], mv))
			m = r;
		if (m == i)
			break;
		e->pend[i] = e->pend[m];
		i = m;
	}
	if (n)
		e->pend[i] = last;
	return top;
}

/* Pending events: those that arrive in order (the common case) go to a FIFO, the others
 * to the heap; the next event is the smaller of the two heads. */
int pend_push(struct correlate_engine *e, struct cev *c) {
	if (e->fifo_n == 0 ||
	    !cev_before(c, e->fifo[(e->fifo_head + e->fifo_n - 1) % e->fifo_cap])) {
		if (e->fifo_n == e->fifo_cap) {
			size_t nc = e->fifo_cap ? e->fifo_cap * 2 : 256;
			struct cev **v = malloc(nc * sizeof(*v));
			if (!v)
				return heap_push(e, c);
			for (size_t k = 0; k < e->fifo_n; k++)
				v[k] = e->fifo[(e->fifo_head + k) % e->fifo_cap];
			free(e->fifo);
			e->fifo = v;
			e->fifo_cap = nc;
			e->fifo_head = 0;
		}
		e->fifo[(e->fifo_head + e->fifo_n++) % e->fifo_cap] = c;
		return 0;
	}
	return heap_push(e, c);
}

static struct cev *pend_peek(const struct correlate_engine *e) {
	struct cev *f = e->fifo_n ? e->fifo[e->fifo_head] : NULL,
	           *h = e->n_pend ? e->pend[0] : NULL;
	if (!f)
		return h;
	if (!h)
		return f;
	return cev_before(h, f) ? h : f;
}

static struct cev *pend_pop(struct correlate_engine *e) {
	struct cev *f = e->fifo_n ? e->fifo[e->fifo_head] : NULL;
	if (f && (!e->n_pend || !cev_before(e->pend[0], f))) {
		e->fifo_head = (e->fifo_head + 1) % e->fifo_cap;
		e->fifo_n--;
		return f;
	}
	return heap_pop(e);
}

static bool dl_before(const struct group *a, const struct group *b) {
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	if (a->x->corr != b->x->corr)
		return a->x->corr < b->x->corr;
	if (a->key_len != b->key_len)
		return a->key_len < b->key_len;
	return memcmp(a->key, b->key, a->key_len) < 0;
}

static void dl_set(struct correlate_engine *e, size_t i, struct group *g) {
	e->dl[i] = g;
	g->x->heap_idx = (uint32_t)i;
}

static void dl_up(struct correlate_engine *e, size_t i) {
	struct group *g = e->dl[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!dl_before(g, e->dl[p]))
			break;
		dl_set(e, i, e->dl[p]);
		i = p;
	}
	dl_set(e, i, g);
}

static void dl_down(struct correlate_engine *e, size_t i) {
	struct group *g = e->dl[i];
	size_t n = e->n_dl;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct group *mv = g;
		if (l < n && dl_before(e->dl[l], mv))
			m = l, mv = e->dl[l];
		if (r < n && dl_before(e->dl[r], mv))
			m = r;
		if (m == i)
			break;
		dl_set(e, i, e->dl[m]);
		i = m;
	}
	dl_set(e, i, g);
}

static int dl_push(struct correlate_engine *e, struct group *g) {
	if (e->n_dl == e->alloc_dl) {
		size_t na = e->alloc_dl ? e->alloc_dl * 2 : 64;
		struct group **v = realloc(e->dl, na * sizeof(*v));
		if (!v)
			return -ENOMEM;
		e->dl = v;
		e->alloc_dl = na;
	}
	e->dl[e->n_dl++] = g;
	dl_up(e, e->n_dl - 1);
	return 0;
}

static void dl_remove(struct correlate_engine *e, struct group *g) {
	if (!g->x || g->x->heap_idx == UINT32_MAX)
		return;
	size_t i = g->x->heap_idx;
	g->x->heap_idx = UINT32_MAX;
	struct group *last = e->dl[--e->n_dl];
	if (i == e->n_dl)
		return;
	dl_set(e, i, last);
	dl_up(e, i);
	dl_down(e, last->x->heap_idx);
}

/* ---- groups ---- */

static uint32_t hash_key(const char *k, size_t n) {
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	return h;
}

static struct gev *gevs(struct group *g) {
	return g->cap_ev > 1 ? g->evp : &g->ev1;
}

static size_t inline_off(uint32_t key_len) {
	return (offsetof(struct group, key) + key_len + 7) & ~(size_t)7;
}

/* Where the group's allocation keeps the sample of its first event (if it was made with
 * one): that sample is released with the group, never freed on its own. */
static struct sample *group_inline(struct group *g) {
	return (struct sample *)((char *)g + inline_off(g->key_len));
}

static void sample_release(struct group *g, struct sample *s) {
	if (s != group_inline(g))
		free(s);
}

static void group_clear(struct group *g) {
	struct gev *ev = gevs(g);
	for (uint32_t i = 0; i < g->n_ev; i++)
		sample_release(g, ev[i].s);
	g->n_ev = 0;
	if (g->x) {
		for (uint32_t i = 0; i < g->x->n_vals; i++)
			free(g->x->vals[i].v);
		g->x->n_vals = 0;
		g->x->count = 0;
	}
}

static void group_unlink_free(struct correlate_engine *e, struct corr_state *cs, struct group *g) {
	struct group **pp = &cs->buckets[hash_key(g->key, g->key_len) & (cs->n_buckets - 1)];
	while (*pp && *pp != g)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = g->hnext;
	if (g->lprev)
		g->lprev->lnext = g->lnext;
	else
		cs->lru_head = g->lnext;
	if (g->lnext)
		g->lnext->lprev = g->lprev;
	else
		cs->lru_tail = g->lprev;
	dl_remove(e, g);
	group_clear(g);
	if (g->cap_ev > 1)
		free(g->evp);
	if (g->x) {
		free(g->x->vals);
		free(g->x->t);
		free(g->x);
	}
	free(g);
	cs->n_groups--;
}

static void lru_front(struct corr_state *cs, struct group *g) {
	if (cs->lru_head == g)
		return;
	if (g->lprev)
		g->lprev->lnext = g->lnext;
	if (g->lnext)
		g->lnext->lprev = g->lprev;
	else if (cs->lru_tail == g)
		cs->lru_tail = g->lprev;
	g->lprev = NULL;
	g->lnext = cs->lru_head;
	if (cs->lru_head)
		cs->lru_head->lprev = g;
	cs->lru_head = g;
	if (!cs->lru_tail)
		cs->lru_tail = g;
}

static int grow_buckets(struct corr_state *cs) {
	size_t nb = cs->n_buckets ? cs->n_buckets * 2 : 64;
	struct group **b = calloc(nb, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < cs->n_buckets; i++)
		for (struct group *g = cs->buckets[i], *n; g; g = n) {
			n = g->hnext;
			uint32_t h = hash_key(g->key, g->key_len);
			g->hnext = b[h & (nb - 1)];
			b[h & (nb - 1)] = g;
		}
	free(cs->buckets);
	cs->buckets = b;
	cs->n_buckets = nb;
	return 0;
}

/* Find or make the group. A new group takes a copy of *sp (if any) into its own
 * allocation and points *sp at the copy. */
static struct group *group_get(struct correlate_engine *e, unsigned corr, const char *key,
                               uint32_t key_len, struct sample **sp) {
	struct corr_state *cs = &e->cs[corr];
	uint32_t h = hash_key(key, key_len);
	if (cs->n_buckets)
		for (struct group *g = cs->buckets[h & (cs->n_buckets - 1)]; g; g = g->hnext)
			if (g->key_len == key_len && !memcmp(g->key, key, key_len)) {
				lru_front(cs, g);
				return g;
			}
	if (cs->n_groups >= e->o.max_groups && cs->lru_tail) {
		group_unlink_free(e, cs, cs->lru_tail);
		e->st.evicted++;
	}
	if (cs->n_groups >= 2 * cs->n_buckets && grow_buckets(cs) < 0)
		return NULL;
	const struct sample *s0 = *sp;
	size_t sz = s0 ? inline_off(key_len) + offsetof(struct sample, msg) + s0->msg_len
	               : offsetof(struct group, key) + key_len;
	struct group *g = calloc(1, MAX(sz, sizeof(*g)));
	if (!g)
		return NULL;
	const struct rule *r = &e->rules.v[corr];
	if (r->corr.type != CORR_EVENT_COUNT || cs->deadline_mode) {
		g->x = calloc(1, sizeof(*g->x));
		if (!g->x) {
			free(g);
			return NULL;
		}
		g->x->heap_idx = UINT32_MAX;
	}
	if (r->corr.type == CORR_TEMPORAL || r->corr.type == CORR_TEMPORAL_ORDERED ||
	    r->corr.type == CORR_ABSENCE) {
		g->x->t = malloc(r->corr.n_refs * sizeof(int64_t));
		if (!g->x->t) {
			free(g->x);
			free(g);
			return NULL;
		}
		for (size_t i = 0; i < r->corr.n_refs; i++)
			g->x->t[i] = INT64_MIN;
	}
	if (g->x)
		g->x->corr = corr;
	if (cs->deadline_mode || r->corr.type == CORR_ABSENCE)
		g->deadline = INT64_MAX;
	else
		g->suppress_until = INT64_MIN;
	g->key_len = key_len;
	memcpy(g->key, key, key_len);
	if (s0) {
		struct sample *in = group_inline(g);
		memcpy(in, s0, offsetof(struct sample, msg) + s0->msg_len);
		*sp = in;
	}
	g->hnext = cs->buckets[h & (cs->n_buckets - 1)];
	cs->buckets[h & (cs->n_buckets - 1)] = g;
	cs->n_groups++;
	lru_front(cs, g);
	return g;
}

/* ---- group state ---- */

static void ev_expire(struct group *g, int64_t from) {
	struct gev *ev = gevs(g);
	uint32_t k = 0;
	while (k < g->n_ev && ev[k].time < from)
		sample_release(g, ev[k++].s);
	if (k) {
		memmove(ev, ev + k, (g->n_ev - k) * sizeof(*ev));
		g->n_ev -= k;
	}
}

/* Append (time, sample); keep at most `cap` times and the last SAMPLE_MAX samples (or,
 * with keep_first, the first SAMPLE_MAX). Takes the sample. */
static int ev_add(struct group *g, int64_t time, struct sample *s, uint32_t cap, bool keep_first) {
	struct gev *ev = gevs(g);
	if (g->n_ev >= cap) {
		if (keep_first) {
			sample_release(g, s);
			return 0;
		}
		sample_release(g, ev[0].s);
		memmove(ev, ev + 1, (g->n_ev - 1) * sizeof(*ev));
		g->n_ev--;
	}
	if (g->n_ev == g->cap_ev) {
		uint32_t nc = g->cap_ev ? MIN((uint32_t)g->cap_ev * 2, cap) : 1;
		if (nc <= g->n_ev)
			nc = g->n_ev + 1;
		if (nc > 1) {
			struct gev *v;
			if (g->cap_ev > 1)
				v = realloc(g->evp, nc * sizeof(*v));
			else {
				v = malloc(nc * sizeof(*v));
				if (v && g->n_ev)
					memcpy(v, &g->ev1, g->n_ev * sizeof(*v));
			}
			if (!v) {
				sample_release(g, s);
				return -ENOMEM;
			}
			g->evp = v;
		}
		g->cap_ev = (uint16_t)nc;
		ev = gevs(g);
	}
	ev[g->n_ev].time = time;
	if (keep_first && g->n_ev >= SAMPLE_MAX) {
		sample_release(g, s);
		s = NULL;
	}
	ev[g->n_ev].s = s;
	g->n_ev++;
	if (!keep_first && g->n_ev > SAMPLE_MAX) {
		sample_release(g, ev[g->n_ev - SAMPLE_MAX - 1].s);
		ev[g->n_ev - SAMPLE_MAX - 1].s = NULL;
	}
	return 0;
}

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
	struct sample *smp[SAMPLE_MAX];
	size_t ns = 0;
	struct gev *ev = gevs(g);
	for (uint32_t i = 0; i < g->n_ev && ns < SAMPLE_MAX; i++)
		if (ev[i].s)
			smp[ns++] = ev[i].s;
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
	if (r->n_users)
		return window_on_match(e, corr, time, NULL, k->group_by, vals, ng,
		                       ns ? smp[0] : NULL);
	return 0;
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

/* A sample for a group to keep: the group's own inline copy as it is, the cev's (which
 * the cev frees) copied. NULL when there is none or no memory. */
static struct sample *sample_keep(const struct cev *c, struct sample *s) {
	return s && s == c->sample ? sample_dup(s) : s;
}

/* Append a copy of the cev's value to the group's values (room is made by the caller). */
static int gval_add(struct group *g, const struct cev *c, int64_t t) {
	if (g->x->n_vals == g->x->cap_vals) {
		uint32_t nc = g->x->cap_vals ? g->x->cap_vals * 2 : 4;
		struct gval *v = realloc(g->x->vals, nc * sizeof(*v));
		if (!v)
			return -ENOMEM;
		g->x->vals = v;
		g->x->cap_vals = nc;
	}
	char *v = malloc(c->value_len + 1);
	if (!v)
		return -ENOMEM;
	memcpy(v, c->value, c->value_len + 1);
	g->x->vals[g->x->n_vals++] = (struct gval){t, c->value_len, v};
	return 0;
}

static struct gval *gval_find(struct group *g, const struct cev *c) {
	for (uint32_t i = 0; i < g->x->n_vals; i++)
		if (g->x->vals[i].len == c->value_len &&
		    !memcmp(g->x->vals[i].v, c->value, c->value_len))
			return &g->x->vals[i];
	return NULL;
}

/* Absence: `present` opens a deadline, `absent` in time frees the group. */
static int process_absence(struct correlate_engine *e, struct cev *c, struct group *g,
                           struct sample *s) {
	const struct correlation *k = &e->rules.v[c->corr].corr;
	struct corr_state *cs = &e->cs[c->corr];
	if (c->ref == k->present_ref && g->deadline == INT64_MAX) {
		g->deadline = c->time + k->timespan_us;
		int r = dl_push(e, g);
		if (r < 0)
			return r;
		return ev_add(g, c->time, sample_keep(c, s), SAMPLE_MAX, true);
	}
	/* a `finished` in time, or one with nothing started: the group is done; a second
	 * `started` while one waits changes nothing */
	if (c->ref == k->absent_ref || g->deadline == INT64_MAX)
		group_unlink_free(e, cs, g);
	return 0;
}

/* lt/lte windows: count (and collect values) until the deadline decides. */
static int process_deadline(struct correlate_engine *e, struct cev *c, struct group *g,
                           struct sample *s) {
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
	if (k->type == CORR_VALUE_COUNT && c->value && !gval_find(g, c)) {
		if (g->x->n_vals < cs->val_cap) {
			int r = gval_add(g, c, c->time);
			if (r < 0)
				return r;
		} else if (!cs->val_cap_exact)
			e->st.values_dropped++;
	}
	return ev_add(g, c->time, sample_keep(c, s), SAMPLE_MAX, true);
}

/* value_count: forget values that left the window, note this one; the distinct count. */
static int value_count_update(struct correlate_engine *e, struct cev *c, struct group *g,
                              int64_t from, uint64_t *ret_distinct) {
	const struct corr_state *cs = &e->cs[c->corr];
	uint32_t w = 0;
	for (uint32_t i = 0; i < g->x->n_vals; i++) {
		if (g->x->vals[i].last < from)
			free(g->x->vals[i].v);
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
			free(g->x->vals[o].v);
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

static bool temporal_ordered_update(const struct correlation *k, const struct cev *c,
                                    struct group *g, int64_t from) {
	unsigned i = c->ref;
	int64_t *t = g->x->t;
	if (i == 0)
		t[0] = c->time;
	else if (t[i - 1] != INT64_MIN && t[i - 1] >= from && t[i - 1] > t[i])
		t[i] = t[i - 1];
	return t[k->n_refs - 1] != INT64_MIN && t[k->n_refs - 1] >= from;
}

/* event_count (gt, gte, eq, neq), value_count, temporal, temporal_ordered: alert when the
 * condition holds at this event, then clear the group and suppress it for a timespan. */
static int process_window(struct correlate_engine *e, struct cev *c, struct group *g,
                          struct sample *s) {
	const struct rule *r = &e->rules.v[c->corr];
	const struct correlation *k = &r->corr;
	struct corr_state *cs = &e->cs[c->corr];
	int64_t t = c->time, from = t - k->timespan_us;
	if (t <= g->suppress_until) {
		e->st.suppressed++;
		return 0;
	}
	ev_expire(g, from);
	int rr = ev_add(g, t, sample_keep(c, s), cs->ev_cap, false);
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
	group_clear(g);
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
	/* the cev's sample is borrowed: a new group copies it into its own allocation,
	 * otherwise sample_keep() copies it where the group keeps it */
	struct sample *s = c->sample;
	struct group *g = group_get(e, c->corr, c->key, c->key_len, &s);
	if (!g)
		return -ENOMEM;
	if (k->type == CORR_ABSENCE)
		return process_absence(e, c, g, s);
	if (cs->deadline_mode)
		return process_deadline(e, c, g, s);
	return process_window(e, c, g, s);
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

static void cev_free(struct cev *c) {
	if (!c)
		return;
	/* key, value and sample live in the same allocation as the cev */
	free(c);
}

int window_release(struct correlate_engine *e, int64_t upto, bool all) {
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
			cev_free(c);
		} else if (ge)
			r = fire_deadline(e, g);
		else
			break;
		if (r < 0)
			ret = r;
	}
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

int window_on_match(struct correlate_engine *e, unsigned rule, int64_t time,
                    const struct ev_record *rec, char *const *gnames, const struct ev_str *gvals,
                    size_t n_g, struct sample *s) {
	const struct rule *src = &e->rules.v[rule];
	for (size_t u = 0; u < src->n_users; u++) {
		unsigned ci = src->users[u];
		const struct correlation *k = &e->rules.v[ci].corr;
		for (size_t j = 0; j < k->n_refs; j++) {
			if (k->ref_rule[j] != (int)rule)
				continue;
			/* the key is built in the engine's scratch buffer and copied into the cev
			 */
			uint32_t klen = 0;
			bool missing = false;
			for (size_t g = 0; g < k->n_group_by && !missing; g++) {
				const char *fname = k->group_by[g];
				for (size_t a = 0; a < k->n_aliases; a++)
					if (!strcmp(k->aliases[a].name, fname) &&
					    k->aliases[a].fields && k->aliases[a].fields[j])
						fname = k->aliases[a].fields[j];
				const struct ev_str *v = lookup(e, rec, gnames, gvals, n_g, fname);
				if (!v)
					missing = true;
				else if (key_append(&e->kbuf, &klen, &e->kbuf_alloc, v->p, v->len) <
				         0)
					return -ENOMEM;
			}
			const struct ev_str *val = NULL;
			if (!missing && k->type == CORR_VALUE_COUNT) {
				val = lookup(e, rec, gnames, gvals, n_g, k->field);
				missing = !val;
			}
			if (missing)
				continue;
			size_t vlen = val ? val->len : 0;
			size_t soff = (sizeof(struct cev) + klen + vlen + 2 + 7) & ~(size_t)7;
			size_t mlen = rec ? MIN(rec->message.len, (size_t)SAMPLE_MSG_CAP)
			              : s ? s->msg_len
			                  : 0;
			bool has_s = rec || s;
			struct cev *c =
			        malloc(has_s ? soff + offsetof(struct sample, msg) + mlen : soff);
			if (!c)
				return -ENOMEM;
			c->time = time;
			c->seq = e->seq;
			c->corr = ci;
			c->ref = (unsigned)j;
			c->key = (char *)(c + 1);
			if (klen)
				memcpy(c->key, e->kbuf, klen);
			c->key[klen] = 0;
			c->key_len = klen;
			c->value = NULL;
			c->value_len = 0;
			if (val) {
				c->value = c->key + klen + 1;
				if (vlen)
					memcpy(c->value, val->p, vlen);
				c->value[vlen] = 0;
				c->value_len = (uint32_t)vlen;
			}
			c->sample = has_s ? (struct sample *)((char *)c + soff) : NULL;
			if (rec)
				sample_fill(e, c->sample, rec->time_us, rec->source.p,
				            rec->source.len, rec->message.p, rec->message.len);
			else if (s)
				memcpy(c->sample, s, offsetof(struct sample, msg) + s->msg_len);
			int r;
			if (rec)
				r = e->holding ? timeguard_hold_cev(e, c) : pend_push(e, c);
			else {
				/* a correlation's alert: we are draining the timeline in order
				 * already */
				r = process(e, c);
				cev_free(c);
			}
			if (r < 0) {
				if (rec)
					cev_free(c);
				return r;
			}
		}
	}
	return 0;
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
			cs->ev_cap = 1024;
	}
	return 0;
}

void window_free(struct correlate_engine *e) {
	while (e->n_pend || e->fifo_n)
		cev_free(pend_pop(e));
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
}
