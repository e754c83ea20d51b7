/* evident rules check|list|test: load Sigma rules and report every error with its
 * position, list what is loaded, or run the rule tests that sit beside the rules
 * (`foo.yml` + `foo.test.yaml`, format in docs/rules.md). */
#include "config.h"

#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/cmd/commands.h"
#include "agent/cmd/rules_logsources.h"
#include "agent/feed.h"
#include "agent/pipeline.h"
#include "agent/replay_rules.h"
#include "agent/term.h"
#include "collector/parse.h"
#include "correlate/engine.h"
#include "correlate/sigma.h"
#include "util/ytree.h"

struct opts {
	bool json, verbose;
	const char *engine;
	char **decoders;
	size_t n_decoders;
	char **logsources;
	size_t n_logsources;
	const struct ev_config *cfg; /* rules.* settings (--config, or the embedded one) */
	json_t *cases;               /* rules test --json: every case's result, else NULL */
};

/* The engine as every command builds it (agent/pipeline.h), compiled even after load
 * errors so that one run reports them all. */
static struct correlate_engine *load(const struct opts *o, char **paths, size_t n,
                                     struct ev_errlist *errs, struct ev_errlist *warns,
                                     size_t *ret_loaded, bool *ret_io) {
	struct ev_pipeline_rules pr = {.rule_paths = paths,
	                               .n_rule_paths = n,
	                               .decoder_paths = o->decoders,
	                               .n_decoder_paths = o->n_decoders,
	                               .logsources = o->logsources,
	                               .n_logsources = o->n_logsources,
	                               .engine = o->engine,
	                               .compile_despite_errors = true};
	struct ev_pipeline_info info = {0};
	struct correlate_engine *e = ev_pipeline_engine(o->cfg, &pr, errs, warns, &info);
	*ret_loaded = info.loaded;
	if (ret_io)
		*ret_io = info.io;
	return e;
}

/* `rules check --json`: the findings shown, their totals and how many are not shown
 * (an error list keeps EV_ERRLIST_CAP entries and counts the rest). */
static json_t *findings_json(const struct ev_errlist *l) {
	json_t *arr = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(arr, json_pack("{s:s?, s:i, s:i, s:s}", "file", l->v[i].file,
		                                     "line", (int)l->v[i].line, "column",
		                                     (int)l->v[i].col, "message", l->v[i].msg));
	return arr;
}

static int do_check(const struct opts *o, char **paths, size_t n) {
	struct ev_errlist errs = {0}, warns = {0};
	size_t loaded = 0;
	bool io = false;
	struct correlate_engine *e = load(o, paths, n, &errs, &warns, &loaded, &io);
	size_t ne = ev_errlist_count(&errs), nw = ev_errlist_count(&warns);
	if (o->json) {
		json_t *out = json_pack(
		        "{s:b, s:i, s:o, s:o, s:I, s:I, s:I, s:I, s:o}", "ok", ne == 0, "rules",
		        (int)loaded, "errors", findings_json(&errs), "warnings",
		        findings_json(&warns), "error_count", (json_int_t)ne, "warning_count",
		        (json_int_t)nw, "errors_not_shown", (json_int_t)errs.dropped,
		        "warnings_not_shown", (json_int_t)warns.dropped, "logsources",
		        ev_rules_logsource_counts(e));
		char *s = json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT);
		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(out);
	} else {
		ev_errlist_print(&errs, stdout);
		for (size_t i = 0; i < warns.n; i++) {
			char *s = ev_error_format(&warns.v[i]);
			printf("%s (warning)\n", s ? s : "?");
			free(s);
		}
		if (warns.dropped)
			printf("(%zu more warnings not shown)\n", warns.dropped);
		printf("%zu rule%s loaded, %zu error%s, %zu warning%s\n", loaded,
		       loaded == 1 ? "" : "s", ne, ne == 1 ? "" : "s", nw, nw == 1 ? "" : "s");
		json_t *counts = ev_rules_logsource_counts(e);
		ev_rules_print_logsource_counts(counts);
		json_decref(counts);
	}
	ev_errlist_clear(&errs);
	ev_errlist_clear(&warns);
	correlate_engine_free(e);
	return !e || io ? EV_EXIT_USAGE : ne ? EV_EXIT_FINDING : EV_EXIT_OK;
}

