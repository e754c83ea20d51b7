/* Sigma loader: ytree documents -> struct rule.
 *
 * Each document is one rule. While a rule is built, every problem is appended to the
 * error list with the position of the offending node and the rule is marked bad; a bad
 * rule is freed, never added. Detection selections become small AND/OR trees over leaves
 * (struct cond with COND_REF = leaf index); the condition becomes a tree over selections. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "correlate/sigma.h"
#include "correlate/sigma_internal.h"
#include "util/ytree.h"
#include "util/strv.h"

void sigma_err(struct ctx *c, const struct ytree_node *n, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	ev_errlist_addv(c->errs, c->file, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
	c->bad = true;
}

void sigma_oom(struct ctx *c, const struct ytree_node *n) {
	if (!c->oom)
		sigma_err(c, n, "out of memory");
	c->oom = true;
	c->bad = true;
}

const char *sigma_scalar(struct ctx *c, const struct ytree_node *n, const char *what) {
	if (!n || n->kind != YTREE_SCALAR) {
		sigma_err(c, n, "%s must be a string, not %s", what,
		          n ? ytree_kind_name(n->kind) : "nothing");
		return NULL;
	}
	return n->str;
}

/* ---- correlations ---- */

/* ---- documents ---- */

static void set_str(struct ctx *c, char **dst, const struct ytree_node *n, const char *what) {
	if (!n)
		return;
	const char *s = sigma_scalar(c, n, what);
	if (s && !(*dst = strdup(s)))
		sigma_oom(c, n);
}

static json_t *node_json(const struct ytree_node *n) {
	if (!n)
		return json_null();
	if (n->kind == YTREE_SCALAR)
		return json_stringn(n->str, n->len);
	if (n->kind == YTREE_SEQ) {
		json_t *a = json_array();
		for (size_t i = 0; i < n->n; i++)
			json_array_append_new(a, node_json(n->items[i]));
		return a;
	}
	json_t *o = json_object();
	for (size_t i = 0; i < n->n; i++)
		json_object_set_new(o, n->pairs[i].key->str, node_json(n->pairs[i].value));
	return o;
}

/* Top-level keys that are not Sigma's: kept as JSON in r->meta. */
static void load_meta(struct ctx *c, const struct ytree_node *root) {
	static const char *known[] = {
	        "title",       "id",         "name",      "status",      "level",
	        "tags",        "logsource",  "detection", "correlation", "falsepositives",
	        "description", "references", "author",    "date",        "modified",
	        "related",     "fields",     "license",   "taxonomy",    "scope"};
	struct rule *r = c->r;
	for (size_t i = 0; i < root->n; i++) {
		const char *k = root->pairs[i].key->str;
		bool is_known = false;
		for (size_t j = 0; j < ELEMENTSOF(known); j++)
			is_known |= !strcmp(k, known[j]);
		if (is_known)
			continue;
		if (!r->meta)
			r->meta = json_object();
		if (!r->meta ||
		    json_object_set_new(r->meta, k, node_json(root->pairs[i].value)) < 0)
			sigma_oom(c, root->pairs[i].key);
	}
}

static void load_level(struct ctx *c, const struct ytree_node *lv) {
	static const char *levels[] = {"informational", "low", "medium", "high", "critical"};
	set_str(c, &c->r->level, lv, "level");
	if (!c->r->level)
		return;
	bool ok = false;
	for (size_t i = 0; i < ELEMENTSOF(levels); i++)
		ok |= !strcmp(c->r->level, levels[i]);
	if (!ok)
		sigma_err(c, lv,
		          "unknown level '%s' (expected informational, low, medium, high or "
		          "critical)",
		          c->r->level);
}

static void load_tags(struct ctx *c, const struct ytree_node *tags) {
	struct rule *r = c->r;
	if (!tags)
		return;
	if (tags->kind != YTREE_SEQ) {
		sigma_err(c, tags, "'tags' must be a list");
		return;
	}
	r->tags = calloc(tags->n + 1, sizeof(char *));
	if (!r->tags) {
		sigma_oom(c, tags);
		return;
	}
	for (size_t i = 0; i < tags->n; i++) {
		const char *s = sigma_scalar(c, tags->items[i], "a tag");
		if (s && !(r->tags[r->n_tags++] = strdup(s)))
			sigma_oom(c, tags->items[i]);
	}
}

