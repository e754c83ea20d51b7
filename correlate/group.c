/* Correlation windows, the group tables: per correlation a hash table of groups (key: the
 * group-by values) with an LRU list; at max_groups the least recently used group is
 * evicted and counted. A group keeps at most ev_cap event times and SAMPLE_MAX samples
 * (references to samples shared with the other groups and events of the same record). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"
#include "util/hash.h"

/* ---- groups ---- */

static uint32_t hash_key(const char *k, size_t n) {
	return ev_hash_fold(ev_hash_mix(EV_HASH_SEED ^ n, k, n));
}

struct gev *gevs(struct group *g) {
	return g->cap_ev > 1 ? g->evp : &g->ev1;
}

void group_clear(struct correlate_engine *e, struct group *g) {
	struct gev *ev = gevs(g);
	for (uint32_t i = 0; i < g->n_ev; i++)
		sample_unref(e, ev[i].s);
	g->n_ev = 0;
	if (g->x) {
		for (uint32_t i = 0; i < g->x->n_vals; i++)
			gval_drop(&g->x->vals[i]);
		g->x->n_vals = 0;
		g->x->count = 0;
	}
}

void group_unlink_free(struct correlate_engine *e, struct corr_state *cs, struct group *g) {
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
	group_clear(e, g);
	if (g->cap_ev > 1)
		free(g->evp);
	if (g->x && g->x->vals != gext_tail(g->x))
		free(g->x->vals); /* the group's allocation holds the gext, its t and one value */
	slab_put(e, g);
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

static struct group *lookup(struct corr_state *cs, uint32_t h, const char *key, uint32_t key_len) {
	if (cs->n_buckets)
		for (struct group *g = cs->buckets[h & (cs->n_buckets - 1)]; g; g = g->hnext)
			if (g->key_len == key_len && !memcmp(g->key, key, key_len)) {
				lru_front(cs, g);
				return g;
			}
	return NULL;
}

struct group *group_find(struct correlate_engine *e, unsigned corr, const char *key,
                         uint32_t key_len) {
	return lookup(&e->cs[corr], hash_key(key, key_len), key, key_len);
}

struct group *group_get(struct correlate_engine *e, unsigned corr, const char *key,
                        uint32_t key_len) {
	struct corr_state *cs = &e->cs[corr];
	uint32_t h = hash_key(key, key_len);
	struct group *found = lookup(cs, h, key, key_len);
	if (found)
		return found;
	if (cs->n_groups >= e->o.max_groups && cs->lru_tail) {
		group_unlink_free(e, cs, cs->lru_tail);
		e->st.evicted++;
	}
	if (cs->n_groups >= 2 * cs->n_buckets && grow_buckets(cs) < 0)
		return NULL;
	const struct rule *r = &e->rules.v[corr];
	bool times = r->corr.type == CORR_TEMPORAL || r->corr.type == CORR_TEMPORAL_ORDERED ||
	             r->corr.type == CORR_ABSENCE;
	bool has_x = r->corr.type != CORR_EVENT_COUNT || cs->deadline_mode;
	/* one allocation: the group and its key, then (aligned) the gext and its tail: the
	 * times of a temporal group, the first value of a value_count group */
	size_t sz = MAX(offsetof(struct group, key) + key_len, sizeof(struct group));
	size_t xoff = (sz + _Alignof(struct gext) - 1) & ~(_Alignof(struct gext) - 1);
	if (has_x)
		sz = xoff + sizeof(struct gext) +
		     (times                              ? r->corr.n_refs * sizeof(int64_t)
		      : r->corr.type == CORR_VALUE_COUNT ? sizeof(struct gval)
		                                         : 0);
	struct group *g = slab_get(e, sz);
	if (!g)
		return NULL;
	memset(g, 0, sz);
	if (has_x) {
		g->x = (struct gext *)((char *)g + xoff);
		g->x->heap_idx = UINT32_MAX;
		g->x->corr = corr;
		if (times) {
			g->x->t = gext_tail(g->x);
			for (size_t i = 0; i < r->corr.n_refs; i++)
				g->x->t[i] = INT64_MIN;
		} else if (r->corr.type == CORR_VALUE_COUNT) {
			g->x->vals = gext_tail(g->x);
			g->x->cap_vals = 1;
		}
	}
	if (cs->deadline_mode || r->corr.type == CORR_ABSENCE)
		g->deadline = INT64_MAX;
	else
		g->suppress_until = INT64_MIN;
	g->key_len = key_len;
	memcpy(g->key, key, key_len);
	g->hnext = cs->buckets[h & (cs->n_buckets - 1)];
	cs->buckets[h & (cs->n_buckets - 1)] = g;
	cs->n_groups++;
	lru_front(cs, g);
	return g;
}

/* ---- group state ---- */

void ev_expire(struct correlate_engine *e, struct group *g, int64_t from) {
	struct gev *ev = gevs(g);
	uint32_t k = 0;
	while (k < g->n_ev && ev[k].time < from)
		sample_unref(e, ev[k++].s);
	if (k) {
		memmove(ev, ev + k, (g->n_ev - k) * sizeof(*ev));
		g->n_ev -= k;
	}
}

int ev_add(struct correlate_engine *e, struct group *g, int64_t time, struct sample *s,
           uint32_t cap, bool keep_first) {
	struct gev *ev = gevs(g);
	if (g->n_ev >= cap) {
		if (keep_first) {
			sample_unref(e, s);
			return 0;
		}
		sample_unref(e, ev[0].s);
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
				sample_unref(e, s);
				return -ENOMEM;
			}
			g->evp = v;
		}
		g->cap_ev = (uint16_t)nc;
		ev = gevs(g);
	}
	ev[g->n_ev].time = time;
	if (keep_first && g->n_ev >= SAMPLE_MAX) {
		sample_unref(e, s);
		s = NULL;
	}
	ev[g->n_ev].s = s;
	g->n_ev++;
	if (!keep_first && g->n_ev > SAMPLE_MAX) {
		sample_unref(e, ev[g->n_ev - SAMPLE_MAX - 1].s);
		ev[g->n_ev - SAMPLE_MAX - 1].s = NULL;
	}
	return 0;
}