static int do_list(const struct opts *o, char **paths, size_t n) {
	struct ev_errlist errs = {0}, warns = {0};
	size_t loaded = 0;
	struct correlate_engine *e = load(o, paths, n, &errs, &warns, &loaded, NULL);
	if (!e) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	ev_errlist_print(&errs, stderr);
	if (!o->json)
		printf("%-36s  %-13s  %-16s  %-16s  %s\n", "ID", "LEVEL", "KIND", "LOGSOURCE",
		       "TITLE");
	for (size_t i = 0; i < correlate_engine_n_rules(e); i++) {
		char *s = correlate_engine_rule_json(e, i);
		if (!s)
			continue;
		if (o->json)
			printf("%s\n", s);
		else {
			json_t *j = json_loads(s, 0, NULL);
			const char *id = json_string_value(json_object_get(j, "id"));
			const char *name = json_string_value(json_object_get(j, "name"));
			json_t *ls = json_object_get(j, "logsource");
			const char *svc = json_string_value(json_object_get(ls, "service"));
			const char *prod = json_string_value(json_object_get(ls, "product"));
			const char *cat = json_string_value(json_object_get(ls, "category"));
			const char *lv = json_string_value(json_object_get(j, "level"));
			const char *t = json_string_value(json_object_get(j, "title"));
			printf("%-36s  %s%-13s%s  %-16s  %-16s  %s\n",
			       id     ? id
			       : name ? name
			              : "-",
			       ev_term_on(stdout, ev_term_level_color(lv)), lv ? lv : "-",
			       ev_term_off(stdout), json_string_value(json_object_get(j, "kind")),
			       svc    ? svc
			       : cat  ? cat
			       : prod ? prod
			              : "-",
			       t ? t : "-");
			json_decref(j);
		}
		free(s);
	}
	size_t ne = ev_errlist_count(&errs);
	ev_errlist_clear(&errs);
	ev_errlist_clear(&warns);
	correlate_engine_free(e);
	return ne ? EV_EXIT_FINDING : EV_EXIT_OK;
}

/* ---- rules test ---- */

struct alerts {
	json_t *arr;
};

static void collect(void *ctx, const struct correlate_alert *a) {
	struct alerts *al = ctx;
	json_array_append_new(al->arr, correlate_alert_to_json(a, NULL));
}

/* An input entry with `line`: a raw log line parsed as the collector parses files (time,
 * host, program, pid and message from the line; `format`, `tz` (default UTC) and `year`
 * (default: inferred) steer the parser; `repeat`/`every` as for records). */
