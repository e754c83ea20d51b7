/* Colour on a terminal, for human output only: levels (critical, high, ...), findings
 * (verification codes, FAIL) and good news (PASS, verified). Never in JSON output, never
 * when the stream is not a terminal, never with NO_COLOR set to anything non-empty
 * (https://no-color.org) or TERM=dumb. */
#pragma once
#include <stdbool.h>
#include <stdio.h>

enum ev_color { EV_COLOR_NONE, EV_COLOR_RED, EV_COLOR_YELLOW, EV_COLOR_GREEN, EV_COLOR_BOLD };

/* Whether output to `f` is coloured (decided once per stream; see above). */
bool ev_term_color(FILE *f);
/* The escape sequence that starts colour `c` on `f`, or "" when `f` is not coloured. */
const char *ev_term_on(FILE *f, enum ev_color c);
/* The sequence that ends it, or "". */
const char *ev_term_off(FILE *f);
/* Write untrusted text (from a ledger, a bundle, a log) to `f` with every control
 * character (escape sequences included) shown as '?', coloured or not. NULL writes "?". */
void ev_term_put_text(FILE *f, const char *s);
/* The colour of a Sigma level: critical and high red, medium yellow, others none. */
enum ev_color ev_term_level_color(const char *level);
