/* Messages and help printing for all commands. Only agent/ prints; the libraries return
 * errors. */
#include "agent/cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

_printf_(2, 0) static void vlog(const char *prefix, const char *fmt, va_list ap) {
	fputs("evident: ", stderr);
	if (prefix)
		fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ev_log_error(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vlog(NULL, fmt, ap);
	va_end(ap);
}

void ev_log_warning(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void ev_log_info(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vlog(NULL, fmt, ap);
	va_end(ap);
}

static void try_help(const struct ev_command *cmd) {
	if (cmd)
		fprintf(stderr, "Try 'evident %s --help'.\n", cmd->name);
	else
		fputs("Try 'evident help'.\n", stderr);
}

int ev_usage_error(const struct ev_command *cmd, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vlog(NULL, fmt, ap);
	va_end(ap);
	try_help(cmd);
	return EV_EXIT_USAGE;
}

/* getopt_long runs with opterr = 0 (main.c), so this is the only report of a bad option.
 * A long option: glibc leaves optopt 0 when the name is unknown (or an ambiguous prefix)
 * and sets it to the option's value when its argument is missing or not allowed. A short
 * option: optopt is the letter either way; a letter the usage lists ("-c, --config") is a
 * known one, so its argument is what is missing. */
int ev_option_error(const struct ev_command *cmd, char **argv) {
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	if (strncmp(arg, "--", 2) == 0) {
		size_t len = strcspn(arg, "=");
		if (optopt == 0)
			return ev_usage_error(cmd, "unrecognized option '%.*s'", (int)len, arg);
		if (arg[len] == '=')
			return ev_usage_error(cmd, "option '%.*s' takes no argument", (int)len,
			                      arg);
		return ev_usage_error(cmd, "option '%s' needs an argument", arg);
	}
	char known[8];
	snprintf(known, sizeof(known), "-%c, ", optopt);
	if (optopt > ' ' && optopt < 0x7f && cmd && cmd->usage && strstr(cmd->usage, known))
		return ev_usage_error(cmd, "option '-%c' needs an argument", optopt);
	if (optopt > ' ' && optopt < 0x7f)
		return ev_usage_error(cmd, "invalid option '-%c'", optopt);
	return ev_usage_error(cmd, "invalid option '%s'", arg);
}

int ev_print_help(const struct ev_command *cmd) {
	fputs(cmd->usage, stdout);
	if (!strstr(cmd->usage, "Exit status"))
		fputs("\nExit status: 0 success, 1 a finding or failed check, 2 usage or I/O "
		      "error.\n",
		      stdout);
	return EV_EXIT_OK;
}

bool ev_stdout_is_tty(void) {
	return isatty(STDOUT_FILENO) == 1;
}
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
	interrupted = sig;
}

void ev_catch_interrupts(void) {
	struct sigaction sa = {.sa_handler = on_interrupt}; /* no SA_RESTART: reads return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int ev_interrupted(void) {
	return interrupted;
}

int ev_interrupt_status(void) {
	return interrupted ? 128 + interrupted : 0;
}

bool ev_stderr_is_tty(void) {
	return isatty(STDERR_FILENO) == 1;
}

const struct ev_command *ev_command_find(const char *name) {
	for (size_t i = 0; i < ev_n_commands; i++)
		if (strcmp(ev_commands[i]->name, name) == 0)
			return ev_commands[i];
	return NULL;
}
