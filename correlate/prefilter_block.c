/* Block scanning: one Vectorscan scan over many lines of a read buffer instead of one
 * hs_scan call per message (its fixed cost was the largest single cost per record).
 *
 * The reader announces a block of complete lines (correlate_engine_set_block()); the
 * engine scans it lazily, a chunk of about BLOCK_CHUNK bytes at a time that starts at the
 * message of the record being fed and ends at a newline, with a second database (`bdb`)
 * that holds the prefilter leaves that can be written as one plain literal and reports
 * every occurrence (no HS_FLAG_SINGLEMATCH). A hit counts for a record only when it lies wholly
 * inside the record's message span, so a literal in the header, or straddling the header and the
 * message, or two lines, is no candidate: exactly the candidates the scan of the message
 * alone gives (a literal needs no context: its start is its end less its length, so no
 * SOM flag is needed). A leaf anchored at the start or end of the message (`startswith`,
 * `endswith`, exact values on the message) also requires its hit to start at the
 * message's first byte or end at its last.
 *
 * Invariants: a record uses the block only when its message is byte for byte the bytes
 * at its line's place in the block (ev_record.offset and .length, less a trailing '\r'),
 * and only once, in line order (a record before the last one served, a copy fed again,
 * or a record from elsewhere is scanned alone as before); the block's bytes do not
 * change until the next announcement. A leaf goes into the block database as its value
 * (exact, anchors kept) or as a literal every match contains (a superset: PCRE2 still
 * decides every candidate); the leaves that have no such literal (a regex with top-level
 * alternation, ...) stay in the pattern database (prefilter.c), which is then scanned
 * per record as before, besides the block. In a build without Vectorscan every record is
 * matched by PCRE2 alone.
 *
 * Quiet lines: when every rule is gated by a literal of this database (and there is no
 * pattern database), a line of the block without any hit cannot trigger a rule however it
 * parses, so the reader need not parse it (correlate_engine_line_quiet()). The database
 * then also holds three sentinels (ids past the leaves, never candidates) for the lines
 * the feed turns into category records: "type=" and "node=" (audit), "<Event" (Sysmon). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"

#ifdef HAVE_VECTORSCAN

#define BLOCK_CHUNK    (64 * 1024)
#define BLOCK_HITS_MAX (1u << 20) /* hits kept per chunk; past it the chunk is not used */
#define BLOCK_LIT_MIN  4          /* shorter literals stay in the pattern database */
#define N_SENTINELS    3

static const char *const sentinels[N_SENTINELS] = {"type=", "node=", "<Event"};

enum { ANCHOR_START = 1, ANCHOR_END = 2 };

static int hexval(char c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The literal of a leaf pattern made from a Sigma value: [\A] then bytes written as
 * themselves ([A-Za-z0-9 _]) or \xHH and wildcards (`.*`, `.`), then [\z]. Without
 * wildcards the literal is the whole value and keeps the anchors; with them it is the
 * longest run of bytes between them (BLOCK_LIT_MIN at least), which every match contains, without
 * anchors. Returns the literal's length (its Vectorscan form, every byte as \xHH, in
 * `out`, which holds 4 * strlen(re) + 1), 0 when the pattern has any other form. */
static size_t value_literal(const char *re, char *out, unsigned *ret_anchor) {
	unsigned anchor = 0;
	size_t cur = 0, best = 0, best_at = 0, o = 0;
	bool wild = false;
	if (!strncmp(re, "\\A", 2)) {
		anchor |= ANCHOR_START;
		re += 2;
	}
	for (size_t i = 0; re[i];) {
		unsigned char c = (unsigned char)re[i];
		int b = -1;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == ' ' || c == '_') {
			b = c;
			i++;
		} else if (c == '\\' && re[i + 1] == 'x' && hexval(re[i + 2]) >= 0 &&
		           hexval(re[i + 3]) >= 0) {
			b = hexval(re[i + 2]) * 16 + hexval(re[i + 3]);
			i += 4;
		} else if (c == '\\' && re[i + 1] == 'z' && !re[i + 2]) {
			anchor |= ANCHOR_END;
			break;
		} else if (c == '.') {
			wild = true;
			cur = 0;
			i += re[i + 1] == '*' ? 2 : 1;
			continue;
		} else
			return 0;
		o += (size_t)snprintf(out + o, 5, "\\x%02x", (unsigned)b);
		if (++cur > best) {
			best = cur;
			best_at = o - 4 * cur;
		}
	}
	if (wild) {
		if (best < BLOCK_LIT_MIN)
			return 0;
		memmove(out, out + best_at, 4 * best);
		out[4 * best] = 0;
		anchor = 0;
	}
	*ret_anchor = anchor;
	return best;
}

