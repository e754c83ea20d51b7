/* `evident replay --rules`: run records through the correlation engine and print alerts.
 * CONTRACT between agent/cmd/cmd_replay.c (collector side) and the correlation engine. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "agent/settings.h"
#include "collector/reader.h"
#include "correlate/engine.h"

struct replay_rules_opts {
	char **rule_paths; /* files or directories */
	size_t n_rule_paths;
	char **decoder_paths; /* NULL/0 = shipped decoders */
	size_t n_decoder_paths;
	const char *engine; /* "auto", "vectorscan", "pcre2"; NULL: the config's rules.engine */
	const struct ev_config *cfg; /* rules.* settings; NULL: the built-in defaults */
	bool progress;               /* progress on stderr (a terminal) */
	bool stats_only;             /* count, print no alerts */
	bool service_field;          /* records carry the field "service" (--service) */
};

/* Read every record of `rd`, print alerts as JSON lines on stdout and a summary on
 * stderr. Returns an exit code: 0 no error (alerts or not), 1 rule load errors,
 * 2 I/O errors. */
int replay_rules_run(struct collector_reader *rd, const struct replay_rules_opts *o);

/* Print, per file input, the formats that parsed its lines (stderr). */
void replay_print_formats(const struct collector_reader *rd);

/* The next record for a replay loop: 1 with a record, 0 at the end of the input or once
 * SIGINT/SIGTERM was caught (ev_catch_interrupts; the read the signal cut short is not an
 * error), -errno after printing the read error (the caller decides whether to go on). */
int replay_next_record(struct collector_reader *rd, struct ev_record *rec);

/* Where the shipped rule pack and decoders live: $EVIDENT_DATADIR when set; else, for the
 * binary of a build tree (run before `make install`), the source tree's conf/; else the
 * package data directory. Returns DIR/sub in a static buffer. */
const char *replay_rules_datadir(const char *sub);
/* The data root itself: $EVIDENT_DATADIR, else the source tree's conf/ for a binary run
 * from its build tree, else the installed package data directory. */
const char *replay_rules_dataroot(void);
/* Add the shipped decoders (replay_rules_datadir("decoders")). When they cannot be read,
 * one warning says where it looked and how to point elsewhere (--decoders,
 * rules.decoders, EVIDENT_DATADIR). Returns what correlate_engine_add_decoders returns. */
int replay_rules_add_shipped_decoders(struct correlate_engine *e, struct ev_errlist *warns);

/* Load the configuration for an offline command (`--config FILE`; NULL: the embedded
 * default). On errors print them to stderr and return NULL. */
struct ev_config *replay_rules_load_config(const char *path);
