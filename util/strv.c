/* String lists (see strv.h). A push grows the vector by one and keeps a NULL after the
 * last string; the lists are short (options, configuration), so no doubling. */
#include "config.h"

#include "util/strv.h"

#include <errno.h>
#include <stdlib.h>

int ev_strv_push(struct ev_strv *l, char *s) {
	char **nv = realloc(l->v, (l->n + 2) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	l->v = nv;
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
	return 0;
}

void ev_strv_free_n(char **v, size_t n) {
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void ev_strv_clear(struct ev_strv *l) {
	ev_strv_free_n(l->v, l->n);
	l->v = NULL;
	l->n = 0;
}

void ev_strv_free(char **v) {
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}
