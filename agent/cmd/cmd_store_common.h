/* Helpers shared by the store commands (keygen, seal, verify, show, custody, extract,
 * prove, prune): the custody actor, key loading, recording custody entries, time
 * arguments, and printing verification reports. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/cli.h"
#include "store/store.h"

/* The actor of a custody entry: uid, user, pid, executable, host, and `name` (--actor). */
json_t *ev_store_actor(const char *name);
/* Build a keyring: the --pub files (pinned); with none, the keys the store trusts
 * (store_trusted_keys: the key it began with and announced rotations, unpinned) when
 * store_dir is given. Returns 0, or EV_EXIT_USAGE after printing why. */
int ev_store_keyring(char **pubs, size_t n_pubs, const char *store_dir, struct store_keyring *kr);
/* Append a custody entry for a command that touched a store: to `custody_log` when set,
 * else to STORE/custody.jsonl. Needs a private key (--key, or the configured store key);
 * without one, or on a read-only store, prints one warning line (why, and how to record
 * in one's own ledger or not at all) and returns -errno. */
int ev_store_record(const char *store_dir, const char *custody_log, const char *key_path,
                    const char *action, const char *bundle, json_t *details,
                    const char *actor_name);
/* Print a report (human to stdout, with findings that share a code and message grouped
 * on one line, or JSON); returns EV_EXIT_OK or EV_EXIT_FINDING. */
int ev_store_print_report(const struct store_report *rep, bool json, json_t *extra);
/* "CODE xN, CODE xM" for the findings of rep, into buf (cut at len). Returns 0. */
int ev_store_summary(const struct store_report *rep, char *buf, size_t len);
/* The store directory a bundle path lives in (BUNDLE's parent's parent when it sits in
 * STORE/bundles/), or NULL. Caller frees. */
char *ev_store_of_bundle(const char *bundle_path);
/* Open a bundle and verify it (keys: --pub, else its store's keys). Fills rep and info. */
int ev_store_verify_bundle(const char *path, struct store_keyring *kr, struct store_report *rep,
                           struct store_bundle_info *info);

/* Options shared by the commands that read a store (show, verify, extract, prove):
 * --pub (repeatable), --key, --custody-log, --actor, --no-record and --json. Put
 * EV_STORE_READ_LONGOPTS in the getopt_long table, number the command's own options
 * from EV_SOPT_OWN, and hand every option the command does not handle itself to
 * ev_store_read_opt(). */
enum {
	EV_SOPT_PUB = 0x2000,
	EV_SOPT_KEY,
	EV_SOPT_LOG,
	EV_SOPT_ACTOR,
	EV_SOPT_NOREC,
	EV_SOPT_OWN = 0x2100
};
#define EV_STORE_READ_LONGOPTS                                                                     \
	EV_COMMON_LONGOPTS, {"pub", required_argument, NULL, EV_SOPT_PUB},                         \
	        {"key", required_argument, NULL, EV_SOPT_KEY},                                     \
	        {"custody-log", required_argument, NULL, EV_SOPT_LOG},                             \
	        {"actor", required_argument, NULL, EV_SOPT_ACTOR}, {                               \
		"no-record", no_argument, NULL, EV_SOPT_NOREC                                      \
	}
/* The help lines of these options, for the commands' usage texts. */
#define EV_STORE_READ_HELP                                                                         \
	"  --key FILE       sign the custody entry with this key (default: store.key)\n"           \
	"  --custody-log F  record in your own ledger F instead of the store's; needs\n"           \
	"                   --key with your own key (an investigator without the\n"                \
	"                   store's key: evident keygen --out DIR)\n"                              \
	"  --no-record      record nothing (no custody entry, no warning)\n"
struct ev_store_read_opts {
	char *pubs[64];
	size_t n_pubs;
	const char *key, *log, *actor;
	bool json, no_record;
};
/* Handle option `c` (with optarg) for `cmd`. Returns -1 when it was handled and parsing
 * goes on; otherwise the exit code the command returns: EV_EXIT_OK after --help,
 * EV_EXIT_USAGE for an unknown option or too many --pub (after printing why). */
int ev_store_read_opt(const struct ev_command *cmd, int c, char **argv,
                      struct ev_store_read_opts *o);
/* After parsing: the combinations that cannot work (--custody-log without --key,
 * --no-record with --custody-log or --key). Returns -1 when fine, else EV_EXIT_USAGE after
 * printing why. */
int ev_store_read_check(const struct ev_command *cmd, const struct ev_store_read_opts *o);
/* The start of show, prove and extract: build the keyring (--pub, else the keys of
 * `store_dir`), verify BUNDLE and require an authenticated manifest. Returns -1 when it
 * verifies (kr, rep and info filled), else the exit status: EV_EXIT_USAGE (no keys, cannot
 * be read: said on stderr) or EV_EXIT_FINDING after printing the findings (with `extra`,
 * borrowed, may be NULL) and "BUNDLE does not verify; `consequence`". kr, rep and info
 * start zeroed and are the caller's to clear in every case. */