static int add_input_line(struct correlate_engine *e, struct ev_feed *f,
                          const struct ytree_node *in, const char *file, long n, int64_t step,
                          struct ev_errlist *errs) {
	const char *format = NULL, *tz = "UTC";
	long year = 0;
	const struct ytree_node *line = NULL;
	for (size_t i = 0; i < in->n; i++) {
		const char *key = in->pairs[i].key->str;
		const struct ytree_node *v = in->pairs[i].value;
		if (!strcmp(key, "repeat") || !strcmp(key, "every"))
			continue;
		if (v->kind != YTREE_SCALAR) {
			ev_errlist_add(errs, file, v->line, v->col, "'%s' must be a scalar", key);
			return -EINVAL;
		}
		if (!strcmp(key, "line"))
			line = v;
		else if (!strcmp(key, "format"))
			format = v->str;
		else if (!strcmp(key, "tz"))
			tz = v->str;
		else if (!strcmp(key, "year")) {
			char *end;
			year = strtol(v->str, &end, 10);
			if (*end || year < 1 || year > 9999) {
				ev_errlist_add(errs, file, v->line, v->col,
				               "'year' must be 1..9999");
				return -EINVAL;
			}
		} else {
			ev_errlist_add(
			        errs, file, in->pairs[i].key->line, in->pairs[i].key->col,
			        "unknown key '%s' in a 'line' input (line, format, tz, year, "
			        "repeat, every)",
			        key);
			return -EINVAL;
		}
	}
	struct collector_parser p;
	int r = collector_parser_init(&p, format, tz, (int)year, 0, errs);
	if (r < 0)
		return r;
	struct ev_record rec;
	ev_record_init(&rec);
	for (long k = 0; k < n && r == 0; k++) {
		ev_record_reset(&rec);
		r = collector_parse_line(&p, line->str, line->len, 0, &rec);
		if (r < 0)
			break;
		if (rec.flags & (EV_REC_UNPARSED | EV_REC_NO_TIME)) {
			ev_errlist_add(errs, file, line->line, line->col,
			               "the line has no time the parser understands");
			r = -EINVAL;
			break;
		}
		rec.time_us += step * k;
		ev_record_set(&rec, "source", file, strlen(file));
		r = ev_feed_record(f, e, &rec);
	}
	ev_record_free(&rec);
	collector_parser_done(&p);
	return r;
}

static int add_input(struct correlate_engine *e, struct ev_feed *f, const struct ytree_node *in,
                     const char *file, struct ev_errlist *errs) {
	if (in->kind != YTREE_MAP) {
		ev_errlist_add(errs, file, in->line, in->col, "an input event must be a mapping");
		return -EINVAL;
	}
	const struct ytree_node *line = ytree_map_get(in, "line");
	const struct ytree_node *t = ytree_map_get(in, "time"), *rep = ytree_map_get(in, "repeat"),
	                        *every = ytree_map_get(in, "every");
	int64_t us = 0;
	if (!line && (!t || t->kind != YTREE_SCALAR || correlate_parse_time(t->str, &us) < 0)) {
		ev_errlist_add(errs, file, in->line, in->col,
		               "an input event needs 'time' in RFC 3339 (2024-01-02T03:04:05Z)");
		return -EINVAL;
	}
	long n = 1;
	int64_t step = 0;
	if (rep &&
	    (rep->kind != YTREE_SCALAR || (n = strtol(rep->str, NULL, 10)) < 1 || n > 100000)) {
		ev_errlist_add(errs, file, rep->line, rep->col, "'repeat' must be 1..100000");
		return -EINVAL;
	}
	if (every && (every->kind != YTREE_SCALAR || sigma_parse_duration(every->str, &step) < 0)) {
		ev_errlist_add(errs, file, every->line, every->col,
		               "'every' must be a duration (1s, 500ms)");
		return -EINVAL;
	}
	if (line) {
		if (t) {
			ev_errlist_add(errs, file, t->line, t->col,
			               "an input event with 'line' takes its time from the line");
			return -EINVAL;
		}
		return add_input_line(e, f, in, file, n, step, errs);
	}
	struct ev_record rec;
	ev_record_init(&rec);
	int ret = 0;
	for (long k = 0; k < n && ret == 0; k++) {
		ev_record_reset(&rec);
		rec.time_us = us + step * k;
		ev_record_set(&rec, "host", "testhost", 8);
		ev_record_set(&rec, "source", file, strlen(file));
		for (size_t i = 0; i < in->n; i++) {
			const char *key = in->pairs[i].key->str;
			const struct ytree_node *v = in->pairs[i].value;
			if (!strcmp(key, "time") || !strcmp(key, "repeat") || !strcmp(key, "every"))
				continue;
			if (v->kind != YTREE_SCALAR) {
				ev_errlist_add(errs, file, v->line, v->col,
				               "input field '%s' must be a scalar", key);
				ret = -EINVAL;
				break;
			}
			if (!strcmp(key, "pid"))
				rec.pid = strtoll(v->str, NULL, 10);
			else if (!strcmp(key, "priority"))
				rec.priority = (int)strtol(v->str, NULL, 10);
			else if (!strcmp(key, "facility"))
				rec.facility = (int)strtol(v->str, NULL, 10);
			else if (ev_record_set(&rec, key, v->str, v->len) == -EINVAL)
				ev_record_add_field(&rec, key, strlen(key), v->str, v->len);
		}
		if (ret == 0)
			ret = ev_feed_record(f, e, &rec);
	}
	ev_record_free(&rec);
	return ret;
}

