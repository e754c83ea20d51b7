/* Placeholder until the correlation engine lands: says so and fails. */
#include "agent/replay_rules.h"
#include "agent/cli.h"

int replay_rules_run(struct collector_reader *rd, const struct replay_rules_opts *o) {
	ev_log_error("replay --rules: the correlation engine is not built yet");
	return EV_EXIT_USAGE;
}
