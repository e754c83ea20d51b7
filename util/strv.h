/* String lists: one type and one set of helpers for every list of strings (configuration
 * lists, repeated command-line options, argument vectors).
 *
 * Who owns the strings is the user's choice and is said where a list is declared: the
 * configuration owns its lists' strings (ev_strv_clear), a command line borrows them from
 * argv (free(l.v) only). A non-empty list built by ev_strv_push or by the configuration
 * loader is NULL-terminated (v[n] == NULL), so v can be handed to execve and friends. */
#pragma once
#include <stddef.h>

struct ev_strv {
	char **v;
	size_t n;
};

/* Append `s` itself (not a copy); v stays NULL-terminated. Returns 0, or -ENOMEM with the
 * list unchanged. */
int ev_strv_push(struct ev_strv *l, char *s);
/* Free every string and the vector, and leave the list empty. */
void ev_strv_clear(struct ev_strv *l);
/* Free a NULL-terminated vector and its strings. NULL is fine. */
void ev_strv_free(char **v);
/* Free the first n strings of v (NULL entries are fine) and v. NULL is fine. */
void ev_strv_free_n(char **v, size_t n);
