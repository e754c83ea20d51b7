/* Loading format definitions from YAML (see format.h, docs/formats.md).
 *
 * A file is a mapping from format name to definition. Every problem is reported as
 * FILE:LINE:COL with the definition left out; the other definitions of the file load.
 * Regexes are compiled once here (JIT where the system allows it, the interpreter
 * otherwise: both give the same matches). */
#include "collector/format.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/format_internal.h"
#include "collector/parse.h"
#include "util/macro.h"
#include "util/ytree.h"

#define FMT_MAX_RE 8

static const char *const std_names[FMT_G_N] = {"time", "host",  "program",
                                               "pid",  "level", "message"};

static void fmtdef_free(struct collector_fmtdef *d) {
	if (!d)
		return;
	for (size_t i = 0; i < d->n_re; i++) {
		pcre2_code_free(d->re[i].code);
		for (size_t j = 0; j < d->re[i].n_extra; j++)
			free(d->re[i].extra[j].name);
		free(d->re[i].extra);
	}
	free(d->re);
	pcre2_code_free(d->cont);
	free(d->name);
	free(d->description);
	free(d->time_layout);
	free(d->program);
	free(d->levels);
	free(d);
}

void collector_formats_done(struct collector_formats *lib) {
	for (size_t i = 0; i < lib->n; i++)
		fmtdef_free(lib->v[i]);
	free(lib->v);
	lib->v = NULL;
	lib->n = 0;
}

struct ctx {
	const char *file;
	struct ev_errlist *errs;
	bool bad;
};

__attribute__((format(printf, 3, 4))) static void err_at(struct ctx *c, const struct ytree_node *n,
                                                         const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	ev_errlist_addv(c->errs, c->file, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
	c->bad = true;
}

static pcre2_code *compile(struct ctx *c, const struct ytree_node *n) {
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)n->str, n->len, 0, &ec, &eo, NULL);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		err_at(c, n, "regex: %s at offset %zu", (const char *)msg, (size_t)eo);
		return NULL;
	}
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* the interpreter otherwise */
	return code;
}

/* Named groups of a compiled regex: the standard ones and the extra fields. */
static int name_groups(struct ctx *c, const struct ytree_node *n, struct fmt_re *re) {
	uint32_t count = 0, esize = 0, caps = 0;
	PCRE2_SPTR table = NULL;
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &caps);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	if (caps > COLLECTOR_FORMAT_MAX_GROUPS) {
		err_at(c, n, "regex has %u capture groups (at most %d)", caps,
		       COLLECTOR_FORMAT_MAX_GROUPS);
		return -EINVAL;
	}
	re->extra = calloc(count + 1, sizeof(*re->extra));
	if (!re->extra)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + (size_t)i * esize;
		int g = (e[0] << 8) | e[1];
		const char *name = (const char *)e + 2;
		int k = 0;
		while (k < FMT_G_N && strcmp(std_names[k], name) != 0)
			k++;
		if (k < FMT_G_N) {
			re->g[k] = g;
			continue;
		}
		re->extra[re->n_extra].name = strdup(name);
		if (!re->extra[re->n_extra].name)
			return -ENOMEM;
		re->extra[re->n_extra++].g = g;
	}
	return 0;
}

static int load_regexes(struct ctx *c, struct collector_fmtdef *d, const struct ytree_node *n) {
	const struct ytree_node *const *items = (const struct ytree_node *const *)&n;
	size_t count = 1;
	if (n->kind == YTREE_SEQ) {
		items = (const struct ytree_node *const *)n->items;
		count = n->n;
	}
	if (count == 0 || count > FMT_MAX_RE) {
		err_at(c, n, "'regex' must be one regex or a list of 1 to %d", FMT_MAX_RE);
		return -EINVAL;
	}
	d->re = calloc(count, sizeof(*d->re));
	if (!d->re)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		if (items[i]->kind != YTREE_SCALAR) {
			err_at(c, items[i], "'regex' items must be strings");
			return -EINVAL;
		}
		struct fmt_re *re = &d->re[d->n_re];
		re->code = compile(c, items[i]);
		if (!re->code)
			return -EINVAL;
		d->n_re++;
		int r = name_groups(c, items[i], re);
		if (r < 0)
			return r;
		if (re->g[FMT_G_TIME] && !d->time_layout && d->time_kind == FMT_TIME_LAYOUT) {
			err_at(c, items[i],
			       "the regex captures 'time' but there is no 'time_format'");
			return -EINVAL;
		}
	}
	return 0;
}

