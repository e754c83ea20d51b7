/* Error lists: a growable array of positioned messages with a hard cap. */
#include "util/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ev_errlist_addv(struct ev_errlist *l, const char *file, unsigned line, unsigned col,
                    const char *fmt, va_list ap) {
	if (!l)
		return 0; /* a caller that wants no messages */
	if (l->n >= EV_ERRLIST_CAP) {
		l->dropped++;
		return 0;
	}
	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 8;
		struct ev_error *nv = realloc(l->v, na * sizeof(*nv));
		if (!nv) {
			l->dropped++;
			return -ENOMEM;
		}
		l->v = nv;
		l->alloc = na;
	}
	char *msg = ev_vasprintf(fmt, ap);
	if (!msg) {
		l->dropped++;
		return -ENOMEM;
	}
	struct ev_error *e = &l->v[l->n];
	e->file = file ? strdup(file) : NULL;
	e->line = line;
	e->col = col;
	e->msg = msg;
	l->n++;
	return 0;
}

int ev_errlist_add(struct ev_errlist *l, const char *file, unsigned line, unsigned col,
                   const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	int r = ev_errlist_addv(l, file, line, col, fmt, ap);
	va_end(ap);
	return r;
}

void ev_errlist_move(struct ev_errlist *dst, struct ev_errlist *src) {
	for (size_t i = 0; i < src->n; i++) {
		struct ev_error *e = &src->v[i];
		ev_errlist_add(dst, e->file, e->line, e->col, "%s", e->msg);
	}
	dst->dropped += src->dropped;
	ev_errlist_clear(src);
}

char *ev_error_format(const struct ev_error *e) {
	char *s = NULL;
	int r;
	if (e->file && e->line && e->col)
		r = asprintf(&s, "%s:%u:%u: %s", e->file, e->line, e->col, e->msg);
	else if (e->file && e->line)
		r = asprintf(&s, "%s:%u: %s", e->file, e->line, e->msg);
	else if (e->file)
		r = asprintf(&s, "%s: %s", e->file, e->msg);
	else
		r = asprintf(&s, "%s", e->msg);
	return r < 0 ? NULL : s;
}

void ev_errlist_print(const struct ev_errlist *l, FILE *f) {
	for (size_t i = 0; i < l->n; i++) {
		_cleanup_free_ char *s = ev_error_format(&l->v[i]);
		fprintf(f, "%s\n", s ? s : l->v[i].msg);
	}
	if (l->dropped)
		fprintf(f, "(%zu more errors not shown)\n", l->dropped);
}

void ev_errlist_clear(struct ev_errlist *l) {
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].file);
		free(l->v[i].msg);
	}
	free(l->v);
	*l = (struct ev_errlist){0};
}

void ev_textpos_init(struct ev_textpos *tp, const char *text) {
	tp->text = tp->at = text;
	tp->line = tp->col = 1;
}

void ev_textpos_at(struct ev_textpos *tp, const char *p, unsigned *line, unsigned *col) {
	if (p < tp->at)
		ev_textpos_init(tp, tp->text);
	for (; tp->at < p; tp->at++) {
		if (*tp->at == '\n') {
			tp->line++;
			tp->col = 1;
		} else
			tp->col++;
	}
	*line = tp->line;
	*col = tp->col;
}
