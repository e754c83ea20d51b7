/* Correlation rules: window boundaries (exactly timespan later is inside, one µs more is
 * outside), suppression, missing group-by fields, lt deadlines, absence, ordering,
 * out-of-order input within and beyond the lateness, eviction, chains, aliases, generate. */
#include "tests/unit/correlate/helpers.h"

#include "correlate/internal.h" /* SAMPLE_TPL_MIN, the engine's template count */

#define DET_FAIL                                                                                   \
	"title: fail\nid: fail\nlogsource: {product: linux}\ndetection:\n  k: ['Failed']\n  "      \
	"condition: k\n"
#define DET_OK "title: ok\nid: ok\ndetection:\n  k: ['Accepted']\n  condition: k\n"

static struct th *count_rule(const char *cond, const char *engine) {
	char y[2048];
	snprintf(
	        y, sizeof(y),
	        DET_FAIL
	        "---\ntitle: brute\nid: brute\ncorrelation:\n  type: event_count\n  rules: [fail]\n"
	        "  group-by: [ip]\n  timespan: 10s\n  condition: %s\n",
	        cond);
	struct th *t = th_new(y, engine);
	CU_ASSERT_EQUAL(t->errs.n, 0);
	return t;
}

TEST(test_correlate_event_count_boundary) {
	/* 3 events at 0, 5, 10 s: the last is exactly timespan after the first -> inside */
	struct th *t = count_rule("{gte: 3}", "pcre2");
	th_feed(t, 0, "sshd", "Failed", "ip", "1.1.1.1", (char *)NULL);
	th_feed(t, S(5), "sshd", "Failed", "ip", "1.1.1.1", (char *)NULL);
	th_feed(t, S(10), "sshd", "Failed", "ip", "1.1.1.1", (char *)NULL);
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "kind"), "event_count");
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "time"), "2024-03-01T10:00:10.000000Z");
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "first"), "2024-03-01T10:00:00.000000Z");
	CU_ASSERT_EQUAL(th_int(t, 0, "count"), 3);
	CU_ASSERT_STRING_EQUAL(
	        json_string_value(json_object_get(json_object_get(th_get(t, 0), "group"), "ip")),
	        "1.1.1.1");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(th_get(t, 0), "events")), 3);
	th_free(t);
	/* one µs more and the first event has left the window */
	t = count_rule("{gte: 3}", "pcre2");
	th_feed(t, 0, "sshd", "Failed", "ip", "1.1.1.1", (char *)NULL);
	th_feed(t, S(5), "sshd", "Failed", "ip", "1.1.1.1", (char *)NULL);
	th_feed(t, S(10) + 1, "sshd", "Failed", "ip", "1.1.1.1", (char *)NULL);
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL(th_n(t), 0);
	th_free(t);
}

TEST(test_correlate_event_count_suppression) {
	struct th *t = count_rule("{gte: 2}", "pcre2");
	th_feed(t, 0, "sshd", "Failed", "ip", "1.1.1.1", (char *)NULL);
	th_feed(t, S(1), "sshd", "Failed", "ip", "1.1.1.1",
	        (char *)NULL); /* alert at 1 s, suppressed until 11 s */
	th_feed(t, S(2), "sshd", "Failed", "ip", "1.1.1.1", (char *)NULL);
	th_feed(t, S(11), "sshd", "Failed", "ip", "1.1.1.1",
	        (char *)NULL); /* still suppressed (inclusive) */
	th_feed(t, S(11) + 1, "sshd", "Failed", "ip", "1.1.1.1", (char *)NULL);
	th_feed(t, S(12), "sshd", "Failed", "ip", "1.1.1.1",
	        (char *)NULL); /* second alert: two fresh events */
	th_feed(t, S(12), "sshd", "Failed", "ip", "2.2.2.2",
	        (char *)NULL);                             /* other group: one event */
	th_feed(t, S(13), "sshd", "Failed", (char *)NULL); /* no ip: not counted */
	th_feed(t, S(13), "sshd", "Failed", (char *)NULL);
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 2);
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "time"), "2024-03-01T10:00:01.000000Z");
	CU_ASSERT_STRING_EQUAL(th_str(t, 1, "time"), "2024-03-01T10:00:12.000000Z");
	CU_ASSERT_EQUAL(th_int(t, 1, "count"), 2);
	struct correlate_stats st;
	correlate_engine_get_stats(t->e, &st);
	CU_ASSERT_EQUAL(st.suppressed, 2);
	th_free(t);
}

TEST(test_correlate_event_count_lt_deadline) {
	/* fewer than 3 events in the window the first event opened: decided at its close */
	struct th *t = count_rule("{lt: 3}", "pcre2");
	th_feed(t, 0, "sshd", "Failed", "ip", "a", (char *)NULL);
	th_feed(t, S(10), "sshd", "Failed", "ip", "a", (char *)NULL); /* inside (inclusive) */
	th_feed(t, 0, "sshd", "Failed", "ip", "b", (char *)NULL);
	th_feed(t, S(3), "sshd", "Failed", "ip", "b", (char *)NULL);
	th_feed(t, S(4), "sshd", "Failed", "ip", "b", (char *)NULL); /* b reaches 3: no alert */
	th_feed(t, S(30), "x", "unrelated",
	        (char *)NULL); /* watermark 20 s passes the 10 s deadlines */
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "time"), "2024-03-01T10:00:10.000000Z");
	CU_ASSERT_EQUAL(th_int(t, 0, "count"), 2);
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL(th_n(t), 1);
	th_free(t);
}

