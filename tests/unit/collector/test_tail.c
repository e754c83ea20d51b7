/* The tail API without a loop (collector_tail_poll by hand): delivery order, backpressure
 * (a failing callback gets the same record again), positions across a restart, partial
 * lines, stats. The rotation cases run against the binary in collector-tail.sh. */
#include <stdio.h>
#include <sys/stat.h>

#include "collector/excerpt.h"
#include "collector/tail.h"
#include "tests/unit/unit.h"

struct got {
	char msgs[64][32];
	int n;
	int fail_at; /* return -EAGAIN once when n reaches this */
};

static int cb(void *u, const struct ev_record *r) {
	struct got *g = u;
	if (g->fail_at && g->n == g->fail_at) {
		g->fail_at = 0;
		return -EAGAIN;
	}
	if (g->n < 64)
		snprintf(g->msgs[g->n], sizeof(g->msgs[0]), "%.*s", (int)r->message.len,
		         r->message.p);
	g->n++;
	return 0;
}

static void append(const char *path, const char *s) {
	FILE *f = fopen(path, "ae");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(s, f);
	fclose(f);
}

TEST(test_collector_tail_api) {
	char dir[4096], path[4200], state[4200];
	snprintf(dir, sizeof(dir), "%s/tail", unit_tmpdir());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/app.log", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	append(path,
	       "Nov 27 00:00:01 h p: one\nNov 27 00:00:02 h p: two\nNov 27 00:00:03 h p: thr");
	struct collector_tail_file files[] = {{.path = path, .tz = "UTC"}};
	struct collector_tail_config c = {.files = files, .n_files = 1, .state_dir = state};
	struct got g = {.fail_at = 1};
	struct collector_tail *t = NULL;
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL_FATAL(collector_tail_new(NULL, &c, cb, &g, &t, &e), 0);
	collector_tail_poll(t);
	CU_ASSERT_EQUAL(g.n, 1); /* the callback refused "two": delivery stopped there */
	collector_tail_poll(t);
	CU_ASSERT_EQUAL(g.n, 2); /* "two" again; "thr" is a partial line, held */
	CU_ASSERT_STRING_EQUAL(g.msgs[1], "two");
	struct collector_tail_stats st;
	collector_tail_get_stats(t, &st);
	CU_ASSERT_EQUAL(st.records, 2);
	CU_ASSERT_EQUAL_FATAL(st.n_sources, 1);
	CU_ASSERT_EQUAL(st.sources[0].offset, 50);
	CU_ASSERT_STRING_EQUAL(st.sources[0].name, path);
	CU_ASSERT_EQUAL(collector_tail_checkpoint(t, &e), 0);
	t = collector_tail_free(t);
	/* restart: the partial line is finished and arrives once, nothing else again */
	append(path, "ee\nNov 27 00:00:04 h p: four\n");
	g.n = 0;
	CU_ASSERT_EQUAL_FATAL(collector_tail_new(NULL, &c, cb, &g, &t, &e), 0);
	collector_tail_poll(t);
	CU_ASSERT_EQUAL(g.n, 2);
	CU_ASSERT_STRING_EQUAL(g.msgs[0], "three");
	CU_ASSERT_STRING_EQUAL(g.msgs[1], "four");
	collector_tail_free(t);
	/* a bad zone in a source is a configuration error with a message */
	files[0].tz = "No/Where";
	CU_ASSERT_EQUAL(collector_tail_new(NULL, &c, cb, &g, &t, &e), -EINVAL);
	CU_ASSERT(e.n >= 1);
	ev_errlist_clear(&e);
}

struct outbuf {
	char *p;
	size_t len;
};
static int put(void *u, const void *p, size_t n) {
	struct outbuf *o = u;
	char *q = realloc(o->p, o->len + n);
	if (!q)
		return -ENOMEM;
	memcpy(q + o->len, p, n);
	o->p = q;
	o->len += n;
	return 0;
}

TEST(test_collector_tail_time_index_excerpt) {
	char dir[4096], path[4200], state[4200];
	snprintf(dir, sizeof(dir), "%s/tix", unit_tmpdir());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/app.log", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	FILE *f = fopen(path, "we");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (int i = 0; i < 3600; i++) /* one line a second for an hour */
		fprintf(f, "Nov 27 %02d:%02d:%02d h p: n=%d\n", i / 3600, i / 60 % 60, i % 60, i);
	fclose(f);
	struct collector_tail_file files[] = {{.path = path, .tz = "UTC"}};
	struct collector_tail_config c = {
	        .files = files, .n_files = 1, .state_dir = state, .index_interval = 4096};
	struct got g = {0};
	struct collector_tail *t = NULL;
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL_FATAL(collector_tail_new(NULL, &c, cb, &g, &t, &e), 0);
	collector_tail_poll(t);
	CU_ASSERT_EQUAL(g.n, 3600);
	collector_tail_free(t);                      /* checkpoints, with the index */
	const int64_t base = 1795737600LL * 1000000; /* 2026-11-27T00:00:00Z */
	int64_t since = base + 600LL * 1000000, until = base + 1199LL * 1000000;
	uint64_t start = 0, end = 0;
	CU_ASSERT_EQUAL(collector_tail_index_lookup(state, path, since, until, &start, &end), 1);
	CU_ASSERT(start > 0 && end < UINT64_MAX && start < end);
	struct collector_reader_opts o = {.tz = "UTC", .now_us = base};
	struct outbuf a = {0}, b = {0};
	int64_t na = collector_excerpt_file(path, &o, since, until, put, &a, &e);
	int64_t nb = collector_excerpt_file_indexed(path, state, &o, since, until, 0, put, &b, &e);
	CU_ASSERT_EQUAL(na, nb);
	CU_ASSERT(na > 0 && a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	CU_ASSERT(a.len > 10 && memcmp(a.p, "Nov 27 00:10:00 h p: n=600\n", 27) == 0);
	CU_ASSERT(a.len > 10 && memcmp(a.p + a.len - 28, "Nov 27 00:19:59 h p: n=1199\n", 28) == 0);
	free(a.p);
	free(b.p);
	ev_errlist_clear(&e);
}
