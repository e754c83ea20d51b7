/* Evidence store: a directory of write-once bundles, a signed chain head and the custody
 * ledger. Layout (docs/FORMAT.md "Store layout"):
 *   STORE/bundles/SSSSSSSSSS-ID.tar.gz   bundles, named by sequence number and bundle id
 *   STORE/HEAD                           signed chain head (line-oriented text)
 *   STORE/custody.jsonl                  custody ledger
 *   STORE/keys/KEYID.pub                 every public key the store has used
 *   STORE/.lock                          flock'd while sealing or pruning */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/bundle.h"
#include "store/crypto.h"
#include "store/ledger.h"
#include "util/err.h"

/* Bundle format version this build writes. */
int store_format_version(void);

/* ---- chain head ---- */
struct store_head {
	char chain_id[33];
	uint64_t sequence;
	char manifest_sha256[STORE_HEX_LEN + 1];
	char bundle_sha256[STORE_HEX_LEN + 1];
	char bundle[256];
	char key_id[STORE_HEX_LEN + 1];
};
/* Parse and verify a HEAD file's bytes. 0; -EBADMSG (malformed), -ENOKEY (key not in kr),
 * -EPERM (bad signature). */
int store_head_parse(const char *buf, size_t len, const struct store_keyring *kr,
                     struct store_head *ret);

/* ---- sealing ---- */
struct store_seal;
struct store_seal_params {
	const char *store_dir;
	const struct store_key *key;
	const char *tool_version;
	const json_t *actor; /* custody actor object (borrowed) */
	json_t *fields;      /* extra manifest fields: trigger, window, note... (stolen) */
	int level;           /* gzip level */
	uint64_t max_member_size;
	uint64_t max_bundle_size; /* 0 = no cap */
	bool immutable;           /* try FS_IMMUTABLE_FL on the placed bundle */
	/* evidence encrypted to these recipients with `cipher` (borrowed; none: clear) */
	const struct store_recipient *recipients;
	size_t n_recipients;
	const char *cipher;
};
struct store_seal_result {
	char path[4096];
	char bundle_id[33];
	uint64_t sequence;
	char manifest_sha256[STORE_HEX_LEN + 1];
	char bundle_sha256[STORE_HEX_LEN + 1];
	size_t n_members;
	bool chain_reset;
	char reset_reason[256]; /* why, when chain_reset */
	unsigned recovered;     /* repairs of an earlier failed seal (head rolled forward...) */
	unsigned stale_removed; /* temporary files of killed seals removed */
	bool immutable;
	char immutable_note[128];
};
/* Check the store's permissions (store_check_permissions), lock it, remove stale
 * temporaries, read the chain state (a lost or invalid head means a signed chain_reset
 * entry), roll the head forward over a bundle an earlier failed seal placed, refuse
 * (-EKEYREJECTED) a key the chain does not know (neither the head's key nor announced by
 * a key_rotated entry), open the temporary bundle file (unnamed, O_TMPFILE, where the file
 * system allows: a killed seal leaves nothing) and its writer. Returns 0 or -errno. */
int store_seal_begin(struct store_seal_params *p, struct store_seal **ret, struct ev_errlist *errs);
struct store_bundle_writer *store_seal_writer(struct store_seal *s);
/* Finish, sign, place write-once, update HEAD, append the custody entry. On any error
 * before placement: no file under a final name and HEAD unchanged. Frees s. */
int store_seal_commit(struct store_seal *s, struct store_seal_result *ret, struct ev_errlist *errs);
/* Drop a seal in progress (temporary file removed). Frees s. NULL-safe. */
void store_seal_abort(struct store_seal *s);

/* ---- store-level paths and keys ---- */
/* Whether `n` is a bundle file name, SSSSSSSSSS-ID.tar.gz; its sequence in *ret_seq. */
bool store_bundle_name_parse(const char *n, uint64_t *ret_seq);
/* Load STORE/keys/\*.pub into kr (unpinned). Returns the number loaded or -errno. */
int store_load_store_keys(const char *store_dir, struct store_keyring *kr);
/* The keys an unpinned check trusts (unpinned): the key the store began with (its
 * ledger's first entry) and every key a key_rotated entry signed by a trusted key
 * announced; without a ledger, every STORE/keys/\*.pub. Each trusted key and each key of
 * STORE/keys left untrusted is explained in rep's warnings (rep may be NULL). 0 or -errno. */
int store_trusted_keys(const char *store_dir, struct store_keyring *kr, struct store_report *rep);
/* Append a custody entry to STORE/custody.jsonl. */
int store_record(const char *store_dir, const struct store_key *key, const char *action,
                 const char *bundle, json_t *details, const json_t *actor, struct ev_errlist *errs);

/* ---- verification of a whole store ---- */
struct store_verify_opts {
	const struct store_keyring *kr; /* keys to trust */
	const char *pin_head;           /* a HEAD file kept earlier, or NULL */
	struct store_verify_limits lim;
};
/* Verify every bundle, the chain, the head and the ledger, and report stray temporary
 * files. Findings in rep; 0, -EMEDIUMTYPE (the directory is not a store: no bundles/,
 * HEAD or custody.jsonl), or -errno (the store could not be read). */
int store_verify_dir(const char *store_dir, const struct store_verify_opts *o,
                     struct store_report *rep, size_t *ret_n_bundles);
/* Whether `path` is a directory (a store) rather than a bundle file. */
bool store_is_dir(const char *path);

/* Remove the bundles created before `before` ("YYYY-MM-DDTHH:MM:SSZ", compared with the
 * manifest's `created`), except the one the head names. The `pruned` custody entry (with
 * each bundle's chain id, sequence and hashes, so the chain stays checkable) is written
 * before anything is removed; an immutable flag is cleared first where permitted.
 * Only authenticated bundles (by `kr`) are pruned. Returns the number removed or -errno. */
int store_prune(const char *store_dir, const struct store_key *key, const struct store_keyring *kr,
                const char *before, const char *reason, const json_t *actor,
                struct ev_errlist *errs);

/* The same, removing only bundles named in `allowed` (a JSON object used as a set of
 * bundle file names; NULL: no restriction), e.g. those whose upload is confirmed. */
int store_prune_only(const char *store_dir, const struct store_key *key,
                     const struct store_keyring *kr, const char *before, const char *reason,
                     const json_t *actor, const json_t *allowed, struct ev_errlist *errs);

/* Key rotation: publish `new_key`'s public key in STORE/keys and append a `key_rotated`
 * entry (new key id and public key PEM) signed by `old_key`. 0 or -errno. */
int store_key_rotate(const char *store_dir, const struct store_key *old_key,
                     const struct store_key *new_key, const json_t *actor, struct ev_errlist *errs);
