/* An incident: a signed, append-only ledger STATE_DIR/incidents/ID/ledger.jsonl in the
 * custody ledger's format (store/ledger.h: the same append and verify code), and the
 * state folded from its entries.
 *
 * An entry is {action: KIND, actor, bundle, details: PAYLOAD, key_id, prev, seq, sig,
 * time (µs UTC)}. Entries are never edited: a `correction` supersedes an earlier entry's
 * value and keeps it. The metric timestamps t_impact .. t_close come from entries (the
 * payload's "at" when the moment is given on the command line, else the entry's time);
 * their order is enforced by ev_incident_check_time before anything is written. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/crypto.h"
#include "store/store.h"
#include "util/err.h"

#define EV_INCIDENT_ID_MAX 64

enum ev_tstamp {
	EV_T_IMPACT,
	EV_T_DETECT,
	EV_T_DECLARE,
	EV_T_ACK,
	EV_T_CONTAIN,
	EV_T_MITIGATE,
	EV_T_RESOLVE,
	EV_T_CLOSE,
	_EV_T_MAX
};
extern const char *const ev_tstamp_names[]; /* "t_impact" ... "t_close" */
#define EV_T_UNSET INT64_MIN

struct ev_incident {
	char id[EV_INCIDENT_ID_MAX + 1];
	json_t *entries;  /* every parsed line, with _valid and _line (store_ledger_verify_mem) */
	size_t n_invalid; /* lines that do not verify: the incident is read-only then */
	int64_t t[_EV_T_MAX];
	int64_t t_first_human;         /* the first entry by a person after detection */
	int64_t t_last_update;         /* the last update_sent (or the declaration) */
	const char *state;             /* open acknowledged contained mitigated resolved closed */
	int impact, urgency, severity; /* indexes (policy.h), -1 when not triaged */
	json_t *triage;   /* the last triaged entry's payload (borrowed from entries) */
	json_t *roles;    /* {role: person} */
	json_t *evidence; /* [{bundle, manifest_sha256, ...}] */
	json_t *services; /* borrowed */
	const char *root_cause, *resolution, *report; /* borrowed, or NULL */
	bool drill;
};

/* Whether `id` may name an incident: 1..64 of [A-Za-z0-9._-], starting with a letter or
 * digit, no "..". 0, or -EINVAL with the reason in msg. */
int ev_incident_id_check(const char *id, char *msg, size_t len);
/* STATE_DIR/incidents/ID/ledger.jsonl into buf. 0 or -ENAMETOOLONG. */
int ev_incident_ledger_path(const char *state_dir, const char *id, char *buf, size_t len);

/* Read and verify the ledger (keys in kr; NULL: signatures are not checked) and fold its
 * valid entries. -ENOENT when there is no such incident; findings go to rep (may be NULL)
 * as INCIDENT_BROKEN / UNKNOWN_KEY. Free with ev_incident_done. */
int ev_incident_load(const char *state_dir, const char *id, struct store_keyring *kr,
                     struct store_report *rep, struct ev_incident *ret);
void ev_incident_done(struct ev_incident *inc);

/* Append one entry (payload stolen; actor borrowed; bundle may be NULL), creating the
 * incident's directory (0750) and ledger (0640) when new. 0 or -errno (message in errs). */
int ev_incident_append(const char *state_dir, const char *id, const struct store_key *key,
                       const char *kind, const char *bundle, json_t *payload, const json_t *actor,
                       struct ev_errlist *errs);

/* Would setting timestamp `which` to `at` keep the order t_impact <= t_detect <=
 * t_declare, t_detect <= t_ack <= t_contain <= t_mitigate <= t_resolve <= t_close (only
 * timestamps already set are compared)? 0, or -EINVAL with a sentence in msg. */
int ev_incident_check_time(const struct ev_incident *inc, enum ev_tstamp which, int64_t at,
                           char *msg, size_t len);
/* The incident ids under STATE_DIR/incidents, sorted (new JSON array; empty when none). */
json_t *ev_incident_list_ids(const char *state_dir);
/* Whether `target` is an incident ledger, an incident's directory (holding ledger.jsonl)
 * or a directory of incidents (STATE_DIR/incidents). */
bool ev_incident_is_target(const char *target);
/* Verify the incident ledgers of such a target: with the keys in kr (pinned: --pub), or
 * when kr is empty with the key each ledger's `opened` entry announces (reported as
 * unpinned). Findings (INCIDENT_BROKEN, UNKNOWN_KEY) in rep; *ret_n: ledgers checked.
 * 0 or -errno (nothing readable). */
int ev_incident_verify(const char *target, const struct store_keyring *kr, struct store_report *rep,
                       size_t *ret_n);
/* The same for another kind of ledger under STATE_DIR/SUB/ID/ledger.jsonl (changes:
 * agent/maint/change.h): append one entry, list the ids (same id rules, same formats). */
int ev_ledger_append_in(const char *state_dir, const char *sub, const char *id,
                        const struct store_key *key, const char *kind, const char *bundle,
                        json_t *payload, const json_t *actor, struct ev_errlist *errs);
json_t *ev_ledger_list_in(const char *state_dir, const char *sub);
/* Read STATE_DIR/SUB/ID/ledger.jsonl and verify it with kr (NULL: signatures unchecked;
 * findings in rep, may be NULL, labelled SUB/ID/ledger.jsonl:LINE): every parsed entry
 * with "_valid" into *ret_entries. -EINVAL (bad id), -ENOENT, -errno. */
int ev_ledger_read_in(const char *state_dir, const char *sub, const char *id,
                      struct store_keyring *kr, struct store_report *rep, json_t **ret_entries);
/* An RFC 3339 µs timestamp as a JSON string, or null for EV_T_UNSET (new). */
json_t *ev_incident_time_json(int64_t us);
