/* The one pipeline builder (agent/pipeline.h): engine from configuration and command
 * line, and the configuration's sources as a tail configuration. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/pipeline.h"
#include "agent/replay_rules.h"

static void corr_opts(const struct ev_config *cfg, const char *engine, struct correlate_opts *ret) {
	*ret = (struct correlate_opts){.engine = engine, .allowed_lateness_us = -1};
	if (!cfg)
		return;
	if (!engine)
		ret->engine = cfg->rules.engine;
	ret->allowed_lateness_us = (int64_t)cfg->rules.allowed_lateness;
	ret->max_groups = (size_t)cfg->rules.max_groups;
	ret->max_values = (size_t)cfg->rules.max_values;
	ret->max_future_us = (int64_t)cfg->rules.max_future;
}

typedef int (*engine_line_fn)(struct correlate_engine *e, const char *spec, const char *origin,
                              struct ev_errlist *errs);

/* The lines of rules.KEY (logsources, placeholders), each through `add`; messages name
 * "ORIGIN: rules.KEY". Returns the first error, 0 when all were taken. */
static int add_cfg_lines(struct correlate_engine *e, const struct ev_config *cfg, const char *key,
                         const struct ev_strv *lines, engine_line_fn add, struct ev_errlist *errs) {
	char origin[PATH_MAX + 32];
	snprintf(origin, sizeof(origin), "%s: rules.%s", cfg->origin ? cfg->origin : "<embedded>",
	         key);
	int ret = 0;
	for (size_t i = 0; i < lines->n; i++) {
		int r = add(e, lines->v[i], origin, errs);
		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}

/* rules.logsources, then rules.placeholders (`|expand`): both before any rule loads. */
static int add_cfg_engine_lines(struct correlate_engine *e, const struct ev_config *cfg,
                                struct ev_errlist *errs) {
	if (!cfg)
		return 0;
	int r = add_cfg_lines(e, cfg, "logsources", &cfg->rules.logsources,
	                      correlate_engine_add_logsource_spec, errs);
	int k = add_cfg_lines(e, cfg, "placeholders", &cfg->rules.placeholders,
	                      correlate_engine_add_placeholder_spec, errs);
	return r < 0 ? r : k;
}

static bool add_decoders(struct correlate_engine *e, const struct ev_config *cfg,
                         const struct ev_pipeline_rules *r, struct ev_errlist *errs,
                         struct ev_errlist *warns) {
	char *const *v = r->decoder_paths;
	size_t n = r->n_decoder_paths;
	if (!n && r->from_config && cfg)
		v = cfg->rules.decoders.v, n = cfg->rules.decoders.n;
	bool io = false;
	for (size_t i = 0; i < n; i++)
		io |= correlate_engine_add_decoders(e, v[i], errs) < 0;
	if (!n)
		(void)replay_rules_add_shipped_decoders(e, warns);
	return io;
}

static bool add_rules(struct correlate_engine *e, const struct ev_config *cfg,
                      const struct ev_pipeline_rules *r, struct ev_errlist *errs,
                      struct ev_errlist *warns, size_t *loaded) {
	char *const *v = r->rule_paths;
	size_t n = r->n_rule_paths;
	if (!n && r->from_config && cfg)
		v = cfg->rules.paths.v, n = cfg->rules.paths.n;
	bool io = false;
	for (size_t i = 0; i < n; i++) {
		int k = correlate_engine_add_rules(e, v[i], errs);
		if (k > 0)
			*loaded += (size_t)k;
		io |= k < 0; /* the path cannot be read: an I/O error, not a rule finding */
	}
	if (!n && r->from_config) {
		const char *pack = replay_rules_datadir("rules");
		int k = correlate_engine_add_rules(e, pack, warns);
		if (k > 0)
			*loaded += (size_t)k;
		else if (k < 0)
			ev_errlist_add(warns, NULL, 0, 0,
			               "the shipped rule pack %s cannot be read: no rules loaded "
			               "(set rules.paths)",
			               pack);
	}
	return io;
}

char *ev_pipeline_user_cache_dir(void) {
	const char *x = getenv("XDG_CACHE_HOME");
	char *p;
	if (x && x[0] == '/')
		return asprintf(&p, "%s/evident", x) < 0 ? NULL : p;
	const char *h = getenv("HOME");
	if (!h || h[0] != '/') {
		const struct passwd *pw = getpwuid(geteuid());
		h = pw ? pw->pw_dir : NULL;
	}
	if (!h || h[0] != '/')
		return NULL;
	return asprintf(&p, "%s/.cache/evident", h) < 0 ? NULL : p;
}

/* The database cache directory for `r` (newly allocated), NULL: none. */
static char *cache_dir(const struct ev_config *cfg, const struct ev_pipeline_rules *r) {
	const char *off = getenv("EVIDENT_NO_CACHE");
	if ((off && *off && strcmp(off, "0")) || (cfg && !cfg->rules.cache) ||
	    (r->db_cache_dir && !*r->db_cache_dir))
		return NULL;
	return r->db_cache_dir ? strdup(r->db_cache_dir) : ev_pipeline_user_cache_dir();
}

struct correlate_engine *ev_pipeline_engine(const struct ev_config *cfg,
                                            const struct ev_pipeline_rules *r,
                                            struct ev_errlist *errs, struct ev_errlist *warns,
                                            struct ev_pipeline_info *ret_info) {
	struct correlate_opts co;
	corr_opts(cfg, r->engine, &co);
	co.service_field = r->service_field;
	for (size_t i = 0; cfg && i < cfg->sources.n_files; i++)
		co.service_field |= cfg->sources.files[i].service != NULL;
	struct correlate_engine *e = NULL;
	struct ev_pipeline_info info = {0};
	size_t before = ev_errlist_count(errs);
	char *dir = cache_dir(cfg, r);
	co.db_cache_dir = dir;
	int k = correlate_engine_new(&co, &e, errs); /* it keeps a copy of dir */
	free(dir);
	if (k < 0)
		return NULL;
	info.io |= add_cfg_engine_lines(e, cfg, errs) < 0;
	info.io |= add_decoders(e, cfg, r, errs, warns);
	for (size_t i = 0; i < r->n_logsources; i++)
		(void)correlate_engine_add_logsource_spec(e, r->logsources[i], "--logsource", errs);
	info.io |= add_rules(e, cfg, r, errs, warns, &info.loaded);
	if ((r->compile_despite_errors || ev_errlist_count(errs) == before) &&
	    correlate_engine_compile(e, errs, warns) < 0 && ev_errlist_count(errs) == before)
		ev_errlist_add(errs, NULL, 0, 0, "cannot compile the rules");
	if (ret_info)
		*ret_info = info;
	return e;
}

struct correlate_engine *ev_pipeline_engine_for_config(const struct ev_config *cfg,
                                                       struct ev_errlist *errs,
                                                       struct ev_errlist *warns) {
	return ev_pipeline_engine_for_agent(cfg, NULL, errs, warns);
}

struct correlate_engine *ev_pipeline_engine_for_agent(const struct ev_config *cfg,
                                                      const char *db_cache_dir,
                                                      struct ev_errlist *errs,
                                                      struct ev_errlist *warns) {
	size_t before = ev_errlist_count(errs);
	struct ev_pipeline_rules r = {.from_config = true, .db_cache_dir = db_cache_dir};
	struct correlate_engine *e = ev_pipeline_engine(cfg, &r, errs, warns, NULL);
	if (ev_errlist_count(errs) > before)
		return correlate_engine_free(e);
	return e;
}

int ev_pipeline_sources(const struct ev_config *cfg, const char *state_dir, bool from_end,
                        struct ev_pipeline_sources *ret) {
	struct collector_tail_file *files = calloc(cfg->sources.n_files + 1, sizeof(*files));
	if (!files)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->sources.n_files; i++) {
		const struct ev_cfg_file_source *f = &cfg->sources.files[i];
		files[i] = (struct collector_tail_file){.path = f->path,
		                                        .format = f->format,
		                                        .tz = f->tz,
		                                        .max_line = f->max_line,
		                                        .program = f->program,
		                                        .service = f->service};
	}
	/* the configuration's string lists are NULL-terminated (agent/config.h) */
	*ret = (struct ev_pipeline_sources){
	        .files = files,
	        .tc = {.files = files,
	               .n_files = cfg->sources.n_files,
	               .journal = cfg->sources.journal,
	               .journal_dir = cfg->sources.journal_dir,
	               .journal_units = (const char *const *)cfg->sources.journal_units.v,
	               .journal_identifiers =
	                       (const char *const *)cfg->sources.journal_identifiers.v,
	               .journal_max_priority = (int)cfg->sources.journal_max_priority,
	               .journal_field_cap = cfg->sources.journal_field_cap,
	               .max_line = cfg->sources.max_line,
	               .stat_interval_us = cfg->sources.stat_interval,
	               .checkpoint_interval_us = cfg->sources.checkpoint_interval,
	               .index_interval = cfg->sources.index_interval,
	               .state_dir = state_dir,
	               .from_end = from_end,
	               .follow_symlinks = cfg->sources.follow_symlinks}};
	return 0;
}

void ev_pipeline_sources_done(struct ev_pipeline_sources *s) {
	free(s->files);
	*s = (struct ev_pipeline_sources){0};
}