TEST(test_correlate_value_count) {
	char y[2048];
	snprintf(
	        y, sizeof(y),
	        DET_FAIL
	        "---\ntitle: spray\nid: spray\ncorrelation:\n  type: value_count\n  rules: [fail]\n"
	        "  group-by: [ip]\n  timespan: 10s\n  condition: {field: user, gte: 3}\n");
	struct th *t = th_new(y, "pcre2");
	CU_ASSERT_EQUAL(t->errs.n, 0);
	th_feed(t, 0, "sshd", "Failed", "ip", "i", "user", "a", (char *)NULL);
	th_feed(t, S(1), "sshd", "Failed", "ip", "i", "user", "a", (char *)NULL);
	th_feed(t, S(2), "sshd", "Failed", "ip", "i", "user", "b", (char *)NULL);
	th_feed(t, S(3), "sshd", "Failed", "ip", "i", (char *)NULL); /* no user: not counted */
	th_feed(t, S(11) + 1, "sshd", "Failed", "ip", "i", "user", "c",
	        (char *)NULL); /* 'a' (last at 1 s) has left */
	CU_ASSERT_EQUAL(th_n(t), 0);
	th_feed(t, S(12), "sshd", "Failed", "ip", "i", "user", "d",
	        (char *)NULL); /* b (2 s) still inside */
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	CU_ASSERT_EQUAL(th_int(t, 0, "distinct"), 3);
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "kind"), "value_count");
	th_free(t);
}

static const char *temporal_yaml(const char *type, const char *extra) {
	static char y[2048];
	snprintf(y, sizeof(y),
	         DET_FAIL
	         "---\n" DET_OK
	         "---\ntitle: seq\nid: seq\ncorrelation:\n  type: %s\n  rules: [fail, ok]\n"
	         "  group-by: [ip]\n  timespan: 10s\n%s",
	         type, extra);
	return y;
}

TEST(test_correlate_temporal) {
	struct th *t = th_new(temporal_yaml("temporal", ""), "pcre2");
	CU_ASSERT_EQUAL(t->errs.n, 0);
	th_feed(t, 0, "sshd", "Accepted", "ip", "a", (char *)NULL);
	th_feed(t, S(10), "sshd", "Failed", "ip", "a",
	        (char *)NULL); /* any order, exactly timespan: inside */
	th_feed(t, 0, "sshd", "Accepted", "ip", "b", (char *)NULL);
	th_feed(t, S(10) + 1, "sshd", "Failed", "ip", "b", (char *)NULL); /* 1 µs too late */
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "kind"), "temporal");
	CU_ASSERT_STRING_EQUAL(
	        json_string_value(json_object_get(json_object_get(th_get(t, 0), "group"), "ip")),
	        "a");
	th_free(t);
}

TEST(test_correlate_temporal_ordered) {
	struct th *t = th_new(temporal_yaml("temporal_ordered", ""), "pcre2");
	CU_ASSERT_EQUAL(t->errs.n, 0);
	th_feed(t, 0, "sshd", "Accepted", "ip", "a", (char *)NULL); /* wrong order */
	th_feed(t, S(1), "sshd", "Failed", "ip", "a", (char *)NULL);
	th_feed(t, 0, "sshd", "Failed", "ip", "b", (char *)NULL);
	th_feed(t, S(10), "sshd", "Accepted", "ip", "b",
	        (char *)NULL); /* in order, at the boundary */
	th_feed(t, 0, "sshd", "Failed", "ip", "c", (char *)NULL);
	th_feed(t, S(10) + 1, "sshd", "Accepted", "ip", "c", (char *)NULL);
	th_feed(t, S(20), "sshd", "Failed", "ip", "d",
	        (char *)NULL); /* equal times, arrived in order */
	th_feed(t, S(20), "sshd", "Accepted", "ip", "d", (char *)NULL);
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 2);
	const char *g[2];
	for (size_t i = 0; i < 2; i++)
		g[i] = json_string_value(
		        json_object_get(json_object_get(th_get(t, i), "group"), "ip"));
	CU_ASSERT_STRING_EQUAL(g[0], "b");
	CU_ASSERT_STRING_EQUAL(g[1], "d");
	th_free(t);
}

TEST(test_correlate_temporal_ordered_unchained) {
	/* a later step before the first one is not kept: no group for it, and neither
	 * counted nor listed in the alert the sequence gives later */
	struct th *t = th_new(temporal_yaml("temporal_ordered", ""), "pcre2");
	CU_ASSERT_EQUAL(t->errs.n, 0);
	for (int i = 0; i < 50; i++) {
		char ip[16];
		snprintf(ip, sizeof(ip), "x%d", i);
		th_feed(t, S(1), "sshd", "Accepted", "ip", ip, (char *)NULL);
	}
	th_feed(t, S(1), "sshd", "Accepted", "ip", "a", (char *)NULL); /* before the failure */
	th_feed(t, S(2), "sshd", "Failed", "ip", "a", (char *)NULL);
	th_feed(t, S(3), "sshd", "Accepted", "ip", "a", (char *)NULL);
	correlate_engine_finish(t->e);
	struct correlate_stats cs;
	correlate_engine_get_stats(t->e, &cs);
	CU_ASSERT_EQUAL(cs.live_groups, 1); /* a's, suppressed after its alert */
	CU_ASSERT_EQUAL(cs.unchained, 51);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	CU_ASSERT_EQUAL(th_int(t, 0, "count"), 2);
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "first"), "2024-03-01T10:00:02.000000Z");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(th_get(t, 0), "events")), 2);
	th_free(t);
}

