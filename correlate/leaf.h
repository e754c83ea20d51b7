/* Leaves of a Sigma detection: one field (or the message, for keywords) tested against
 * one value with its modifiers. A leaf is compiled once at load time into a PCRE2 pattern
 * (wildcards, contains/startswith/endswith, re, base64, windash), a CIDR, a number
 * comparison, or an existence test. The same pattern source is handed to Vectorscan for
 * the one-pass prefilter over the message; PCRE2 always decides, so both engines agree.
 *
 * Leaves are owned by their rule; a leaf is immutable after leaf_compile(). */
#pragma once
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/record.h"

enum leaf_kind {
	LEAF_PATTERN,  /* PCRE2 pattern on the field (or message) */
	LEAF_EXISTS,   /* |exists: true/false */
	LEAF_NULL,     /* value null: field absent or empty */
	LEAF_CIDR,     /* |cidr */
	LEAF_NUM,      /* |lt |lte |gt |gte */
	LEAF_FIELDREF, /* |fieldref: compared with another field of the same record */
};

enum leaf_ref_mode { LEAF_REF_EQUAL, LEAF_REF_CONTAINS, LEAF_REF_PREFIX, LEAF_REF_SUFFIX };

enum leaf_cmp { CMP_LT, CMP_LTE, CMP_GT, CMP_GTE };

struct leaf {
	unsigned id;        /* index in the engine's leaf table */
	unsigned rule;      /* index of the owning rule */
	char *field;        /* NULL: the message (keyword search) */
	char *alt_field;    /* mapped name tried when `field` is absent (decoder field map) */
	bool std_field;     /* a standard record field (decoders cannot change it) */
	bool is_message;    /* the field is `message`: read without a lookup by name */
	bool decodable;     /* not standard, and a decoder can add it (or alt_field) */
	unsigned prog_slot; /* > 0: a test of the program alone, remembered per program */
	enum leaf_kind kind;
	bool negate; /* |neq */
	/* LEAF_PATTERN */
	char *regex; /* PCRE2 source, also given to Vectorscan */
	uint32_t pcre_opts;
	bool is_re; /* from |re: Vectorscan only as a prefilter */
	pcre2_code *code;
	uint32_t n_names;        /* named captures that become fields of the match */
	uint32_t name_esz;       /* the name table's entry size (read once at compile) */
	const uint8_t *name_tab; /* the name table, inside code */
	bool jit_tried;          /* JIT compile attempted (leaf_test(), on first use) */
	/* LEAF_EXISTS */
	bool exists;
	/* LEAF_CIDR */
	int af;
	uint8_t addr[16];
	unsigned prefix;
	/* LEAF_NUM */
	enum leaf_cmp cmp;
	double num;
	/* LEAF_FIELDREF */
	char *ref; /* the other field's name */
	enum leaf_ref_mode ref_mode;
	bool cased;
};

/* Translate a Sigma value with wildcards into a regex body (no anchors): `*` -> `.*`,
 * `?` -> `.`, `\*` `\?` `\\` escapes, every other byte literal. Returns a new string or
 * NULL on OOM. */
char *leaf_wildcard_to_regex(const char *v, size_t len, bool allow_wildcards);

/* Compile the leaf's PCRE2 pattern. Returns 0, or -EINVAL with the PCRE2 message in
 * `msg`. The JIT compile waits for the first leaf_test() with `jit`: most leaves of a large
 * rule set are never tested (the prefilter rules them out), and JIT compiling them all
 * was most of the start-up (SigmaHQ rules/linux: some 70 M instructions). */
int leaf_compile(struct leaf *l, char *msg, size_t msg_len);
/* Can this process JIT compile (PCRE2 built with JIT, writable executable memory allowed:
 * systemd's MemoryDenyWriteExecute refuses it)? One small pattern is tried. */
bool leaf_jit_available(void);

/* Test a value. The match data is the caller's (sized for the largest pattern). When the
 * leaf has named captures and it matched, `on_capture` is called for each set one. */
typedef void (*leaf_capture_fn)(void *ctx, const char *name, size_t name_len, const char *v,
                                size_t v_len);
bool leaf_test(struct leaf *l, const struct ev_str *value, pcre2_match_data *md, bool jit,
               leaf_capture_fn on_capture, void *ctx);

/* LEAF_FIELDREF: the field's value against the other field's (`ref`, NULL when the record
 * lacks it); an absent side never matches (so `neq` holds). */
bool leaf_fieldref_test(const struct leaf *l, const struct ev_str *value, const struct ev_str *ref);

void leaf_free(struct leaf *l);

/* Standard base64 of bytes; returns a new NUL-terminated string or NULL. */
char *leaf_base64(const char *p, size_t len);
