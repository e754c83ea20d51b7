/* Terminal colour for the human output of the commands; see term.h. The decision is made
 * per stream (stdout, stderr) on first use and kept: a command's output is either all
 * coloured or not at all. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agent/term.h"

bool ev_term_color(FILE *f) {
	static int cached[3] = {-1, -1, -1}; /* stdin, stdout, stderr */
	int fd = fileno(f);
	if (fd >= 0 && fd < 3 && cached[fd] >= 0)
		return cached[fd];
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
	bool on = fd >= 0 && isatty(fd) == 1 && !(no && *no) && !(term && !strcmp(term, "dumb"));
	if (fd >= 0 && fd < 3)
		cached[fd] = on;
	return on;
}

const char *ev_term_on(FILE *f, enum ev_color c) {
	static const char *const seq[] = {
	        [EV_COLOR_NONE] = "",           [EV_COLOR_RED] = "\033[1;31m",
	        [EV_COLOR_YELLOW] = "\033[33m", [EV_COLOR_GREEN] = "\033[32m",
	        [EV_COLOR_BOLD] = "\033[1m",
	};
	if (c == EV_COLOR_NONE || (unsigned)c >= sizeof(seq) / sizeof(seq[0]) || !ev_term_color(f))
		return "";
	return seq[c];
}

const char *ev_term_off(FILE *f) {
	return ev_term_color(f) ? "\033[0m" : "";
}

void ev_term_put_text(FILE *f, const char *s) {
	if (!s)
		s = "?";
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

enum ev_color ev_term_level_color(const char *level) {
	if (!level)
		return EV_COLOR_NONE;
	if (!strcasecmp(level, "critical") || !strcasecmp(level, "high"))
		return EV_COLOR_RED;
	if (!strcasecmp(level, "medium"))
		return EV_COLOR_YELLOW;
	return EV_COLOR_NONE;
}
