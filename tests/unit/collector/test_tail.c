/* The tail API without a loop (collector_tail_poll by hand): delivery order, backpressure
 * (a failing callback gets the same record again), positions across a restart, partial
 * lines, stats. The rotation cases run against the binary in collector-tail.sh. */
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collector/excerpt.h"
#include "collector/tail.h"
#include "tests/unit/unit.h"
#include "util/clock.h"
#include "util/macro.h"

struct got {
	char msgs[64][32];
	int n;
	int fail_at; /* return -EAGAIN once when n reaches this */
};

/* The record is lent writable: a field added here (as decoders do) must not survive into
 * the next record, nor into the same record delivered again after a refusal. */
static int cb(void *u, struct ev_record *r) {
	struct got *g = u;
	CU_ASSERT_PTR_NULL(ev_record_get(r, "added_by_cb"));
	CU_ASSERT_EQUAL(ev_record_add_field(r, "added_by_cb", 11, "1", 1), 0);
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
	struct collector_excerpt_info info;
	int64_t nb = collector_excerpt_file_indexed(path, state, &o, since, until, 0, put, &b,
	                                            &info, &e);
	CU_ASSERT_STRING_EQUAL(info.method, "position");
	CU_ASSERT_EQUAL(info.lines, 600);
	CU_ASSERT_EQUAL(info.lines_off_window, 0);
	CU_ASSERT_EQUAL(info.end - info.start, (uint64_t)nb);
	CU_ASSERT_EQUAL(na, nb);
	CU_ASSERT(na > 0 && a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	CU_ASSERT(a.len > 10 && memcmp(a.p, "Nov 27 00:10:00 h p: n=600\n", 27) == 0);
	CU_ASSERT(a.len > 10 && memcmp(a.p + a.len - 28, "Nov 27 00:19:59 h p: n=1199\n", 28) == 0);
	free(a.p);
	free(b.p);
	ev_errlist_clear(&e);
}

/* The time index of one file is capped at 4,096 entries (INDEX_CAP, docs/operations.md):
 * with an entry for every line (index_interval 1) a file of 10,000 lines fills it twice
 * over. Thinned, the saved index stays at the cap or below, still runs from the first
 * line to near the last, in order, and excerpts cut by position still match a scan. */
TEST(test_collector_tail_time_index_cap) {
	char dir[4096], path[4200], state[4200], pos[4300];
	snprintf(dir, sizeof(dir), "%s/tixcap", unit_tmpdir());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/app.log", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(pos, sizeof(pos), "%s/positions.json", state);
	enum { LINES = 10000 };
	FILE *f = fopen(path, "we");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (int i = 0; i < LINES; i++) /* one line a second, from midnight */
		fprintf(f, "Nov 27 %02d:%02d:%02d h p: n=%05d\n", i / 3600, i / 60 % 60, i % 60, i);
	long size = ftell(f);
	fclose(f);
	const long line_len = size / LINES; /* every line has the same length */
	struct collector_tail_file files[] = {{.path = path, .tz = "UTC"}};
	struct collector_tail_config c = {
	        .files = files, .n_files = 1, .state_dir = state, .index_interval = 1};
	struct got g = {0};
	struct collector_tail *t = NULL;
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL_FATAL(collector_tail_new(NULL, &c, cb, &g, &t, &e), 0);
	for (int i = 0; i < 100 && g.n < LINES; i++) /* polls stop for fairness: go on */
		collector_tail_poll(t);
	CU_ASSERT_EQUAL(g.n, LINES);
	collector_tail_free(t); /* checkpoints, with the index */

	json_t *root = json_load_file(pos, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	json_t *ix = json_object_get(json_array_get(json_object_get(root, "files"), 0), "index");
	size_t n = json_array_size(ix);
	CU_ASSERT(n <= 4096);
	CU_ASSERT(n >= 2048); /* thinned by half, not emptied */
	int64_t prev_t = INT64_MIN;
	uint64_t prev_off = 0, max_gap = 0, first = UINT64_MAX, last = 0;
	for (size_t k = 0; k < n; k++) {
		json_t *en = json_array_get(ix, k);
		int64_t tm = json_integer_value(json_array_get(en, 0));
		uint64_t off = (uint64_t)json_integer_value(json_array_get(en, 1));
		CU_ASSERT(tm > prev_t); /* in order, one entry per line at most */
		CU_ASSERT(k == 0 || off > prev_off);
		CU_ASSERT(off % (uint64_t)line_len == 0); /* at a line's start */
		if (k)
			max_gap = MAX(max_gap, off - prev_off);
		first = MIN(first, off);
		last = MAX(last, off);
		prev_t = tm;
		prev_off = off;
	}
	json_decref(root);
	/* it covers the file: from the first line to the last few, with no gap wider than
	 * 2^3 lines (10,000 lines thin the oldest entries three times at most) */
	CU_ASSERT_EQUAL(first, 0);
	CU_ASSERT((uint64_t)size - last <= 8 * (uint64_t)line_len);
	CU_ASSERT(max_gap <= 8 * (uint64_t)line_len);

	/* windows at the start, in the middle and at the end: cut by position, the same
	 * bytes as a scan of the whole file */
	const int64_t base = 1795737600LL * 1000000; /* 2026-11-27T00:00:00Z */
	const int windows[][2] = {{0, 99}, {5000, 5599}, {9900, LINES - 1}};
	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
		int64_t since = base + windows[w][0] * 1000000LL;
		int64_t until = base + windows[w][1] * 1000000LL;
		uint64_t start = 0, end = 0;
		CU_ASSERT_EQUAL(
		        collector_tail_index_lookup(state, path, since, until, &start, &end), 1);
		CU_ASSERT(start <= (uint64_t)windows[w][0] * (uint64_t)line_len);
		CU_ASSERT(start + 8 * (uint64_t)line_len >= (uint64_t)windows[w][0] * line_len);
		struct collector_reader_opts o = {.tz = "UTC", .now_us = base};
		struct outbuf a = {0}, b = {0};
		struct collector_excerpt_info info;
		int64_t na = collector_excerpt_file(path, &o, since, until, put, &a, &e);
		int64_t nb = collector_excerpt_file_indexed(path, state, &o, since, until, 0, put,
		                                            &b, &info, &e);
		CU_ASSERT_STRING_EQUAL(info.method, "position");
		CU_ASSERT_EQUAL(info.lines, (uint64_t)(windows[w][1] - windows[w][0] + 1));
		CU_ASSERT_EQUAL(na, nb);
		CU_ASSERT(na > 0 && a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
		free(a.p);
		free(b.p);
	}
	ev_errlist_clear(&e);
}

/* ---- on a real sd-event loop ---- */

static int64_t mono_ms(void) {
	return (int64_t)(ev_now_monotonic_us() / 1000);
}

/* Run the loop until `done(u)` holds or 10 s pass (a deadline, not a timing assertion). */
static bool run_until(sd_event *e, bool (*done)(void *), void *u) {
	int64_t end = mono_ms() + 10000;
	while (!done(u) && mono_ms() < end)
		if (sd_event_run(e, 50 * 1000) < 0)
			return false;
	return done(u);
}

struct want {
	struct got *g;
	int n;
	struct collector_tail *t;
	uint64_t checkpoints;
};
static bool have_records(void *u) {
	struct want *w = u;
	return w->g->n >= w->n;
}
static bool have_checkpoints(void *u) {
	struct want *w = u;
	struct collector_tail_stats st;
	collector_tail_get_stats(w->t, &st);
	return st.checkpoints >= w->checkpoints;
}

/* Run zero-timeout iterations until nothing is dispatched (timers due now included). */
static void run_idle(sd_event *e) {
	for (int i = 0; i < 1000 && sd_event_run(e, 0) > 0; i++)
		;
}

/* A tail of one file pattern with 20 ms stat and checkpoint ticks on a new loop, run until
 * its first record arrived. */
static struct collector_tail *start_fast(sd_event **ret_e, const char *pattern, const char *state,
                                         struct got *g, struct ev_errlist *er) {
	CU_ASSERT_EQUAL_FATAL(sd_event_new(ret_e), 0);
	struct collector_tail_file files[] = {{.path = pattern, .tz = "UTC"}};
	struct collector_tail_config c = {.files = files,
	                                  .n_files = 1,
	                                  .state_dir = state,
	                                  .stat_interval_us = 20000,
	                                  .checkpoint_interval_us = 20000};
	struct collector_tail *t = NULL;
	CU_ASSERT_EQUAL_FATAL(collector_tail_new(*ret_e, &c, cb, g, &t, er), 0);
	struct want w = {.g = g, .n = 1, .t = t};
	CU_ASSERT(run_until(*ret_e, have_records, &w));
	return t;
}

/* The stat tick and the checkpoint repeat (sd_event_add_time sources are one-shot and must
 * be enabled again after each dispatch). The file sits in a globbed directory, so no
 * inotify watch exists: only the stat tick can find its new lines. */
TEST(test_collector_tail_timers_repeat) {
	char dir[4096], sub[4200], glob[4200], path[4300], state[4200];
	snprintf(dir, sizeof(dir), "%s/timers", unit_tmpdir());
	mkdir(dir, 0700);
	snprintf(sub, sizeof(sub), "%s/logs", dir);
	mkdir(sub, 0700);
	snprintf(glob, sizeof(glob), "%s/log?/app.log", dir);
	snprintf(path, sizeof(path), "%s/app.log", sub);
	snprintf(state, sizeof(state), "%s/state", dir);
	append(path, "Nov 27 00:00:01 h p: one\n");
	sd_event *e = NULL;
	struct got g = {0};
	struct ev_errlist er = {0};
	struct collector_tail *t = start_fast(&e, glob, state, &g, &er);
	struct want w = {.g = &g, .n = 1, .t = t};
	/* each new line needs another stat tick, and is checkpointed by another run of the
	 * checkpoint timer */
	static const char *const more[] = {"Nov 27 00:00:02 h p: two\n",
	                                   "Nov 27 00:00:03 h p: three\n",
	                                   "Nov 27 00:00:04 h p: four\n"};
	for (int i = 0; i < 3; i++) {
		append(path, more[i]);
		w.n = i + 2;
		CU_ASSERT(run_until(e, have_records, &w));
		struct collector_tail_stats st;
		collector_tail_get_stats(t, &st);
		w.checkpoints = st.checkpoints + 1;
		CU_ASSERT(run_until(e, have_checkpoints, &w));
	}
	CU_ASSERT_EQUAL(g.n, 4);
	CU_ASSERT_STRING_EQUAL(g.msgs[2], "three");
	/* the last checkpoint covers the fourth line */
	char pj[4300], text[8192] = "";
	snprintf(pj, sizeof(pj), "%s/positions.json", state);
	FILE *f = fopen(pj, "re");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	size_t k = fread(text, 1, sizeof(text) - 1, f);
	text[k] = 0;
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"offset\":103,")); /* the four lines: 25+25+27+26 */
	collector_tail_free(t);
	sd_event_unref(e);
	ev_errlist_clear(&er);
}

