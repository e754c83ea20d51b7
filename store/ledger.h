/* Custody ledger: an append-only JSON-lines file, one signed entry per action, each
 * holding the SHA-256 of the line before it. See docs/FORMAT.md "Custody ledger".
 * Incident ledgers (agent/incident/) are the same format, written and checked by the
 * same functions. */
#pragma once
#include <jansson.h>
#include <sys/types.h>

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
/* The same check for another ledger in this format (an incident ledger): its broken
 * lines are reported with the code `broken` (INCIDENT_BROKEN) instead of CUSTODY_BROKEN. */
int store_ledger_verify_mem_as(const char *buf, size_t len, const char *name,
                               enum store_finding_code broken, struct store_keyring *kr,
                               struct store_report *rep, json_t **ret_entries);
/* Where a ledger's intact part ends: after it come a partial last line (an interrupted
 * write) and complete lines that are not JSON objects (zeroed or garbage blocks), which
 * the next append cuts (recorded in a `ledger_repaired` entry). *ret_lines: how many
 * complete lines that tail holds. */
size_t store_ledger_intact_end(const char *buf, size_t len, size_t *ret_lines);
/* Add to kr every key announced by a key_rotated entry of the ledger bytes whose signature
 * holds by a key already in kr (in ledger order, so rotations chain). When `why` is given,
 * each added key id maps to a sentence saying which entry introduced it. 0 or -ENOMEM. */
int store_ledger_add_rotations(const char *buf, size_t len, struct store_keyring *kr, json_t *why);
/* Open a file the store writes (O_NOFOLLOW|O_CLOEXEC plus `flags`), refusing anything
 * but a regular file with one link (a planted symlink, hard link or FIFO): -ELOOP,
 * -EPERM, -errno, with a message naming the path in errs (none when errs is NULL).
 * Returns the fd. */
int store_open_regular(const char *path, int flags, mode_t mode, struct ev_errlist *errs);
/* Read a whole small file (at most cap bytes; O_NOFOLLOW). -ENOENT, -EFBIG, -errno. */
int store_read_file(const char *path, size_t cap, char **ret, size_t *ret_len);
