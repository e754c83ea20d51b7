/* Block scanning (correlate_engine_set_block, correlate/prefilter_block.c): real files of
 * a little over one read buffer (1 MiB) read by the real reader, once with the reader
 * telling the engine of its blocks and once without; the alerts and the candidates the
 * prefilter marked must be the same, every line must have been served by a block, and
 * the alerts must be the expected ones. Covered: a literal at the first byte of a read
 * buffer and at the last byte of a block, a literal that spans two lines, literals in
 * the header only or straddling header and message, a keyword found in the program tag,
 * a line (and a literal in it) split across two reads, a last line without a newline. */
#include "collector/reader.h"
#include "tests/unit/correlate/helpers.h"

#define BUF (1u << 20) /* the reader's buffer: max(1 MiB, 2 * max_line + 1) */

static const char *block_rules =
        "title: first\nid: b-first\nlogsource: {product: linux}\n"
        "detection: {sel: {message|startswith: KWFIRST}, condition: sel}\n---\n"
        "title: last\nid: b-last\nlogsource: {product: linux}\n"
        "detection: {sel: {message|endswith: KWLAST}, condition: sel}\n---\n"
        "title: mid\nid: b-mid\nlogsource: {product: linux}\n"
        "detection: {kw: [KWMID], condition: kw}\n---\n"
        "title: split\nid: b-split\nlogsource: {product: linux}\n"
        "detection: {kw: [KWSPLIT], condition: kw}\n---\n"
        "title: two lines\nid: b-nl\nlogsource: {product: linux}\n"
        "detection: {kw: [\"QEND\\nQSTART\"], condition: kw}\n---\n"
        "title: header\nid: b-hdr\nlogsource: {product: linux}\n"
        "detection: {kw: [hostqzx, 'app[1]: Acc'], condition: kw}\n---\n"
        "title: program\nid: b-prog\nlogsource: {product: linux}\n"
        "detection: {kw: [zqprog], condition: kw}\n";

struct text {
	char *p;
	size_t n;
};

static void put(struct text *t, const char *s) {
	size_t l = strlen(s);
	memcpy(t->p + t->n, s, l);
	t->n += l;
}

/* Syslog filler lines (a header-only literal and a straddling one in each) until the
 * text is exactly `to` bytes long. */
static void fill_to(struct text *t, size_t to) {
	static const char *head = "Nov 27 00:00:01 hostqzx app[1]: Accepted filler ";
	size_t hl = strlen(head);
	while (t->n < to) {
		size_t left = to - t->n, len = left >= 2 * 80 ? 80 : left;
		if (len < hl + 2) { /* too short for a syslog line: a plain one */
			memset(t->p + t->n, 'f', len - 1);
			t->p[t->n + len - 1] = '\n';
			t->n += len;
			continue;
		}
		put(t, head);
		memset(t->p + t->n, 'x', len - hl - 1);
		t->n += len - hl - 1;
		t->p[t->n++] = '\n';
	}
}

struct outcome {
	char *alerts; /* every alert's rule id, one a line */
	struct correlate_stats st;
	uint64_t lines;
};

static void on_block(void *ctx, const char *p, size_t len, uint64_t off) {
	correlate_engine_set_block(ctx, p, len, off);
}

static void replay(const char *path, bool block, struct outcome *ret) {
	struct th *t = th_new(block_rules, "vectorscan");
	CU_ASSERT_EQUAL(t->errs.n, 0);
	struct collector_reader_opts o = {.tz = "UTC", .year = 2026, .now_us = t->base};
	struct collector_reader *rd = NULL;
	struct ev_errlist errs = {0};
	CU_ASSERT_EQUAL(collector_reader_new(&o, &rd, &errs), 0);
	CU_ASSERT_EQUAL(collector_reader_add_file(rd, path, &errs), 0);
	if (block)
		CU_ASSERT_TRUE(collector_reader_set_block_fn(rd, on_block, t->e));
	struct ev_record rec;
	ev_record_init(&rec);
	while (collector_reader_next(rd, &rec, &errs) > 0)
		CU_ASSERT_EQUAL(correlate_engine_feed(t->e, &rec), 0);
	ev_record_free(&rec);
	collector_reader_set_block_fn(rd, NULL, NULL);
	correlate_engine_finish(t->e);
	correlate_engine_get_stats(t->e, &ret->st);
	struct collector_reader_stats rs;
	collector_reader_get_stats(rd, &rs);
	ret->lines = rs.lines;
	size_t cap = th_n(t) * 16 + 1, n = 0;
	ret->alerts = calloc(1, cap);
	for (size_t i = 0; i < th_n(t); i++) {
		const char *id = json_string_value(
		        json_object_get(json_object_get(th_get(t, i), "rule"), "id"));
		n += (size_t)snprintf(ret->alerts + n, cap - n, "%s\n", id ? id : "?");
	}
	collector_reader_free(rd);
	ev_errlist_clear(&errs);
	th_free(t);
}