static bool have_checkpoint_error(void *u) {
	struct want *w = u;
	struct collector_tail_stats st;
	collector_tail_get_stats(w->t, &st);
	return st.checkpoint_errors > 0;
}

/* A checkpoint of the tail's own timer that fails is counted, with the first message
 * (the daemon logs it; it has no timer of its own). */
TEST(test_collector_tail_checkpoint_failure_counted) {
	char dir[4096], path[4200], state[4200], tmp[4300];
	snprintf(dir, sizeof(dir), "%s/ckfail", unit_tmpdir());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/app.log", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	mkdir(state, 0700);
	/* the temporary file cannot be written: a directory holds its name */
	snprintf(tmp, sizeof(tmp), "%s/positions.json.tmp", state);
	mkdir(tmp, 0700);
	append(path, "Nov 27 00:00:01 h p: one\n");
	sd_event *e = NULL;
	struct got g = {0};
	struct ev_errlist er = {0};
	struct collector_tail *t = start_fast(&e, path, state, &g, &er);
	struct want w = {.g = &g, .n = 1, .t = t};
	CU_ASSERT(run_until(e, have_checkpoint_error, &w));
	struct collector_tail_stats st;
	collector_tail_get_stats(t, &st);
	CU_ASSERT(st.checkpoint_errors >= 1);
	CU_ASSERT_PTR_NOT_NULL(st.checkpoint_error);
	CU_ASSERT_PTR_NOT_NULL(st.checkpoint_error ? strstr(st.checkpoint_error, "positions")
	                                           : NULL);
	rmdir(tmp);
	collector_tail_free(t);
	sd_event_unref(e);
	ev_errlist_clear(&er);
}