TEST(test_correlate_absence) {
	const char *y =
	        "title: start\nid: start\ndetection:\n  k: ['backup started']\n  condition: "
	        "k\n---\n"
	        "title: done\nid: done\ndetection:\n  k: ['backup finished']\n  condition: k\n---\n"
	        "title: backup did not finish\nid: nofin\ncorrelation:\n  type: temporal\n  rules: "
	        "[start, done]\n"
	        "  group-by: [host]\n  timespan: 1h\n  condition: start and not done\n";
	struct th *t = th_new(y, "pcre2");
	CU_ASSERT_EQUAL(t->errs.n, 0);
	th_feed(t, 0, "backup", "backup started", (char *)NULL);
	th_feed(t, S(3600), "backup", "backup finished",
	        (char *)NULL); /* exactly at the deadline: in time */
	th_feed(t, S(4000), "backup", "backup started", (char *)NULL);
	th_feed(t, S(7600) + 1, "backup", "backup finished", (char *)NULL); /* 1 µs late */
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "kind"), "absence");
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "time"),
	                       "2024-03-01T12:06:40.000000Z"); /* 4000 s + 1 h */
	th_free(t);
	/* the daemon: the clock moves the watermark on a quiet host */
	t = th_new(y, "pcre2");
	th_feed(t, 0, "backup", "backup started", (char *)NULL);
	correlate_engine_advance(t->e, t->base + S(3600) + S(10));
	CU_ASSERT_EQUAL(th_n(t), 0); /* watermark == deadline: not past it yet */
	correlate_engine_advance(t->e, t->base + S(3600) + S(10) + 1);
	CU_ASSERT_EQUAL(th_n(t), 1);
	th_free(t);
	/* only `A and not B` is an absence */
	t = th_new("title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 1h\n  "
	           "condition: not a or b\n",
	           "pcre2");
	CU_ASSERT_PTR_NOT_NULL(strstr(th_errors(t), "A and not B"));
	th_free(t);
}

static char *run_order(const int64_t *offs, size_t n, int64_t lateness, uint64_t *late) {
	char y[2048];
	snprintf(
	        y, sizeof(y),
	        DET_FAIL
	        "---\ntitle: brute\nid: brute\ncorrelation:\n  type: event_count\n  rules: [fail]\n"
	        "  group-by: [ip]\n  timespan: 10s\n  condition: {gte: 3}\n");
	struct th *t = th_new_opts(y, "pcre2", lateness, 0);
	for (size_t i = 0; i < n; i++)
		th_feed(t, offs[i], "sshd", "Failed", "ip", "x", (char *)NULL);
	correlate_engine_finish(t->e);
	struct correlate_stats st;
	correlate_engine_get_stats(t->e, &st);
	*late = st.late;
	char *s = json_dumps(t->alerts, JSON_SORT_KEYS | JSON_COMPACT);
	th_free(t);
	return s;
}

TEST(test_correlate_out_of_order) {
	const int64_t sorted[] = {0, S(2), S(4), S(20), S(21), S(22), S(40)};
	const int64_t shuffled[] = {S(4), 0, S(2), S(22), S(20), S(21), S(40)}; /* late by < 10 s */
	uint64_t l1, l2, l3;
	char *a = run_order(sorted, 7, -1, &l1), *b = run_order(shuffled, 7, -1, &l2);
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT_EQUAL(l1, 0);
	CU_ASSERT_EQUAL(l2, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "10:00:04.000000Z"));
	/* with no lateness allowed the out-of-order events are late: counted, not used */
	char *c = run_order(shuffled, 7, 0, &l3);
	CU_ASSERT_EQUAL(l3, 4);
	CU_ASSERT_STRING_NOT_EQUAL(a, c);
	free(a);
	free(b);
	free(c);
	/* beyond the lateness: 11 s late with 10 s allowed */
	const int64_t beyond[] = {S(20), S(21), S(9), S(22)};
	char *d = run_order(beyond, 4, -1, &l3);
	CU_ASSERT_EQUAL(l3, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(d, "10:00:22.000000Z"));
	free(d);
}

