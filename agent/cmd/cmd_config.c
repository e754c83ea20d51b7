/* evident config check [FILE]: load a configuration, print it or every error. */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agent/paths.h"
#include "agent/cmd/commands.h"
#include "agent/settings.h"
#include "agent/pipeline.h"
#include "agent/replay_rules.h"
#include "agent/selectors.h"

/* actions.seal_on's rule: and tag: selectors against the rules this configuration loads
 * (as the agent does at start and on reload): warnings on stderr, never a failure. */
static void check_selectors(const struct ev_config *cfg) {
	bool any = false;
	for (size_t i = 0; i < cfg->actions.seal_on.n; i++)
		any = any || strncmp(cfg->actions.seal_on.v[i], "level:", 6) != 0;
	if (!any)
		return;
	struct ev_errlist errs = {0}, warns = {0};
	struct correlate_engine *e = ev_pipeline_engine_for_config(cfg, &errs, &warns);
	ev_errlist_clear(&warns); /* the rules' own warnings: `evident rules check` */
	if (!e)
		ev_log_warning("%s: actions.seal_on not checked against the rules: they do not "
		               "load (%zu error%s; see 'evident rules --config %s check')",
		               cfg->origin, ev_errlist_count(&errs),
		               ev_errlist_count(&errs) == 1 ? "" : "s", cfg->origin);
	else
		ev_selectors_check(cfg, e, &warns);
	for (size_t i = 0; i < warns.n; i++) {
		char *m = ev_error_format(&warns.v[i]);
		ev_log_warning("%s", m ? m : warns.v[i].msg);
		free(m);
	}
	if (warns.dropped)
		ev_log_warning("(%zu more warnings not shown)", warns.dropped);
	ev_errlist_clear(&warns);
	ev_errlist_clear(&errs);
	correlate_engine_free(e);
}

static int config_run(int argc, char **argv) {
	static const struct option opts[] = {EV_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	bool json = false, quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_config);
		case EV_OPT_JSON:
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return ev_option_error(&ev_cmd_config, argv);
		}
	}
	if (optind >= argc)
		return ev_usage_error(&ev_cmd_config, "missing subcommand (check)");
	if (strcmp(argv[optind], "check") != 0)
		return ev_usage_error(&ev_cmd_config, "unknown subcommand '%s'", argv[optind]);
	optind++;
	if (argc - optind > 1)
		return ev_usage_error(&ev_cmd_config, "too many arguments");
	const char *path = optind < argc ? argv[optind] : NULL;

	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	int r = ev_config_load(path, &cfg, &errs);
	if (r < 0) {
		if (json) {
			json_t *arr = json_array();
			for (size_t i = 0; i < errs.n; i++) {
				const struct ev_error *e = &errs.v[i];
				json_array_append_new(
				        arr, json_pack("{s:s?, s:i, s:i, s:s}", "file", e->file,
				                       "line", (int)e->line, "column", (int)e->col,
				                       "message", e->msg));
			}
			json_t *o = json_pack("{s:b, s:o}", "ok", 0, "errors", arr);
			char *t = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
			printf("%s\n", t ? t : "{}");
			free(t);
			json_decref(o);
		}
		ev_errlist_print(&errs, stderr);
		size_t n = ev_errlist_count(&errs);
		ev_errlist_clear(&errs);
		if (r == -EINVAL) {
			fprintf(stderr, "evident: %s: %zu error%s\n", path ? path : "<embedded>", n,
			        n == 1 ? "" : "s");
			return EV_EXIT_FINDING;
		}
		return EV_EXIT_USAGE;
	}
	check_selectors(cfg);
	if (!quiet)
		ev_config_print(cfg, stdout, json);
	if (!json && !quiet)
		fprintf(stderr, "evident: %s: configuration is valid\n", cfg->origin);
	ev_config_free(cfg);
	return EV_EXIT_OK;
}

const struct ev_command ev_cmd_config = {
        .name = "config",
        .summary = "check a configuration and show the effective settings",
        .run = config_run,
        .usage = "Usage: evident config check [--json] [-q] [FILE]\n"
                 "\n"
                 "Load FILE (default: " EV_CONFIG_DEFAULT_HELP "),\n"
                 "report every error as "
                 "FILE:LINE:COL: message, or print the effective configuration.\n"
                 "\n"
                 "  --json     machine-readable output\n"
                 "  -q         print nothing when the configuration is valid\n"
                 "  -h, --help show this help\n",
};
