/* Configuration loader: walks the YAML tree of evident.yaml against the schema
 * (agent/settings.c). Defaults are written as strings and go through the same parsers as
 * file values, so a default can never be of the wrong type. Loading never stops at the
 * first error: every error of every file is collected, and a config is returned only when
 * there are none. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "agent/paths.h"
#include "agent/settings.h"
#include "agent/settings_schema.h"
#include "agent/incident/policy.h"
#include "agent/notify/channel.h"

#include "collector/format.h"
#include "collector/parse.h"
#include "correlate/engine.h"
#include "util/ytree.h"

struct loader {
	struct ev_errlist *errs;
	const char *file;
	int depth; /* include depth */
};

static void err_at(struct loader *L, const struct ytree_node *n, const char *fmt, ...)
        _printf_(3, 4);
static void err_at(struct loader *L, const struct ytree_node *n, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	ev_errlist_addv(L->errs, L->file, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
}

static const struct cfg_key *key_find(const struct cfg_key *keys, const char *name) {
	for (const struct cfg_key *k = keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

static void unknown_key(struct loader *L, const struct cfg_key *keys, const char *where,
                        const struct ytree_node *kn) {
	struct ev_suggest sg = ev_suggest_init(kn->str);
	for (const struct cfg_key *k = keys; k->name; k++)
		ev_suggest_add(&sg, k->name);
	const char *best = ev_suggest_best(&sg);
	if (best)
		err_at(L, kn, "unknown key '%s' in %s (did you mean '%s'?)", kn->str, where, best);
	else
		err_at(L, kn, "unknown key '%s' in %s", kn->str, where);
}

static const char *type_name(enum cfg_type t) {
	switch (t) {
	case CT_SECTION:
		return "a mapping";
	case CT_STRING:
	case CT_ENUM:
		return "a string";
	case CT_PATH:
		return "a path";
	case CT_BOOL:
		return "true or false";
	case CT_INT:
		return "an integer";
	case CT_DURATION:
		return "a duration such as 30s, 15m or 2h";
	case CT_SIZE:
		return "a size such as 4096, 64KiB or 1MiB";
	case CT_STRV:
		return "a list of strings";
	case CT_FILES:
		return "a list of paths or mappings";
	case CT_CHANNELS:
		return "a list of channel mappings";
	}
	return "?";
}

static char *path_resolve(const struct loader *L, const char *p) {
	if (p[0] == '/' || !L->file || L->file[0] == '<')
		return strdup(p);
	_cleanup_free_ char *dup = strdup(L->file);
	if (!dup)
		return NULL;
	char *s = NULL;
	if (asprintf(&s, "%s/%s", dirname(dup), p) < 0)
		return NULL;
	return s;
}

/* Parse one scalar value `s` (from node n, NULL for defaults) into dst. */
/* A duration or a size: parsed, range-checked against the key's min..max (both >= 0),
 * written as uint64_t. `what` and `hint` name the kind and its syntax in the message. */
static int set_unit(struct loader *L, const struct cfg_key *k, const struct ytree_node *n,
                    const char *s, int (*parse)(const char *, uint64_t *),
                    void (*format)(uint64_t, char *, size_t), const char *what, const char *hint,
                    void *dst) {
	uint64_t v;
	if (parse(s, &v) < 0) {
		err_at(L, n, "'%s': invalid %s '%s' (%s)", k->name, what, s, hint);
		return -EINVAL;
	}
	if (v < (uint64_t)k->min || v > (uint64_t)k->max) {
		char lo[32], hi[32];
		format((uint64_t)k->min, lo, sizeof(lo));
		format((uint64_t)k->max, hi, sizeof(hi));
		err_at(L, n, "'%s': %s is out of range (%s..%s)", k->name, s, lo, hi);
		return -ERANGE;
	}
	*(uint64_t *)dst = v;
	return 0;
}

static int set_scalar(struct loader *L, const struct cfg_key *k, void *dst, const char *s,
                      const struct ytree_node *n) {
	switch (k->type) {
	case CT_STRING:
	case CT_PATH: {
		if (!*s) {
			err_at(L, n, "'%s' must not be empty", k->name);
			return -EINVAL;
		}
		if (k->type == CT_PATH && strlen(s) >= PATH_MAX) {
			err_at(L, n, "'%s': path longer than %d bytes", k->name, PATH_MAX - 1);
			return -EINVAL;
		}
		char *v = strdup(s);
		if (!v)
			return -ENOMEM;
		free(*(char **)dst);
		*(char **)dst = v;
		return 0;
	}
	case CT_ENUM: {
		size_t sl = strlen(s);
		for (const char *c = k->choices; c && *c;) {
			const char *e = strchr(c, '|');
			size_t cl = e ? (size_t)(e - c) : strlen(c);
			if (cl == sl && strncmp(c, s, cl) == 0) {
				char *v = strdup(s);
				if (!v)
					return -ENOMEM;
				free(*(char **)dst);
				*(char **)dst = v;
				return 0;
			}
			c = e ? e + 1 : c + cl;
		}
		err_at(L, n, "'%s': invalid value '%s' (expected one of: %s)", k->name, s,
		       k->choices);
		return -EINVAL;
	}
	case CT_BOOL:
		if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
			*(bool *)dst = true;
		else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
			*(bool *)dst = false;
		else {
			err_at(L, n, "'%s': expected true or false, got '%s'", k->name, s);
			return -EINVAL;
		}
		return 0;
	case CT_INT: {
		char *end = NULL;
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (!*s || *end || errno == ERANGE) {
			err_at(L, n, "'%s': expected an integer, got '%s'", k->name, s);
			return -EINVAL;
		}
		if (v < k->min || v > k->max) {
			err_at(L, n, "'%s': %lld is out of range (%" PRId64 "..%" PRId64 ")",
			       k->name, v, k->min, k->max);
			return -ERANGE;
		}
		*(int64_t *)dst = v;
		return 0;
	}
	case CT_DURATION:
		return set_unit(L, k, n, s, ev_parse_duration, ev_format_duration, "duration",
		                "use a number and a unit: 500ms, 30s, 15m, 2h, 1d", dst);
	case CT_SIZE:
		return set_unit(L, k, n, s, ev_parse_size, ev_format_size, "size",
		                "use bytes or a unit: 4096, 64KiB, 1MiB, 2GiB", dst);
	default:
		return -EINVAL;
	}
}

static void apply_defaults(const struct cfg_key *keys, void *base) {
	for (const struct cfg_key *k = keys; k->name; k++) {
		if (k->type == CT_SECTION) {
			apply_defaults(k->sub, base);
			continue;
		}
		if (!k->def)
			continue;
		if (k->type == CT_STRV) { /* a list default: one item per line */
			struct ev_strv *v = (struct ev_strv *)((char *)base + k->offset);
			size_t n = 1;
			for (const char *p = k->def; *p; p++)
				n += *p == '\n';
			v->v = calloc(n + 1, sizeof(char *));
			for (const char *p = k->def; v->v && *p;) { /* OOM: a shorter list */
				size_t len = strcspn(p, "\n");
				if (!(v->v[v->n] = strndup(p, len)))
					break;
				v->n++;
				p += len + (p[len] == '\n');
			}
			continue;
		}
		struct loader L = {0};
		struct ev_errlist e = {0};
		L.errs = &e;
		int r = set_scalar(&L, k, (char *)base + k->offset, k->def, NULL);
		/* A default that does not parse is a programming error caught by the tests. */
		if (r < 0)
			abort();
		ev_errlist_clear(&e);
	}
}

/* rules.logsources and rules.placeholders: each item must be a line the engine accepts
 * ("SERVICE: WORD...", "NAME: VALUE..."), so a bad one is reported here with its position
 * rather than when rules are built. */
static int check_engine_lines(struct loader *L, const struct ytree_node *n, bool placeholders) {
	if (n->kind != YTREE_SEQ)
		return 0;
	struct correlate_engine *e = NULL;
	struct ev_errlist errs = {0};
	if (correlate_engine_new(NULL, &e, &errs) < 0) {
		ev_errlist_clear(&errs);
		return -ENOMEM;
	}
	int ret = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct ytree_node *it = n->items[i];
		if (it->kind != YTREE_SCALAR || it->len == 0)
			continue; /* load_strv said so */
		int r = placeholders
		                ? correlate_engine_add_placeholder_spec(e, it->str, NULL, &errs)
		                : correlate_engine_add_logsource_spec(e, it->str, NULL, &errs);
		if (r == -ENOMEM) {
			ret = r;
			break;
		}
		if (r < 0) {
			err_at(L, it, "%s", errs.n ? errs.v[errs.n - 1].msg : "invalid entry");
			ret = -EINVAL;
		}
	}
	ev_errlist_clear(&errs);
	correlate_engine_free(e);
	return ret;
}

/* actions.seal_on: each item is level:LEVEL (a Sigma level), rule:ID or tag:TAG. Whether a
 * rule or tag exists depends on the rules loaded, checked later (agent/selectors.c). */
static int check_seal_on(struct loader *L, const struct ytree_node *n, const char *key) {
	static const char *const levels[] = {"informational", "low", "medium", "high", "critical"};
	int ret = 0;
	for (size_t i = 0; n->kind == YTREE_SEQ && i < n->n; i++) {
		const struct ytree_node *it = n->items[i];
		if (it->kind != YTREE_SCALAR || it->len == 0)
			continue; /* load_strv said so */
		const char *colon = strchr(it->str, ':');
		size_t kl = colon ? (size_t)(colon - it->str) : 0;
		bool known = colon && ((kl == 5 && !strncmp(it->str, "level", 5)) ||
		                       (kl == 4 && !strncmp(it->str, "rule", 4)) ||
		                       (kl == 3 && !strncmp(it->str, "tag", 3)));
		if (!known || !colon[1]) {
			err_at(L, it, "%s '%s': expected level:LEVEL, rule:ID or tag:TAG", key,
			       it->str);
			ret = -EINVAL;
			continue;
		}
		if (kl != 5)
			continue;
		struct ev_suggest sg = ev_suggest_init(colon + 1);
		bool found = false;
		for (size_t j = 0; j < ELEMENTSOF(levels); j++) {
			found = found || !strcmp(colon + 1, levels[j]);
			ev_suggest_add(&sg, levels[j]);
		}
		if (found)
			continue;
		const char *best = ev_suggest_best(&sg);
		if (best)
			err_at(L, it, "%s '%s': unknown level '%s' (did you mean '%s'?)", key,
			       it->str, colon + 1, best);
		else
			err_at(L, it,
			       "%s '%s': unknown level '%s' (informational, low, medium, "
			       "high or critical)",
			       key, it->str, colon + 1);
		ret = -EINVAL;
	}
	return ret;
}

static int load_strv(struct loader *L, const struct cfg_key *k, struct ev_strv *v,
                     const struct ytree_node *n, bool resolve) {
	if (n->kind == YTREE_SCALAR && !ytree_is_null(n)) {
		err_at(L, n, "'%s' must be a list (write it as [%s] or one '- item' per line)",
		       k->name, n->str);
		return -EINVAL;
	}
	ev_strv_clear(v);
	if (ytree_is_null(n))
		return 0;
	if (n->kind != YTREE_SEQ) {
		err_at(L, n, "'%s' must be a list of strings, found %s", k->name,
		       ytree_kind_name(n->kind));
		return -EINVAL;
	}
	v->v = calloc(n->n + 1, sizeof(char *));
	if (!v->v)
		return -ENOMEM;
	int ret = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct ytree_node *it = n->items[i];
		if (it->kind != YTREE_SCALAR || it->len == 0) {
			err_at(L, it, "'%s' item %zu must be a non-empty string", k->name, i + 1);
			ret = -EINVAL;
			continue;
		}
		char *s = resolve ? path_resolve(L, it->str) : strdup(it->str);
		if (!s)
			return -ENOMEM;
		v->v[v->n++] = s;
	}
	return ret;
}

static void files_clear(struct ev_config *c) {
	for (size_t i = 0; i < c->sources.n_files; i++) {
		free(c->sources.files[i].path);
		free(c->sources.files[i].format);
		free(c->sources.files[i].tz);
		free(c->sources.files[i].program);
		free(c->sources.files[i].service);
	}
	free(c->sources.files);
	c->sources.files = NULL;
	c->sources.n_files = 0;
}

static int load_files(struct loader *L, const struct cfg_key *k, struct ev_config *c,
                      const struct ytree_node *n) {
	files_clear(c);
	if (ytree_is_null(n))
		return 0;
	if (n->kind != YTREE_SEQ) {
		err_at(L, n, "'%s' must be %s, found %s", k->name, type_name(k->type),
		       ytree_kind_name(n->kind));
		return -EINVAL;
	}
	c->sources.files = calloc(n->n + 1, sizeof(*c->sources.files));
	if (!c->sources.files)
		return -ENOMEM;
	int ret = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct ytree_node *it = n->items[i];
		struct ev_cfg_file_source *f = &c->sources.files[c->sources.n_files];
		apply_defaults(ev_settings_file_keys, f);
		f->max_line = 0; /* sources.max_line, which may come after files: (files_inherit) */
		c->sources.n_files++;
		if (it->kind == YTREE_SCALAR) {
			if (set_scalar(L, &ev_settings_file_keys[0], &f->path, it->str, it) < 0)
				ret = -EINVAL;
			continue;
		}
		if (it->kind != YTREE_MAP) {
			err_at(L, it, "'%s' item %zu must be a path or a mapping", k->name, i + 1);
			ret = -EINVAL;
			continue;
		}
		for (size_t j = 0; j < it->n; j++) {
			const struct ytree_node *kn = it->pairs[j].key, *vn = it->pairs[j].value;
			const struct cfg_key *fk = key_find(ev_settings_file_keys, kn->str);
			if (!fk) {
				unknown_key(L, ev_settings_file_keys, "sources.files", kn);
				ret = -EINVAL;
				continue;
			}
			if (vn->kind != YTREE_SCALAR || ytree_is_null(vn)) {
				err_at(L, vn, "'%s' must be %s", fk->name, type_name(fk->type));
				ret = -EINVAL;
				continue;
			}
			if (set_scalar(L, fk, (char *)f + fk->offset, vn->str, vn) < 0)
				ret = -EINVAL;
			if (strcmp(fk->name, "format") == 0)
				f->format_line = vn->line, f->format_col = vn->col;
		}
		if (!f->path) {
			err_at(L, it, "'%s' item %zu has no 'path'", k->name, i + 1);
			ret = -EINVAL;
		}
	}
	return ret;
}