/* Start-up: every file matching now is a source when collector_tail_new returns, before
 * the loop ran; a file in a directory that does not exist yet is picked up when it
 * appears, by inotify (the stat tick is an hour away). */
TEST(test_collector_tail_startup_sources) {
	char dir[4096], glob[4200], p[4300], late[4300];
	snprintf(dir, sizeof(dir), "%s/startup", unit_tmpdir());
	mkdir(dir, 0700);
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/f%d.log", dir, i);
		append(p, "Nov 27 00:00:01 h p: x\n");
	}
	snprintf(glob, sizeof(glob), "%s/*.log", dir);
	snprintf(late, sizeof(late), "%s/later/sub/app.log", dir);
	sd_event *e = NULL;
	CU_ASSERT_EQUAL_FATAL(sd_event_new(&e), 0);
	struct collector_tail_file files[] = {{.path = glob, .tz = "UTC"},
	                                      {.path = late, .tz = "UTC"}};
	struct collector_tail_config c = {
	        .files = files, .n_files = 2, .stat_interval_us = 3600ULL * 1000000};
	struct got g = {0};
	struct collector_tail *t = NULL;
	struct ev_errlist er = {0};
	CU_ASSERT_EQUAL_FATAL(collector_tail_new(e, &c, cb, &g, &t, &er), 0);
	struct collector_tail_stats st;
	collector_tail_get_stats(t, &st);
	CU_ASSERT_EQUAL(st.n_sources, 3);
	struct want w = {.g = &g, .n = 3, .t = t};
	CU_ASSERT(run_until(e, have_records, &w));
	run_idle(e);
	/* the directory two levels down appears after the start */
	snprintf(p, sizeof(p), "%s/later", dir);
	mkdir(p, 0700);
	run_idle(e); /* the tail sees "later" and watches it; "sub" comes after */
	snprintf(p, sizeof(p), "%s/later/sub", dir);
	mkdir(p, 0700);
	append(late, "Nov 27 00:00:02 h p: late\n");
	w.n = 4;
	CU_ASSERT(run_until(e, have_records, &w));
	CU_ASSERT_STRING_EQUAL(g.msgs[3], "late");
	collector_tail_get_stats(t, &st);
	CU_ASSERT_EQUAL(st.n_sources, 4);
	/* and keeps being followed through its own watch */
	append(late, "Nov 27 00:00:03 h p: later\n");
	w.n = 5;
	CU_ASSERT(run_until(e, have_records, &w));
	collector_tail_free(t);
	sd_event_unref(e);
	ev_errlist_clear(&er);
}

