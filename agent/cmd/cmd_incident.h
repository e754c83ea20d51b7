/* `evident incident`: what its subcommands share (agent/cmd/cmd_incident.c: the timeline
 * commands; cmd_incident_run.c: containment and import). */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/cli.h"
#include "agent/cmd/ledger_ctx.h"
#include "agent/incident/incident.h"
#include "agent/settings.h"
#include "util/strv.h"

extern const struct ev_command ev_cmd_incident;

struct ictx {
	/* options */
	const char *config, *state_opt, *as, *at_s, *role, *person, *decision, *rationale,
	        *root_cause, *resolution, *report, *reason, *field, *value;
	bool json, approve;
	const char *owner, *deadline, *kind; /* action add */
	const char *verb;                    /* action: add, done or list */
	struct ev_strv pubs;
	struct ev_strv hosts;          /* import s3://: only these hosts (borrowed from argv) */
	const char *since_s, *until_s; /* import s3://: the window */
	/* the subcommand's words after the incident id */
	char **args;
	int nargs;
	/* set up by ictx_open */
	const char *id, *state_dir;
	struct ev_config *cfg;
	struct store_key *key;       /* NULL for the read-only subcommands without a key */
	struct store_keyring kr;     /* the ledger's keys */
	struct store_keyring pub_kr; /* --pub (import: the other hosts' pinned keys) */
	struct ev_incident inc;
	bool loaded;
	int64_t now, at; /* at: --at, else now */
};

/* Append an entry by this command's user (payload stolen) and print what was recorded
 * (human or JSON). Returns the exit status. */
int ictx_record(struct ictx *c, const char *kind, const char *bundle, json_t *payload);
/* A refusal: one line, exit 2, nothing written (ledger_ctx.h). */
#define ictx_refuse(c, ...) ev_ledger_refuse("incident", (c)->id, __VA_ARGS__)

int ev_incident_cmd_run(struct ictx *c);
int ev_incident_cmd_import(struct ictx *c);
/* action add|done|list (cmd_incident_action.c) */
int ev_incident_cmd_action(struct ictx *c);