TEST(test_correlate_eviction) {
	char y[2048];
	snprintf(
	        y, sizeof(y),
	        DET_FAIL
	        "---\ntitle: brute\nid: brute\ncorrelation:\n  type: event_count\n  rules: [fail]\n"
	        "  group-by: [ip]\n  timespan: 1h\n  condition: {gte: 2}\n");
	struct th *t = th_new_opts(y, "pcre2", 0, 2);
	th_feed(t, 0, "sshd", "Failed", "ip", "a", (char *)NULL);
	th_feed(t, 1, "sshd", "Failed", "ip", "b", (char *)NULL);
	th_feed(t, 2, "sshd", "Failed", "ip", "c",
	        (char *)NULL); /* evicts a, the least recently used */
	th_feed(t, 3, "sshd", "Failed", "ip", "a", (char *)NULL); /* a starts over: evicts b */
	th_feed(t, 4, "sshd", "Failed", "ip", "c",
	        (char *)NULL); /* c still has its first event: alert */
	correlate_engine_finish(t->e);
	struct correlate_stats st;
	correlate_engine_get_stats(t->e, &st);
	CU_ASSERT_EQUAL(st.evicted, 2);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	CU_ASSERT_STRING_EQUAL(
	        json_string_value(json_object_get(json_object_get(th_get(t, 0), "group"), "ip")),
	        "c");
	th_free(t);
}

TEST(test_correlate_chain_aliases_generate) {
	/* brute force (event_count) followed by a success from the same address (temporal_ordered
	 * over a correlation and a detection, with aliases mapping different field names) */
	const char *y = DET_FAIL "---\n" DET_OK "---\n"
	                         "title: brute\nid: brute\ncorrelation:\n  type: event_count\n  "
	                         "rules: [fail]\n  group-by: [src]\n"
	                         "  timespan: 1m\n  condition: {gte: 2}\n---\n"
	                         "title: brute then success\nid: bts\ncorrelation:\n  type: "
	                         "temporal_ordered\n  rules: [brute, ok]\n"
	                         "  group-by: [addr]\n  timespan: 5m\n  aliases:\n    addr:\n      "
	                         "brute: src\n      ok: client\n";
	struct th *t = th_new(y, "pcre2");
	CU_ASSERT_EQUAL(t->errs.n, 0);
	th_feed(t, 0, "sshd", "Failed", "src", "9.9.9.9", (char *)NULL);
	th_feed(t, S(1), "sshd", "Failed", "src", "9.9.9.9", (char *)NULL);
	th_feed(t, S(2), "sshd", "Accepted", "client", "9.9.9.9", (char *)NULL);
	th_feed(t, S(3), "sshd", "Accepted", "client", "8.8.8.8", (char *)NULL);
	correlate_engine_finish(t->e);
	/* generate: false (default) keeps `fail`, `ok` and `brute` quiet */
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "kind"), "temporal_ordered");
	CU_ASSERT_STRING_EQUAL(
	        json_string_value(json_object_get(json_object_get(th_get(t, 0), "group"), "addr")),
	        "9.9.9.9");
	th_free(t);
	/* generate: true lets the referenced rules' alerts through */
	const char *g = DET_FAIL
	        "---\ntitle: brute\nid: brute\ncorrelation:\n  type: event_count\n  rules: [fail]\n"
	        "  group-by: [src]\n  timespan: 1m\n  condition: {gte: 2}\n  generate: true\n";
	t = th_new(g, "pcre2");
	th_feed(t, 0, "sshd", "Failed", "src", "1", (char *)NULL);
	th_feed(t, 1, "sshd", "Failed", "src", "1", (char *)NULL);
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 3);
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "kind"), "match");
	CU_ASSERT_STRING_EQUAL(th_str(t, 2, "kind"), "event_count");
	th_free(t);
}

TEST(test_correlate_engines_identical) {
	/* a mixed rule set through both engines gives the same bytes */
	const char *y =
	        "title: a\nid: a\ndetection:\n  k: ['err*disk', 'I/O error']\n  condition: k\n---\n"
	        "title: b\nid: b\ndetection:\n  s:\n    message|re: 'sd[a-z]+[0-9]?'\n  f:\n    "
	        "program: kernel\n"
	        "  condition: s and f\n---\n"
	        "title: c\nid: c\ncorrelation:\n  type: event_count\n  rules: [b]\n  group-by: "
	        "[host]\n"
	        "  timespan: 1m\n  condition: {gte: 2}\n  generate: true\n";
	const char *msgs[] = {"I/O error on sda1", "buffer error: disk full",
	                      "sdb1 ok",           "nothing",
	                      "ERR DISK",          "sdc"};
	char *out[2];
	for (int k = 0; k < 2; k++) {
		struct th *t = th_new(y, k ? "vectorscan" : "pcre2");
		for (size_t i = 0; i < ELEMENTSOF(msgs); i++)
			th_feed(t, S(i), "kernel", msgs[i], (char *)NULL);
		correlate_engine_finish(t->e);
		out[k] = json_dumps(t->alerts, JSON_SORT_KEYS | JSON_COMPACT);
		CU_ASSERT_EQUAL(th_n(t), 7);
		th_free(t);
	}
	CU_ASSERT_STRING_EQUAL(out[0], out[1]);
	/* the PCRE2 interpreter (JIT refused, e.g. MemoryDenyWriteExecute) gives the same */
	struct th *t = calloc(1, sizeof(*t));
	struct correlate_opts o = {.engine = "pcre2", .allowed_lateness_us = -1, .no_jit = true};
	CU_ASSERT_EQUAL_FATAL(correlate_engine_new(&o, &t->e, &t->errs), 0);
	t->alerts = json_array();
	correlate_engine_add_rules_buffer(t->e, "test.yml", y, strlen(y), &t->errs);
	correlate_engine_compile(t->e, &t->errs, &t->warns);
	correlate_engine_set_callback(t->e, th_collect, t);
	correlate_parse_time("2024-03-01T10:00:00Z", &t->base);
	for (size_t i = 0; i < ELEMENTSOF(msgs); i++)
		th_feed(t, S(i), "kernel", msgs[i], (char *)NULL);
	correlate_engine_finish(t->e);
	struct correlate_stats st;
	correlate_engine_get_stats(t->e, &st);
	CU_ASSERT_FALSE(st.jit);
	CU_ASSERT_FALSE(st.vectorscan);
	char *s = json_dumps(t->alerts, JSON_SORT_KEYS | JSON_COMPACT);
	CU_ASSERT_STRING_EQUAL(s, out[0]);
	free(s);
	th_free(t);
	free(out[0]);
	free(out[1]);
}

