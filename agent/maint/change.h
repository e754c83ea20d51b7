/* A change (maintenance window): a signed, append-only ledger
 * STATE_DIR/changes/ID/ledger.jsonl in the incident ledgers' format (the same append and
 * verify code: store/ledger.h through agent/incident/incident.h), and the state folded
 * from its entries.
 *
 * Entries (action: details): `started` {service, started_us, until_us, files:[{path,
 * member, sha256, size, mode, uid, gid}], checks:[{name, command}], baseline:[check
 * results], bundle, bundle_id, manifest_sha256, public_key}; `finished` {result:
 * pass|regression, regressions:[...], health, errors, diff, bundle...}; `rolled_back`
 * {result: healthy|unhealthy, restored, replaced_bundle, restart, health, duration_ms};
 * `rollback_refused` {reason}. States: open (the window), passed, regressed,
 * rolled_back, rollback_failed. A window is open from `started` until a pass or a
 * successful rollback, and never past until_us. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/incident/incident.h"

struct ev_change {
	char id[EV_INCIDENT_ID_MAX + 1];
	json_t *entries;  /* every parsed line, with _valid (store_ledger_verify_mem) */
	size_t n_invalid; /* lines that do not verify: the change is read-only then */
	const char *state;
	const char *service;           /* borrowed from entries, or NULL */
	int64_t started_us, until_us;  /* 0 when not started */
	json_t *start, *finish, *back; /* the last started/finished/rolled_back details */
};

/* Read and verify STATE_DIR/changes/ID/ledger.jsonl (kr NULL: signatures unchecked) and
 * fold it. -ENOENT: no such change; -EINVAL: a bad id. Free with ev_change_done. */
int ev_change_load(const char *state_dir, const char *id, struct store_keyring *kr,
                   struct store_report *rep, struct ev_change *ret);
void ev_change_done(struct ev_change *c);
/* Append one entry (details stolen, actor borrowed, bundle may be NULL). 0 or -errno. */
int ev_change_append(const char *state_dir, const char *id, const struct store_key *key,
                     const char *action, const char *bundle, json_t *details, const json_t *actor,
                     struct ev_errlist *errs);
/* Whether the change's window is open at `now_us`. */
bool ev_change_window_open(const struct ev_change *c, int64_t now_us);
/* The change ids under STATE_DIR/changes, sorted (new array). */
json_t *ev_change_list_ids(const char *state_dir);
