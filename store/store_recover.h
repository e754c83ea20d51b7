/* Opening a store for writing: permission checks, stale temporaries, the keys a chain
 * trusts, and rolling the head forward over a bundle a failed seal placed. Used by
 * store_seal_begin (under the store lock) and by the verifier. Never logs. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Refuse (-EPERM, message naming the path and the chmod that fixes it) a store directory,
 * bundles/ or keys/ writable by others, or by a group other than gid 0; -ENOTDIR for a
 * non-directory (or symlink) there. Missing directories are fine. */
int store_check_permissions(const char *store_dir, struct ev_errlist *errs);
/* Remove bundles/.tmp-* and .HEAD.tmp (regular files of this user; planted links and
 * FIFOs too). Call with the store lock held. Returns how many were removed; with
 * ret_removed, a JSON array of {name, size} (new reference) when any. */
int store_remove_stale(const char *store_dir, json_t **ret_removed);
/* The keys a chain knows, added to kr (unpinned): `root_key_id` (the head's key; NULL:
 * the key of the ledger's first entry) from STORE/keys, plus every key announced by a
 * key_rotated entry signed by a known key. `why` (may be NULL) maps each key id to the
 * reason. Returns 1 when the root key was found, 0 when not (nothing added), -errno. */
int store_chain_keys(const char *store_dir, const char *root_key_id, struct store_keyring *kr,
                     json_t *why);
/* Sign HEAD for `h` with key and replace STORE/HEAD atomically. 0 or -errno. */
int store_head_write(const char *dir, const struct store_head *h, const struct store_key *key);
/* After a failed seal: while bundles/ holds the bundle one past head `h` that verifies
 * with kr, continues h's chain and links to it, write its missing custody entries
 * (sealed, chain_reset; marked "recovered") and make it the head (h updated). Also writes
 * the head bundle's missing `sealed` entry. Returns how many repairs were made, -errno. */
int store_roll_forward(const char *store_dir, struct store_head *h, const struct store_keyring *kr,
                       const struct store_verify_limits *lim, const struct store_key *key,
                       const json_t *actor, struct ev_errlist *errs);
