/* Evidence bundles: a gzip'd pax tar of evidence/... members, SHA256SUMS, MANIFEST.json
 * (canonical JSON) and MANIFEST.sig (Ed25519 over the manifest bytes). docs/FORMAT.md is
 * the specification; this header is the writer (single pass) and the verifier. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/crypto.h"
#include "store/encrypt.h"
#include "util/err.h"

#define STORE_FORMAT_VERSION           1
#define STORE_FORMAT_VERSION_ENCRYPTED 2           /* members encrypted (docs/FORMAT.md) */
#define STORE_MANIFEST_CAP             (16u << 20) /* largest MANIFEST.json / SHA256SUMS accepted */
#define STORE_MEMBERS_CAP              100000      /* most members a bundle may hold */

/* ---- writer ---- */
struct store_bundle_writer;

struct store_bundle_writer_opts {
	int fd;                   /* where the compressed bundle goes (not closed) */
	int level;                /* gzip level 0..9 */
	int64_t mtime;            /* tar mtime of every member (seconds) */
	uint64_t max_member_size; /* cut members at this size (recorded as an error); 0 = 1 GiB */
	uint64_t max_bundle_size; /* stop with -EFBIG past this many output bytes; 0 = none */
	const char *spill_dir;    /* where unknown-size members spill past 4 MiB (O_TMPFILE) */
	/* Encrypt every evidence member to these recipients (borrowed; none: in the clear)
	 * with `cipher` ("aes-256-gcm" or "chacha20-poly1305"): the bundle is then format 2,
	 * its members' sha256/size are the stored bytes' and plaintext_sha256/plaintext_size
	 * the evidence's, and the manifest holds the wrapped keys ("encryption"). */
	const struct store_recipient *recipients;
	size_t n_recipients;
	const char *cipher;
};

/* Returns 0 or -errno. */
int store_bundle_writer_new(const struct store_bundle_writer_opts *o,
                            struct store_bundle_writer **ret);
/* Whether `path` is an acceptable member path: "evidence/" followed by components of
 * [A-Za-z0-9._@+=:,-] (no empty, "." or ".." component), at most 255 bytes. */
bool store_member_path_valid(const char *path);
/* Start a member. `size` is the exact size when known (streamed straight into the tar;
 * extra bytes are cut, missing ones padded with zeros, both recorded as an error), or -1
 * (kept in memory, spilled to an unnamed temporary file past 4 MiB). `source` describes
 * where it comes from (reference stolen, may be NULL). -EINVAL for a bad path, -EEXIST
 * for a duplicate. */
int store_bundle_member_begin(struct store_bundle_writer *w, const char *path, int64_t size,
                              json_t *source);
/* Append bytes to the current member (hashed as they pass). 0 or -errno. */
int store_bundle_member_write(struct store_bundle_writer *w, const void *buf, size_t len);
/* Same, with the collector_write_fn signature (userdata = the writer). */
int store_bundle_member_write_cb(void *w, const void *buf, size_t len);
/* Add a field to the current member's manifest entry (reference stolen). */
int store_bundle_member_set(struct store_bundle_writer *w, const char *key, json_t *value);
/* Finish the member; `error` (may be NULL) is recorded in its manifest entry. */
int store_bundle_member_end(struct store_bundle_writer *w, const char *error);
/* Record a source that produced no member (manifest "errors"). Reference stolen. */
int store_bundle_add_error(struct store_bundle_writer *w, json_t *source, const char *error);

/* Pending members: when one source produces several outputs at once (the journal's
 * export and JSON renderings), each goes to a pending member (hashed as it arrives, kept
 * in memory, spilled to an unnamed temporary file past 4 MiB) and is committed into the
 * archive afterwards, while no other member is open. */
struct store_bundle_pending;
/* `source` is stolen. -EINVAL for a bad path. */
int store_bundle_pending_new(struct store_bundle_writer *w, const char *path, json_t *source,
                             struct store_bundle_pending **ret);
/* collector_write_fn-compatible (userdata = the pending member). 0 or -errno. */
int store_bundle_pending_write(void *userdata, const void *buf, size_t len);
/* Write the member into the archive with `fields` (stolen, may be NULL) added to its
 * manifest entry and `error` (may be NULL) recorded. Frees p. 0 or -errno. */
int store_bundle_pending_commit(struct store_bundle_writer *w, struct store_bundle_pending *p,
                                json_t *fields, const char *error);
void store_bundle_pending_free(struct store_bundle_pending *p);

struct store_bundle_result {
	uint8_t manifest_sha256[STORE_HASH_LEN];
	uint8_t file_sha256[STORE_HASH_LEN];
	uint8_t merkle_root[STORE_HASH_LEN];
	uint64_t file_size;
	size_t n_members;
};
/* Complete the manifest `fields` (reference stolen: the caller's top-level keys) with
 * format_version, key_id, members, errors, merkle_root and sha256sums_sha256, sign it,
 * write SHA256SUMS, MANIFEST.json, MANIFEST.sig and close the archive. 0 or -errno. */
int store_bundle_finish(struct store_bundle_writer *w, json_t *fields, const struct store_key *key,
                        struct store_bundle_result *ret);
