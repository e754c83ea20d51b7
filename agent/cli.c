/* Messages and help printing for all commands. Only agent/ prints; the libraries return
 * errors. */
#include "agent/cli.h"

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

int ev_usage_error(const struct ev_command *cmd, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vlog(NULL, fmt, ap);
	va_end(ap);
	if (cmd && cmd->usage)
		fputs(cmd->usage, stderr);
	else
		fprintf(stderr, "Try 'evident help'.\n");
	return EV_EXIT_USAGE;
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
bool ev_stderr_is_tty(void) {
	return isatty(STDERR_FILENO) == 1;
}

const struct ev_command *ev_command_find(const char *name) {
	for (size_t i = 0; i < ev_n_commands; i++)
		if (strcmp(ev_commands[i]->name, name) == 0)
			return ev_commands[i];
	return NULL;
}