static int load_time_format(struct ctx *c, struct collector_fmtdef *d, const struct ytree_node *n) {
	static const struct {
		const char *n;
		enum fmt_time_kind k;
	} kinds[] = {{"iso8601", FMT_TIME_ISO}, {"epoch", FMT_TIME_EPOCH}, {"boot", FMT_TIME_BOOT}};
	for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
		if (strcmp(n->str, kinds[i].n) == 0) {
			d->time_kind = kinds[i].k;
			return 0;
		}
	const char *bad = NULL;
	for (const char *p = n->str; *p; p++)
		if (*p == '%' && !(p[1] && strchr("YymdebaHMSfLlz%", p[1]) && (p++, true)))
			bad = p;
	if (bad || !strstr(n->str, "%")) {
		err_at(c, n,
		       "time_format '%s': use iso8601, epoch, boot, or a layout of %%Y %%y %%m %%d "
		       "%%e %%b %%a %%H %%M %%S %%f %%L %%l %%z",
		       n->str);
		return -EINVAL;
	}
	d->time_layout = strdup(n->str);
	return d->time_layout ? 0 : -ENOMEM;
}

static int load_levels(struct ctx *c, struct collector_fmtdef *d, const struct ytree_node *n) {
	if (n->kind != YTREE_MAP) {
		err_at(c, n, "'levels' must map a level word to a syslog level name");
		return -EINVAL;
	}
	d->levels = calloc(n->n + 1, sizeof(*d->levels));
	if (!d->levels)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		const struct ytree_node *k = n->pairs[i].key, *v = n->pairs[i].value;
		int pri =
		        v->kind == YTREE_SCALAR ? collector_level_to_priority(v->str, v->len) : -1;
		if (k->len >= sizeof(d->levels[0].word) || pri < 0) {
			err_at(c, v,
			       "level '%s': expected a short word mapped to a level such as "
			       "error, warning, info or debug",
			       k->str);
			return -EINVAL;
		}
		memcpy(d->levels[d->n_levels].word, k->str, k->len + 1);
		d->levels[d->n_levels++].priority = pri;
	}
	return 0;
}