struct store_bundle_writer *store_bundle_writer_free(struct store_bundle_writer *w);

/* ---- findings (stable codes, docs/FORMAT.md) ---- */
#define STORE_FINDINGS(X)                                                                          \
	X(MEMBER_MODIFIED)                                                                         \
	X(MEMBER_MISSING)                                                                          \
	X(MEMBER_EXTRA)                                                                            \
	X(SIGNATURE_INVALID)                                                                       \
	X(UNKNOWN_KEY)                                                                             \
	X(CHAIN_GAP)                                                                               \
	X(CHAIN_REORDER)                                                                           \
	X(CHAIN_FORK)                                                                              \
	X(CHAIN_ROLLBACK)                                                                          \
	X(CHAIN_RESET)                                                                             \
	X(CUSTODY_BROKEN)                                                                          \
	X(FORMAT_INVALID)                                                                          \
	X(BUNDLE_MODIFIED)                                                                         \
	X(CHAIN_UNTRUSTED)                                                                         \
	X(STRAY_TEMPORARY)                                                                         \
	X(INCIDENT_BROKEN)                                                                         \
	X(OBJECT_REPLACED)                                                                         \
	X(RETENTION_MISSING)
#define STORE_FINDING_ENUM(x) STORE_##x,
enum store_finding_code { STORE_FINDINGS(STORE_FINDING_ENUM) _STORE_FINDING_MAX };
const char *store_finding_name(enum store_finding_code c);

struct store_finding {
	enum store_finding_code code;
	char *where; /* bundle name, member path or ledger line */
	char *msg;
};

struct store_report {
	struct store_finding *v;
	size_t n, alloc;
	size_t dropped;
	char **warnings; /* e.g. "key taken from the store (unpinned)" */
	size_t n_warnings;
};
int store_report_add(struct store_report *r, enum store_finding_code c, const char *where,
                     const char *fmt, ...) _printf_(4, 5);
int store_report_warn(struct store_report *r, const char *fmt, ...) _printf_(2, 3);
void store_report_clear(struct store_report *r);
/* Findings as a JSON array (new reference) */
json_t *store_report_json(const struct store_report *r);

/* ---- keys for verification ---- */
struct store_keyring {
	struct store_key **keys;
	bool *pinned;
	size_t n;
};
/* Add a key (ownership taken). A key already present keeps its strongest pinning. */
int store_keyring_add(struct store_keyring *kr, struct store_key *k, bool pinned);
const struct store_key *store_keyring_find(const struct store_keyring *kr, const char *id,
                                           bool *ret_pinned);
void store_keyring_clear(struct store_keyring *kr);
/* Add a copy of key's public part (the caller keeps key). 0 or -errno. */
int store_keyring_add_public(struct store_keyring *kr, const struct store_key *key, bool pinned);
/* Copy every key of src (public parts) into dst. 0 or -ENOMEM. */
int store_keyring_copy(struct store_keyring *dst, const struct store_keyring *src);

/* ---- verifier ---- */
struct store_verify_limits {
	uint64_t max_member_size; /* 0: 1 GiB */
	uint64_t max_total_size;  /* uncompressed total; 0: 64 GiB */
};

/* What a verified bundle says (filled when the manifest parsed and its signature held). */
struct store_bundle_info {
	json_t *manifest; /* owned; NULL when not authenticated */
	uint8_t manifest_sha256[STORE_HASH_LEN];
	uint8_t file_sha256[STORE_HASH_LEN];
	uint8_t signature[STORE_SIG_LEN]; /* MANIFEST.sig, when authenticated */
	bool authenticated;               /* signature valid by a known key */
	bool key_pinned;
};
void store_bundle_info_clear(struct store_bundle_info *i);

/* Called for each evidence member whose bytes are being read (may be NULL). Return 0 to
 * receive the data through `data` calls, 1 to skip, <0 to abort. */
struct store_member_sink {
	int (*begin)(void *ud, const char *path, uint64_t size);
	int (*data)(void *ud, const void *buf, size_t len);
	int (*end)(void *ud, const char *path, const uint8_t sha256[STORE_HASH_LEN]);
	void *ud;
};

/* Verify a bundle from a file descriptor (read from its current position) or memory.
 * `name` labels findings. Findings go to `rep`; returns 0 when the bundle was read
 * (findings or not), -errno on an I/O error reading fd. Never crashes on hostile bytes. */
int store_bundle_verify_fd(int fd, const char *name, const struct store_keyring *kr,
                           const struct store_verify_limits *lim,
                           const struct store_member_sink *sink, struct store_report *rep,
                           struct store_bundle_info *ret_info);
int store_bundle_verify_mem(const void *buf, size_t len, const char *name,
                            const struct store_keyring *kr, const struct store_verify_limits *lim,
                            const struct store_member_sink *sink, struct store_report *rep,
                            struct store_bundle_info *ret_info);
/* strerror(-r) for the errors above, except -ELIBACC when libarchive cannot be loaded
 * (store/archive_load.h): then the reason, naming the library and the package. */
const char *store_strerror(int r);
/* The canonical bytes of a JSON value (JSON_SORT_KEYS|JSON_COMPACT, UTF-8). */
char *store_json_canonical(const json_t *v);