static json_t *node_json(const struct ytree_node *n) {
	if (n->kind == YTREE_SCALAR)
		return json_string(n->str);
	json_t *o = n->kind == YTREE_MAP ? json_object() : json_array();
	for (size_t i = 0; i < n->n; i++) {
		if (n->kind == YTREE_MAP)
			json_object_set_new(o, n->pairs[i].key->str, node_json(n->pairs[i].value));
		else
			json_array_append_new(o, node_json(n->items[i]));
	}
	return o;
}

/* Does the actual alert satisfy the expectation (only the keys given are compared)? */
static bool alert_matches(const struct ytree_node *exp, json_t *got) {
	for (size_t i = 0; i < exp->n; i++) {
		const char *k = exp->pairs[i].key->str;
		const struct ytree_node *v = exp->pairs[i].value;
		if (!strcmp(k, "rule")) {
			json_t *r = json_object_get(got, "rule");
			const char *id = json_string_value(json_object_get(r, "id"));
			const char *title = json_string_value(json_object_get(r, "title"));
			if (v->kind != YTREE_SCALAR ||
			    !((id && !strcmp(id, v->str)) || (title && !strcmp(title, v->str))))
				return false;
		} else if (!strcmp(k, "count") || !strcmp(k, "distinct")) {
			json_t *c = json_object_get(got, k);
			if (v->kind != YTREE_SCALAR || !json_is_integer(c) ||
			    json_integer_value(c) != strtoll(v->str, NULL, 10))
				return false;
		} else if (!strcmp(k, "time") || !strcmp(k, "first") || !strcmp(k, "last")) {
			int64_t a, b;
			const char *g = json_string_value(json_object_get(got, k));
			if (v->kind != YTREE_SCALAR || !g || correlate_parse_time(v->str, &a) < 0 ||
			    correlate_parse_time(g, &b) < 0 || a != b)
				return false;
		} else {
			json_t *want = node_json(v);
			bool eq = json_equal(want, json_object_get(got, k));
			json_decref(want);
			if (!eq)
				return false;
		}
	}
	return true;
}

static char *brief(json_t *a) {
	json_t *b = json_object();
	static const char *keys[] = {"kind", "time", "group", "count", "distinct"};
	json_t *r = json_object_get(a, "rule");
	json_t *id = json_object_get(r, "id");
	json_object_set(b, "rule", json_is_string(id) ? id : json_object_get(r, "title"));
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (json_object_get(a, keys[i]))
			json_object_set(b, keys[i], json_object_get(a, keys[i]));
	char *s = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(b);
	return s;
}

static json_t *errs_json(const struct ev_errlist *errs) {
	json_t *a = json_array();
	for (size_t i = 0; i < errs->n; i++) {
		char *s = ev_error_format(&errs->v[i]);
		json_array_append_new(a, json_string(s ? s : "?"));
		free(s);
	}
	return a;
}

/* The errors, then the warnings (e.g. no decoders: why), as strings. */
static json_t *errs_warns_json(const struct ev_errlist *errs, const struct ev_errlist *warns) {
	json_t *a = errs_json(errs);
	for (size_t i = 0; a && i < warns->n; i++) {
		char *s = ev_error_format(&warns->v[i]);
		json_array_append_new(a, json_sprintf("warning: %s", s ? s : "?"));
		free(s);
	}
	return a;
}