/* An append is read on the inotify event itself, not on a timer armed by it: after the
 * loop's fd becomes readable, a few zero-timeout iterations (no waiting at all) deliver
 * the line. No time is measured. */
TEST(test_collector_tail_reads_on_event) {
	char dir[4096], path[4200];
	snprintf(dir, sizeof(dir), "%s/onevent", unit_tmpdir());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/app.log", dir);
	append(path, "Nov 27 00:00:01 h p: one\n");
	sd_event *e = NULL;
	CU_ASSERT_EQUAL_FATAL(sd_event_new(&e), 0);
	struct collector_tail_file files[] = {{.path = path, .tz = "UTC"}};
	struct collector_tail_config c = {
	        .files = files, .n_files = 1, .stat_interval_us = 3600ULL * 1000000};
	struct got g = {0};
	struct collector_tail *t = NULL;
	struct ev_errlist er = {0};
	CU_ASSERT_EQUAL_FATAL(collector_tail_new(e, &c, cb, &g, &t, &er), 0);
	run_idle(e);
	CU_ASSERT_EQUAL(g.n, 1); /* the existing line, before the loop ever waited */
	for (int round = 2; round <= 4; round++) {
		append(path, round == 2   ? "Nov 27 00:00:02 h p: two\n"
		             : round == 3 ? "Nov 27 00:00:03 h p: three\n"
		                          : "Nov 27 00:00:04 h p: four\n");
		struct pollfd pfd = {.fd = sd_event_get_fd(e), .events = POLLIN};
		CU_ASSERT_EQUAL(poll(&pfd, 1, 10000), 1); /* the inotify event is queued */
		for (int i = 0; i < 16 && g.n < round; i++)
			CU_ASSERT(sd_event_run(e, 0) >= 0);
		CU_ASSERT_EQUAL(g.n, round);
		run_idle(e);
	}
	collector_tail_free(t);
	sd_event_unref(e);
	ev_errlist_clear(&er);
}

/* copytruncate where the copy was seen while still empty, and the copy, the truncation and
 * the next lines all happen before the next poll: the copy continues where the original
 * was read (its size is taken at that poll, not when it was opened). Exactly once. */
