/* What the commands that write an incident's or a change's ledger share (`evident
 * incident ...`, `evident maintenance ...`): the one-line refusal, and an entry appended
 * by this command's user. Both ledgers are STATE_DIR/SUB/ID/ledger.jsonl in the same
 * format (agent/incident/incident.h ev_ledger_append_in). */
#pragma once
#include <jansson.h>

#include "store/store.h"
#include "util/macro.h"

/* The ledger a command writes to, and who writes (all borrowed). */
struct ev_ledger_ctx {
	const char *noun; /* "incident", "change": messages begin "NOUN ID: " */
	const char *sub;  /* the ledgers' folder under state_dir: "incidents", "changes" */
	const char *state_dir, *id;
	const struct store_key *key; /* signs the entry */
	const char *as;              /* --as: the actor's name (NULL: none) */
};

/* A refusal: "NOUN ID: MESSAGE (nothing written)" on stderr. Returns EV_EXIT_USAGE (2). */
int ev_ledger_refuse(const char *noun, const char *id, const char *fmt, ...) _printf_(3, 4);
/* Append one entry (details stolen; bundle may be NULL) signed with l->key, by the actor
 * ev_store_actor(l->as), given back in *ret_actor (new reference) when ret_actor is not
 * NULL and the entry was written. Returns 0, or -errno after printing why on stderr. */
int ev_ledger_record(const struct ev_ledger_ctx *l, const char *action, const char *bundle,
                     json_t *details, json_t **ret_actor);