static int block_free_parts(char **exprs, unsigned *flags, unsigned *ids, size_t n, int r) {
	for (size_t i = 0; exprs && i < n; i++)
		free(exprs[i]);
	free(exprs);
	free(flags);
	free(ids);
	return r;
}

int prefilter_block_prepare(struct correlate_engine *e, bool *rest, bool *ret_any_rest) {
	size_t cap = e->n_leaves + N_SENTINELS + 1;
	char **exprs = calloc(cap, sizeof(char *));
	unsigned *flags = calloc(cap, sizeof(unsigned)), *ids = calloc(cap, sizeof(unsigned));
	e->blit_len = calloc(cap, sizeof(uint32_t));
	e->blit_anchor = calloc(cap, sizeof(uint8_t));
	if (!exprs || !flags || !ids || !e->blit_len || !e->blit_anchor)
		return block_free_parts(exprs, flags, ids, 0, -ENOMEM);
	size_t n = 0;
	bool any_rest = false;
	for (size_t i = 0; i < e->n_leaves; i++) {
		const struct leaf *l = e->leaves[i];
		if (!e->in_db[i])
			continue;
		exprs[n] = malloc(strlen(l->regex) * 4 + 1);
		if (!exprs[n])
			return block_free_parts(exprs, flags, ids, n, -ENOMEM);
		unsigned anchor = 0;
		size_t len =
		        l->is_re || !l->std_field ? 0 : value_literal(l->regex, exprs[n], &anchor);
		if (!len) { /* a regex, a decoded field: the required literal, unanchored */
			free(exprs[n]);
			exprs[n] = prefilter_required_literal(l->regex, l->pcre_opts);
			len = exprs[n] ? strlen(exprs[n]) / 4 : 0;
			anchor = 0;
		}
		if (!exprs[n] && !l->std_field) {
			e->in_db[i] = false; /* a decoded field needs a literal (as compile_db) */
			continue;
		}
		/* a short literal is found everywhere: the pattern database reports it once */
		if (!exprs[n] || len < BLOCK_LIT_MIN ||
		    l->pcre_opts & ~(uint32_t)(PCRE2_CASELESS | PCRE2_MULTILINE | PCRE2_DOTALL)) {
			free(exprs[n]);
			exprs[n] = NULL;
			rest[i] = any_rest = true; /* to the pattern database */
			continue;
		}
		/* a decoded field's anchors are the field's, not the message's */
		e->blit_anchor[i] = (uint8_t)(l->std_field ? anchor : 0);
		e->blit_len[i] = (uint32_t)len;
		flags[n] = l->pcre_opts & PCRE2_CASELESS ? HS_FLAG_CASELESS : 0;
		ids[n] = (unsigned)i;
		n++;
	}
	e->bp_exprs = exprs;
	e->bp_flags = flags;
	e->bp_ids = ids;
	e->bp_n = n;
	*ret_any_rest = any_rest;
	return 0;
}

