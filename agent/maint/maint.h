/* `evident maintenance`: what its subcommands share (agent/cmd/cmd_maintenance.c: the
 * options, plan, list, show; agent/maint/maint_run.c: start, finish, rollback). */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/cli.h"
#include "agent/cmd/ledger_ctx.h"
#include "agent/maint/change.h"
#include "agent/settings.h"
#include "util/strv.h"

extern const struct ev_command ev_cmd_maintenance;

struct mctx {
	/* options */
	const char *config, *state_opt, *as, *service;
	bool json, no_immutable;
	struct ev_strv copies, checks;
	uint64_t window; /* --window, 0: maintenance.window */
	/* set up by mctx_open */
	const char *id, *state_dir;
	struct ev_config *cfg;
	struct store_key *key;
	struct store_keyring kr;
	struct ev_change ch;
	bool loaded;
};

/* Load the configuration and the store key; with an id, check it and load the change
 * when it exists (`must_exist`: refuse when it does not). Returns -1 when set up, else
 * the exit status after saying why. */
int mctx_open(struct mctx *c, bool must_exist);
void mctx_done(struct mctx *c);
/* A refusal: one line on stderr, exit 2 (ledger_ctx.h). */
#define mctx_refuse(c, ...) ev_ledger_refuse("change", (c)->id, __VA_ARGS__)
/* Append an entry by this command's user (details stolen). 0 or -errno (said). */
int mctx_record(struct mctx *c, const char *action, const char *bundle, json_t *details);
/* The file patterns, units and programs of the service (new), or NULL after saying it is
 * not one of incidents.services. */
json_t *mctx_scope(struct mctx *c, const char *service);

int ev_maint_cmd_start(struct mctx *c);
int ev_maint_cmd_finish(struct mctx *c);
int ev_maint_cmd_rollback(struct mctx *c);