static size_t jit_size(struct th *t, size_t rule) {
	size_t n = 0;
	pcre2_pattern_info(t->e->rules.v[rule].leaves[0].code, PCRE2_INFO_JITSIZE, &n);
	return n;
}

/* PCRE2's JIT compile waits for a leaf's first test: a leaf the prefilter always rules out
 * is never JIT compiled, one that is tested is, and JIT is still reported in use. */
TEST(test_correlate_jit_on_first_use) {
	const char *y = "title: a\nid: a\ndetection:\n  s:\n    message|re: 'disk [0-9]+ failed'\n"
	                "  condition: s\n---\n"
	                "title: b\nid: b\ndetection:\n  s:\n    message|re: 'fan [0-9]+ stopped'\n"
	                "  condition: s\n";
	struct th *t = th_new(y, "vectorscan");
	CU_ASSERT_EQUAL_FATAL(t->errs.n, 0);
	CU_ASSERT_EQUAL_FATAL(t->e->rules.n, 2);
	for (size_t i = 0; i < 2; i++)
		CU_ASSERT_EQUAL(jit_size(t, i), 0);
	th_feed(t, S(1), "kernel", "disk 3 failed", (char *)NULL);
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL(th_n(t), 1);
	struct correlate_stats st;
	correlate_engine_get_stats(t->e, &st);
	CU_ASSERT_TRUE(st.jit == (jit_size(t, 0) > 0));
#ifdef HAVE_VECTORSCAN
	CU_ASSERT_EQUAL(jit_size(t, 1), 0); /* never a candidate */
#endif
	th_free(t);
}

TEST(test_correlate_reference_cycle) {
	const char *y =
	        "title: a\nid: a\ncorrelation:\n  type: event_count\n  rules: [b]\n  timespan: 1m\n"
	        "  condition: {gte: 1}\n---\ntitle: b\nid: b\ncorrelation:\n  type: temporal\n  "
	        "rules: [a]\n"
	        "  timespan: 1m\n";
	struct th *t = th_new(y, "pcre2");
	CU_ASSERT_PTR_NOT_NULL(strstr(th_errors(t), "cycle"));
	th_free(t);
}

TEST(test_correlate_idle_groups_reaped) {
	/* a group whose window is empty and that is not suppressed is freed, not evicted */
	struct th *t = count_rule("{gte: 3}", "pcre2");
	th_feed(t, 0, "sshd", "Failed", "ip", "a", (char *)NULL);
	th_feed(t, S(1), "sshd", "Failed", "ip", "b", (char *)NULL);
	th_feed(t, S(40), "sshd", "Failed", "ip", "c",
	        (char *)NULL); /* watermark 30 s: a, b released */
	th_feed(t, S(60), "sshd", "Failed", "ip", "d",
	        (char *)NULL); /* c released at 50 s: a, b idle */
	struct correlate_stats st;
	correlate_engine_get_stats(t->e, &st);
	CU_ASSERT_EQUAL(st.live_groups, 1);
	CU_ASSERT_EQUAL(st.evicted, 0);
	/* a reaped group starts over exactly like a new one */
	th_feed(t, S(61), "sshd", "Failed", "ip", "a", (char *)NULL);
	th_feed(t, S(62), "sshd", "Failed", "ip", "a", (char *)NULL);
	th_feed(t, S(63), "sshd", "Failed", "ip", "a", (char *)NULL);
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	CU_ASSERT_EQUAL(th_int(t, 0, "count"), 3);
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "first"), "2024-03-01T10:01:01.000000Z");
	th_free(t);
}

/* Alert samples: the group keeps the sample of its first event inside its own allocation
 * and later ones apart; whichever way they are stored, an alert lists the last 10 (the
 * first 10 for lt/lte windows), in event order, with their messages. */
static const char *sample_msg(struct th *t, size_t alert, size_t i) {
	json_t *ev = json_array_get(json_object_get(th_get(t, alert), "events"), i);
	return json_string_value(json_object_get(ev, "message"));
}