/* incidents.*: each list item in its own syntax (agent/incident/policy.c says which). */
static int check_incidents(struct loader *L, const char *key, const struct ytree_node *n) {
	int ret = 0;
	for (size_t i = 0; n->kind == YTREE_SEQ && i < n->n; i++) {
		const struct ytree_node *it = n->items[i];
		char msg[300];
		if (it->kind != YTREE_SCALAR || it->len == 0)
			continue; /* load_strv said so */
		if (ev_incident_policy_check_item(key, it->str, msg, sizeof(msg)) < 0) {
			err_at(L, it, "incidents.%s '%s': %s", key, it->str, msg);
			ret = -EINVAL;
		}
	}
	return ret;
}

static int load_section(struct loader *L, const struct cfg_key *sec, struct ev_config *c,
                        const struct ytree_node *n) {
	if (ytree_is_null(n))
		return 0;
	if (n->kind != YTREE_MAP) {
		err_at(L, n, "'%s' must be a mapping, found %s", sec->name,
		       ytree_kind_name(n->kind));
		return -EINVAL;
	}
	int ret = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct ytree_node *kn = n->pairs[i].key, *vn = n->pairs[i].value;
		const struct cfg_key *k = key_find(sec->sub, kn->str);
		if (!k) {
			unknown_key(L, sec->sub,
			            sec->sub == ev_settings_upload_keys ? "store.upload"
			                                                : sec->name,
			            kn);
			ret = -EINVAL;
			continue;
		}
		void *dst = (char *)c + k->offset;
		int r;
		if (k->type == CT_SECTION) /* a nested section (store.upload) */
			r = load_section(L, k, c, vn);
		else if (k->type == CT_STRV) {
			/* rules.paths and rules.decoders are paths (relative to the file) */
			bool rules = !strcmp(sec->name, "rules");
			bool ls = rules && !strcmp(k->name, "logsources");
			bool ph = rules && !strcmp(k->name, "placeholders");
			r = load_strv(L, k, dst, vn, rules && !ls && !ph);
			if (r >= 0 && (ls || ph))
				r = check_engine_lines(L, vn, ph);
			if (r >= 0 && !strcmp(sec->name, "actions") &&
			    (!strcmp(k->name, "seal_on") || !strcmp(k->name, "open_incident")))
				r = check_seal_on(L, vn, k->name);
			if (r >= 0 && !strcmp(sec->name, "incidents"))
				r = check_incidents(L, k->name, vn);
		} else if (k->type == CT_FILES)
			r = load_files(L, k, c, vn);
		else if (k->type == CT_SECTION) /* a section inside a section */
			r = load_section(L, k, c, vn);
		else if (k->type == CT_CHANNELS) {
			json_t *chs = NULL;
			r = ev_notify_channels_load(vn, L->file, &chs, L->errs);
			if (r >= 0) {
				json_decref(c->notify.channels);
				c->notify.channels = chs;
			}
		} else if (vn->kind != YTREE_SCALAR) {
			err_at(L, vn, "'%s.%s' must be %s, found %s", sec->name, k->name,
			       type_name(k->type), ytree_kind_name(vn->kind));
			r = -EINVAL;
		} else if (ytree_is_null(vn) && (k->type == CT_STRING || k->type == CT_PATH)) {
			free(*(char **)dst);
			*(char **)dst = NULL;
			r = 0;
		} else if (ytree_is_null(vn)) {
			err_at(L, vn, "'%s.%s' must be %s, found an empty value", sec->name,
			       k->name, type_name(k->type));
			r = -EINVAL;
		} else
			r = set_scalar(L, k, dst, vn->str, vn);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			ret = r;
	}
	return ret;
}

