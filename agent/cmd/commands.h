/* Every subcommand's definition; agent/cmd/commands.c puts them in order. */
#pragma once
#include "agent/cli.h"

extern const struct ev_command ev_cmd_help;
extern const struct ev_command ev_cmd_version;
extern const struct ev_command ev_cmd_config;
extern const struct ev_command ev_cmd_demo;
extern const struct ev_command ev_cmd_replay;
extern const struct ev_command ev_cmd_formats;
extern const struct ev_command ev_cmd_rules;
extern const struct ev_command ev_cmd_tail;
extern const struct ev_command ev_cmd_agent;
extern const struct ev_command ev_cmd_status;
extern const struct ev_command ev_cmd_reload;
extern const struct ev_command ev_cmd_keygen;
extern const struct ev_command ev_cmd_seal;
extern const struct ev_command ev_cmd_verify;
extern const struct ev_command ev_cmd_show;
extern const struct ev_command ev_cmd_custody;
extern const struct ev_command ev_cmd_extract;
extern const struct ev_command ev_cmd_decrypt;
extern const struct ev_command ev_cmd_prove;
extern const struct ev_command ev_cmd_prune;
extern const struct ev_command ev_cmd_upload;
extern const struct ev_command ev_cmd_triage;
extern const struct ev_command ev_cmd_incident;
extern const struct ev_command ev_cmd_metrics;
extern const struct ev_command ev_cmd_message;
extern const struct ev_command ev_cmd_analyze;
extern const struct ev_command ev_cmd_impact;
extern const struct ev_command ev_cmd_report;
extern const struct ev_command ev_cmd_runbook;
extern const struct ev_command ev_cmd_maintenance;
extern const struct ev_command ev_cmd_drill;