TEST(test_correlate_samples) {
	char msg[64];
	/* 14 events, alert at the 14th: samples are events 5..14 (the first, inline, left) */
	struct th *t = count_rule("{gte: 14}", "pcre2");
	for (int i = 1; i <= 14; i++) {
		snprintf(msg, sizeof(msg), "Failed %d", i);
		th_feed(t, S(i) / 2, "sshd", msg, "ip", "1.1.1.1", (char *)NULL);
	}
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	CU_ASSERT_EQUAL(th_int(t, 0, "count"), 14);
	CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(th_get(t, 0), "events")), 10);
	CU_ASSERT_STRING_EQUAL(sample_msg(t, 0, 0), "Failed 5");
	CU_ASSERT_STRING_EQUAL(sample_msg(t, 0, 9), "Failed 14");
	th_free(t);
	/* the first event expires from the window before the alert: its inline sample goes */
	t = count_rule("{gte: 3}", "pcre2");
	th_feed(t, 0, "sshd", "Failed a", "ip", "2.2.2.2", (char *)NULL);
	th_feed(t, S(8), "sshd", "Failed b", "ip", "2.2.2.2", (char *)NULL);
	th_feed(t, S(12), "sshd", "Failed c", "ip", "2.2.2.2", (char *)NULL);
	th_feed(t, S(13), "sshd", "Failed d", "ip", "2.2.2.2", (char *)NULL);
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	CU_ASSERT_EQUAL(th_int(t, 0, "count"), 3);
	CU_ASSERT_STRING_EQUAL(sample_msg(t, 0, 0), "Failed b");
	CU_ASSERT_STRING_EQUAL(sample_msg(t, 0, 2), "Failed d");
	th_free(t);
	/* lt window: decided at the deadline, the first 10 samples */
	t = count_rule("{lt: 100}", "pcre2");
	for (int i = 1; i <= 12; i++) {
		snprintf(msg, sizeof(msg), "Failed %d", i);
		th_feed(t, S(i) / 4, "sshd", msg, "ip", "3.3.3.3", (char *)NULL);
	}
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	CU_ASSERT_EQUAL(th_int(t, 0, "count"), 12);
	CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(th_get(t, 0), "events")), 10);
	CU_ASSERT_STRING_EQUAL(sample_msg(t, 0, 0), "Failed 1");
	CU_ASSERT_STRING_EQUAL(sample_msg(t, 0, 9), "Failed 10");
	th_free(t);
}

/* One line dated 2099 must not blind the correlations (issue 10): it is flagged, counted,
 * not correlated, and the brute force after it still fires, in replay and in the daemon. */
static struct th *future_rule(void) {
	struct th *t =
	        th_new(DET_FAIL "---\ntitle: seen\nid: seen\ndetection:\n  k: ['Failed']\n"
	                        "  condition: k\n---\ntitle: brute\nid: brute\ncorrelation:\n"
	                        "  type: event_count\n  rules: [fail]\n  group-by: [ip]\n"
	                        "  timespan: 10s\n  condition: {gte: 3}\n",
	               "pcre2");
	CU_ASSERT_EQUAL(t->errs.n, 0);
	return t;
}

TEST(test_correlate_far_future_line) {
	int64_t y2099 = S(75LL * 365 * 86400);
	for (int daemon = 0; daemon < 2; daemon++) {
		struct th *t = future_rule();
		if (daemon)
			correlate_engine_set_clock(t->e, t->base);
		th_feed(t, 0, "sshd", "hello", (char *)NULL);
		th_feed(t, y2099, "sshd", "Failed", "ip", "6.6.6.6", (char *)NULL);
		for (int i = 1; i <= 3; i++)
			th_feed(t, S(i), "sshd", "Failed", "ip", "1.1.1.1", (char *)NULL);
		correlate_engine_finish(t->e);
		struct correlate_stats st;
		correlate_engine_get_stats(t->e, &st);
		CU_ASSERT_EQUAL(st.future, 1);
		CU_ASSERT_EQUAL(st.late, 0);
		CU_ASSERT_EQUAL(st.last_future_us, t->base + y2099);
		/* fail (flagged), fail x3, brute */
		CU_ASSERT_EQUAL_FATAL(th_n(t), 5);
		CU_ASSERT_STRING_EQUAL(th_str(t, 0, "time_suspect"), "future");
		CU_ASSERT_PTR_NULL(th_str(t, 1, "time_suspect"));
		CU_ASSERT_STRING_EQUAL(th_str(t, 4, "kind"), "event_count");
		CU_ASSERT_EQUAL(th_int(t, 4, "count"), 3);
		th_free(t);
	}
	/* replay: a real gap (a quiet night) is confirmed by the next line and changes nothing */
	struct th *t = future_rule();
	th_feed(t, 0, "sshd", "hello", (char *)NULL);
	for (int i = 1; i <= 3; i++)
		th_feed(t, S(8 * 3600 + i), "sshd", "Failed", "ip", "1.1.1.1", (char *)NULL);
	th_feed(t, S(16 * 3600), "sshd", "Failed", "ip", "1.1.1.1", (char *)NULL);
	correlate_engine_finish(t->e);
	struct correlate_stats st;
	correlate_engine_get_stats(t->e, &st);
	CU_ASSERT_EQUAL(st.future, 0);
	/* seen x3, seen (the last line, 8 h later: accepted at the end), brute (released by
	 * it, as it was before the guard) */
	CU_ASSERT_EQUAL_FATAL(th_n(t), 5);
	for (size_t i = 0; i < 5; i++)
		CU_ASSERT_PTR_NULL(th_str(t, i, "time_suspect"));
	CU_ASSERT_STRING_EQUAL(th_str(t, 4, "kind"), "event_count");
	th_free(t);
	/* replay: a 2099 line as the very first record is refuted by the second */
	t = future_rule();
	th_feed(t, y2099, "sshd", "Failed", "ip", "6.6.6.6", (char *)NULL);
	for (int i = 1; i <= 3; i++)
		th_feed(t, S(i), "sshd", "Failed", "ip", "1.1.1.1", (char *)NULL);
	correlate_engine_finish(t->e);
	correlate_engine_get_stats(t->e, &st);
	CU_ASSERT_EQUAL(st.future, 1);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 5);
	CU_ASSERT_STRING_EQUAL(th_str(t, 0, "time_suspect"), "future");
	CU_ASSERT_STRING_EQUAL(th_str(t, 4, "kind"), "event_count");
	th_free(t);
}

