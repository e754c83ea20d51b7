/* Private to correlate/: the engine's state shared by engine.c (loading, matching),
 * window.c (correlation windows) and alert.c (alert rendering). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#ifdef HAVE_VECTORSCAN
#include <hs/hs.h>

#include "correlate/dbcache.h"
#endif

#include "correlate/engine.h"
#include "correlate/sigma.h"

#define SAMPLE_MAX      10
#define SAMPLE_MSG_CAP  512
#define SLAB_GRAIN      16         /* free-list size classes: multiples of this ... */
#define SLAB_CLASSES    64         /* ... below SLAB_GRAIN * SLAB_CLASSES bytes */
#define SLAB_KEEP       (1u << 18) /* bytes kept in the free lists at most */
#define CAPTURES_MAX    64         /* named captures kept per record (captures_dropped) */
#define SOURCES_MAX     4096       /* distinct sample sources interned (sources_capped) */
#define TEMPLATES_MAX   4096 /* sample message templates interned (beyond: messages as they are) */
#define GROUP_TIMES_MAX 1024 /* event times kept per temporal/value_count group (times_dropped) */
#ifndef SAMPLE_TPL_MIN       /* -DSAMPLE_TPL_MIN=N to measure another (docs/benchmarks.md) */
#define SAMPLE_TPL_MIN 24    /* shorter sample messages are kept as they are (sample.c) */
#endif

/* A sample event: one per record that feeds a correlation, shared (counted references)
 * by its events waiting for the watermark and the groups that keep it; its message is a
 * template and variable tokens (sample.c). 24 bytes of header. */
struct tpl;
struct sample {
	int64_t time;
	uint32_t refs;    /* sample_ref() / sample_unref(); 0: a decoded view (sample_views()) */
	uint16_t src;     /* index into the engine's interned sources (sources are few) */
	uint16_t msg_len; /* the message's length, <= SAMPLE_MSG_CAP */
	struct tpl *tpl;  /* the message's template, or NULL: msg is the message */
	char msg[];       /* tpl ? the variable tokens : the message (not NUL-terminated) */
};

/* An event handed to a correlation: one per (match, correlation, reference position).
 * One allocation holds the cev (40 bytes), then its key (per group-by value, 4-byte
 * length + bytes) and NUL, then its value_count value and NUL (cev_key(), cev_value());
 * the sample is a reference. Up to the allowed lateness of them wait in the reorder
 * buffer. */
#define CEV_NO_VALUE UINT32_MAX
struct cev {
	int64_t time;
	uint64_t seq;
	unsigned corr; /* rule index of the correlation */
	unsigned ref;  /* position in its `rules` */
	uint32_t key_len;
	uint32_t value_len;    /* CEV_NO_VALUE: none */
	struct sample *sample; /* NULL, or a reference the cev holds */
};
static inline char *cev_key(const struct cev *c) {
	return (char *)(c + 1);
}
static inline char *cev_value(const struct cev *c) {
	return c->value_len == CEV_NO_VALUE ? NULL : cev_key(c) + c->key_len + 1;
}

struct gev {
	int64_t time;
	struct sample *s; /* a reference; NULL for all but the last SAMPLE_MAX */
};

/* A value_count value: up to GVAL_INLINE bytes in the entry itself (user names, most
 * addresses), longer ones in their own allocation. */
#define GVAL_INLINE 8
struct gval {
	int64_t last;
	uint32_t len;
	union {
		char *v;               /* len > GVAL_INLINE */
		char inl[GVAL_INLINE]; /* len <= GVAL_INLINE */
	};
};
static inline const char *gval_str(const struct gval *gv) {
	return gv->len > GVAL_INLINE ? gv->v : gv->inl;
}
static inline void gval_drop(struct gval *gv) {
	if (gv->len > GVAL_INLINE)
		free(gv->v);
}

/* Per-group state that only value_count, temporal and deadline (lt/lte, absence)
 * correlations need; a plain counting event_count group has none. */
