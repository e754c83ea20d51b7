/* What `evident impact`, `evident report` and `evident runbook` share: the impact options
 * (cmd_impact.c) and loading an incident with the keys to check it and its bundles
 * (cmd_report.c). */
#pragma once
#include <getopt.h>

#include "agent/cli.h"
#include "agent/incident/incident.h"
#include "agent/report/impact.h"
#include "agent/settings.h"
#include "util/strv.h"

/* --affected-users N, --downtime DUR, --revenue-per-user-minute X, --sla PCT,
 * --period DUR, --total-users N: put EV_IMPACT_LONGOPTS in the getopt table and hand
 * those option values to ev_impact_opt. */
enum {
	EV_IOPT_USERS = 0x3000,
	EV_IOPT_DOWNTIME,
	EV_IOPT_RPUM,
	EV_IOPT_SLA,
	EV_IOPT_PERIOD,
	EV_IOPT_TOTAL,
	EV_IOPT_LAST = EV_IOPT_TOTAL
};
#define EV_IMPACT_LONGOPTS                                                                         \
	{"affected-users", required_argument, NULL, EV_IOPT_USERS},                                \
	        {"downtime", required_argument, NULL, EV_IOPT_DOWNTIME},                           \
	        {"revenue-per-user-minute", required_argument, NULL, EV_IOPT_RPUM},                \
	        {"sla", required_argument, NULL, EV_IOPT_SLA},                                     \
	        {"period", required_argument, NULL, EV_IOPT_PERIOD}, {                             \
		"total-users", required_argument, NULL, EV_IOPT_TOTAL                              \
	}
/* Every figure unset, the period 30 days. */
void ev_impact_defaults(struct ev_impact_in *in);
/* One impact option into `in`. 0, or the usage error's exit status. */
int ev_impact_opt(const struct ev_command *cmd, int opt, const char *arg, struct ev_impact_in *in);

/* Load the configuration (`config`, NULL: the default) into *ret_cfg and incident `id`
 * under state_opt (NULL: agent.state_dir), checked with the store's trusted keys (else
 * the store key's public part) plus the pinned --pub keys, which *kr keeps for verifying
 * bundles. Prints why on failure and returns the exit status (0 when loaded: the caller
 * frees cfg, kr and inc; on failure nothing is left to free). */
int ev_report_load(const char *config, const char *state_opt, const char *id,
                   const struct ev_strv *pubs, struct ev_config **ret_cfg, struct store_keyring *kr,
                   struct ev_incident *inc);
/* Write text to path (NULL: standard output). 0, or EV_EXIT_USAGE after saying why. */
int ev_report_write_out(const char *path, const char *text);