int ev_store_read_bundle(const struct ev_store_read_opts *o, const char *store_dir,
                         const char *bundle, json_t *extra, const char *consequence,
                         struct store_keyring *kr, struct store_report *rep,
                         struct store_bundle_info *info);
/* Record `action` for a reading command as the options say: nothing with --no-record,
 * else ev_store_record() with --custody-log, --key and --actor. Takes `details`. */
int ev_store_read_record(const struct ev_store_read_opts *o, const char *store_dir,
                         const char *action, const char *bundle, json_t *details);
/* For extract and decrypt: create PATH (a valid member path) under dirfd, never outside
 * it: each directory made (0750) and opened with O_NOFOLLOW, the file created
 * O_EXCL|O_NOFOLLOW, mode 0440. Returns the file's fd, its directory's fd in *ret_parent
 * and its name in `leaf`; or -errno after saying why on stderr. */
int ev_store_member_create(int dirfd, const char *path, int *ret_parent, char *leaf,
                           size_t leaf_size);
/* The entry of member `path` in a manifest's "members" (borrowed), or NULL. */
json_t *ev_store_manifest_member(json_t *manifest, const char *path);
/* The second pass of extract and decrypt: read BUNDLE again through `sink` (whose begin
 * creates files with ev_store_member_create into *fd, *parent and `leaf`); a member left
 * open when the pass stops is removed; *fd and *parent are closed. 0 or -errno (the
 * open failure said on stderr; a read error is the caller's to report). */
int ev_store_member_pass(const char *bundle, const struct store_keyring *kr,
                         const struct store_member_sink *sink, struct store_report *rep, int *fd,
                         int *parent, const char *leaf);

/* What extract and decrypt hold from verifying BUNDLE to writing its members under DIR:
 * the bundle's store, the keys, the findings, the bundle's information, the JSON report's
 * fields, the destination and the member being written. ev_store_out_open() fills it;
 * ev_store_out_done() releases all of it, whatever state it is in. */
struct ev_store_out {
	const char *bundle, *to; /* borrowed (argv) */
	char **want;             /* the MEMBER arguments (borrowed); none: every member */
	size_t n_want;
	char *store; /* the bundle's store directory (ev_store_of_bundle), or NULL */
	struct store_keyring kr;
	struct store_report rep;
	struct store_bundle_info info;
	json_t *extra;         /* the JSON report's fields: bundle, to, members */
	json_t *done;          /* --json: the paths written, else NULL (printed as written) */
	int dirfd, fd, parent; /* DIR, the member being written and its directory, or -1 */
	char leaf[300];
	size_t written; /* members written and kept */
	int err;        /* the first write or create error of the pass */
};
/* Take BUNDLE [MEMBER...] from argv[optind..], verify BUNDLE (ev_store_read_bundle, with
 * `consequence`) and check that every MEMBER is in it. Returns -1 when it verifies and
 * the members exist, else the exit status (said). Call ev_store_out_done() in every case. */
int ev_store_out_open(struct ev_store_out *x, const struct ev_command *cmd,
                      const struct ev_store_read_opts *o, int argc, char **argv, const char *to,
                      const char *consequence);
/* The second pass: create and open DIR, then read BUNDLE again through `sink` (whose
 * callbacks use ev_store_out_begin and ev_store_out_end). Findings of the first pass are
 * cleared; with `json` the written paths are collected. 0, or -errno after saying
 * "`what` stopped" (or why DIR cannot be used) on stderr. */
int ev_store_out_write(struct ev_store_out *x, bool json, const struct store_member_sink *sink,
                       const char *what);
/* For a sink's begin: 1 when `path` is not wanted (or not a safe member path), 0 when its
 * file was created (x->fd, x->parent), -EIO when it could not be (x->err set). */
int ev_store_out_begin(struct ev_store_out *x, const char *path);
/* Whether the stored bytes of `path` (their SHA-256 `sha`) are the manifest's. */
bool ev_store_out_unchanged(const struct ev_store_out *x, const char *path,
                            const uint8_t sha[STORE_HASH_LEN]);
/* For a sink's end: sync and close the member's file; with `why` remove it and report it
 * (MEMBER_MODIFIED "`why`; removed"), else list it (printed, or collected with --json) and
 * count it. Returns 0 or the -errno of fsync. */
int ev_store_out_end(struct ev_store_out *x, const char *path, const char *why);
/* After the pass: the report (printed when there were findings or with --json) and the
 * custody entry `action` with `details` (taken). Returns the exit status. */
int ev_store_out_finish(struct ev_store_out *x, const struct ev_store_read_opts *o,
                        const char *action, json_t *details);
/* Release everything x holds, once ev_store_out_open() has run (whatever it returned);
 * NULL is fine. */
void ev_store_out_done(struct ev_store_out *x);
