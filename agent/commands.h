/* Every subcommand's definition; agent/commands.c puts them in order. */
#pragma once
#include "agent/cli.h"

extern const struct ev_command ev_cmd_help;
extern const struct ev_command ev_cmd_version;
extern const struct ev_command ev_cmd_config;
extern const struct ev_command ev_cmd_demo;