int prefilter_block_compile(struct correlate_engine *e, bool sentinel) {
	char **exprs = e->bp_exprs;
	unsigned *flags = e->bp_flags, *ids = e->bp_ids;
	size_t n = e->bp_n;
	e->bp_exprs = NULL;
	e->bp_flags = e->bp_ids = NULL;
	e->bp_n = 0;
	for (size_t k = 0; sentinel && n && k < N_SENTINELS; k++) {
		size_t len = strlen(sentinels[k]);
		exprs[n] = malloc(4 * len + 1);
		if (!exprs[n])
			return block_free_parts(exprs, flags, ids, n, -ENOMEM);
		for (size_t j = 0; j < len; j++)
			snprintf(exprs[n] + 4 * j, 5, "\\x%02x", (unsigned char)sentinels[k][j]);
		e->blit_len[e->n_leaves + k] = (uint32_t)len;
		flags[n] = 0;
		ids[n] = (unsigned)(e->n_leaves + k);
		n++;
	}
	hs_compile_error_t *ce = NULL;
	if (n && dbcache_compile(&e->dbc, (const char *const *)exprs, flags, ids, (unsigned)n,
	                         HS_MODE_BLOCK, &e->bdb, &ce) != HS_SUCCESS) {
		hs_free_compile_error(ce); /* not fatal: the pattern database takes every leaf */
		e->bdb = NULL;
	}
	if (e->bdb && hs_alloc_scratch(e->bdb, &e->scratch) != HS_SUCCESS) {
		hs_free_database(e->bdb);
		e->bdb = NULL;
		return block_free_parts(exprs, flags, ids, n, -ENOMEM);
	}
	e->block_quiet = sentinel && e->bdb;
	return block_free_parts(exprs, flags, ids, n, 0);
}

static int on_block_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                        void *ctx) {
	(void)from, (void)flags;
	struct correlate_engine *e = ctx;
	if (e->n_hits == e->alloc_hits) {
		size_t na = e->alloc_hits ? e->alloc_hits * 2 : 1024;
		struct block_hit *h =
		        na <= BLOCK_HITS_MAX ? realloc(e->hits, na * sizeof(*h)) : NULL;
		if (!h)
			return 1; /* stop: this chunk is not used */
		e->hits = h;
		e->alloc_hits = na;
	}
	uint32_t end = (uint32_t)(e->chunk_lo + to);
	if (e->n_hits && e->hits[e->n_hits - 1].end > end)
		e->hits_unsorted = true;
	e->hits[e->n_hits++] = (struct block_hit){.end = end, .leaf = id};
	return 0;
}