static bool valid_name(const char *s) {
	static const char *const builtin[] = {"auto", "rfc3164", "rfc5424",
	                                      "iso",  "json",    "logfmt"};
	if (!*s || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return false;
	for (size_t i = 0; i < ELEMENTSOF(builtin); i++)
		if (strcmp(s, builtin[i]) == 0)
			return false;
	return true;
}

static int scalar_str(struct ctx *c, const struct ytree_node *v, const char *key, char **ret) {
	if (v->kind != YTREE_SCALAR) {
		err_at(c, v, "'%s' must be a string", key);
		return -EINVAL;
	}
	free(*ret);
	*ret = strdup(v->str);
	return *ret ? 0 : -ENOMEM;
}

static int load_key(struct ctx *c, struct collector_fmtdef *d, const char *k,
                    const struct ytree_node *v) {
	if (strcmp(k, "description") == 0)
		return scalar_str(c, v, k, &d->description);
	if (strcmp(k, "program") == 0)
		return scalar_str(c, v, k, &d->program);
	if (strcmp(k, "levels") == 0)
		return load_levels(c, d, v);
	if (strcmp(k, "samples") == 0)
		return 0; /* examples for the tests and the reader */
	if (strcmp(k, "continuation") == 0) {
		if (v->kind != YTREE_SCALAR) {
			err_at(c, v, "'continuation' must be a regex");
			return -EINVAL;
		}
		d->cont = compile(c, v);
		return d->cont ? 0 : -EINVAL;
	}
	if (strcmp(k, "zone") == 0 && v->kind == YTREE_SCALAR &&
	    (strcmp(v->str, "utc") == 0 || strcmp(v->str, "local") == 0)) {
		d->utc = strcmp(v->str, "utc") == 0;
		return 0;
	}
	if (strcmp(k, "auto") == 0 && v->kind == YTREE_SCALAR &&
	    (strcmp(v->str, "true") == 0 || strcmp(v->str, "false") == 0)) {
		d->auto_detect = strcmp(v->str, "true") == 0;
		return 0;
	}
	if (strcmp(k, "zone") == 0 || strcmp(k, "auto") == 0) {
		err_at(c, v, "'%s' must be %s", k,
		       strcmp(k, "zone") == 0 ? "local or utc" : "true or false");
		return -EINVAL;
	}
	err_at(c, v,
	       "unknown key '%s' (use description, regex, time_format, zone, program, levels, "
	       "continuation, auto, samples)",
	       k);
	return -EINVAL;
}

/* One definition; NULL on error (reported) or out of memory (*ret_oom). */
static struct collector_fmtdef *load_def(struct ctx *c, const struct ytree_node *name,
                                         const struct ytree_node *n, bool *ret_oom) {
	if (!valid_name(name->str)) {
		err_at(c, name,
		       "format name '%s': use lower-case letters, digits, '_' and '-' (built-in "
		       "names are taken)",
		       name->str);
		return NULL;
	}
	if (n->kind != YTREE_MAP) {
		err_at(c, n, "format '%s' must be a mapping", name->str);
		return NULL;
	}
	struct collector_fmtdef *d = calloc(1, sizeof(*d));
	if (!d || !(d->name = strdup(name->str)))
		goto oom;
	d->auto_detect = true;
	const struct ytree_node *tf = ytree_map_get(n, "time_format");
	const struct ytree_node *rx = ytree_map_get(n, "regex");
	int r = 0;
	if (tf && (tf->kind != YTREE_SCALAR || (r = load_time_format(c, d, tf)) == -EINVAL)) {
		if (tf->kind != YTREE_SCALAR)
			err_at(c, tf, "'time_format' must be a string");
		goto bad;
	}
	if (r < 0)
		goto oom;
	if (!rx) {
		err_at(c, n, "format '%s' has no 'regex'", name->str);
		goto bad;
	}
	r = load_regexes(c, d, rx);
	if (r == -ENOMEM)
		goto oom;
	if (r < 0)
		goto bad;
	for (size_t i = 0; i < n->n; i++) {
		const char *k = n->pairs[i].key->str;
		if (strcmp(k, "regex") == 0 || strcmp(k, "time_format") == 0)
			continue;
		r = load_key(c, d, k, n->pairs[i].value);
		if (r == -ENOMEM)
			goto oom;
		if (r < 0)
			goto bad;
	}
	return d;
oom:
	*ret_oom = true;
bad:
	fmtdef_free(d);
	return NULL;
}

static int lib_add(struct collector_formats *lib, struct collector_fmtdef *d) {
	if (lib->n >= COLLECTOR_FORMATS_MAX)
		return -E2BIG;
	struct collector_fmtdef **v = realloc(lib->v, (lib->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	lib->v = v;
	for (size_t i = 0; i < lib->n; i++)
		if (!lib->v[i]->shadowed && strcmp(lib->v[i]->name, d->name) == 0)
			lib->v[i]->shadowed =
			        true; /* marked once here, not looked up at every line */
	lib->v[lib->n++] = d;
	return 0;
}

int collector_formats_load_buffer(struct collector_formats *lib, const char *name, const char *buf,
                                  size_t len, struct ev_errlist *errs) {
	struct ytree_docs docs = {0};
	int r = ytree_parse_buffer(name, buf, len, &docs, errs);
	if (r < 0)
		return r;
	struct ctx c = {.file = name, .errs = errs};
	for (size_t i = 0; i < docs.n && r == 0; i++) {
		const struct ytree_node *root = docs.v[i].root;
		if (!root)
			continue;
		if (root->kind != YTREE_MAP) {
			err_at(&c, root, "a format file maps format names to definitions");
			continue;
		}
		for (size_t j = 0; j < root->n && r == 0; j++) {
			bool oom = false;
			struct collector_fmtdef *d =
			        load_def(&c, root->pairs[j].key, root->pairs[j].value, &oom);
			if (oom)
				r = -ENOMEM;
			else if (d && (r = lib_add(lib, d)) < 0) {
				if (r == -E2BIG)
					err_at(&c, root->pairs[j].key, "more than %d formats",
					       COLLECTOR_FORMATS_MAX);
				fmtdef_free(d);
			}
		}
	}
	ytree_docs_free(&docs);
	if (r == -E2BIG)
		r = -EINVAL;
	return r < 0 ? r : c.bad ? -EINVAL : 0;
}

static int cmp_str(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *n) {
	size_t l = strlen(n);
	return n[0] != '.' && ((l > 5 && strcmp(n + l - 5, ".yaml") == 0) ||
	                       (l > 4 && strcmp(n + l - 4, ".yml") == 0));
}

int collector_formats_load_dir(struct collector_formats *lib, const char *dir,
                               struct ev_errlist *errs) {
	DIR *dp = opendir(dir);
	if (!dp) {
		if (errno == ENOENT)
			return 0;
		int r = -errno;
		ev_errlist_add(errs, dir, 0, 0, "cannot open the format directory: %s",
		               strerror(-r));
		return r;
	}
	char **names = NULL;
	size_t n = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(dp)) && r == 0) {
		if (!yaml_name(de->d_name))
			continue;
		char **nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn || asprintf(&nn[n], "%s/%s", dir, de->d_name) < 0)
			r = -ENOMEM;
		if (nn)
			names = nn;
		if (r == 0)
			n++;
	}
	closedir(dp);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		int k = r == -ENOMEM ? 0 : ev_read_file(names[i], YTREE_MAX_INPUT, &buf, &len);
		if (k < 0) {
			ev_errlist_add(errs, names[i], 0, 0, "cannot read: %s", strerror(-k));
			r = r ? r : k;
		} else if (r != -ENOMEM) {
			k = collector_formats_load_buffer(lib, names[i], buf, len, errs);
			r = r ? r : k;
		}
		free(names[i]);
	}
	free(names);
	return r;
}
