/* {{name}} substitution with positions for every error; see template.h. The output grows
 * in a FILE* memstream, so its size is only bounded by the template and the values. */
#include "config.h"

#include "agent/notify/template.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/strdist.h"

#define NAME_MAX_LEN 64

int ev_template_render(const char *file, const char *text, size_t len, const json_t *vars,
                       char **ret, struct ev_errlist *errs) {
	char *out = NULL;
	size_t olen = 0;
	FILE *f = open_memstream(&out, &olen);
	if (!f)
		return -ENOMEM;
	int r = 0;
	const char *p = text, *end = text + len;
	unsigned line, col;
	struct ev_textpos tp;
	ev_textpos_init(&tp, text);
	while (p < end) {
		const char *o = memmem(p, (size_t)(end - p), "{{", 2);
		if (!o) {
			fwrite(p, 1, (size_t)(end - p), f);
			break;
		}
		fwrite(p, 1, (size_t)(o - p), f);
		const char *c = memmem(o + 2, (size_t)(end - o - 2), "}}", 2);
		const char *nl = memchr(o + 2, '\n', (size_t)(end - o - 2));
		ev_textpos_at(&tp, o, &line, &col);
		if (!c || (nl && nl < c)) {
			ev_errlist_add(errs, file, line, col,
			               "'{{' is not closed by '}}' on this line");
			r = -EINVAL;
			break;
		}
		const char *n0 = o + 2, *n1 = c;
		while (n0 < n1 && isspace((unsigned char)*n0))
			n0++;
		while (n1 > n0 && isspace((unsigned char)n1[-1]))
			n1--;
		char name[NAME_MAX_LEN + 1];
		size_t nlen = (size_t)(n1 - n0);
		if (!nlen || nlen > NAME_MAX_LEN) {
			ev_errlist_add(errs, file, line, col, "empty or too long placeholder name");
			r = -EINVAL;
			p = c + 2;
			continue;
		}
		memcpy(name, n0, nlen);
		name[nlen] = 0;
		json_t *v = json_object_get(vars, name);
		if (!v) {
			struct ev_suggest sg = ev_suggest_init(name);
			const char *k;
			json_t *x;
			json_object_foreach((json_t *)vars, k, x) ev_suggest_add(&sg, k);
			const char *best = ev_suggest_best(&sg);
			ev_errlist_add(errs, file, line, col, "unknown placeholder '%s'%s%s%s",
			               name, best ? " (did you mean '" : "", best ? best : "",
			               best ? "'?)" : "");
			r = -EINVAL;
		} else if (json_is_string(v))
			fputs(json_string_value(v), f);
		p = c + 2;
	}
	if (fclose(f) != 0 && r >= 0)
		r = -ENOMEM;
	if (r < 0) {
		free(out);
		return r;
	}
	*ret = out;
	return 0;
}

int ev_template_render_file(const char *file, const json_t *vars, char **ret,
                            struct ev_errlist *errs) {
	char *buf = NULL;
	size_t len = 0;
	int r = store_read_file(file, EV_TEMPLATE_MAX, &buf, &len);
	if (r < 0) {
		ev_errlist_add(errs, file, 0, 0, "cannot read the template: %s", strerror(-r));
		return r;
	}
	r = ev_template_render(file, buf, len, vars, ret, errs);
	free(buf);
	return r;
}
