/* Error lists with positions: modules that never log collect their errors here as
 * "FILE:LINE:COL: message" and the agent decides what the user sees.
 * A list holds at most EV_ERRLIST_CAP entries; further ones are counted in `dropped`. */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "util/macro.h"

#define EV_ERRLIST_CAP 1000

struct ev_error {
	char *file;    /* may be NULL */
	unsigned line; /* 1-based, 0 = unknown */
	unsigned col;  /* 1-based, 0 = unknown */
	char *msg;
};

struct ev_errlist {
	struct ev_error *v;
	size_t n, alloc;
	size_t dropped;
};

/* Append one error. Returns 0, or -ENOMEM (the error is then counted as dropped). A NULL
 * list takes nothing: callers that want no messages pass NULL. */
int ev_errlist_add(struct ev_errlist *l, const char *file, unsigned line, unsigned col,
                   const char *fmt, ...) _printf_(5, 6);
int ev_errlist_addv(struct ev_errlist *l, const char *file, unsigned line, unsigned col,
                    const char *fmt, va_list ap) _printf_(5, 0);
/* Move every entry of src to the end of dst; src is left empty. */
void ev_errlist_move(struct ev_errlist *dst, struct ev_errlist *src);
/* Print each entry as "FILE:LINE:COL: message\n" (fields that are unknown are left out). */
void ev_errlist_print(const struct ev_errlist *l, FILE *f);
/* Format one entry into a new string; NULL on OOM. */
char *ev_error_format(const struct ev_error *e);
void ev_errlist_clear(struct ev_errlist *l);

/* LINE:COL (1-based) of positions in one text, found by walking forward from the last
 * position asked for (back to the start when asked for an earlier one), so the
 * positions of every tag of a text in order cost one pass, not one pass each. */
struct ev_textpos {
	const char *text, *at;
	unsigned line, col;
};
void ev_textpos_init(struct ev_textpos *tp, const char *text);
void ev_textpos_at(struct ev_textpos *tp, const char *p, unsigned *line, unsigned *col);
static inline size_t ev_errlist_count(const struct ev_errlist *l) {
	return l->n + l->dropped;
}