TEST(test_collector_tail_copy_seen_empty) {
	char dir[4096], glob[4200], path[4200], copy[4200];
	snprintf(dir, sizeof(dir), "%s/copyempty", unit_tmpdir());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/app.log", dir);
	snprintf(copy, sizeof(copy), "%s/app.log.1", dir);
	snprintf(glob, sizeof(glob), "%s/app.log*", dir);
	char ten[1024];
	size_t tl = 0;
	for (int i = 1; i <= 10; i++)
		tl += (size_t)snprintf(ten + tl, sizeof(ten) - tl, "Nov 27 00:00:%02d h p: n=%d\n",
		                       i, i);
	append(path, ten);
	sd_event *e = NULL;
	CU_ASSERT_EQUAL_FATAL(sd_event_new(&e), 0);
	struct collector_tail_file files[] = {{.path = glob, .tz = "UTC"}};
	struct collector_tail_config c = {
	        .files = files, .n_files = 1, .stat_interval_us = 3600ULL * 1000000};
	struct got g = {0};
	struct collector_tail *t = NULL;
	struct ev_errlist er = {0};
	CU_ASSERT_EQUAL_FATAL(collector_tail_new(e, &c, cb, &g, &t, &er), 0);
	struct want w = {.g = &g, .n = 10, .t = t};
	CU_ASSERT(run_until(e, have_records, &w));
	append(copy, ""); /* cp has created the copy, not written it yet */
	struct collector_tail_stats st = {0};
	for (int64_t end = mono_ms() + 10000; st.n_sources < 2 && mono_ms() < end;) {
		sd_event_run(e, 50 * 1000);
		collector_tail_get_stats(t, &st);
	}
	CU_ASSERT_EQUAL(st.n_sources, 2);
	run_idle(e);
	append(copy, ten);
	CU_ASSERT_EQUAL(truncate(path, 0), 0);
	append(path, "Nov 27 00:00:11 h p: n=11\n");
	append(copy, "Nov 27 00:00:12 h p: n=12\n");
	w.n = 12;
	CU_ASSERT(run_until(e, have_records, &w));
	run_idle(e);
	CU_ASSERT_EQUAL(g.n, 12);
	for (int i = 0; i < g.n && i < 10; i++) {
		char m[16];
		snprintf(m, sizeof(m), "n=%d", i + 1);
		CU_ASSERT_STRING_EQUAL(g.msgs[i], m);
	}
	collector_tail_free(t);
	sd_event_unref(e);
	ev_errlist_clear(&er);
}

/* The loaders' memory entry points (the fuzz target's): what a positions file's text
 * holds, and the time index of a log file named by device and inode (head_len 0: the head
 * hash is collector_tail_fnv's starting value). */
TEST(test_collector_tail_positions_from_memory) {
	size_t n = 9;
	bool cursor = true;
	char problem[256];
	CU_ASSERT_EQUAL(
	        collector_tail_positions_parse("", 0, &n, &cursor, problem, sizeof(problem)), 0);
	CU_ASSERT(n == 0 && !cursor && strstr(problem, "empty"));
	static const char doc[] =
	        "{\"version\":1,\"journal_cursor\":\"s=1\",\"files\":[{\"path\":\"/l\",\"dev\":1,"
	        "\"ino\":2,\"head_len\":0,\"head_hash\":\"14650fb0739d0383\",\"offset\":300,"
	        "\"index\":[[10,0],[20,100],[30,200]]},{\"path\":\"/x\"}]}";
	CU_ASSERT_EQUAL(collector_tail_positions_parse(doc, strlen(doc), &n, &cursor, problem,
	                                               sizeof(problem)),
	                0);
	CU_ASSERT(n == 1 && cursor && strstr(problem, "1 malformed entry"));
	char path[4200];
	snprintf(path, sizeof(path), "%s/mem.log", unit_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	struct stat st = {.st_dev = 1, .st_ino = 2}, other = {.st_dev = 1, .st_ino = 3};
	uint64_t start = 0, end = 0;
	CU_ASSERT_EQUAL(
	        collector_tail_index_lookup_mem(doc, strlen(doc), fd, &st, 15, 25, &start, &end),
	        1);
	CU_ASSERT(start == 0 && end == 200);
	CU_ASSERT_EQUAL(
	        collector_tail_index_lookup_mem(doc, strlen(doc), fd, &st, 25, 25, &start, &end),
	        1);
	CU_ASSERT(start == 100 && end == 200);
	CU_ASSERT_EQUAL(
	        collector_tail_index_lookup_mem(doc, strlen(doc), fd, &other, 15, 25, &start, &end),
	        0);
	CU_ASSERT_EQUAL(collector_tail_index_lookup_mem("{", 1, fd, &st, 15, 25, &start, &end), 0);
	close(fd);
	unlink(path);
}