struct gext {
	uint32_t heap_idx; /* in the deadline heap; UINT32_MAX: not in it */
	uint32_t corr;     /* rule index of the correlation (the deadline heap needs it) */
	uint32_t count;    /* deadline mode: events in the open window (saturates) */
	int64_t *t;        /* temporal: per ref last seen / ordered chain start (after the gext,
	                    * gext_tail()) */
	struct gval *vals;
	uint32_t n_vals, cap_vals;
};

/* What follows a gext in its group's allocation: a temporal group's times, or a
 * value_count group's first value (more values move to their own allocation). */
static inline void *gext_tail(const struct gext *x) {
	return (void *)(x + 1);
}

/* Kept small: a table holds up to max_groups of these (see docs/benchmarks.md). One
 * allocation holds the group and its key; its samples are references. */
struct group {
	struct group *hnext, *lprev, *lnext;
	union {                         /* by the correlation's mode: */
		int64_t suppress_until; /* counting: INT64_MIN = not suppressed */
		int64_t deadline;       /* lt/lte windows, absence: INT64_MAX = none */
	};
	struct gext *x; /* NULL for a counting event_count */
	union {
		struct gev ev1;  /* cap_ev <= 1: the one entry */
		struct gev *evp; /* cap_ev > 1: the entries */
	};
	uint32_t key_len;
	uint16_t n_ev, cap_ev;
	char key[];
};

struct corr_state {
	struct group **buckets;
	size_t n_buckets, n_groups;
	struct group *lru_head, *lru_tail; /* head: most recently used */
	uint32_t ev_cap;                   /* timestamps kept per group */
	uint32_t val_cap;                  /* value_count: distinct values kept per group */
	bool val_cap_exact; /* deadline mode: val_cap is the threshold + 1 (no loss) */
	bool deadline_mode;
};

struct logsource_ent {
	char *service;
	char **programs, **units;
	size_t n_programs, n_units;
	uint32_t facilities; /* bit mask */
	bool all;
	uint32_t category; /* EV_REC_* of a Sigma category entry (its records only); 0: a service */
};

/* A decoder pattern's named groups, read once from its name table. */
struct dec_name {
	uint32_t group;
	uint32_t len;
	const char *name; /* into the pattern's name table */
};

/* What decode() needs of a pattern besides the code: its named groups and, for an
 * anchored pattern that cannot match the empty string, the bytes a match can start with
 * (PCRE2's own start-of-match bitmap or first code unit): a message whose first byte is
 * not one of them cannot match, so the pattern is not run on it. */
struct dec_pat {
	struct dec_name *names;
	uint32_t n_names;
	bool jit; /* JIT-compiled: pcre2_jit_match() */
	bool first_known;
	uint8_t first[32]; /* bitmap by byte value */
};

struct decoder {
	char *name;
	char **programs;
	size_t n_programs;
	pcre2_code **pats;
	struct dec_pat *pinfo; /* parallel to pats */
	size_t n_pats;
};

struct capture {
	unsigned rule;
	char *name, *value; /* pointers into cap_buf */
	size_t name_len, value_len;
};

/* A suspect record's alert, copied until the next record decides its time_suspect. */
struct held_alert {
	struct correlate_alert *al; /* owned (correlate_alert_copy) */
};