/* One test result, as a line or two of text or as an object of --json's "cases". `name`
 * NULL: the file itself is wrong (its errors say why). Takes `errors` (strings), `expected`
 * and `got` (alerts; either may be NULL). */
static void case_result(const struct opts *o, const char *file, const char *name,
                        const char *result, json_t *errors, json_t *expected, json_t *got) {
	if (o->cases) {
		json_array_append_new(o->cases,
		                      json_pack("{s:s, s:s?, s:s, s:o, s:o, s:o}", "file", file,
		                                "name", name, "result", result, "errors", errors,
		                                "expected", expected ? expected : json_array(),
		                                "got", got ? got : json_array()));
		return;
	}
	if (name) {
		bool ok = !strcmp(result, "pass");
		printf("%s%s%s %s: %s\n", ev_term_on(stdout, ok ? EV_COLOR_GREEN : EV_COLOR_RED),
		       ok ? "PASS" : "FAIL", ev_term_off(stdout), file, name);
	}
	size_t i;
	json_t *v;
	json_array_foreach(errors, i, v) {
		printf("%s%s\n", name ? "  " : "", json_string_value(v));
	}
	json_array_foreach(expected, i, v) {
		char *s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
		printf("  - expected %s\n", s ? s : "?");
		free(s);
	}
	json_array_foreach(got, i, v) {
		char *s = brief(v);
		printf("  + got      %s\n", s ? s : "?");
		free(s);
	}
	json_decref(errors);
	json_decref(expected);
	json_decref(got);
}

/* The rules a test file runs: the rule file beside it (NAME.yml or NAME.yaml), then those
 * its `rules:` lists, relative to the test file's directory (at most 16). */
struct test_rules {
	char *paths[17];
	size_t n;
	char rule[PATH_MAX];
	char extra[16][PATH_MAX];
};

static void test_rules_find(const char *test, const struct ytree_node *root, struct test_rules *t) {
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", test);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	size_t tl = strlen(test);
	const char *suf =
	        tl > 10 && !strcmp(test + tl - 10, ".test.yaml") ? ".test.yaml" : ".test.yml";
	snprintf(t->rule, sizeof(t->rule), "%.*s.yml", (int)(tl - strlen(suf)), test);
	struct stat st;
	if (stat(t->rule, &st) < 0)
		snprintf(t->rule, sizeof(t->rule), "%.*s.yaml", (int)(tl - strlen(suf)), test);
	t->n = 0;
	t->paths[t->n++] = t->rule;
	const struct ytree_node *more = ytree_map_get(root, "rules");
	for (size_t i = 0; more && more->kind == YTREE_SEQ && i < more->n && t->n < 17; i++) {
		int w = snprintf(t->extra[t->n - 1], PATH_MAX, "%s/%s", dir, more->items[i]->str);
		if (w < 0 || w >= PATH_MAX)
			continue;
		t->paths[t->n] = t->extra[t->n - 1];
		t->n++;
	}
}

/* One case of a test file: its input through a fresh engine, the alerts against `expect`.
 * Returns 0 when it passed, -EINVAL when not (reported). */
