/* The command table. Add a command: define `const struct ev_command ev_cmd_NAME` in its
 * own agent/cmd_NAME.c, declare it in commands.h, list it here. */
#include "agent/commands.h"

const struct ev_command *const ev_commands[] = {
	&ev_cmd_help,
	&ev_cmd_version,
	&ev_cmd_config,
	&ev_cmd_demo,
};
const size_t ev_n_commands = ELEMENTSOF(ev_commands);
