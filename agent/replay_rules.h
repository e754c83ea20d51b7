/* `evident replay --rules`: run records through the correlation engine and print alerts.
 * CONTRACT between agent/cmd_replay.c (collector side) and the correlation engine. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "collector/reader.h"

struct replay_rules_opts {
	char **rule_paths; /* files or directories */
	size_t n_rule_paths;
	char **decoder_paths; /* NULL/0 = shipped decoders */
	size_t n_decoder_paths;
	const char *engine; /* "auto", "vectorscan", "pcre2" */
	bool progress;      /* progress on stderr (a terminal) */
	bool stats_only;    /* count, print no alerts */
};

/* Read every record of `rd`, print alerts as JSON lines on stdout and a summary on
 * stderr. Returns an exit code: 0 no error (alerts or not), 1 rule load errors,
 * 2 I/O errors. */
int replay_rules_run(struct collector_reader *rd, const struct replay_rules_opts *o);

/* Where the shipped rule pack and decoders live: $EVIDENT_DATADIR when set (tests, a
 * source tree), else the package data directory. Returns DIR/sub in a static buffer. */
const char *replay_rules_datadir(const char *sub);
