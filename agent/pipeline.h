/* One pipeline builder: configuration in; sources -> correlation engine -> alert consumers
 * out. Every command that runs rules builds its engine here (`replay --rules`, `rules
 * check/list/test`, `config check`, the daemon at start-up and on reload), and every command
 * that follows live sources maps the configuration to the tail here (`tail`, the daemon),
 * so that a rule does in production exactly what it does in a test.
 *
 * Engine: options from rules.* (engine, allowed_lateness, max_groups, max_values,
 * max_future), then rules.logsources and any extra logsource specs, decoders, rules,
 * compile. Where rules and decoders come from: the paths given; else, for the agent
 * (from_config), rules.paths / rules.decoders; else the shipped pack and decoders
 * (replay_rules_datadir). Messages go to errs (errors) and warns (warnings); nothing is
 * printed. The caller attaches its alert consumer with correlate_engine_set_callback();
 * alerts arrive typed (correlate/alert.h) and are serialised by the consumer. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "agent/settings.h"
#include "collector/tail.h"
#include "correlate/engine.h"

struct ev_pipeline_rules {
	char *const *rule_paths; /* files or directories; none: see from_config */
	size_t n_rule_paths;
	char *const *decoder_paths; /* none: see from_config */
	size_t n_decoder_paths;
	bool from_config;        /* the agent: rules.paths and rules.decoders apply */
	char *const *logsources; /* extra "SERVICE: WORD..." specs (--logsource) */
	size_t n_logsources;
	const char *engine; /* --engine; NULL: rules.engine */
	/* compile even after load errors, so that one run reports every error (rules
	 * check); otherwise nothing is compiled once an error is known */
	bool compile_despite_errors;
	/* records carry the field "service" (replay --service): rules of that logsource
	 * service see them; the sources.files service: settings of cfg count too */
	bool service_field;
	/* Compiled Vectorscan databases kept there (correlate_opts.db_cache_dir); NULL: the
	 * user's cache directory (ev_pipeline_user_cache_dir()), "": none. Off either way
	 * when cfg's rules.cache is false or EVIDENT_NO_CACHE is set. */
	const char *db_cache_dir;
};

struct ev_pipeline_info {
	size_t loaded; /* rules loaded from the paths */
	bool io;       /* a rule, decoder or logsource could not be read or set up */
};

/* Build the engine for `cfg` (NULL: the built-in defaults) and `r`. Returns the engine,
 * whose rules may have errors (count errs to know), or NULL when no engine could be made
 * at all (message in errs). ret_info may be NULL. */
struct correlate_engine *ev_pipeline_engine(const struct ev_config *cfg,
                                            const struct ev_pipeline_rules *r,
                                            struct ev_errlist *errs, struct ev_errlist *warns,
                                            struct ev_pipeline_info *ret_info);
/* The agent's engine for `cfg` (from_config), or NULL when any error was reported. */
struct correlate_engine *ev_pipeline_engine_for_config(const struct ev_config *cfg,
                                                       struct ev_errlist *errs,
                                                       struct ev_errlist *warns);
/* The same with its compiled databases kept in db_cache_dir (the daemon: STATE_DIR/cache). */
struct correlate_engine *ev_pipeline_engine_for_agent(const struct ev_config *cfg,
                                                      const char *db_cache_dir,
                                                      struct ev_errlist *errs,
                                                      struct ev_errlist *warns);
/* $XDG_CACHE_HOME/evident when XDG_CACHE_HOME is an absolute path, else ~/.cache/evident
 * ($HOME, else the password database), newly allocated; NULL when there is no home or
 * out of memory. */
char *ev_pipeline_user_cache_dir(void);

/* The tail configuration for cfg's sources.* (files, journal, intervals), positions in
 * state_dir (may be NULL: none kept). It points into cfg, which must outlive it and the
 * tail built from it; release with ev_pipeline_sources_done(). Returns 0 or -ENOMEM. */
struct ev_pipeline_sources {
	struct collector_tail_file *files;
	struct collector_tail_config tc;
};
int ev_pipeline_sources(const struct ev_config *cfg, const char *state_dir, bool from_end,
                        struct ev_pipeline_sources *ret);
void ev_pipeline_sources_done(struct ev_pipeline_sources *s);
