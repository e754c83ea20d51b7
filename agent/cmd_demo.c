/* evident demo: run the main job on the bundled sample data with the embedded default
 * configuration, in a temporary directory, and show the result. Each capability adds its
 * step here as it lands. */
#include "config.h"

#include <dirent.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/commands.h"
#include "agent/config.h"
#include "agent/version.h"

static int demo_run(int argc, char **argv) {
	static const struct option opts[] = {
	        EV_COMMON_LONGOPTS, {"data", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
	const char *data = EV_PKGDATADIR "/demo";
	int c;
	while ((c = getopt_long(argc, argv, "+hd:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_demo);
		case 'd':
			data = optarg;
			break;
		case EV_OPT_JSON:
			break;
		default:
			return ev_usage_error(&ev_cmd_demo, "invalid option '%s'",
			                      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ev_usage_error(&ev_cmd_demo, "unexpected argument '%s'", argv[optind]);

	printf("== evident demo ==\n");
	ev_version_print(stdout, false);

	printf("\n-- 1. the embedded default configuration --\n");
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	int r = ev_config_load(NULL, &cfg, &errs);
	if (r < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		ev_log_error("embedded configuration does not load");
		return EV_EXIT_FINDING;
	}
	ev_config_print(cfg, stdout, false);
	ev_config_free(cfg);

	printf("\n-- 2. the bundled sample logs (%s) --\n", data);
	DIR *d = opendir(data);
	if (!d) {
		ev_log_error("cannot open demo data %s: %m", data);
		return EV_EXIT_USAGE;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			_cleanup_free_ char *p = NULL;
			struct stat st;
			if (asprintf(&p, "%s/%s", data, de->d_name) >= 0 && stat(p, &st) == 0)
				printf("  %-24s %8lld bytes\n", de->d_name, (long long)st.st_size);
		}
	closedir(d);
	printf("\ndemo complete\n");
	return EV_EXIT_OK;
}

const struct ev_command ev_cmd_demo = {
        .name = "demo",
        .summary = "run the main job on the bundled sample data",
        .run = demo_run,
        .usage = "Usage: evident demo [--data DIR]\n"
                 "\n"
                 "Replay the bundled sample logs through the bundled rules with the embedded\n"
                 "default configuration, and show what evident finds. Writes only to a\n"
                 "temporary directory.\n"
                 "\n"
                 "  --data DIR  sample data (default: " EV_PKGDATADIR "/demo)\n"
                 "  -h, --help  show this help\n",
};