static void load_logsource(struct ctx *c, const struct ytree_node *ls) {
	if (!ls)
		return;
	if (ls->kind != YTREE_MAP) {
		sigma_err(c, ls, "'logsource' must be a mapping");
		return;
	}
	set_str(c, &c->r->product, ytree_map_get(ls, "product"), "logsource product");
	set_str(c, &c->r->service, ytree_map_get(ls, "service"), "logsource service");
	set_str(c, &c->r->category, ytree_map_get(ls, "category"), "logsource category");
}

/* The rule's body: a detection or a correlation, never both. */
static void load_body(struct ctx *c, const struct ytree_node *root) {
	const struct ytree_node *det = ytree_map_get(root, "detection"),
	                        *cor = ytree_map_get(root, "correlation");
	if (det && cor)
		sigma_err(c, cor, "a rule has either 'detection' or 'correlation', not both");
	else if (det) {
		c->r->kind = RULE_DETECTION;
		sigma_load_detection(c, det);
	} else if (cor) {
		c->r->kind = RULE_CORRELATION;
		sigma_load_correlation(c, cor);
	} else
		sigma_err(c, root, "a rule needs 'detection' or 'correlation'");
}

static int rule_set_add(struct rule_set *set, struct rule *r) {
	if (set->n == set->alloc) {
		size_t na = set->alloc ? set->alloc * 2 : 16;
		struct rule *v = realloc(set->v, na * sizeof(*v));
		if (!v)
			return -ENOMEM;
		set->v = v;
		set->alloc = na;
	}
	set->v[set->n++] = *r;
	return 0;
}

/* One YAML document: 1 when its rule was added, 0 when it had errors (all of them in
 * errs), -ENOMEM. */
static int load_doc(const char *name, const struct ytree_doc *doc, struct rule_set *set,
                    struct ev_errlist *errs) {
	const struct ytree_node *root = doc->root;
	struct rule r = {.logsource = -1};
	struct ctx c = {.file = name, .errs = errs, .r = &r, .set = set};
	if (!root || (root->kind == YTREE_SCALAR && root->plain && ytree_is_null(root)))
		return 0; /* empty document, as after a trailing `---` */
	r.file = strdup(name);
	if (!r.file)
		return -ENOMEM;
	r.line = root->line;
	r.col = root->col;
	if (root->kind != YTREE_MAP)
		sigma_err(&c, root, "a rule must be a mapping, not %s",
		          ytree_kind_name(root->kind));
	else {
		load_meta(&c, root);
		set_str(&c, &r.title, ytree_map_get(root, "title"), "title");
		set_str(&c, &r.id, ytree_map_get(root, "id"), "id");
		set_str(&c, &r.name, ytree_map_get(root, "name"), "name");
		set_str(&c, &r.status, ytree_map_get(root, "status"), "status");
		set_str(&c, &r.description, ytree_map_get(root, "description"), "description");
		load_level(&c, ytree_map_get(root, "level"));
		load_tags(&c, ytree_map_get(root, "tags"));
		load_logsource(&c, ytree_map_get(root, "logsource"));
		load_body(&c, root);
	}
	int ret = c.oom ? -ENOMEM : c.bad ? 0 : rule_set_add(set, &r);
	if (ret < 0 || c.bad)
		rule_free(&r);
	return ret < 0 ? ret : !c.bad;
}

int sigma_load_buffer(const char *name, const char *buf, size_t len, struct rule_set *set,
                      struct ev_errlist *errs) {
	struct ytree_docs docs = {0};
	int r = ytree_parse_buffer(name, buf, len, &docs, errs);
	if (r == -EINVAL)
		return 0;
	if (r < 0)
		return r;
	int added = 0;
	for (size_t i = 0; i < docs.n; i++) {
		r = load_doc(name, &docs.v[i], set, errs);
		if (r < 0) {
			ytree_docs_free(&docs);
			return r;
		}
		added += r;
	}
	ytree_docs_free(&docs);
	return added;
}

