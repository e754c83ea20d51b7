/* Custody ledger: an append-only JSON-lines file, one signed entry per action, each
 * holding the SHA-256 of the line before it. See docs/FORMAT.md "Custody ledger". */
#pragma once
#include <jansson.h>

#include "store/bundle.h"
#include "store/crypto.h"
#include "util/err.h"

#define STORE_LEDGER_LINE_CAP (1u << 20)
#define STORE_LEDGER_CAP      (256u << 20)

/* Append one entry to the ledger at `path` (created 0640 if absent; locked while
 * appending; fsync'd). `bundle` may be NULL; `details` is stolen; `actor` is borrowed.
 * Returns 0 or -errno (message in errs). */
int store_ledger_append(const char *path, const struct store_key *key, const char *action,
                        const char *bundle, json_t *details, const json_t *actor,
                        struct ev_errlist *errs);
/* Verify ledger bytes: line structure, canonical form, sequence, prev hashes, signatures
 * by keys in `kr`. A valid `key_rotated` entry adds the key it announces to `kr` (pinned
 * when its signer is), so later entries and bundles signed by the new key are trusted. Findings
 * (CUSTODY_BROKEN, UNKNOWN_KEY) go to `rep`, labelled with `name`:LINE. *ret_entries (may be NULL)
 * receives every entry that parsed, in order, with an added "_valid" boolean. Returns 0 or -ENOMEM.
 * Never crashes on hostile bytes. */
int store_ledger_verify_mem(const char *buf, size_t len, const char *name, struct store_keyring *kr,
                            struct store_report *rep, json_t **ret_entries);
/* Read a whole small file (at most cap bytes; O_NOFOLLOW). -ENOENT, -EFBIG, -errno. */
int store_read_file(const char *path, size_t cap, char **ret, size_t *ret_len);