/* value_count's distinct values per group: rules.max_values drops the value seen longest
 * ago and counts it; an lt/lte window keeps threshold + 1 values, which decides it
 * exactly (nothing counted as dropped). */
TEST(test_correlate_value_cap) {
	static const char *conds[2] = {"{field: user, gte: 3}", "{field: user, lt: 3}"};
	for (int lt = 0; lt < 2; lt++) {
		char y[2048];
		snprintf(y, sizeof(y),
		         DET_FAIL
		         "---\ntitle: spray\nid: spray\ncorrelation:\n  type: value_count\n"
		         "  rules: [fail]\n  group-by: [ip]\n  timespan: 10s\n  condition: %s\n",
		         conds[lt]);
		struct th *t = calloc(1, sizeof(*t));
		struct correlate_opts o = {
		        .engine = "pcre2", .allowed_lateness_us = -1, .max_values = 2};
		CU_ASSERT_EQUAL_FATAL(correlate_engine_new(&o, &t->e, &t->errs), 0);
		t->alerts = json_array();
		correlate_engine_add_rules_buffer(t->e, "test.yml", y, strlen(y), &t->errs);
		correlate_engine_compile(t->e, &t->errs, &t->warns);
		CU_ASSERT_EQUAL(t->errs.n, 0);
		correlate_engine_set_callback(t->e, th_collect, t);
		correlate_parse_time("2024-03-01T10:00:00Z", &t->base);
		const char *users[] = {"a", "b", "c", "d", "e"};
		for (int i = 0; i < 5; i++)
			th_feed(t, S(i), "sshd", "Failed", "ip", "i", "user", users[i],
			        (char *)NULL);
		correlate_engine_finish(t->e);
		struct correlate_stats st;
		correlate_engine_get_stats(t->e, &st);
		/* gte 3 with a cap of 2: never 3 distinct, 3 values dropped. lt 3: the cap is
		 * min(3 + 1, 2) = 2 < 4, so values beyond 2 are dropped and counted too */
		CU_ASSERT_EQUAL(st.values_dropped, 3);
		CU_ASSERT_EQUAL(th_n(t), lt ? 1 : 0); /* lt: 2 < 3 at the deadline (the cap lies) */
		th_free(t);
	}
	/* the default cap: lt 3 keeps 4 values at most and nothing counts as dropped */
	char y[2048];
	snprintf(y, sizeof(y),
	         DET_FAIL "---\ntitle: spray\nid: spray\ncorrelation:\n  type: value_count\n"
	                  "  rules: [fail]\n  group-by: [ip]\n  timespan: 10s\n"
	                  "  condition: {field: user, lt: 3}\n");
	struct th *t = th_new(y, "pcre2");
	const char *users[] = {"a", "b", "c", "d", "e"};
	for (int i = 0; i < 5; i++)
		th_feed(t, S(i), "sshd", "Failed", "ip", "i", "user", users[i], (char *)NULL);
	correlate_engine_finish(t->e);
	struct correlate_stats st;
	correlate_engine_get_stats(t->e, &st);
	CU_ASSERT_EQUAL(st.values_dropped, 0);
	CU_ASSERT_EQUAL(th_n(t), 0);
	th_free(t);
}

/* Samples keep their messages as a template and variable tokens (correlate/sample.c): an
 * alert lists every message exactly as it came, whatever its shape. */
TEST(test_correlate_sample_messages) {
	char big[700], longtok[364], marker[64];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "Failed ", 7);
	for (size_t i = 7; i + 4 < sizeof(big); i += 9)
		memcpy(big + i, "ab 12 ", 6); /* cut at 512 bytes inside a token */
	/* a token of 300 digits (longer than a length byte) after enough words to be worth
	 * a template */
	const char *words = "Failed because a very long token follows here, and more words ";
	memset(longtok, '7', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = 0;
	memcpy(longtok, words, strlen(words));
	snprintf(marker, sizeof(marker), "Failed %c marker 9 in the message here", 1);
	const char *msgs[] = {
	        "Failed password for root from 10.0.0.1 port 22 ssh2",
	        "Failed  double  spaces 12  and trailing 7 ",
	        " Failed leading space 42 and some more words",
	        marker,
	        longtok,
	        "Failed short 1",
	        "Failed with no digits at all in this message",
	        "Failed 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0",
	        big,
	        "Failed password for root from 10.0.0.2 port 23 ssh2",
	};
	size_t n = ELEMENTSOF(msgs);
	struct th *t = count_rule("{gte: 10}", "pcre2");
	for (size_t i = 0; i < n; i++)
		th_feed(t, (int64_t)i, "sshd", msgs[i], "ip", "1.1.1.1", (char *)NULL);
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	json_t *ev = json_object_get(th_get(t, 0), "events");
	CU_ASSERT_EQUAL_FATAL(json_array_size(ev), n);
	for (size_t i = 0; i < n; i++) {
		const char *got =
		        json_string_value(json_object_get(json_array_get(ev, i), "message"));
		size_t want = MIN(strlen(msgs[i]), (size_t)512);
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		CU_ASSERT_EQUAL(strlen(got), want);
		CU_ASSERT(!strncmp(got, msgs[i], want));
	}
	th_free(t);
}

