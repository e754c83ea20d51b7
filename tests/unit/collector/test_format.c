/* The format library: every sample line of every shipped format (the files of conf/formats,
 * `samples:`) parses with its format to the expected time and fields, and auto-detection
 * picks that format for it; loader errors carry positions; time layouts. Samples are
 * parsed in zone UTC with "now" 2026-11-27 (year inference). */
#include "agent/formats.h"
#include "collector/format.h"
#include "collector/parse.h"
#include "tests/unit/unit.h"
#include "util/ytree.h"

#include <stdio.h>
#include <sys/stat.h>

#define NOW_US (1795737600LL * 1000000) /* 2026-11-27T00:00:00Z */

static const char *scalar(const struct ytree_node *m, const char *key) {
	const struct ytree_node *n = ytree_map_get(m, key);
	return n && n->kind == YTREE_SCALAR ? n->str : NULL;
}

static bool str_is(struct ev_str s, const char *want) {
	return s.p && s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static int failures;

static void fail(const char *fmt, const char *line, const char *what, const char *want) {
	fprintf(stderr, "\n  format %s: %s: want %s '%s'\n", fmt, line, what, want);
	failures++;
}

/* One sample against the record its format (or auto) made of it. */
static void check_sample(const char *fmt, const struct ytree_node *s, const struct ev_record *r) {
	const char *line = scalar(s, "line"), *v;
	if ((v = scalar(s, "time"))) {
		struct collector_tz utc;
		int64_t t = 0;
		CU_ASSERT_EQUAL_FATAL(collector_tz_init(&utc, "UTC"), 0);
		CU_ASSERT_EQUAL(collector_parse_iso_time(v, strlen(v), &utc, &t), strlen(v));
		collector_tz_done(&utc);
		if ((r->flags & EV_REC_NO_TIME) || r->time_us != t)
			fail(fmt, line, "time", v);
	} else if (!(r->flags & EV_REC_NO_TIME))
		fail(fmt, line, "no time", "");
	if (r->flags & EV_REC_UNPARSED)
		fail(fmt, line, "parsed", "");
	static const char *const std[] = {"host", "program", "message"};
	const struct ev_str *sv[] = {&r->host, &r->program, &r->message};
	for (size_t i = 0; i < 3; i++)
		if ((v = scalar(s, std[i])) && !str_is(*sv[i], v))
			fail(fmt, line, std[i], v);
	if ((v = scalar(s, "pid")) && r->pid != strtoll(v, NULL, 10))
		fail(fmt, line, "pid", v);
	if ((v = scalar(s, "priority")) && r->priority != (int)strtol(v, NULL, 10))
		fail(fmt, line, "priority", v);
	const struct ev_str *lv = ev_record_get(r, "level");
	if ((v = scalar(s, "level")) && (!lv || !str_is(*lv, v)))
		fail(fmt, line, "level", v);
	const struct ytree_node *f = ytree_map_get(s, "fields");
	for (size_t i = 0; f && f->kind == YTREE_MAP && i < f->n; i++) {
		const struct ev_str *got = ev_record_get(r, f->pairs[i].key->str);
		if (!got || !str_is(*got, f->pairs[i].value->str))
			fail(fmt, line, f->pairs[i].key->str, f->pairs[i].value->str);
	}
}

/* Every sample of one format, in order (continuations follow their line), twice: with
 * the format named, and with auto-detection (which must pick that format). */
static void check_format(const char *name, const struct ytree_node *def) {
	const struct ytree_node *samples = ytree_map_get(def, "samples");
	CU_ASSERT_FATAL(samples && samples->kind == YTREE_SEQ && samples->n > 0);
	for (int pass = 0; pass < 2; pass++) {
		struct collector_parser p;
		struct ev_errlist e = {0};
		struct ev_record r;
		CU_ASSERT_EQUAL_FATAL(
		        collector_parser_init(&p, pass ? "auto" : name, "UTC", 0, NOW_US, &e), 0);
		ev_record_init(&r);
		for (size_t i = 0; i < samples->n; i++) {
			const char *line = scalar(samples->items[i], "line");
			CU_ASSERT_PTR_NOT_NULL_FATAL(line);
			ev_record_reset(&r);
			CU_ASSERT_EQUAL(collector_parse_line(&p, line, strlen(line), 42, &r), 0);
			check_sample(name, samples->items[i], &r);
		}
		char used[256], want[128];
		collector_parser_formats_used(&p, used, sizeof(used));
		snprintf(want, sizeof(want), "%s %zu", name, samples->n);
		if (pass && strcmp(used, want) != 0) {
			fprintf(stderr, "\n  format %s: auto-detection used '%s'\n", name, used);
			failures++;
		}
		ev_record_free(&r);
		collector_parser_done(&p);
		ev_errlist_clear(&e);
	}
}

TEST(test_collector_format_samples) {
	collector_formats_set_loader(ev_formats_load_embedded);
	CU_ASSERT_EQUAL(collector_formats_default_errors()->n, 0);
	size_t formats = 0;
	failures = 0;
	for (size_t k = 0; k < ev_n_format_files; k++) {
		struct ytree_docs docs = {0};
		struct ev_errlist e = {0};
		CU_ASSERT_EQUAL_FATAL(ytree_parse_buffer(ev_format_files[k].name,
		                                         ev_format_files[k].data,
		                                         ev_format_files[k].len, &docs, &e),
		                      0);
		const struct ytree_node *root = docs.v[0].root;
		for (size_t i = 0; i < root->n; i++, formats++)
			check_format(root->pairs[i].key->str, root->pairs[i].value);
		ytree_docs_free(&docs);
	}
	CU_ASSERT(formats >= 20);
	CU_ASSERT_EQUAL(failures, 0);
}

TEST(test_collector_format_load_errors) {
	struct collector_formats lib = {0};
	struct ev_errlist e = {0};
	static const char bad[] = "good:\n"
	                          "  regex: '^(?<message>.*)$'\n"
	                          "broken:\n"
	                          "  regex: '^(?<time>x'\n"
	                          "  time_format: '%Y'\n"
	                          "notime:\n"
	                          "  regex: '^(?<time>\\d+) (?<message>.*)$'\n"
	                          "layout:\n"
	                          "  regex: '^(?<time>\\d+)'\n"
	                          "  time_format: '%Q'\n"
	                          "json:\n"
	                          "  regex: x\n"
	                          "typo:\n"
	                          "  regex: x\n"
	                          "  progam: x\n";
	CU_ASSERT_EQUAL(collector_formats_load_buffer(&lib, "t.yaml", bad, sizeof(bad) - 1, &e),
	                -EINVAL);
	CU_ASSERT_EQUAL(lib.n, 1); /* only "good" */
	CU_ASSERT_PTR_NOT_NULL(collector_formats_find(&lib, "good"));
	CU_ASSERT_EQUAL(e.n, 5);
	if (e.n == 5) {
		CU_ASSERT_EQUAL(e.v[0].line, 4); /* the regex, with its position */
		CU_ASSERT_PTR_NOT_NULL(strstr(e.v[1].msg, "no 'time_format'"));
		CU_ASSERT_PTR_NOT_NULL(strstr(e.v[2].msg, "'%Q'"));
		CU_ASSERT_PTR_NOT_NULL(strstr(e.v[3].msg, "built-in names are taken"));
		CU_ASSERT_PTR_NOT_NULL(strstr(e.v[4].msg, "unknown key 'progam'"));
	}
	ev_errlist_clear(&e);
	collector_formats_done(&lib);
}

/* A format from a site directory shadows a shipped one of the same name. */
TEST(test_collector_format_dir) {
	collector_formats_set_loader(ev_formats_load_embedded);
	char dir[4096], path[4200];
	snprintf(dir, sizeof(dir), "%s/formats", unit_tmpdir());
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	static const char site[] = "hdfs:\n"
	                           "  regex: '^(?<time>\\d{6} \\d{6}) SITE (?<message>.*)$'\n"
	                           "  time_format: '%y%m%d %H%M%S'\n"
	                           "  program: site\n"
	                           "slow:\n"
	                           "  regex: '^(?<message>(a+)+)$'\n";
	snprintf(path, sizeof(path), "%s/site.yaml", dir);
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(site, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/ignored.txt", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("not: [yaml\n", f);
	fclose(f);
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL(collector_formats_default_add_dir(dir, &e), 0);
	CU_ASSERT_EQUAL(e.n, 0);
	struct collector_parser p;
	struct ev_record r;
	CU_ASSERT_EQUAL_FATAL(collector_parser_init(&p, "hdfs", "UTC", 0, NOW_US, &e), 0);
	ev_record_init(&r);
	static const char l[] = "081109 203615 SITE hello";
	CU_ASSERT_EQUAL(collector_parse_line(&p, l, sizeof(l) - 1, 42, &r), 0);
	CU_ASSERT(str_is(r.program, "site"));
	CU_ASSERT(str_is(r.message, "hello"));
	CU_ASSERT_EQUAL(r.time_us, 1226262975LL * 1000000);
	collector_parser_done(&p);
	/* auto-detection tries the site hdfs, never the shipped one it shadows (marked when
	 * the site file was added): the shipped format's line gets no pid or level from it */
	CU_ASSERT_EQUAL_FATAL(collector_parser_init(&p, "auto", "UTC", 0, NOW_US, &e), 0);
	static const char shipped[] = "081109 203615 148 INFO dfs.DataNode: block received";
	ev_record_reset(&r);
	CU_ASSERT_EQUAL(collector_parse_line(&p, shipped, sizeof(shipped) - 1, 42, &r), 0);
	CU_ASSERT(!str_is(r.program, "dfs.DataNode"));
	CU_ASSERT_NOT_EQUAL(r.pid, 148);
	ev_record_reset(&r);
	CU_ASSERT_EQUAL(collector_parse_line(&p, l, sizeof(l) - 1, 42, &r), 0);
	CU_ASSERT(str_is(r.program, "site"));
	CU_ASSERT(str_is(r.message, "hello"));
	collector_parser_done(&p);
	/* a regex that backtracks exponentially gives up at the match limit: unparsed */
	CU_ASSERT_EQUAL_FATAL(collector_parser_init(&p, "slow", "UTC", 0, NOW_US, &e), 0);
	static const char aab[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
	ev_record_reset(&r);
	CU_ASSERT_EQUAL(collector_parse_line(&p, aab, sizeof(aab) - 1, 42, &r), 0);
	CU_ASSERT(r.flags & EV_REC_UNPARSED);
	ev_record_reset(&r);
	CU_ASSERT_EQUAL(collector_parse_line(&p, aab, sizeof(aab) - 2, 42, &r), 0);
	CU_ASSERT(!(r.flags & EV_REC_UNPARSED)); /* the regex itself works */
	collector_parser_done(&p);
	ev_record_free(&r);
	CU_ASSERT_EQUAL(collector_formats_default_add_dir("/nonexistent/formats", &e), 0);
	ev_errlist_clear(&e);
	/* the shipped hdfs again, for the tests after this one */
	collector_formats_set_loader(ev_formats_load_embedded);
	CU_ASSERT_STRING_EQUAL(
	        collector_fmtdef_name(collector_formats_find(collector_formats_default(), "hdfs")),
	        "hdfs");
}

/* Every prefix of every sample line, with its format named and with auto-detection: no
 * crash, no read past the line (the ASan run checks), and a record with a message. */
TEST(test_collector_format_cut_lines) {
	collector_formats_set_loader(ev_formats_load_embedded);
	struct collector_parser named, autop;
	struct ev_errlist e = {0};
	struct ev_record r;
	ev_record_init(&r);
	CU_ASSERT_EQUAL_FATAL(collector_parser_init(&autop, "auto", "UTC", 0, NOW_US, &e), 0);
	for (size_t k = 0; k < ev_n_format_files; k++) {
		struct ytree_docs docs = {0};
		CU_ASSERT_EQUAL_FATAL(ytree_parse_buffer(ev_format_files[k].name,
		                                         ev_format_files[k].data,
		                                         ev_format_files[k].len, &docs, &e),
		                      0);
		const struct ytree_node *root = docs.v[0].root;
		for (size_t i = 0; i < root->n; i++) {
			const char *name = root->pairs[i].key->str;
			const struct ytree_node *s = ytree_map_get(root->pairs[i].value, "samples");
			CU_ASSERT_EQUAL_FATAL(
			        collector_parser_init(&named, name, "UTC", 0, NOW_US, &e), 0);
			for (size_t j = 0; s && j < s->n; j++) {
				const char *line = scalar(s->items[j], "line");
				size_t len = strlen(line);
				for (size_t cut = 0; cut <= len; cut++) {
					/* a heap copy of exactly `cut` bytes: ASan sees any
					 * overread */
					char *c = malloc(cut ? cut : 1);
					CU_ASSERT_PTR_NOT_NULL_FATAL(c);
					memcpy(c, line, cut);
					ev_record_reset(&r);
					CU_ASSERT_EQUAL(
					        collector_parse_line(&named, c, cut, 42, &r), 0);
					CU_ASSERT_PTR_NOT_NULL(r.message.p);
					ev_record_reset(&r);
					CU_ASSERT_EQUAL(
					        collector_parse_line(&autop, c, cut, 42, &r), 0);
					CU_ASSERT_PTR_NOT_NULL(r.message.p);
					free(c);
				}
			}
			collector_parser_done(&named);
		}
		ytree_docs_free(&docs);
	}
	collector_parser_done(&autop);
	ev_record_free(&r);
	ev_errlist_clear(&e);
}
