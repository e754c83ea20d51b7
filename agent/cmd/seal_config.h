/* The evidence of an agent seal from the configuration (agent/cmd/seal_config.c). */
#pragma once
#include <jansson.h>

struct ev_config;

/* The evidence of an agent seal from the configuration, handed to `fn` as the `evident
 * seal` options that carry it (`val` NULL for a flag), so that the daemon's seal children
 * and an in-process seal made instead of the agent collect the same. A non-zero return of
 * `fn` stops and is returned.
 * - ev_seal_config_journal: --journal-dir D (sources.journal_dir) or --journal, and --unit
 *   for each of `units` (a JSON array of strings, may be NULL) when it has any, else
 *   actions.seal_journal_units, else sources.journal_units.
 * - ev_seal_config_sources: the journal as above when sources.journal is on or `units` has
 *   any, and --file for every sources.files path.
 * - ev_seal_config_extras: --copy for actions.seal_files, --command for seal_commands. */
typedef int (*ev_seal_opt_fn)(void *userdata, const char *opt, const char *val);
int ev_seal_config_journal(const struct ev_config *cfg, const json_t *units, ev_seal_opt_fn fn,
                           void *userdata);
int ev_seal_config_sources(const struct ev_config *cfg, const json_t *units, ev_seal_opt_fn fn,
                           void *userdata);
int ev_seal_config_extras(const struct ev_config *cfg, ev_seal_opt_fn fn, void *userdata);