static int load_buffer(struct loader *L, struct ev_config *c, const char *buf, size_t len);

static int load_file(struct loader *L, struct ev_config *c, const char *path,
                     const struct ytree_node *from) {
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = ev_read_file(path, YTREE_MAX_INPUT, &buf, &len);
	if (r < 0) {
		if (from) {
			err_at(L, from, "cannot read included file '%s': %s", path, strerror(-r));
			return -EINVAL;
		} else
			ev_errlist_add(L->errs, path, 0, 0, "cannot read: %s", strerror(-r));
		return r;
	}
	struct loader sub = {.errs = L->errs, .file = path, .depth = L->depth + 1};
	return load_buffer(&sub, c, buf, len);
}

static int load_buffer(struct loader *L, struct ev_config *c, const char *buf, size_t len) {
	struct ytree_docs docs = {0};
	int r = ytree_parse_buffer(L->file, buf, len, &docs, L->errs);
	if (r < 0)
		return r;
	int ret = 0;
	if (docs.n == 0 || !docs.v[0].root) {
		ev_errlist_add(L->errs, L->file, 0, 0,
		               "empty file: expected a mapping of sections (agent, sources, rules, "
		               "store, actions)");
		ret = -EINVAL;
		goto out;
	}
	if (docs.n > 1) {
		ev_errlist_add(L->errs, L->file, docs.v[1].line, docs.v[1].col,
		               "a configuration file holds one YAML document, found %zu", docs.n);
		ret = -EINVAL;
		goto out;
	}
	const struct ytree_node *root = docs.v[0].root;
	if (root->kind != YTREE_MAP) {
		err_at(L, root, "expected a mapping of sections, found %s",
		       ytree_kind_name(root->kind));
		ret = -EINVAL;
		goto out;
	}
	const struct ytree_node *inc = NULL;
	for (size_t i = 0; i < root->n; i++) {
		const struct ytree_node *kn = root->pairs[i].key, *vn = root->pairs[i].value;
		const struct cfg_key *k = key_find(ev_settings_top_keys, kn->str);
		if (!k) {
			unknown_key(L, ev_settings_top_keys, "the top level", kn);
			ret = -EINVAL;
			continue;
		}
		if (k->type == CT_STRV) {
			inc = vn; /* includes apply after this file */
			continue;
		}
		r = load_section(L, k, c, vn);
		if (r == -ENOMEM) {
			ret = r;
			goto out;
		}
		if (r < 0)
			ret = r;
	}
	if (inc) {
		struct ev_strv files = {0};
		r = load_strv(L, &ev_settings_top_keys[0], &files, inc, true);
		if (r < 0)
			ret = r;
		if (L->depth >= 8 && files.n) {
			err_at(L, inc, "includes nested more than 8 levels deep");
			ret = -EINVAL;
		} else
			for (size_t i = 0; i < files.n; i++) {
				r = load_file(L, c, files.v[i],
				              inc->kind == YTREE_SEQ ? inc->items[i] : inc);
				if (r < 0)
					ret = r;
			}
		ev_strv_clear(&files);
	}
out:
	ytree_docs_free(&docs);
	return ret;
}

