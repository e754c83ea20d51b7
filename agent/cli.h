/* Command-line plumbing shared by every subcommand: the command table, exit codes,
 * messages, and the human/JSON output switch. */
#pragma once
#include <stdbool.h>
#include <stdio.h>

#include "util/macro.h"

/* Exit codes (stable; documented in `evident help` and evident(1)). */
enum {
	EV_EXIT_OK = 0,      /* success */
	EV_EXIT_FINDING = 1, /* a finding, a failed check, a verification failure */
	EV_EXIT_USAGE = 2,   /* usage error, I/O error, anything that stopped the work */
};

struct ev_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	const char *usage;                 /* full --help text */
};

/* agent/cmd/commands.c: every command, in `evident help` order. */
extern const struct ev_command *const ev_commands[];
extern const size_t ev_n_commands;
const struct ev_command *ev_command_find(const char *name);

/* "evident: message\n" on stderr. */
void ev_log_error(const char *fmt, ...) _printf_(1, 2);
void ev_log_warning(const char *fmt, ...) _printf_(1, 2);
void ev_log_info(const char *fmt, ...) _printf_(1, 2);
/* A usage error: one line saying what is wrong, then "Try 'evident CMD --help'." (cmd
 * NULL: "Try 'evident help'."); returns EV_EXIT_USAGE. */
int ev_usage_error(const struct ev_command *cmd, const char *fmt, ...) _printf_(2, 3);
/* The usage error for getopt_long's '?' (unknown option, missing or unexpected argument),
 * from optind/optopt; getopt itself prints nothing (opterr = 0). Returns EV_EXIT_USAGE. */
int ev_option_error(const struct ev_command *cmd, char **argv);
/* Print a command's --help to stdout; returns EV_EXIT_OK. */
int ev_print_help(const struct ev_command *cmd);
/* SIGINT and SIGTERM for a command that reads long input (replay): instead of dying, the
 * signal is noted (the handler does nothing else; a blocking read returns EINTR), the
 * command finishes the line at hand, prints its summary and exits 128 + the signal.
 * ev_interrupted() is that signal, or 0. ev_interrupt_status() the exit status for it. */
void ev_catch_interrupts(void);
int ev_interrupted(void);
int ev_interrupt_status(void);
/* Whether stdout/stderr are terminals (for human output and progress). */
bool ev_stdout_is_tty(void);
bool ev_stderr_is_tty(void);

/* Standard options every command accepts. Use EV_COMMON_LONGOPTS in getopt_long's
 * table and call ev_common_option() from the switch's default branch. */
enum { EV_OPT_HELP = 'h', EV_OPT_JSON = 0x1000 };
#define EV_COMMON_LONGOPTS                                                                         \
	{"help", no_argument, NULL, EV_OPT_HELP}, {                                                \
		"json", no_argument, NULL, EV_OPT_JSON                                             \
	}