/* Both ways; the alerts must be `want` (rule ids in order) and agree. */
static void check(const char *path, const char *want) {
	struct outcome a, b;
	replay(path, true, &a);
	replay(path, false, &b);
	if (strcmp(a.alerts, want) || strcmp(b.alerts, want))
		fprintf(stderr, "block:\n%salone:\n%swant:\n%s", a.alerts, b.alerts, want);
	CU_ASSERT_STRING_EQUAL(a.alerts, want);
	CU_ASSERT_STRING_EQUAL(b.alerts, want);
	/* a hit outside its message span would be an extra candidate, a missed one fewer */
	CU_ASSERT_EQUAL(a.st.candidates, b.st.candidates);
	CU_ASSERT_EQUAL(b.st.block_records, 0);
#ifdef HAVE_VECTORSCAN
	CU_ASSERT_TRUE(a.st.vectorscan);
	CU_ASSERT_TRUE(b.st.candidates > 0);
	/* every line but the last (no newline: never in a block) was served by a block */
	CU_ASSERT_EQUAL(a.st.block_records, a.lines - 1);
#endif
	free(a.alerts);
	free(b.alerts);
}

static struct text text_new(void) {
	struct text t = {.p = malloc(BUF + 4096), .n = 0};
	CU_ASSERT_PTR_NOT_NULL_FATAL(t.p);
	return t;
}

/* The first read ends with a line whose literal is the block's last byte; the second
 * starts with a literal at its first byte. */
TEST(test_correlate_block_buffer_edges) {
	struct text t = text_new();
	put(&t, "KWFIRST at the first byte of the file\n");
	put(&t, "Nov 27 00:00:01 h1 zqprog[2]: the program is the keyword\n");
	put(&t, "Nov 27 00:00:01 h1 app[1]: a KWMID in the middle\n");
	put(&t, "Nov 27 00:00:01 h1 app[1]: this message ends with QEND\n");
	put(&t, "QSTART begins this unparsed line\n");
	put(&t, "Nov 27 00:00:01 h1 app[1]: KWLAST is not at the end here\n");
	put(&t, "Nov 27 00:00:01 h1 app[1]: nor is KWFIRST at the start\n");
	static const char *last = "Nov 27 00:00:02 h1 app[1]: this one ends with KWLAST\n";
	fill_to(&t, BUF - strlen(last));
	put(&t, last); /* its newline is the first read's last byte */
	CU_ASSERT_EQUAL(t.n, BUF);
	put(&t, "KWFIRST at the first byte of the second read\n");
	put(&t, "Nov 27 00:00:03 h1 app[1]: and a KWMID on a last line without a newline");
	check(unit_write_file("edges.log", t.p, t.n),
	      "b-first\nb-prog\nb-mid\nb-last\nb-first\nb-mid\n");
	free(t.p);
}

/* A line, and the literal in it, split across two reads. */
TEST(test_correlate_block_split_line) {
	struct text t = text_new();
	static const char *head = "Nov 27 00:00:03 h1 app[1]: ";
	size_t pad = 20, start = BUF - 3 - pad - strlen(head); /* "KWS" before the boundary */
	fill_to(&t, start);
	put(&t, head);
	memset(t.p + t.n, 'p', pad);
	t.n += pad;
	put(&t, "KWSPLIT crosses the end of the first read\n");
	CU_ASSERT_TRUE(memcmp(t.p + BUF - 3, "KWSPLIT", 7) == 0);
	put(&t, "Nov 27 00:00:04 h1 app[1]: KWMID after it\n");
	put(&t, "end");
	check(unit_write_file("split.log", t.p, t.n), "b-split\nb-mid\n");
	free(t.p);
}

