/* The evidence of an agent seal from the configuration (see seal_config.h): one list
 * for the daemon's seal children and for an in-process seal made instead of the agent. */
#include "config.h"

#include "agent/cmd/seal_config.h"

#include "agent/settings.h"

int ev_seal_config_journal(const struct ev_config *cfg, const json_t *units, ev_seal_opt_fn fn,
                           void *ud) {
	int r = cfg->sources.journal_dir ? fn(ud, "--journal-dir", cfg->sources.journal_dir)
	                                 : fn(ud, "--journal", NULL);
	if (json_array_size(units)) {
		size_t i;
		json_t *s;
		json_array_foreach(units, i, s) {
			if (r == 0 && json_string_value(s))
				r = fn(ud, "--unit", json_string_value(s));
		}
		return r;
	}
	const struct ev_strv *u = cfg->actions.seal_journal_units.n
	                                  ? &cfg->actions.seal_journal_units
	                                  : &cfg->sources.journal_units;
	for (size_t i = 0; r == 0 && i < u->n; i++)
		r = fn(ud, "--unit", u->v[i]);
	return r;
}

int ev_seal_config_sources(const struct ev_config *cfg, const json_t *units, ev_seal_opt_fn fn,
                           void *ud) {
	int r = 0;
	if (cfg->sources.journal || json_array_size(units))
		r = ev_seal_config_journal(cfg, units, fn, ud);
	for (size_t i = 0; r == 0 && i < cfg->sources.n_files; i++)
		r = fn(ud, "--file", cfg->sources.files[i].path);
	return r;
}

int ev_seal_config_extras(const struct ev_config *cfg, ev_seal_opt_fn fn, void *ud) {
	int r = 0;
	for (size_t i = 0; r == 0 && i < cfg->actions.seal_files.n; i++)
		r = fn(ud, "--copy", cfg->actions.seal_files.v[i]);
	for (size_t i = 0; r == 0 && i < cfg->actions.seal_commands.n; i++)
		r = fn(ud, "--command", cfg->actions.seal_commands.v[i]);
	return r;
}
