/* evident formats: list the line formats of the library (built-in parsers, the shipped
 * conf/formats files embedded in the binary, and --dir directories) and report any file
 * that does not load. */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/cmd/commands.h"
#include "collector/format.h"

enum { OPT_DIR = 0x2000 };

static void report(const struct ev_errlist *errs) {
	for (size_t i = 0; i < errs->n; i++) {
		char *m = ev_error_format(&errs->v[i]);
		ev_log_error("%s", m ? m : errs->v[i].msg);
		free(m);
	}
}

static int formats_run(int argc, char **argv) {
	static const struct option opts[] = {
	        EV_COMMON_LONGOPTS, {"dir", required_argument, NULL, OPT_DIR}, {NULL, 0, NULL, 0}};
	bool json = false;
	struct ev_errlist errs = {0};
	int c, rc = EV_EXIT_OK;
	const struct collector_formats *lib = collector_formats_default();
	if (collector_formats_default_errors()->n) {
		report(collector_formats_default_errors());
		rc = EV_EXIT_FINDING;
	}
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_formats);
		case EV_OPT_JSON:
			json = true;
			break;
		case OPT_DIR:
			if (collector_formats_default_add_dir(optarg, &errs) < 0) {
				report(&errs);
				rc = EV_EXIT_FINDING;
			}
			ev_errlist_clear(&errs);
			break;
		default:
			return ev_option_error(&ev_cmd_formats, argv);
		}
	}
	if (optind < argc)
		return ev_usage_error(&ev_cmd_formats, "unexpected argument '%s'", argv[optind]);
	json_t *arr = json ? json_array() : NULL;
	if (!json)
		printf("%-18s %-5s %s\n", "FORMAT", "AUTO", "DESCRIPTION");
	for (size_t i = 0; i < lib->n; i++) {
		const struct collector_fmtdef *d = lib->v[i];
		if (collector_formats_find(lib, collector_fmtdef_name(d)) != d)
			continue; /* shadowed by a later definition */
		const char *desc = collector_fmtdef_description(d);
		if (json)
			json_array_append_new(arr, json_pack("{s:s, s:b, s:s?}", "name",
			                                     collector_fmtdef_name(d), "auto",
			                                     collector_fmtdef_auto(d),
			                                     "description", desc));
		else
			printf("%-18s %-5s %s\n", collector_fmtdef_name(d),
			       collector_fmtdef_auto(d) ? "yes" : "no", desc ? desc : "");
	}
	if (json) {
		json_t *o = json_pack("{s:o}", "formats", arr);
		char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
		printf("%s\n", t ? t : "{}");
		free(t);
		json_decref(o);
	} else
		printf("(built in: rfc3164, rfc5424, iso, json, logfmt; tried first by auto)\n");
	return rc;
}

const struct ev_command ev_cmd_formats = {
        .name = "formats",
        .summary = "list the line formats (built-in and conf/formats) and check format files",
        .run = formats_run,
        .usage = "Usage: evident formats [--json] [--dir DIR]...\n"
                 "\n"
                 "List the line formats a source may name with 'format:' (and that 'auto'\n"
                 "tries, in this order, after the built-in parsers). --dir adds the format\n"
                 "files (*.yaml) of DIR, as sources.formats_dir does for the agent; a file\n"
                 "that does not load is reported as FILE:LINE:COL and the exit status is 1.\n"
                 "\n"
                 "  --dir DIR  add the format files of DIR (repeatable)\n"
                 "  --json     one JSON object: {\"formats\": [{\"name\", \"auto\", "
                 "\"description\"}...]}\n"
                 "  -h, --help show this help\n",
};
