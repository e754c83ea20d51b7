/* Drill scenario files (drill.h): lookup in the site's directories then the shipped one,
 * and the YAML checked key by key into JSON (an unknown key is an error, as in every
 * other file evident reads). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/maint/drill.h"
#include "agent/replay_rules.h"
#include "util/ytree.h"

#define RECORDS_MAX 256 /* after repeats: one control request */

struct ld {
	const char *path;
	struct ev_errlist *errs;
	int bad;
};

static void err(struct ld *l, const struct ytree_node *n, const char *fmt, ...) _printf_(3, 4);
static void err(struct ld *l, const struct ytree_node *n, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	ev_errlist_addv(l->errs, l->path, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
	l->bad = 1;
}

static const char *scalar(struct ld *l, const struct ytree_node *n, const char *what) {
	if (!n || n->kind != YTREE_SCALAR) {
		err(l, n, "%s must be a string", what);
		return NULL;
	}
	return n->str;
}

static int64_t duration(struct ld *l, const struct ytree_node *n, const char *what, int64_t def) {
	if (!n)
		return def;
	uint64_t us;
	const char *s = scalar(l, n, what);
	if (s && ev_parse_duration(s, &us) == 0)
		return (int64_t)us;
	if (s)
		err(l, n, "%s must be a duration such as 30s, 5m or 6h", what);
	return def;
}

static bool only_keys(struct ld *l, const struct ytree_node *m, const char *const *keys) {
	if (!m || m->kind != YTREE_MAP) {
		err(l, m, "%s", "expected a mapping");
		return false;
	}
	for (size_t i = 0; i < m->n; i++) {
		bool known = false;
		for (size_t k = 0; keys[k] && !known; k++)
			known = !strcmp(keys[k], m->pairs[i].key->str);
		if (!known)
			err(l, m->pairs[i].key, "unknown key '%s'", m->pairs[i].key->str);
	}
	return true;
}

static void records(struct ld *l, const struct ytree_node *seq, json_t *out) {
	if (!seq || seq->kind != YTREE_SEQ) {
		err(l, seq, "%s", "records must be a list of mappings");
		return;
	}
	for (size_t i = 0; i < seq->n; i++) {
		const struct ytree_node *r = seq->items[i];
		if (!r || r->kind != YTREE_MAP) {
			err(l, r, "%s",
			    "a record is a mapping such as {program: sshd, message: ...}");
			continue;
		}
		json_t *rec = json_object();
		long repeat = 1;
		for (size_t k = 0; k < r->n; k++) {
			const char *key = r->pairs[k].key->str;
			const struct ytree_node *v = r->pairs[k].value;
			const char *s = scalar(l, v, key);
			char *end = NULL;
			long num = s ? strtol(s, &end, 10) : 0;
			bool is_num = s && *s && end && !*end && v->plain;
			if (!s)
				continue;
			if (!strcmp(key, "repeat")) {
				if (!is_num || num < 1 || num > 100)
					err(l, v, "%s", "repeat must be a number from 1 to 100");
				else
					repeat = num;
			} else if ((!strcmp(key, "pid") || !strcmp(key, "priority")) && is_num)
				json_object_set_new(rec, key, json_integer(num));
			else
				json_object_set_new(rec, key, json_string(s));
		}
		if (!json_object_get(rec, "message"))
			err(l, r, "%s", "a record needs a message");
		for (long k = 0; k < repeat && json_array_size(out) < RECORDS_MAX; k++)
			json_array_append(out, rec);
		json_decref(rec);
	}
	if (json_array_size(out) >= RECORDS_MAX)
		err(l, seq, "%s", "a step injects at most 256 records");
}

static json_t *expect(struct ld *l, const struct ytree_node *m) {
	static const char *const keys[] = {"rule", "within", "incident", "teams", NULL};
	if (!only_keys(l, m, keys))
		return NULL;
	const char *rule = scalar(l, ytree_map_get(m, "rule"), "expect.rule");
	const struct ytree_node *inc = ytree_map_get(m, "incident");
	const char *is = inc ? scalar(l, inc, "expect.incident") : "false";
	if (is && strcmp(is, "true") && strcmp(is, "false"))
		err(l, inc, "%s", "expect.incident must be true or false");
	json_t *teams = json_array();
	const struct ytree_node *t = ytree_map_get(m, "teams");
	if (t && t->kind != YTREE_SEQ)
		err(l, t, "%s", "expect.teams must be a list of team names");
	for (size_t i = 0; t && t->kind == YTREE_SEQ && i < t->n; i++) {
		const char *s = scalar(l, t->items[i], "a team");
		if (s)
			json_array_append_new(teams, json_string(s));
	}
	return json_pack("{s:s?, s:I, s:b, s:o}", "rule", rule, "within_us",
	                 (json_int_t)duration(l, ytree_map_get(m, "within"), "expect.within",
	                                      60 * 1000000LL),
	                 "incident", is && !strcmp(is, "true"), "teams", teams);
}

static json_t *step(struct ld *l, const struct ytree_node *m) {
	static const char *const keys[] = {"name", "at", "records", "expect", NULL};
	if (!only_keys(l, m, keys))
		return NULL;
	json_t *recs = json_array();
	if (ytree_map_get(m, "records"))
		records(l, ytree_map_get(m, "records"), recs);
	const struct ytree_node *e = ytree_map_get(m, "expect");
	json_t *ex = e ? expect(l, e) : NULL;
	const char *name = scalar(l, ytree_map_get(m, "name"), "a step's name");
	return json_pack("{s:s, s:I, s:o, s:o*}", "name", name ? name : "?", "at_us",
	                 (json_int_t)duration(l, ytree_map_get(m, "at"), "at", 0), "records", recs,
	                 "expect", ex);
}

static json_t *parse(struct ld *l, const char *name, const struct ytree_node *root) {
	static const char *const keys[] = {"name", "description", "steps", NULL};
	if (!only_keys(l, root, keys))
		return NULL;
	const char *n = scalar(l, ytree_map_get(root, "name"), "name");
	if (n && strcmp(n, name))
		err(l, ytree_map_get(root, "name"), "name '%s' is not the file's name", n);
	const struct ytree_node *steps = ytree_map_get(root, "steps");
	json_t *out = json_pack(
	        "{s:s, s:s, s:s, s:[]}", "name", name, "path", l->path, "description",
	        ytree_map_get(root, "description")
	                ? scalar(l, ytree_map_get(root, "description"), "description") ?: ""
	                : "",
	        "steps");
	if (!steps || steps->kind != YTREE_SEQ || !steps->n || steps->n > EV_DRILL_STEPS_MAX)
		err(l, steps ? steps : root, "%s", "steps must be a list of 1 to 64 steps");
	int64_t prev = 0;
	for (size_t i = 0; steps && steps->kind == YTREE_SEQ && i < steps->n; i++) {
		json_t *s = step(l, steps->items[i]);
		int64_t at = json_integer_value(json_object_get(s, "at_us"));
		if (at < prev)
			err(l, steps->items[i], "%s", "steps must be in the order of their 'at'");
		prev = at;
		if (s)
			json_array_append_new(json_object_get(out, "steps"), s);
	}
	return out;
}

static bool name_ok(const char *n) {
	size_t len = strlen(n);
	return len && len <= 64 && n[0] != '.' &&
	       strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	               len;
}

int ev_drill_load(const struct ev_config *cfg, const char *name, json_t **ret,
                  struct ev_errlist *errs) {
	if (!name_ok(name)) {
		ev_errlist_add(errs, name, 0, 0,
		               "a scenario name is letters, digits, '.', '_', '-'");
		return -EINVAL;
	}
	char path[4200];
	bool found = false;
	for (size_t i = 0; i <= cfg->drills.paths.n && !found; i++) {
		const char *dir = i < cfg->drills.paths.n ? cfg->drills.paths.v[i]
		                                          : replay_rules_datadir("drills");
		snprintf(path, sizeof(path), "%s/%s.yaml", dir, name);
		found = access(path, F_OK) == 0;
	}
	if (!found) {
		ev_errlist_add(errs, name, 0, 0,
		               "no scenario '%s' in drills.paths or %s ('evident drill --list')",
		               name, replay_rules_datadir("drills"));
		return -ENOENT;
	}
	struct ytree_docs docs = {0};
	int r = ytree_parse_file(path, &docs, errs);
	if (r < 0)
		return r;
	struct ld l = {.path = path, .errs = errs};
	json_t *s = docs.n == 1 && docs.v[0].root ? parse(&l, name, docs.v[0].root) : NULL;
	if (docs.n != 1 || !docs.v[0].root)
		err(&l, NULL, "%s", "a scenario file holds one YAML document");
	ytree_docs_free(&docs);
	if (l.bad || !s) {
		json_decref(s);
		return -EINVAL;
	}
	*ret = s;
	return 0;
}

static void list_dir(const char *dir, json_t *seen) {
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n <= 5 || strcmp(de->d_name + n - 5, ".yaml"))
			continue;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(n - 5), de->d_name);
		if (!name_ok(name) || json_object_get(seen, name))
			continue;
		char p[4200];
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		json_object_set_new(seen, name, json_string(p));
	}
	if (d)
		closedir(d);
}

json_t *ev_drill_list(const struct ev_config *cfg) {
	json_t *seen = json_object(), *out = json_array();
	for (size_t i = 0; i < cfg->drills.paths.n; i++)
		list_dir(cfg->drills.paths.v[i], seen);
	list_dir(replay_rules_datadir("drills"), seen);
	const char *k;
	json_t *v;
	json_object_foreach(seen, k, v) /* jansson keeps insertion order: sort here */
	        json_array_append_new(out, json_pack("{s:s, s:O}", "name", k, "path", v));
	json_decref(seen);
	size_t n = json_array_size(out);
	for (size_t i = 1; i < n; i++) /* insertion sort: a handful of names */
		for (size_t j = i; j > 0; j--) {
			json_t *a = json_array_get(out, j - 1), *b = json_array_get(out, j);
			if (strcmp(json_string_value(json_object_get(a, "name")),
			           json_string_value(json_object_get(b, "name"))) <= 0)
				break;
			json_incref(a);
			json_array_set(out, j - 1, b);
			json_array_set_new(out, j, a);
		}
	return out;
}