/* The length threshold of the templates: a message of SAMPLE_TPL_MIN - 1 bytes is kept as
 * it is, one of SAMPLE_TPL_MIN bytes becomes a template; both come back exactly. */
TEST(test_correlate_sample_template_threshold) {
	char m[2][SAMPLE_TPL_MIN + 1];
	for (int k = 0; k < 2; k++) {
		size_t len = SAMPLE_TPL_MIN - 1 + (size_t)k;
		memset(m[k], 'a', len); /* "Failed aaa...a 7" */
		memcpy(m[k], "Failed ", 7);
		memcpy(m[k] + len - 2, " 7", 2);
		m[k][len] = 0;
	}
	struct th *t = count_rule("{gte: 2}", "pcre2");
	th_feed(t, 0, "sshd", m[0], "ip", "1.1.1.1", (char *)NULL);
	CU_ASSERT_EQUAL(t->e->n_tpls, 0);
	th_feed(t, S(1), "sshd", m[1], "ip", "1.1.1.1", (char *)NULL);
	CU_ASSERT_EQUAL(t->e->n_tpls, 1);
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	json_t *ev = json_object_get(th_get(t, 0), "events");
	CU_ASSERT_EQUAL_FATAL(json_array_size(ev), 2);
	for (size_t i = 0; i < 2; i++) {
		const char *got =
		        json_string_value(json_object_get(json_array_get(ev, i), "message"));
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		CU_ASSERT_STRING_EQUAL(got, m[i]);
	}
	th_free(t);
}

/* The template rule, a byte at a time (the reference for sample.c's masks): a message of
 * SAMPLE_TPL_MIN..SAMPLE_MSG_CAP bytes without the byte 0x01 becomes a template when no
 * token (split at spaces) holding an ASCII digit is longer than 255 bytes and the tokens
 * kept, each with its length byte, take fewer than len - 8 bytes. */
static bool ref_templated(const char *m, size_t n) {
	if (n < SAMPLE_TPL_MIN || memchr(m, 1, n))
		return false;
	size_t vl = 0;
	for (size_t a = 0; a < n;) {
		size_t b = a;
		bool digit = false;
		for (; b < n && m[b] != ' '; b++)
			digit |= (unsigned char)(m[b] - '0') < 10;
		if (digit) {
			if (b - a > 255)
				return false;
			vl += 1 + (b - a);
		}
		a = b + 1;
	}
	return vl + sizeof(void *) < n;
}

/* Random messages over an alphabet of digits, spaces, letters, 0x01 and bytes with the
 * high bit set whose low seven bits are digits (not digits): every length up to the cap,
 * so that tokens cross the 16- and 64-byte steps of the masks. Each comes back exactly,
 * and is a template exactly when the reference says so. */
TEST(test_correlate_sample_split_random) {
	struct th *t = count_rule("{gte: 2}", "pcre2");
	static const char alpha[] = {' ', ' ', ' ', '1', '9',        '0',        'a',
	                             'z', 'Q', ':', '.', (char)0xb1, (char)0xb9, (char)0x80};
	uint32_t seed = 12345;
	char m[SAMPLE_MSG_CAP + 64];
	struct sample *out[1];
	size_t templated = 0, plain = 0;
	for (int round = 0; round < 4000; round++) {
		size_t n = (size_t)round % (SAMPLE_MSG_CAP + 1);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			size_t k = (seed >> 16) % sizeof(alpha);
			m[i] = alpha[k];
			/* long runs without a space now and then: tokens near 255 bytes */
			if (round % 7 == 0 && m[i] == ' ' && (seed >> 8) % 64)
				m[i] = 'x';
		}
		if (round % 11 == 0 && n > 3)
			m[n / 2] = 1;
		struct sample *s = sample_new(t->e, 0, "src", 3, m, n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		bool want = ref_templated(m, n);
		CU_ASSERT_EQUAL(s->tpl != NULL, want);
		if (want)
			templated++;
		else
			plain++;
		CU_ASSERT_EQUAL_FATAL(sample_views(t->e, &s, 1, out), 0);
		CU_ASSERT_EQUAL(out[0]->msg_len, n);
		CU_ASSERT(!memcmp(out[0]->msg, m, n));
		sample_unref(t->e, s);
	}
	CU_ASSERT(templated > 1000); /* both kinds were exercised */
	CU_ASSERT(plain > 300);
	th_free(t);
}
