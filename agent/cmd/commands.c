/* The command table. Add a command: define `const struct ev_command ev_cmd_NAME` in its
 * own agent/cmd_NAME.c, declare it in commands.h, list it here. */
#include "agent/cmd/commands.h"

const struct ev_command *const ev_commands[] = {
        &ev_cmd_help,    &ev_cmd_version,  &ev_cmd_config,  &ev_cmd_demo,        &ev_cmd_replay,
        &ev_cmd_rules,   &ev_cmd_tail,     &ev_cmd_agent,   &ev_cmd_status,      &ev_cmd_reload,
        &ev_cmd_triage,  &ev_cmd_incident, &ev_cmd_metrics, &ev_cmd_maintenance, &ev_cmd_drill,
        &ev_cmd_keygen,  &ev_cmd_seal,     &ev_cmd_verify,  &ev_cmd_show,        &ev_cmd_custody,
        &ev_cmd_extract, &ev_cmd_prove,    &ev_cmd_prune,   &ev_cmd_upload,      &ev_cmd_formats,
        &ev_cmd_decrypt, &ev_cmd_message,  &ev_cmd_analyze, &ev_cmd_impact,      &ev_cmd_report,
        &ev_cmd_runbook,
};
const size_t ev_n_commands = ELEMENTSOF(ev_commands);