static int cmp_hit(const void *a, const void *b) {
	const struct block_hit *x = a, *y = b;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Scan the chunk that starts at `ms` and holds at least up to `le`; chunk_ok says whether
 * it could be scanned whole (if not, the records in it are scanned alone). */
static void scan_chunk(struct correlate_engine *e, size_t ms, size_t le) {
	size_t hi = le, target = ms + BLOCK_CHUNK;
	if (target >= e->blk_len)
		hi = e->blk_len;
	else if (target > le) {
		const char *nl = memrchr(e->blk + le, '\n', target - le);
		if (nl)
			hi = (size_t)(nl - e->blk);
	}
	e->chunk_lo = ms;
	e->chunk_hi = hi;
	e->n_hits = e->hit_cur = 0;
	e->hits_unsorted = false;
	e->chunk_ok = hs_scan(e->bdb, e->blk + ms, (unsigned)(hi - ms), 0, e->scratch, on_block_hit,
	                      e) == HS_SUCCESS;
	if (e->chunk_ok && e->hits_unsorted)
		qsort(e->hits, e->n_hits, sizeof(*e->hits), cmp_hit);
}

/* The line at stream offset `off` (`len` bytes) as offsets [*ls, *le) in the announced
 * block; false when there is no block or the line is not wholly in it. */
static bool block_line(const struct correlate_engine *e, uint64_t off, size_t len, size_t *ls,
                       size_t *le) {
	if (!e->blk || !e->bdb || off < e->blk_off || off - e->blk_off > e->blk_len)
		return false;
	*ls = (size_t)(off - e->blk_off);
	*le = *ls + len;
	return *le <= e->blk_len && *le >= *ls;
}

/* The hits of [from, to) at hand (the chunk scanned when it does not hold them); false
 * when the chunk has too many hits to be used. */
static bool chunk_covers(struct correlate_engine *e, size_t from, size_t to) {
	if (from < e->chunk_lo || to > e->chunk_hi)
		scan_chunk(e, from, to);
	return e->chunk_ok;
}

bool prefilter_block_take(struct correlate_engine *e, const struct ev_record *rec) {
	size_t ls, le;
	if (!block_line(e, rec->offset, rec->length, &ls, &le))
		return false;
	if (le > ls && e->blk[le - 1] == '\r')
		le--;
	size_t mlen = rec->message.p ? rec->message.len : 0;
	if (mlen > le - ls)
		return false;
	size_t ms = le - mlen;
	if (ms < e->blk_pos || (mlen && memcmp(e->blk + ms, rec->message.p, mlen)))
		return false;
	if (!chunk_covers(e, ms, le)) /* too many hits: its records are scanned alone */
		return false;
	e->blk_pos = le;
	const struct block_hit *h = e->hits;
	size_t i = e->hit_cur;
	for (; i < e->n_hits && h[i].end <= le; i++) {
		unsigned id = h[i].leaf;
		size_t start = h[i].end - e->blit_len[id];
		if (id >= e->n_leaves || start < ms ||
		    (e->blit_anchor[id] & ANCHOR_START && start != ms) ||
		    (e->blit_anchor[id] & ANCHOR_END && h[i].end != le))
			continue;
		prefilter_mark(e, id);
	}
	e->hit_cur = i;
	e->st.block_records++;
	return true;
}

bool prefilter_block_quiet(struct correlate_engine *e, uint64_t off, size_t len) {
	size_t ls, le;
	if (!block_line(e, off, len, &ls, &le) || ls < e->blk_pos || !chunk_covers(e, ls, le))
		return false;
	const struct block_hit *h = e->hits;
	size_t i = e->hit_cur;
	for (; i < e->n_hits && h[i].end <= le; i++)
		if (h[i].end - e->blit_len[h[i].leaf] >= ls)
			return false; /* a hit inside the line: parse it */
	e->hit_cur = i;
	e->blk_pos = le;
	return true;
}

static int on_alone_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                        void *ctx) {
	(void)from, (void)flags;
	struct correlate_engine *e = ctx;
	if (id >= e->n_leaves || (e->blit_anchor[id] & ANCHOR_START && to != e->blit_len[id]) ||
	    (e->blit_anchor[id] & ANCHOR_END && to != e->alone_len))
		return 0;
	prefilter_mark(e, id);
	return 0;
}

void prefilter_block_scan(struct correlate_engine *e, const char *p, unsigned len) {
	e->alone_len = len;
	hs_scan(e->bdb, p, len, 0, e->scratch, on_alone_hit, e);
}

void prefilter_block_free(struct correlate_engine *e) {
	block_free_parts(e->bp_exprs, e->bp_flags, e->bp_ids, e->bp_n, 0);
	hs_free_database(e->bdb);
	free(e->hits);
	free(e->blit_len);
	free(e->blit_anchor);
}
#endif

bool correlate_engine_can_quiet(const struct correlate_engine *e) {
#ifdef HAVE_VECTORSCAN
	return e->compiled && e->block_quiet;
#else
	(void)e;
	return false;
#endif
}

bool correlate_engine_line_quiet(struct correlate_engine *e, uint64_t off, size_t len) {
#ifdef HAVE_VECTORSCAN
	return e->block_quiet && prefilter_block_quiet(e, off, len);
#else
	(void)e, (void)off, (void)len;
	return false;
#endif
}

void correlate_engine_set_block(struct correlate_engine *e, const char *p, size_t len,
                                uint64_t off) {
#ifdef HAVE_VECTORSCAN
	if (len > UINT32_MAX - BLOCK_CHUNK)
		len = 0; /* offsets are 32-bit: such a block is not used */
	e->blk = len ? p : NULL;
	e->blk_len = len;
	e->blk_off = off;
	e->blk_pos = 0;
	e->chunk_lo = e->chunk_hi = 0;
	e->chunk_ok = false;
	e->n_hits = e->hit_cur = 0;
#else
	(void)e, (void)p, (void)len, (void)off;
#endif
}
