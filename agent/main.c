/* evident: entry point. Dispatches to subcommands; `evident help` lists them. */
#include "config.h"

#include <getopt.h>
#include <locale.h>
#include <string.h>

#include "agent/cmd/commands.h"
#include "agent/formats.h"
#include "agent/version.h"
#include "correlate/engine.h"

static const char main_usage[] =
        "Usage: evident COMMAND [OPTIONS] [ARGS]\n"
        "       evident help [COMMAND]\n"
        "       evident --version\n"
        "\n"
        "evident is a per-host incident-response agent: it tails journald and log files,\n"
        "matches them against Sigma rules, and seals evidence into signed, hash-chained\n"
        "bundles that investigators verify offline.\n";

static void print_main_usage(FILE *f) {
	fputs(main_usage, f);
	fputs("\nCommands:\n", f);
	for (size_t i = 0; i < ev_n_commands; i++)
		fprintf(f, "  %-10s %s\n", ev_commands[i]->name, ev_commands[i]->summary);
	fputs("\nRun 'evident COMMAND --help' for a command's options.\n", f);
}

static int help_run(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0) {
		if (argv[1][0] == '-')
			return ev_usage_error(&ev_cmd_help, "unrecognized option '%s'", argv[1]);
		const struct ev_command *c = ev_command_find(argv[1]);
		if (!c)
			return ev_usage_error(NULL, "unknown command '%s'", argv[1]);
		return ev_print_help(c);
	}
	print_main_usage(stdout);
	fputs("\nExit status: 0 success, 1 a finding or failed check, 2 usage or I/O error.\n",
	      stdout);
	return EV_EXIT_OK;
}

const struct ev_command ev_cmd_help = {
        .name = "help",
        .summary = "show the commands, or one command's help",
        .run = help_run,
        .usage = "Usage: evident help [COMMAND]\n\nShow the list of commands, or the help of "
                 "COMMAND.\n",
};

static int version_run(int argc, char **argv) {
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return ev_print_help(&ev_cmd_version);
		else
			return ev_usage_error(&ev_cmd_version, "unrecognized option '%s'", argv[i]);
	}
	ev_version_print(stdout, json);
	return EV_EXIT_OK;
}

const struct ev_command ev_cmd_version = {
        .name = "version",
        .summary = "show the version and the build's features",
        .run = version_run,
        .usage = "Usage: evident version [--json]\n\nShow the version and the features of this "
                 "build.\n"
                 "  --json     machine-readable output\n",
};

int main(int argc, char **argv) {
	setlocale(LC_CTYPE, "C.UTF-8");
	collector_formats_set_loader(ev_formats_load_embedded);
	if (argc < 2) {
		print_main_usage(stderr);
		return EV_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		ev_version_print(stdout, argc > 2 && strcmp(argv[2], "--json") == 0);
		return EV_EXIT_OK;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		char *hargv[] = {(char *)"help", NULL};
		return help_run(1, hargv);
	}
	if (cmd[0] == '-')
		return ev_usage_error(NULL, "unknown option '%s'", cmd);
	const struct ev_command *c = ev_command_find(cmd);
	if (!c)
		return ev_usage_error(NULL, "unknown command '%s'", cmd);
	/* getopt_long state is global: reset it for the subcommand, and let the command
	 * report a bad option once, in its own words (ev_option_error). */
	optind = 1;
	opterr = 0;
	return c->run(argc - 1, argv + 1);
}
