/* The log-template miner: groups messages (the record's message, after the header was
 * parsed) into templates with the variable parts masked ("Failed password for <*> from <*>
 * port <*> ssh2"). Our own design after the published Drain family of parsers: one
 * general configuration for every log type, no per-dataset expressions.
 *
 * How a message is grouped (docs/analysis.md has the whole story):
 *  1. Split on blanks. A token that is mostly a number (at least as many digits as
 *     letters: addresses, times, ids, hex), a host:port, a dotted token with a digit, a
 *     path ("/a/b") or an over-long token is a variable <*>; a parenthesised group holding
 *     a digit ("(2.42 KB)") is one variable; "key=value" reads "key=<*>"; a trailing run
 *     of variables (a list) is one <*>.
 *  2. The masked sequence is looked up in an exact cache: the same shape goes to the same
 *     template at once (the fast path).
 *  3. Otherwise the templates with as many tokens and the same first two tokens are
 *     compared position by position. A template may take the message when at least 70 %
 *     of the positions are equal, no two different upper-case keywords (HTTPS/SOCKS5) or
 *     field names meet, and no three different words follow each other (another
 *     phrase); the most similar one takes it and masks the positions that differ.
 *  4. Otherwise a template of a length within 3 may take it when they differ only by
 *     inserted values (and a unit word after a value: "<1 sec") and share 70 % of the
 *     longer one's tokens; the template stays as it is.
 *  5. Otherwise the message opens a new template.
 *
 * A template's id is a hash of its text (16 hex digits), so the same template has the same
 * id on every host and in every run. When a template generalises (a position becomes
 * <*>), its id changes; the old id is kept in the template's `absorbed` list so that it
 * still resolves (miner_resolve). Grouping is deterministic: the same messages in the same
 * order give the same templates and ids.
 *
 * Caps: at most MINER_MAX_TEMPLATES templates (a message that would open one more joins
 * the most similar template of its length, or the overflow template "<*>"); messages are
 * cut at MINER_MAX_TOKENS tokens (the rest is one <*>); the exact cache is bounded and
 * cleared when full. Pure computation: nothing is printed, nothing needs agent/. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MINER_MAX_TEMPLATES 100000
#define MINER_MAX_TOKENS    200
#define MINER_MAX_TOKEN_LEN 64

struct miner;

struct miner_template {
	uint64_t id;        /* hash of text */
	const char *text;   /* tokens joined by one space, variables as <*> */
	uint64_t count;     /* messages grouped here (in this process) */
	uint64_t *absorbed; /* earlier ids of this template and of templates merged in */
	size_t n_absorbed;
	bool stored; /* loaded from or already written to a template store */
};

struct miner *miner_new(void);
struct miner *miner_free(struct miner *m);

/* Group one message (bytes, may hold NULs: they split tokens). Returns the index of its
 * template (>= 0; stable for the miner's life, see miner_template) or -ENOMEM. */
int miner_add(struct miner *m, const char *msg, size_t len);

/* Template number i (0..miner_count-1), borrowed: valid until the next miner_add. */
size_t miner_count(const struct miner *m);
const struct miner_template *miner_template(const struct miner *m, size_t i);

/* Seed the miner with a known template (from a store): a template text as miner_template
 * gives it. Absorbed ids are recorded with it. Returns the index, or -ENOMEM, -EINVAL for
 * an empty text. Seeding the same text twice returns the same index. */
int miner_seed(struct miner *m, const char *text, const uint64_t *absorbed, size_t n_absorbed);

/* The template index that answers for `id` now: its own id or one it absorbed. Returns
 * the index, or -ENOENT. */
int miner_resolve(const struct miner *m, uint64_t id);

/* The id of a template text (FNV-1a 64 of the bytes). */
uint64_t miner_text_id(const char *text, size_t len);