static int run_case(const struct opts *o, const char *test, struct test_rules *t,
                    const struct ytree_node *cs, unsigned *pass, unsigned *fail) {
	struct ev_errlist errs = {0};
	const struct ytree_node *name = cs->kind == YTREE_MAP ? ytree_map_get(cs, "name") : NULL;
	const struct ytree_node *input = cs->kind == YTREE_MAP ? ytree_map_get(cs, "input") : NULL;
	const struct ytree_node *expect =
	        cs->kind == YTREE_MAP ? ytree_map_get(cs, "expect") : NULL;
	const char *label = name && name->kind == YTREE_SCALAR ? name->str : "(unnamed)";
	if (!input || input->kind != YTREE_SEQ || !expect || expect->kind != YTREE_SEQ) {
		ev_errlist_add(&errs, test, cs->line, cs->col,
		               "a case needs lists 'input' and 'expect'");
		case_result(o, test, label, "fail", errs_json(&errs), NULL, NULL);
		ev_errlist_clear(&errs);
		(*fail)++;
		return -EINVAL;
	}
	struct ev_errlist warns = {0};
	size_t loaded = 0;
	struct correlate_engine *e = load(o, t->paths, t->n, &errs, &warns, &loaded, NULL);
	struct alerts al = {json_array()};
	struct ev_feed feed;
	bool ok = e && ev_errlist_count(&errs) == 0 && ev_feed_init(&feed, -1) == 0;
	if (ok) {
		correlate_engine_set_callback(e, collect, &al);
		for (size_t i = 0; ok && i < input->n; i++)
			ok = add_input(e, &feed, input->items[i], test, &errs) == 0;
		if (ok)
			ok = ev_feed_expire(&feed, e, INT64_MAX) == 0;
		if (ok)
			correlate_engine_finish(e);
		ev_feed_done(&feed);
	}
	bool same = ok && json_array_size(al.arr) == expect->n;
	for (size_t i = 0; same && i < expect->n; i++)
		same = expect->items[i]->kind == YTREE_MAP &&
		       alert_matches(expect->items[i], json_array_get(al.arr, i));
	if (same) {
		case_result(o, test, label, "pass", json_array(), NULL, NULL);
		(*pass)++;
	} else {
		json_t *want = json_array();
		for (size_t i = 0; i < expect->n; i++)
			json_array_append_new(want, node_json(expect->items[i]));
		case_result(o, test, label, "fail", errs_warns_json(&errs, &warns), want,
		            json_incref(al.arr));
		(*fail)++;
	}
	json_decref(al.arr);
	ev_errlist_clear(&errs);
	ev_errlist_clear(&warns);
	correlate_engine_free(e);
	return same ? 0 : -EINVAL;
}

/* A test file that is not one mapping with a list `cases`: one failed result, with msg
 * unless the parser said why (or always). */
static int test_file_invalid(const struct opts *o, const char *test, struct ev_errlist *errs,
                             unsigned line, unsigned col, const char *msg, bool always,
                             unsigned *fail) {
	if (always || !errs->n)
		ev_errlist_add(errs, test, line, col, "%s", msg);
	case_result(o, test, NULL, "fail", errs_json(errs), NULL, NULL);
	ev_errlist_clear(errs);
	(*fail)++;
	return -EINVAL;
}

static int run_test_file(const struct opts *o, const char *test, unsigned *pass, unsigned *fail) {
	struct ev_errlist errs = {0};
	struct ytree_docs docs = {0};
	int rc = 0;
	if (ytree_parse_file(test, &docs, &errs) < 0 || docs.n != 1 || !docs.v[0].root ||
	    docs.v[0].root->kind != YTREE_MAP) {
		rc = test_file_invalid(o, test, &errs, 1, 1,
		                       "a rule test file holds one mapping with 'cases'", false,
		                       fail);
		ytree_docs_free(&docs);
		return rc;
	}
	const struct ytree_node *root = docs.v[0].root;
	const struct ytree_node *cases = ytree_map_get(root, "cases");
	if (!cases || cases->kind != YTREE_SEQ) {
		rc = test_file_invalid(o, test, &errs, root->line, root->col,
		                       "a rule test file needs a list 'cases'", true, fail);
		ytree_docs_free(&docs);
		return rc;
	}
	struct test_rules *t = malloc(sizeof(*t));
	if (!t) {
		ytree_docs_free(&docs);
		return -ENOMEM;
	}
	test_rules_find(test, root, t);
	for (size_t c = 0; c < cases->n; c++)
		if (run_case(o, test, t, cases->items[c], pass, fail) < 0)
			rc = -EINVAL;
	free(t);
	ytree_docs_free(&docs);
	return rc;
}