struct correlate_engine {
	struct correlate_opts o;
	bool use_hs, jit_ok;
	/* Vectorscan gating per rule: a rule whose condition needs one of its message leaves
	 * (its `must` set) runs only when Vectorscan marked one of them */
	int *leaf_gate; /* per leaf: rule index gated by it, or -1 */
	bool *rule_gated;
	uint32_t *rule_gen; /* rule_gen[r] == gen: triggered for this record */
	unsigned *trig;     /* rules triggered for this record, in any order */
	size_t n_trig;
	unsigned *fg_rules; /* gated rules whose gate has a decoded-field leaf */
	size_t n_fg;
	bool rec_fields;  /* the record came with named fields (not only decoders') */
	bool kw_in_db;    /* a keyword leaf is in the database: scan the program too */
	uint64_t hs_hits; /* Vectorscan matches so far (prefilter.c) */
	unsigned *always; /* active detection rules that are not gated, in order */
	size_t n_always;
	/* those of them a record that is not a category record can match (their logsource is
	 * not a Sigma category: see engine_ls_applies()), in order */
	unsigned *always_plain;
	size_t n_always_plain;
	struct rule_set rules;
	uint64_t *rule_matches;
	struct leaf **leaves; /* global leaf table */
	size_t n_leaves;
	struct logsource_ent *ls;
	size_t n_ls;
	struct decoder *dec;
	size_t n_dec;
	char **fmap_from, **fmap_to; /* decoder field map: Sigma name -> record field */
	size_t n_fmap;
	char **dec_names; /* what decoding can add or map, sorted (decoder_names_build) */
	size_t n_dec_names;
	uint64_t dec_sig[16]; /* dec_names' first two bytes, hashed: most names miss at once */
	bool compiled;
	pcre2_match_data *md;
	/* per-record */
	struct ev_record *rec;
	struct sample *rec_sample; /* the record's sample, made at its first correlation event
	                            * and shared by every rule it matches (one reference) */
	bool decoded;              /* decoders run lazily, at the first non-standard field lookup */
	uint32_t gen;
	uint32_t *cand; /* Vectorscan candidates: cand[leaf] == gen */
	const struct rule *cur;
	struct capture *caps;
	size_t n_caps, alloc_caps;
	char *cap_buf;
	size_t cap_len, cap_alloc;
	int8_t *ls_cache; /* per logsource entry for this record: -1 unknown (a row of ls_rows) */
	int8_t *ls_rows;  /* LS_MEMO rows remembered by program and facility, then a scratch row */
	struct ls_memo *ls_memo;
	struct ls_memo *ls_cur; /* this record's entry (NULL: the scratch row) */
	bool ls_turn;           /* which of a hash's two entries a miss replaces */
	int8_t *prog_cache;     /* per leaf prog_slot - 1: -1 unknown, else its result */
	int8_t *prog_rows;      /* LS_MEMO rows like ls_rows, then a scratch row */
	size_t n_prog_slots;
	const struct ev_str *ls_service; /* this record's "service" field (opts.service_field) */
#ifdef HAVE_VECTORSCAN
	hs_database_t *db; /* the message leaves not in bdb (every one when bdb is NULL) */
	/* the logsource entries of the rules with a leaf in db: a record none of them applies
	 * to is not scanned with db (no rule could use what it marks) */
	int *db_ls;
	size_t n_db_ls;
	size_t n_dbs; /* 0: no prefilter, else 1 */
	hs_scratch_t *scratch;
	struct dbcache dbc; /* dbc.dir: the copy of opts.db_cache_dir */
	bool *in_db;
	/* block scanning (prefilter_block.c): the database of every leaf as one literal, the
	 * announced block of lines and the hits of its chunk being served */
	hs_database_t *bdb;
	bool block_quiet; /* bdb holds the sentinels: lines may be quiet */
	char **bp_exprs;  /* the block database prepared, not compiled yet */
	unsigned *bp_flags, *bp_ids;
	size_t bp_n;
	uint32_t *blit_len;      /* per leaf: its literal's length in bdb */
	uint8_t *blit_anchor;    /* per leaf: its hit must start (1) / end (2) with the message */
	const char *blk;         /* NULL: no block */
	size_t blk_len, blk_pos; /* blk_pos: the end of the last message served */
	unsigned alone_len;      /* the length of the string prefilter_block_scan() scans */
	uint64_t blk_off;        /* stream offset of blk[0] */
	size_t chunk_lo, chunk_hi;
	bool chunk_ok, hits_unsorted;
	struct block_hit *hits;
	size_t n_hits, hit_cur, alloc_hits;
#endif
	/* correlation */
	struct corr_state *cs; /* per rule (only correlations used) */
	struct cev **pend;     /* reorder heap by (time, seq, corr, -ref) */
	size_t n_pend, alloc_pend;
	/* window_release's last pass: the watermark it released up to and the adds to the
	 * waiting events and deadlines (win_adds) it had seen; the same again finds nothing */
	uint64_t win_adds, rel_adds;
	int64_t rel_upto;
	bool rel_valid;
	struct cev **fifo; /* in-order arrivals: a ring, sorted by construction */
	size_t fifo_head, fifo_n, fifo_cap;
	struct group **dl; /* deadline heap */
	size_t n_dl, alloc_dl;
	char **sources; /* interned sample sources */
	size_t n_sources;
	struct tpl **tpl_buckets; /* interned sample templates (sample.c) */
	size_t n_tpl_buckets, n_tpls;
	char *views;              /* SAMPLE_MAX decoded samples for an alert (sample_views()) */
	void *slab[SLAB_CLASSES]; /* free blocks by size class (pending.c) */
	size_t slab_bytes;        /* kept in the free lists */
	char *kbuf;               /* scratch for group keys */
	size_t kbuf_alloc;
	int64_t max_time, watermark;
	uint64_t seq;
	bool have_time;
	/* far-future guard (timeguard.c) */
	int64_t clock; /* the daemon's host clock at the last advance/set_clock */
	bool have_clock;
	bool holding;     /* the record being fed is a suspect: its cevs and alerts wait */
	bool flag_future; /* the record being fed is far ahead of the clock: alerts flagged */
	bool have_held;   /* a suspect record waits for the next one to confirm its time */
	int64_t held_time;
	struct cev **held;
	size_t n_held, alloc_held;
	struct held_alert *halerts;
	size_t n_halerts, alloc_halerts;
	bool held_oom; /* holding failed: the suspect is treated as refuted */
	/* output */
	struct alert_scratch *alert_scratch; /* alert.c */
	correlate_alert_fn cb;
	void *cb_ctx;
	struct correlate_stats st;
};