/* The pattern database (scanned per record) keeps only leaves that open a gate: the
 * `@` and `:` of a rule gated by `scp ` / `rsync ` are left to PCRE2, which sees them only
 * once the gate let the rule through, while the short literal that gates rule `ab` stays.
 * Both engines must give the same alerts; with Vectorscan, a line with only a `:` (on
 * almost every line) is no candidate at all. */
TEST(test_correlate_pattern_db_gates_only) {
	const char *y = "title: copy\nid: copy\nlogsource: {product: linux}\n"
	                "detection:\n  tools: ['scp ', 'rsync ']\n  filter: ['@', ':']\n"
	                "  condition: tools and filter\n---\n"
	                "title: ab\nid: ab\nlogsource: {product: linux}\n"
	                "detection: {sel: {message|contains: qz}, condition: sel}\n";
	const char *msgs[] = {"scp a.tgz bob@h:/tmp", "scp a.tgz /tmp", "rsync -a x y:z",
	                      "time: 12:00 @ noon",   "qz here",        "nothing"};
	char *out[2];
	for (int k = 0; k < 2; k++) {
		struct th *t = th_new(y, k ? "vectorscan" : "pcre2");
		CU_ASSERT_EQUAL_FATAL(t->errs.n, 0);
		for (size_t i = 0; i < ELEMENTSOF(msgs); i++)
			th_feed(t, S(i), "bash", msgs[i], (char *)NULL);
		correlate_engine_finish(t->e);
		out[k] = json_dumps(t->alerts, JSON_SORT_KEYS | JSON_COMPACT);
		CU_ASSERT_EQUAL(th_n(t), 3); /* copy, copy, ab */
#ifdef HAVE_VECTORSCAN
		if (k) {
			struct correlate_stats st;
			correlate_engine_get_stats(t->e, &st);
			uint64_t before = st.candidates;
			th_feed(t, S(10), "bash", "time: 12:00", (char *)NULL);
			th_feed(t, S(11), "bash", "mail to bob@example.org", (char *)NULL);
			correlate_engine_get_stats(t->e, &st);
			CU_ASSERT_EQUAL(st.candidates, before);
			th_feed(t, S(12), "bash", "qz again", (char *)NULL);
			correlate_engine_get_stats(t->e, &st);
			CU_ASSERT_EQUAL(st.candidates, before + 1);
		}
#endif
		th_free(t);
	}
	CU_ASSERT_STRING_EQUAL(out[0], out[1]);
	free(out[0]);
	free(out[1]);
}

/* A record that no rule with a leaf in the pattern database applies to (by logsource) is
 * not scanned with it: a short literal of an sshd rule in a bash line is no candidate,
 * in an sshd line it is, and the alerts are the PCRE2 engine's. */
TEST(test_correlate_pattern_db_logsource) {
	const char *y = "title: svc\nid: svc\nlogsource: {product: linux, service: sshd}\n"
	                "detection: {sel: {message|contains: zv}, condition: sel}\n";
	char *out[2];
	for (int k = 0; k < 2; k++) {
		struct th *t = th_new(y, k ? "vectorscan" : "pcre2");
		CU_ASSERT_EQUAL_FATAL(t->errs.n, 0);
		struct correlate_stats st;
		th_feed(t, S(1), "bash", "zv in a shell", (char *)NULL);
		correlate_engine_get_stats(t->e, &st);
		CU_ASSERT_EQUAL(st.candidates, 0);
		th_feed(t, S(2), "sshd", "zv in sshd", (char *)NULL);
		th_feed(t, S(3), "bash", "zv in a shell again", (char *)NULL);
		correlate_engine_get_stats(t->e, &st);
#ifdef HAVE_VECTORSCAN
		CU_ASSERT_EQUAL(st.candidates, k ? 1 : 0);
#endif
		correlate_engine_finish(t->e);
		CU_ASSERT_EQUAL(th_n(t), 1);
		out[k] = json_dumps(t->alerts, JSON_SORT_KEYS | JSON_COMPACT);
		th_free(t);
	}
	CU_ASSERT_STRING_EQUAL(out[0], out[1]);
	free(out[0]);
	free(out[1]);
}