static bool has_suffix(const char *s, const char *suf) {
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

static bool rule_file_name(const char *n) {
	if (has_suffix(n, ".test.yaml") || has_suffix(n, ".test.yml"))
		return false;
	return has_suffix(n, ".yml") || has_suffix(n, ".yaml");
}

static int walk(const char *path, int depth, int (*fn)(const char *, void *), void *ctx,
                struct ev_errlist *errs) {
	struct stat st;
	if (stat(path, &st) < 0) {
		int e = errno;
		ev_errlist_add(errs, path, 0, 0, "cannot read: %s", strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode))
		return fn(path, ctx);
	if (depth > 16)
		return 0;
	struct dirent **ents = NULL;
	int n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		int e = errno;
		ev_errlist_add(errs, path, 0, 0, "cannot read directory: %s", strerror(e));
		return -e;
	}
	int r = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		if (r >= 0 && nm[0] != '.') {
			size_t l = strlen(path) + strlen(nm) + 2;
			char *p = malloc(l);
			if (p) {
				snprintf(p, l, "%s/%s", path, nm);
				struct stat s2;
				if (stat(p, &s2) == 0 && S_ISDIR(s2.st_mode))
					r = walk(p, depth + 1, fn, ctx, errs);
				else if (rule_file_name(nm))
					r = fn(p, ctx);
				free(p);
			}
		}
		free(ents[i]);
	}
	free(ents);
	return r < 0 ? r : 0;
}

int sigma_walk(const char *path, int (*fn)(const char *file, void *ctx), void *ctx,
               struct ev_errlist *errs) {
	return walk(path, 0, fn, ctx, errs);
}

struct load_ctx {
	struct rule_set *set;
	struct ev_errlist *errs;
	int added;
};

static int load_one(const char *file, void *p) {
	struct load_ctx *lc = p;
	struct ytree_docs docs = {0};
	int r = ytree_parse_file(file, &docs, lc->errs);
	if (r == -EINVAL)
		return 0;
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	for (size_t i = 0; i < docs.n; i++) {
		r = load_doc(file, &docs.v[i], lc->set, lc->errs);
		if (r < 0)
			break;
		lc->added += r;
	}
	ytree_docs_free(&docs);
	return r < 0 ? r : 0;
}

int sigma_load_path(const char *path, struct rule_set *set, struct ev_errlist *errs) {
	struct load_ctx lc = {set, errs, 0};
	int r = walk(path, 0, load_one, &lc, errs);
	return r < 0 ? r : lc.added;
}

void rule_free(struct rule *r) {
	if (!r)
		return;
	free(r->file);
	free(r->id);
	free(r->name);
	free(r->title);
	free(r->level);
	free(r->status);
	free(r->description);
	ev_strv_free_n(r->tags, r->n_tags);
	free(r->product);
	free(r->service);
	free(r->category);
	json_decref(r->meta);
	for (size_t i = 0; i < r->n_sels; i++) {
		free(r->sels[i].name);
		cond_free(r->sels[i].tree);
	}
	free(r->sels);
	for (size_t i = 0; i < r->n_leaves; i++)
		leaf_free(&r->leaves[i]);
	free(r->leaves);
	cond_free(r->condition);
	struct correlation *k = &r->corr;
	ev_strv_free_n(k->refs, k->n_refs);
	free(k->ref_line);
	free(k->ref_col);
	free(k->ref_rule);
	ev_strv_free_n(k->group_by, k->n_group_by);
	for (size_t i = 0; i < k->n_aliases; i++) {
		free(k->aliases[i].name);
		ev_strv_free_n(k->aliases[i].fields, k->n_refs);
	}
	free(k->aliases);
	free(k->field);
	cond_free(k->tcond);
	free(r->users);
	memset(r, 0, sizeof(*r));
}

void rule_set_free(struct rule_set *set) {
	for (size_t i = 0; i < set->n; i++)
		rule_free(&set->v[i]);
	free(set->v);
	sigma_placeholders_free(set);
	memset(set, 0, sizeof(*set));
}

const char *rule_kind_name(const struct rule *r) {
	if (r->kind == RULE_DETECTION)
		return "match";
	static const char *names[] = {"event_count", "value_count", "temporal", "temporal_ordered",
	                              "absence"};
	return names[r->corr.type];
}