static void free_keys(const struct cfg_key *keys, void *base) {
	for (const struct cfg_key *k = keys; k->name; k++) {
		void *p = (char *)base + k->offset;
		switch (k->type) {
		case CT_SECTION:
			free_keys(k->sub, base);
			break;
		case CT_STRING:
		case CT_PATH:
		case CT_ENUM:
			free(*(char **)p);
			*(char **)p = NULL;
			break;
		case CT_STRV:
			if (k != &ev_settings_top_keys[0]) /* include lists are not kept */
				ev_strv_clear(p);
			break;
		default:
			break;
		}
	}
}

struct ev_config *ev_config_free(struct ev_config *c) {
	if (!c)
		return NULL;
	files_clear(c);
	json_decref(c->notify.channels);
	free_keys(ev_settings_top_keys, c);
	free(c->origin);
	free(c);
	return NULL;
}

/* sources.formats_dir joins the process format library (once per directory), and every
 * file's format must be a built-in name or a format of that library. */
static void check_formats(const struct ev_config *c, struct ev_errlist *errs) {
	enum collector_format f;
	if (c->sources.formats_dir)
		(void)collector_formats_default_add_dir(c->sources.formats_dir, errs);
	for (size_t i = 0; i < c->sources.n_files; i++) {
		const struct ev_cfg_file_source *s = &c->sources.files[i];
		if (s->format && collector_format_from_string(s->format, &f) < 0 &&
		    !collector_formats_find(collector_formats_default(), s->format))
			ev_errlist_add(errs, c->origin, s->format_line, s->format_col,
			               "unknown format '%s' (auto, rfc3164, rfc5424, iso, json, "
			               "logfmt, or a format that 'evident formats' lists)",
			               s->format);
	}
}