/* logsource.c. Which logsources apply depends on a record's program, unit and facility
 * only: engine_ls_begin() points ls_cache at the row remembered for the record's program
 * and facility (records without a unit), so the names are compared once per program.
 * The entry also remembers whether a Vectorscan scan of the program found anything
 * (prefilter.c scans a program again only when it did), and the results of the leaves
 * that test the program alone (`program: [nginx, httpd]`, no captures: prog_cache). */
#define LS_MEMO 64
struct ls_memo {
	uint32_t hash;
	int facility;
	uint32_t len; /* UINT32_MAX: no program */
	bool used;
	int8_t prog_scan;  /* the program alone scanned: -1 not yet, 0 no match, 1 matches */
	int8_t db_need;    /* a rule with a leaf in db applies (prefilter.c): -1 not known yet */
	bool dec_known;    /* dec_mask is set (decoder.c) */
	uint64_t dec_mask; /* the decoders (of the first 64) for this program */
	char program[48];
};
int engine_ls_init(struct correlate_engine *e);
/* Number the leaves that test the program alone (prog_slot) and make their rows, once
 * every leaf is compiled. Returns 0 or -ENOMEM. */
int engine_prog_memo_init(struct correlate_engine *e);
void engine_ls_begin(struct correlate_engine *e, const struct ev_record *rec);
bool engine_ls_applies(struct correlate_engine *e, int idx, const struct ev_record *rec);
/* Equal to a NUL-terminated name; cheap when the first bytes differ (no strlen). */
bool engine_str_eq(const struct ev_str *s, const char *c);
/* The record's program is `name`, or its legacy PAM tag "name(module)" (sshd(pam_unix)). */
bool engine_program_is(const struct ev_str *prog, const char *name);
int logsource_add_builtins(struct correlate_engine *e);
/* The index of the entry for Sigma category `category`, or -1 when no source gives it. */
int logsource_category(const struct correlate_engine *e, const char *category);
void logsource_free_all(struct correlate_engine *e);

