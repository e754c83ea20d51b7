/* Correlation windows, the waiting side: free lists for events, groups and samples (no
 * malloc and free per event once the windows are warm), the events
 * waiting for the watermark (in-order arrivals in a FIFO ring, the others in a heap
 * ordered by (time, arrival, correlation, reference position descending)) and the
 * deadline heap of lt/lte windows and absence rules (by deadline, correlation, key). */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"

/* ---- free lists ---- */

/* Class c holds blocks of c * SLAB_GRAIN - 8 bytes: what glibc's malloc gives a request
 * of n bytes (a chunk of n + 8 rounded up to 16), so a free list costs no memory over
 * plain malloc. A block's class is found again from malloc_usable_size(). */
#define SLAB_SIZE(c) ((c)*SLAB_GRAIN - 8)

static unsigned slab_class(size_t n) {
	size_t c = (n + 8 + SLAB_GRAIN - 1) / SLAB_GRAIN;
	return c < SLAB_CLASSES ? (unsigned)c : 0;
}

void *slab_get(struct correlate_engine *e, size_t n) {
	unsigned c = slab_class(n);
	if (c == 0)
		return malloc(n);
	void *p = e->slab[c];
	if (!p)
		return malloc(SLAB_SIZE(c));
	memcpy(&e->slab[c], p, sizeof(void *)); /* the next free block */
	e->slab_bytes -= SLAB_SIZE(c);
	return p;
}

void slab_put(struct correlate_engine *e, void *p) {
	if (!p)
		return;
	size_t n = malloc_usable_size(p);
	unsigned c = slab_class(n);
	if (c == 0 || SLAB_SIZE(c) > n || e->slab_bytes + SLAB_SIZE(c) > SLAB_KEEP) {
		free(p);
		return;
	}
	memcpy(p, &e->slab[c], sizeof(void *));
	e->slab[c] = p;
	e->slab_bytes += SLAB_SIZE(c);
}

void slab_drain(struct correlate_engine *e) {
	for (size_t c = 0; c < SLAB_CLASSES; c++)
		while (e->slab[c]) {
			void *p = e->slab[c];
			memcpy(&e->slab[c], p, sizeof(void *));
			free(p);
		}
	e->slab_bytes = 0;
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
	e->win_adds++;
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

struct cev *pend_peek(const struct correlate_engine *e) {
	struct cev *f = e->fifo_n ? e->fifo[e->fifo_head] : NULL,
	           *h = e->n_pend ? e->pend[0] : NULL;
	if (!f)
		return h;
	if (!h)
		return f;
	return cev_before(h, f) ? h : f;
}

struct cev *pend_pop(struct correlate_engine *e) {
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

int dl_push(struct correlate_engine *e, struct group *g) {
	e->win_adds++;
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

void dl_remove(struct correlate_engine *e, struct group *g) {
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
