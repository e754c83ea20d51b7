/* The template store (see tplstore.h). Lines are written with one write(2) each on an
 * O_APPEND descriptor, so a crash leaves at most a torn last line, which loading skips. */
#include "config.h"

#include "agent/analyze/tplstore.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/io.h"
#include "util/macro.h"
#include "util/mkdir.h"

#define STORE_MAX_LINE (64 * 1024)

static char *xasprintf(const char *fmt, ...) _printf_(1, 2);
static char *xasprintf(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	char *s = ev_vasprintf(fmt, ap);
	va_end(ap);
	return s;
}

static char *store_path(const char *state_dir) {
	return xasprintf("%s/templates/templates.jsonl", state_dir);
}

static int parse_id(const char *s, uint64_t *ret) {
	char *e;
	if (!s || strlen(s) != 16)
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 16);
	if (errno || *e)
		return -EINVAL;
	*ret = v;
	return 0;
}

struct entry {
	char *text;
	uint64_t id;
	uint64_t *abs;
	size_t n_abs;
};

static void entries_free(struct entry *v, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free(v[i].text);
		free(v[i].abs);
	}
	free(v);
}

static int entry_parse(const char *line, struct entry *e) {
	json_error_t jerr;
	json_t *o = json_loads(line, 0, &jerr);
	const char *text = json_string_value(json_object_get(o, "template"));
	json_t *abs = json_object_get(o, "absorbed");
	int r = -EINVAL;
	*e = (struct entry){0};
	if (!o || !text || parse_id(json_string_value(json_object_get(o, "id")), &e->id) < 0)
		goto out;
	e->text = strdup(text);
	e->n_abs = json_array_size(abs);
	e->abs = calloc(e->n_abs ? e->n_abs : 1, sizeof(uint64_t));
	r = -ENOMEM;
	if (!e->text || !e->abs)
		goto out;
	r = -EINVAL;
	for (size_t i = 0; i < e->n_abs; i++)
		if (parse_id(json_string_value(json_array_get(abs, i)), &e->abs[i]) < 0)
			goto out;
	r = 0;
out:
	json_decref(o);
	if (r < 0) {
		free(e->text);
		free(e->abs);
		*e = (struct entry){0};
	}
	return r;
}

static bool absorbed_later(const struct entry *v, size_t n, size_t i) {
	for (size_t k = i + 1; k < n; k++)
		for (size_t j = 0; j < v[k].n_abs; j++)
			if (v[k].abs[j] == v[i].id)
				return true;
	return false;
}

int analyze_store_load(struct miner *m, const char *state_dir, size_t *ret_bad) {
	_cleanup_free_ char *path = store_path(state_dir);
	if (!path)
		return -ENOMEM;
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	*ret_bad = 0;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	struct entry *v = NULL;
	size_t n = 0, alloc = 0, cap = 0;
	_cleanup_free_ char *line = NULL;
	ssize_t len;
	int r = 0, loaded = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		struct entry e;
		if (len > STORE_MAX_LINE || entry_parse(line, &e) < 0) {
			(*ret_bad)++;
			continue;
		}
		if (n == alloc) {
			size_t na = alloc ? alloc * 2 : 64;
			struct entry *nv = realloc(v, na * sizeof(*nv));
			if (!nv) {
				free(e.text);
				free(e.abs);
				r = -ENOMEM;
				goto out;
			}
			v = nv;
			alloc = na;
		}
		v[n++] = e;
	}
	for (size_t i = 0; i < n; i++) {
		if (absorbed_later(v, n, i))
			continue;
		r = miner_seed(m, v[i].text, v[i].abs, v[i].n_abs);
		if (r < 0 && r != -EINVAL)
			goto out;
		if (r >= 0)
			loaded++;
	}
	r = loaded;
out:
	entries_free(v, n);
	return r;
}

static char *entry_line(const struct miner_template *t) {
	json_t *o = json_object(), *abs = json_array();
	char id[17];
	char *s = NULL;
	if (!o || !abs)
		goto out;
	snprintf(id, sizeof(id), "%016" PRIx64, t->id);
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "template", json_string(t->text));
	for (size_t i = 0; i < t->n_absorbed; i++) {
		snprintf(id, sizeof(id), "%016" PRIx64, t->absorbed[i]);
		json_array_append_new(abs, json_string(id));
	}
	json_object_set(o, "absorbed", abs);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
out:
	json_decref(abs);
	json_decref(o);
	return s;
}

int analyze_store_save(struct miner *m, const char *state_dir) {
	_cleanup_free_ char *dir = xasprintf("%s/templates", state_dir);
	_cleanup_free_ char *path = store_path(state_dir);
	if (!path || !dir)
		return -ENOMEM;
	int r = ev_mkdir_p(dir, 0750, 0750);
	if (r < 0)
		return r;
	_cleanup_close_ int fd =
	        open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	int saved = 0;
	for (size_t i = 0; i < miner_count(m); i++) {
		struct miner_template *t = (struct miner_template *)miner_template(m, i);
		if (t->stored)
			continue;
		_cleanup_free_ char *s = entry_line(t);
		_cleanup_free_ char *l = s ? xasprintf("%s\n", s) : NULL;
		if (!l)
			return -ENOMEM;
		r = ev_write_all(fd, l, strlen(l));
		if (r < 0)
			return r;
		t->stored = true;
		saved++;
	}
	if (fsync(fd) < 0)
		return -errno;
	return saved;
}