static bool is_test_file(const char *n) {
	size_t l = strlen(n);
	return (l > 10 && !strcmp(n + l - 10, ".test.yaml")) ||
	       (l > 9 && !strcmp(n + l - 9, ".test.yml"));
}

static int test_path(const struct opts *o, const char *path, unsigned *pass, unsigned *fail,
                     int depth) {
	struct stat st;
	if (stat(path, &st) < 0) {
		ev_log_error("rules test: cannot read %s: %m", path);
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (is_test_file(path))
			return run_test_file(o, path, pass, fail);
		/* a rule file: its test beside it */
		char t[PATH_MAX];
		size_t l = strlen(path);
		const char *dot = strrchr(path, '.');
		snprintf(t, sizeof(t), "%.*s.test.yaml", (int)(dot ? (size_t)(dot - path) : l),
		         path);
		if (stat(t, &st) == 0)
			return run_test_file(o, t, pass, fail);
		char *why = NULL;
		if (o->cases && asprintf(&why, "no %s", t) >= 0)
			case_result(o, path, NULL, "skip", json_pack("[s]", why), NULL, NULL);
		else if (!o->cases)
			printf("SKIP %s: no %s\n", path, t);
		free(why);
		return 0;
	}
	if (depth > 16)
		return 0;
	struct dirent **ents;
	int n = scandir(path, &ents, NULL, alphasort);
	if (n < 0)
		return -errno;
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", path, ents[i]->d_name);
		if (ents[i]->d_name[0] != '.') {
			struct stat s2;
			if (stat(p, &s2) == 0 && S_ISDIR(s2.st_mode)) {
				if (test_path(o, p, pass, fail, depth + 1) < 0)
					rc = -EINVAL;
			} else if (is_test_file(ents[i]->d_name) &&
			           run_test_file(o, p, pass, fail) < 0)
				rc = -EINVAL;
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static int do_test(const struct opts *o, char **paths, size_t n) {
	unsigned pass = 0, fail = 0;
	bool io = false;
	for (size_t i = 0; i < n; i++)
		if (test_path(o, paths[i], &pass, &fail, 0) < 0 && pass + fail == 0)
			io = true;
	if (o->cases) {
		json_t *out =
		        json_pack("{s:b, s:i, s:i, s:O}", "ok", !fail && pass && !io, "passed",
		                  (int)pass, "failed", (int)fail, "cases", o->cases);
		char *s = out ? json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(out);
	} else
		printf("%u passed, %u failed\n", pass, fail);
	if (io && !fail)
		return EV_EXIT_USAGE;
	return fail ? EV_EXIT_FINDING : pass ? EV_EXIT_OK : EV_EXIT_FINDING;
}

enum { OPT_ENGINE = 0x2000, OPT_DECODERS, OPT_LOGSOURCE, OPT_CONFIG };

static int rules_sub(const struct opts *o, const char *sub, char **paths, size_t n) {
	if (!strcmp(sub, "check"))
		return do_check(o, paths, n);
	if (!strcmp(sub, "list"))
		return do_list(o, paths, n);
	if (!strcmp(sub, "test"))
		return do_test(o, paths, n);
	return ev_usage_error(&ev_cmd_rules, "unknown subcommand '%s' (check, list, test)", sub);
}

static int rules_run(int argc, char **argv) {
	static const struct option lo[] = {EV_COMMON_LONGOPTS,
	                                   {"engine", required_argument, NULL, OPT_ENGINE},
	                                   {"decoders", required_argument, NULL, OPT_DECODERS},
	                                   {"logsource", required_argument, NULL, OPT_LOGSOURCE},
	                                   {"config", required_argument, NULL, OPT_CONFIG},
	                                   {NULL, 0, NULL, 0}};
	struct opts o = {.engine = NULL};
	const char *config = NULL;
	char *decs[32], *lss[32];
	int c;
	o.decoders = decs;
	o.logsources = lss;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_rules);
		case EV_OPT_JSON:
			o.json = true;
			break;
		case OPT_ENGINE:
			if (strcmp(optarg, "auto") && strcmp(optarg, "vectorscan") &&
			    strcmp(optarg, "pcre2"))
				return ev_usage_error(
				        &ev_cmd_rules,
				        "invalid --engine '%s' (auto, vectorscan, pcre2)", optarg);
			o.engine = optarg;
			break;
		case OPT_DECODERS:
			if (o.n_decoders >= ELEMENTSOF(decs))
				return ev_usage_error(&ev_cmd_rules, "too many --decoders");
			decs[o.n_decoders++] = optarg;
			break;
		case OPT_LOGSOURCE:
			if (o.n_logsources >= ELEMENTSOF(lss))
				return ev_usage_error(&ev_cmd_rules, "too many --logsource");
			lss[o.n_logsources++] = optarg;
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		default:
			return ev_option_error(&ev_cmd_rules, argv);
		}
	}
	if (optind >= argc)
		return ev_usage_error(&ev_cmd_rules, "missing subcommand (check, list, test)");
	const char *sub = argv[optind++];
	char **paths = argv + optind;
	size_t n = (size_t)(argc - optind);
	char *def[1] = {NULL};
	char defbuf[PATH_MAX];
	if (n == 0) {
		snprintf(defbuf, sizeof(defbuf), "%s", replay_rules_datadir("rules"));
		def[0] = defbuf;
		paths = def;
		n = 1;
	}
	if (strcmp(sub, "check") && strcmp(sub, "list") && strcmp(sub, "test"))
		return ev_usage_error(&ev_cmd_rules, "unknown subcommand '%s' (check, list, test)",
		                      sub);
	struct ev_config *cfg = replay_rules_load_config(config);
	if (!cfg)
		return EV_EXIT_USAGE;
	o.cfg = cfg;
	if (o.json && !strcmp(sub, "test"))
		o.cases = json_array();
	int rc = rules_sub(&o, sub, paths, n);
	json_decref(o.cases);
	ev_config_free(cfg);
	return rc;
}