/* decoder.c */
bool engine_is_std_field(const char *n);
/* Run the decoders on the current record once (at the first non-standard field lookup). */
void engine_ensure_decoded(struct correlate_engine *e);
/* Names a lookup may find only after decoding: the decoders' named groups and the field
 * map's names (compile time, after the decoders are added). Returns 0 or -ENOMEM. */
int decoder_names_build(struct correlate_engine *e);
/* `name` is one of them: a lookup of any other name does not need the decoders. */
bool engine_decodable(const struct correlate_engine *e, const char *name);
void decoder_free_all(struct correlate_engine *e);

/* prefilter.c (Vectorscan builds only) */
#ifdef HAVE_VECTORSCAN
int prefilter_build(struct correlate_engine *e, struct ev_errlist *errs);
void prefilter_scan(struct correlate_engine *e, const struct ev_record *rec);
void prefilter_free(struct correlate_engine *e);
/* Leaf `id` is a candidate for the current record. */
void prefilter_mark(struct correlate_engine *e, unsigned id);
/* The longest literal every match of `re` must contain, every byte as \xHH (caller frees),
 * or NULL (none of 4 bytes or more, or out of memory). */
char *prefilter_required_literal(const char *re, uint32_t opts);
/* prefilter_block.c: prepare the block database of the leaves in the database that have
 * a literal (e->bp_n of them: none is not an error); the others are marked in `rest`
 * (n_leaves) and *ret_any_rest says whether there are any. Returns 0 or -ENOMEM. */
int prefilter_block_prepare(struct correlate_engine *e, bool *rest, bool *ret_any_rest);
/* Compile the block database prepared (e->bp_*), with the sentinels when `sentinel`
 * (correlate_engine_line_quiet); e->bdb NULL when there is none or it failed to compile
 * (not an error). Returns 0 or -ENOMEM. */
int prefilter_block_compile(struct correlate_engine *e, bool sentinel);
/* Mark the candidates of `rec`'s message from the announced block; false when the record
 * is not served by it (then scan it alone). */
bool prefilter_block_take(struct correlate_engine *e, const struct ev_record *rec);
/* Does the line at `off` (`len` bytes) of the block hold no hit (see
 * correlate_engine_line_quiet)? True consumes it. */
bool prefilter_block_quiet(struct correlate_engine *e, uint64_t off, size_t len);
/* Scan `p` alone with the block database (a message not served by a block, a program):
 * the same candidates as the pattern database would mark. */
void prefilter_block_scan(struct correlate_engine *e, const char *p, unsigned len);
void prefilter_block_free(struct correlate_engine *e);
struct block_hit {
	uint32_t end; /* offset in the block just past the hit */
	uint32_t leaf;
};
#endif

/* window.c */
int window_init(struct correlate_engine *e);
void window_free(struct correlate_engine *e);
/* A detection (or correlation) rule fired: queue events for the correlations using it.
 * For a correlation alert, `group_names`/`group_vals` give its group as fields. */
int window_on_match(struct correlate_engine *e, unsigned rule, int64_t time,
                    const struct ev_record *rec, char *const *gnames, const struct ev_str *gvals,
                    size_t n_g, struct sample *s);
int window_release(struct correlate_engine *e, int64_t upto, bool all);

/* pending.c: free lists, samples, the events waiting for the watermark, the deadline heap.
 * slab_get(e, n) is malloc(n), from a free list when one has a block of n's size class;
 * slab_put(e, p) keeps a block for reuse (or frees it). The blocks are malloc blocks:
 * free() on one is valid too. */
void *slab_get(struct correlate_engine *e, size_t n);
void slab_put(struct correlate_engine *e, void *p);
void slab_drain(struct correlate_engine *e);
/* sample.c. A new sample (one reference) of the record's time, source and message
 * (capped at SAMPLE_MSG_CAP). NULL: out of memory. */
struct sample *sample_new(struct correlate_engine *e, int64_t time, const char *src, size_t src_len,
                          const char *msg, size_t msg_len);
