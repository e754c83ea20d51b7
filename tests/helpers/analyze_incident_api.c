/* A test driver for analyze_incident() (agent/analyze/analysis.h), the call the report
 * uses: analyze-incident-api CONFIG INC SVG-OUT [STATE-DIR] prints the timeline JSON on
 * stdout and writes the SVG string to SVG-OUT; exit 0, or 2 with the errors on stderr.
 * STATE-DIR, when given, is where the incident lives (the report's --state-dir). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "agent/analyze/analysis.h"
#include "agent/cmd/commands.h"
#include "agent/settings.h"
#include "util/err.h"

/* The command table in libagent.a names these two, which live in the binary's main.c. */
const struct ev_command ev_cmd_help = {.name = "help"};
const struct ev_command ev_cmd_version = {.name = "version"};

int main(int argc, char **argv) {
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: %s CONFIG INC SVG-OUT [STATE-DIR]\n", argv[0]);
		return 2;
	}
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	struct analysis *a = NULL;
	int r = ev_config_load(argv[1], &cfg, &errs);
	if (r >= 0)
		r = analyze_incident(cfg, argc == 5 ? argv[4] : NULL, argv[2], &a, &errs);
	char *svg = r >= 0 ? analyze_svg_string(a, NULL) : NULL;
	json_t *tl = r >= 0 ? analyze_timeline_json(a) : NULL;
	FILE *f = svg ? fopen(argv[3], "we") : NULL;
	if (r >= 0 && (!svg || !tl || !f || fputs(svg, f) < 0))
		r = -1;
	if (f && fclose(f) != 0)
		r = -1;
	if (r >= 0 && json_dumpf(tl, stdout, JSON_COMPACT | JSON_SORT_KEYS) == 0)
		fputc('\n', stdout);
	ev_errlist_print(&errs, stderr);
	ev_errlist_clear(&errs);
	free(svg);
	json_decref(tl);
	analyze_free(a);
	ev_config_free(cfg);
	return r < 0 ? 2 : 0;
}