const struct ev_command ev_cmd_rules = {
        .name = "rules",
        .summary = "check, list and test Sigma detection and correlation rules",
        .run = rules_run,
        .usage = "Usage: evident rules check [--json] [--decoders PATH]... [PATH...]\n"
                 "       evident rules list [--json] [PATH...]\n"
                 "       evident rules test [--json] [--engine auto|vectorscan|pcre2] [PATH...]\n"
                 "\n"
                 "check  load every rule file under PATH (default: the shipped rule pack) and "
                 "print\n"
                 "       every error as FILE:LINE:COL: message (all of them, several per rule)\n"
                 "       and the number of rules loaded; exit 1 if any rule was rejected, 2 if\n"
                 "       a PATH cannot be read\n"
                 "list   id, level, kind, logsource and title of every rule (--json: one object a "
                 "line)\n"
                 "test   run the rule tests (foo.test.yaml beside foo.yml): PASS/FAIL per case "
                 "with\n"
                 "       the expected and actual alerts; exit 1 on any failure\n"
                 "\n"
                 "  --engine NAME     matcher: auto, vectorscan or pcre2 (default: rules.engine)\n"
                 "  --config FILE     take the rules.* settings (engine, allowed_lateness,\n"
                 "                    max_groups, max_values, max_future, logsources,\n"
                 "                    placeholders)\n"
                 "                    from FILE (default: the embedded configuration);\n"
                 "                    --logsource adds to and overrides them\n"
                 "  --decoders PATH   decoder file or directory (default: the shipped decoders)\n"
                 "  --logsource SPEC  define a logsource service, e.g. 'myapp: myapp "
                 "unit:myapp.service\n"
                 "                    facility:16' (programs, unit:NAME, facility:N); repeatable\n"
                 "  --json            check, test: one JSON document; list: JSON lines\n"
                 "  -h, --help        show this help\n"
                 "\n"
                 "Rule and test formats: docs/rules.md.\n",
};