/* A file without its own max_line takes sources.max_line, known only once every file
 * (includes too) is read: the key may follow files:, or come from an include. */
static void files_inherit(struct ev_config *c) {
	for (size_t i = 0; i < c->sources.n_files; i++)
		if (!c->sources.files[i].max_line) /* 0 is below the key's minimum: unset */
			c->sources.files[i].max_line = c->sources.max_line;
}

int ev_config_load(const char *path, struct ev_config **ret, struct ev_errlist *errs) {
	struct ev_config *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	apply_defaults(ev_settings_top_keys, c);
	if (!path)
		path = ev_config_default_path();
	if (!*path)
		path = NULL; /* the embedded configuration */
	size_t before = ev_errlist_count(errs);
	struct loader L = {.errs = errs, .file = path ? path : "<embedded>"};
	int r;
	if (path)
		r = load_file(&L, c, path, NULL);
	else
		r = load_buffer(&L, c, ev_default_config, ev_default_config_len);
	c->origin = strdup(L.file);
	if (r == -ENOMEM || !c->origin) {
		ev_config_free(c);
		return -ENOMEM;
	}
	files_inherit(c);
	if (r == 0)
		check_formats(c, errs);
	if (r < 0 || ev_errlist_count(errs) > before) {
		ev_config_free(c);
		/* an unreadable top-level file is an I/O error; everything else is -EINVAL */
		return r < 0 && r != -EINVAL && r != -ERANGE ? r : -EINVAL;
	}
	*ret = c;
	return 0;
}