/* One more reference to s (NULL: none); returns s, or for a decoded view a new counted
 * copy (NULL: out of memory, the sample is left out). */
struct sample *sample_ref(struct correlate_engine *e, struct sample *s);
/* Drop a reference; the last frees the sample. NULL and views: a no-op. */
void sample_unref(struct correlate_engine *e, struct sample *s);
/* Decoded views of in[0..n) (n <= SAMPLE_MAX) into out, valid until the next call: for
 * the alert code, which reads msg and msg_len. Returns 0 or -ENOMEM. */
int sample_views(struct correlate_engine *e, struct sample *const *in, size_t n,
                 struct sample **out);
/* The sample's source path, NUL-terminated. */
const char *sample_src(const struct correlate_engine *e, const struct sample *s);
/* After every sample is released: the template table and the views. */
void sample_templates_free(struct correlate_engine *e);

int pend_push(struct correlate_engine *e, struct cev *c);
struct cev *pend_peek(const struct correlate_engine *e);
struct cev *pend_pop(struct correlate_engine *e);
int dl_push(struct correlate_engine *e, struct group *g);
void dl_remove(struct correlate_engine *e, struct group *g);

/* group.c: group tables */
struct gev *gevs(struct group *g);
void group_clear(struct correlate_engine *e, struct group *g);
void group_unlink_free(struct correlate_engine *e, struct corr_state *cs, struct group *g);
/* The group of this key, or NULL (none is made). */
struct group *group_find(struct correlate_engine *e, unsigned corr, const char *key,
                         uint32_t key_len);
/* Find or make the group. NULL: out of memory. */
struct group *group_get(struct correlate_engine *e, unsigned corr, const char *key,
                        uint32_t key_len);
void ev_expire(struct correlate_engine *e, struct group *g, int64_t from);
/* Append (time, sample); keep at most `cap` times and the last SAMPLE_MAX samples (or,
 * with keep_first, the first SAMPLE_MAX). Takes the sample's reference. */
int ev_add(struct correlate_engine *e, struct group *g, int64_t time, struct sample *s,
           uint32_t cap, bool keep_first);
/* window.c: release a waiting event (its sample reference with it) */
void cev_free(struct correlate_engine *e, struct cev *c);

/* timeguard.c: far-future events (see docs/rules.md, "Far-future events") */
enum tg_class { TG_NORMAL, TG_SUSPECT, TG_FUTURE };
/* Before matching a record at `t`: settle a waiting suspect, then classify `t`. */
enum tg_class timeguard_begin(struct correlate_engine *e, int64_t t, int *ret);
/* After matching: move the watermark (TG_NORMAL), or remember/count the record. */
void timeguard_end(struct correlate_engine *e, enum tg_class cls, int64_t t);
/* Accept a waiting suspect (end of input). */
int timeguard_flush(struct correlate_engine *e);
int timeguard_hold_cev(struct correlate_engine *e, struct cev *c);
/* Takes ownership of `al` (a correlate_alert_copy). */
void timeguard_hold_alert(struct correlate_engine *e, struct correlate_alert *al);
void timeguard_free(struct correlate_engine *e);

/* alert.c */
struct alert_data {
	const struct rule *rule;
	const char *kind;
	int64_t time, first, last;
	uint64_t count, distinct;
	bool has_distinct;
	char *const *gnames; /* group names */
	const struct ev_str *gvals;
	size_t n_g;
	const struct ev_record *rec; /* match: the record (fields, event) */
	const struct capture *caps;
	size_t n_caps;
	struct sample *const *samples;
	size_t n_samples;
	bool future; /* the record is far ahead of the clock: "time_suspect":"future" */
};
void alert_emit(struct correlate_engine *e, const struct alert_data *a);
void alert_scratch_free(struct correlate_engine *e);
const struct ev_str *engine_field(struct correlate_engine *e, const struct ev_record *rec,
                                  const char *name);
