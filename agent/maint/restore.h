/* A change's files in its pre-change bundle: verify the bundle and read the copied
 * files (verify), put them back (restore).
 *
 * Verification is the store's own (store_bundle_verify_fd): the signature by a trusted
 * key, every member's hash, nothing missing or extra; a bundle with any finding is
 * refused, and so is one whose manifest is not the one the change's signed ledger
 * names. The copied files' bytes are kept in memory as they are verified (at most
 * EV_MAINT_RESTORE_CAP in all): nothing is written before the whole bundle verified.
 *
 * Restore writes each file's bytes to a new temporary file beside it (O_EXCL|O_NOFOLLOW,
 * the recorded owner and mode, fsync) and only when every one is ready renames them over
 * the originals (atomic per file) and fsyncs the directories. A failure before the
 * renames removes the temporary files and leaves every original as it was. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/bundle.h"

#define EV_MAINT_RESTORE_CAP (512u << 20)

struct ev_maint_member {
	char *path; /* member path */
	unsigned char *data;
	size_t len;
};

struct ev_maint_bundle {
	json_t *manifest;                /* authenticated manifest (owned) */
	char manifest_sha256[65];        /* hex */
	json_t *copies;                  /* {asked path: {member, sha256, size}} (owned) */
	struct ev_maint_member *members; /* with keep_data: the copied files' bytes */
	size_t n_members;
	size_t total;
};

/* Verify `path` with the keys of kr; with keep_data keep the copied members' bytes.
 * 0, or -EBADMSG (findings: they are listed in msg), -errno (cannot read) with a
 * sentence in msg. Release with ev_maint_bundle_done (also after a failure). */
int ev_maint_bundle_verify(const char *path, const struct store_keyring *kr, bool keep_data,
                           struct ev_maint_bundle *ret, char *msg, size_t len);
void ev_maint_bundle_done(struct ev_maint_bundle *b);
/* The bytes of member `member`, or NULL. */
const struct ev_maint_member *ev_maint_bundle_member(const struct ev_maint_bundle *b,
                                                     const char *member);
/* Put back every file of `files` ([{path, member, sha256, mode, uid, gid}], the change's
 * `started` entry) from b. 0 and *ret_restored ([{path, sha256, mode, uid, gid}], new);
 * or -errno with a sentence in msg: before the renames (a copy missing or not the one
 * recorded, a temporary file that cannot be written) nothing is replaced and
 * *ret_restored is untouched; a rename that fails (rare: same directory) stops there,
 * and *ret_restored lists the files already put back. */
int ev_maint_restore(const json_t *files, const struct ev_maint_bundle *b, json_t **ret_restored,
                     char *msg, size_t len);
