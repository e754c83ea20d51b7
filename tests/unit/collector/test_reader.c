/* Reader (files, .gz, long lines, merge by time, journal files) and evidence excerpts
 * (file byte ranges, journal export), on real files and real journal files made with
 * systemd-journal-remote. */
#include <stdio.h>
#include <sys/stat.h>
#include <zlib.h>

#include "collector/excerpt.h"
#include "collector/reader.h"
#include "collector/recjson.h"
#include "tests/unit/unit.h"

#define NOV27   1795737600LL
#define S       1000000LL
#define JREMOTE "/lib/systemd/systemd-journal-remote"

static struct collector_reader *open_reader(const char *fmt, size_t max_line) {
	struct collector_reader_opts o = {
	        .format = fmt, .tz = "UTC", .now_us = NOV27 * S, .max_line = max_line};
	struct collector_reader *r = NULL;
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL(collector_reader_new(&o, &r, &e), 0);
	ev_errlist_clear(&e);
	return r;
}

/* Read everything; messages joined with '|' into out. Returns the record count. */
static int drain(struct collector_reader *r, char *out, size_t size) {
	struct ev_record rec;
	struct ev_errlist e = {0};
	ev_record_init(&rec);
	int n = 0, k;
	out[0] = 0;
	while ((k = collector_reader_next(r, &rec, &e)) > 0) {
		n++;
		size_t l = strlen(out);
		snprintf(out + l, size - l, "%s%.*s", l ? "|" : "", (int)rec.message.len,
		         rec.message.p);
	}
	CU_ASSERT_EQUAL(k, 0);
	ev_record_free(&rec);
	ev_errlist_clear(&e);
	return n;
}

static const char *write_gz(const char *name, const char *text) {
	const char *p = unit_write_file(name, "", 0);
	gzFile g = gzopen(p, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	gzwrite(g, text, (unsigned)strlen(text));
	gzclose(g);
	return p;
}

TEST(test_collector_reader_merge) {
	const char *a = unit_write_str("a.log", "Nov 27 00:00:01 h p: a1\nNov 27 00:00:04 h p: a4\n"
	                                        "untimed after a4\nNov 27 00:00:05 h p: a5");
	const char *b = write_gz("b.log.gz", "Nov 27 00:00:02 h p: b2\nNov 27 00:00:04 h p: b4\n");
	struct collector_reader *r = open_reader(NULL, 0);
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL(collector_reader_add_file(r, a, &e), 0);
	CU_ASSERT_EQUAL(collector_reader_add_file(r, b, &e), 0);
	CU_ASSERT_EQUAL(collector_reader_add_file(r, "/nonexistent/x", &e), -ENOENT);
	CU_ASSERT_EQUAL(e.n, 1);
	ev_errlist_clear(&e);
	char out[4096];
	CU_ASSERT_EQUAL(drain(r, out, sizeof(out)), 6);
	/* ties keep the order of adding; untimed lines stay with their neighbour */
	CU_ASSERT_STRING_EQUAL(out, "a1|b2|a4|untimed after a4|b4|a5");
	struct collector_reader_stats st;
	collector_reader_get_stats(r, &st);
	CU_ASSERT_EQUAL(st.lines, 6);
	CU_ASSERT_EQUAL(st.records, 6);
	CU_ASSERT_EQUAL(st.unparsed, 1);
	collector_reader_free(r);
}

TEST(test_collector_reader_long_lines) {
	size_t big = 1 << 20;
	char *text = malloc(big + 64);
	memcpy(text, "Nov 27 00:00:01 h p: ", 21);
	memset(text + 21, 'x', big);
	memcpy(text + 21 + big, "\nnext\n", 7);
	const char *p = unit_write_file("long.log", text, 21 + big + 6);
	free(text);
	struct collector_reader *r = open_reader(NULL, 64 * 1024);
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL(collector_reader_add_file(r, p, &e), 0);
	struct ev_record rec;
	ev_record_init(&rec);
	size_t parts = 0, total = 0;
	int k;
	while ((k = collector_reader_next(r, &rec, &e)) > 0) {
		if (rec.flags & EV_REC_PART) {
			CU_ASSERT_EQUAL(rec.time_us,
			                (NOV27 + 1) * S); /* every part: the line's time */
			parts++;
			total += rec.length;
			CU_ASSERT(rec.length <= 64 * 1024);
		} else
			CU_ASSERT_EQUAL(rec.message.len, 4);
	}
	CU_ASSERT_EQUAL(parts, (21 + big + 65535) / 65536);
	CU_ASSERT_EQUAL(total, 21 + big);
	ev_record_free(&rec);
	collector_reader_free(r);
}

static const char *make_journal(const char *name, const char *export_text, size_t len) {
	if (access(JREMOTE, X_OK) != 0)
		return NULL;
	const char *src = unit_write_file("export.txt", export_text, len);
	char dst[4096], cmd[9000];
	snprintf(dst, sizeof(dst), "%s/%s", unit_tmpdir(), name);
	snprintf(cmd, sizeof(cmd), "%s -o '%s' - < '%s' 2>/dev/null", JREMOTE, dst, src);
	if (system(cmd) != 0)
		return NULL;
	static char ret[4096];
	snprintf(ret, sizeof(ret), "%s", dst);
	return ret;
}

static const char journal_export[] =
        "__REALTIME_TIMESTAMP=1795737600000000\n__MONOTONIC_TIMESTAMP=1000\n"
        "_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE=hello\n_HOSTNAME=h1\n"
        "SYSLOG_IDENTIFIER=sshd\n_PID=12\nPRIORITY=6\n_SYSTEMD_UNIT=ssh.service\n\n"
        "__REALTIME_TIMESTAMP=1795737602000000\n__MONOTONIC_TIMESTAMP=2000\n"
        "_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE=second\n_SYSTEMD_UNIT=cron.service\n"
        "BIN\n\x05\0\0\0\0\0\0\0a\nb\0c\n\n"
        "__REALTIME_TIMESTAMP=1795737604000000\n__MONOTONIC_TIMESTAMP=3000\n"
        "_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE=third\n_SYSTEMD_UNIT=ssh.service\n\n";

TEST(test_collector_reader_journal) {
	const char *j = make_journal("r.journal", journal_export, sizeof(journal_export) - 1);
	if (!j) {
		unit_skip("systemd-journal-remote not available");
		return;
	}
	const char *f =
	        unit_write_str("f.log", "Nov 27 00:00:01 h p: file1\nNov 27 00:00:03 h p: file3\n");
	struct collector_reader *r = open_reader(NULL, 0);
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL(collector_reader_add_journal_file(r, j, &e), 0);
	CU_ASSERT_EQUAL(collector_reader_add_file(r, f, &e), 0);
	struct ev_record rec;
	ev_record_init(&rec);
	char out[1024] = "";
	int k;
	while ((k = collector_reader_next(r, &rec, &e)) > 0) {
		size_t l = strlen(out);
		snprintf(out + l, sizeof(out) - l, "%s%.*s", l ? "|" : "", (int)rec.message.len,
		         rec.message.p);
		if (rec.message.len == 5 && memcmp(rec.message.p, "hello", 5) == 0) {
			CU_ASSERT_EQUAL(rec.pid, 12);
			CU_ASSERT_EQUAL(rec.priority, 6);
			CU_ASSERT_STRING_EQUAL(rec.program.p, "sshd");
			CU_ASSERT_STRING_EQUAL(rec.unit.p, "ssh.service");
			CU_ASSERT_STRING_EQUAL(ev_record_get(&rec, "_HOSTNAME")->p, "h1");
			CU_ASSERT_EQUAL(rec.time_us, NOV27 * S);
		}
		if (rec.message.len == 6 && memcmp(rec.message.p, "second", 6) == 0) {
			const struct ev_str *b = ev_record_get(&rec, "BIN");
			CU_ASSERT_PTR_NOT_NULL_FATAL(b);
			CU_ASSERT_EQUAL(b->len, 5);
			CU_ASSERT_EQUAL(memcmp(b->p, "a\nb\0c", 5), 0);
		}
	}
	CU_ASSERT_EQUAL(k, 0);
	CU_ASSERT_STRING_EQUAL(out, "hello|file1|second|file3|third");
	ev_record_free(&rec);
	collector_reader_free(r);
	ev_errlist_clear(&e);
}

struct sink {
	struct collector_buf a, b;
};
static int put_a(void *u, const void *p, size_t n) {
	return collector_buf_put(&((struct sink *)u)->a, p, n);
}
static int put_b(void *u, const void *p, size_t n) {
	return collector_buf_put(&((struct sink *)u)->b, p, n);
}

TEST(test_collector_excerpt_file) {
	static const char text[] = "Nov 27 00:00:01 h p: one\n"
	                           "Nov 27 00:00:02 h p: two\n"
	                           "  continuation of two\n"
	                           "Nov 27 00:00:03 h p: three\n"
	                           "Nov 27 00:00:04 h p: four";
	const char *plain = unit_write_str("ex.log", text);
	const char *gz = write_gz("ex.log.1.gz", text);
	struct collector_reader_opts o = {.tz = "UTC", .now_us = NOV27 * S};
	const char *paths[] = {plain, gz};
	for (int i = 0; i < 2; i++) {
		struct sink s = {0};
		struct ev_errlist e = {0};
		int64_t n = collector_excerpt_file(paths[i], &o, (NOV27 + 2) * S, (NOV27 + 3) * S,
		                                   put_a, &s, &e);
		static const char want[] = "Nov 27 00:00:02 h p: two\n  continuation of two\n"
		                           "Nov 27 00:00:03 h p: three\n";
		CU_ASSERT_EQUAL(n, (int64_t)strlen(want));
		CU_ASSERT(s.a.len == strlen(want) && memcmp(s.a.p, want, s.a.len) == 0);
		collector_buf_done(&s.a);
		/* the last line has no newline and stays without one */
		n = collector_excerpt_file(paths[i], &o, (NOV27 + 4) * S, (NOV27 + 9) * S, put_a,
		                           &s, &e);
		CU_ASSERT_EQUAL(n, 25);
		CU_ASSERT(s.a.len == 25 && s.a.p[24] == 'r');
		collector_buf_done(&s.a);
		n = collector_excerpt_file(paths[i], &o, (NOV27 + 10) * S, (NOV27 + 19) * S, put_a,
		                           &s, &e);
		CU_ASSERT_EQUAL(n, 0);
		collector_buf_done(&s.a);
		ev_errlist_clear(&e);
	}
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL(collector_excerpt_file("/nonexistent", &o, 0, 1, put_a, NULL, &e), -ENOENT);
	CU_ASSERT_EQUAL(e.n, 1);
	ev_errlist_clear(&e);
}

/* The cut of bytes in memory is the cut of the same bytes in a file: every window, long
 * lines split at max_line, untimed lines, no final newline. */
TEST(test_collector_excerpt_mem) {
	char text[4096];
	int k = snprintf(text, sizeof(text),
	                 "junk before\nNov 27 00:00:01 h p: one\nNov 27 00:00:02 h p: %0200d\n"
	                 "  continuation\n\nNov 27 00:00:05 h p: five\r\nNov 27 00:00:03 h p: "
	                 "back\nNov 27 00:00:06 h p: %0150d",
	                 7, 9);
	const char *path = unit_write_file("mem.log", text, (size_t)k);
	struct collector_reader_opts o = {.tz = "UTC", .now_us = NOV27 * S, .max_line = 64};
	for (int a = 0; a <= 7; a++)
		for (int b = a; b <= 7; b++) {
			struct sink s = {0};
			struct ev_errlist e = {0};
			int64_t nf = collector_excerpt_file(path, &o, (NOV27 + a) * S,
			                                    (NOV27 + b) * S, put_a, &s, &e);
			int64_t nm = collector_excerpt_mem("mem.log", text, (size_t)k, &o,
			                                   (NOV27 + a) * S, (NOV27 + b) * S, put_b,
			                                   &s, &e);
			CU_ASSERT_EQUAL(nf, nm);
			CU_ASSERT(s.a.len == s.b.len &&
			          (!s.a.len || !memcmp(s.a.p, s.b.p, s.a.len)));
			CU_ASSERT_EQUAL(e.n, 0);
			if (a == 2 && b == 2) /* the long line, its parts and the untimed lines */
				CU_ASSERT_EQUAL(nm, 21 + 200 + 1 + 15 + 1);
			collector_buf_done(&s.a);
			collector_buf_done(&s.b);
			ev_errlist_clear(&e);
		}
}

TEST(test_collector_journal_export) {
	const char *j = make_journal("x.journal", journal_export, sizeof(journal_export) - 1);
	if (!j) {
		unit_skip("systemd-journal-remote not available");
		return;
	}
	struct sink s = {0};
	struct ev_errlist e = {0};
	int64_t n = collector_journal_export(NULL, j, NULL, (NOV27 + 1) * S, (NOV27 + 4) * S, put_a,
	                                     put_b, &s, &e);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(e.n, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s.a.p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s.b.p);
	CU_ASSERT_PTR_NOT_NULL(memmem(s.a.p, s.a.len, "MESSAGE=second\n", 15));
	CU_ASSERT_PTR_NOT_NULL(memmem(s.a.p, s.a.len, "BIN\n\x05\0\0\0\0\0\0\0a\nb\0c\n", 18));
	CU_ASSERT_PTR_NOT_NULL(memmem(s.a.p, s.a.len, "__CURSOR=s=", 11));
	CU_ASSERT_PTR_NULL(memmem(s.a.p, s.a.len, "MESSAGE=hello", 13));
	CU_ASSERT_PTR_NOT_NULL(memmem(s.b.p, s.b.len, "\"BIN\":[97,10,98,0,99]", 21));
	CU_ASSERT_PTR_NOT_NULL(memmem(s.b.p, s.b.len, "\"MESSAGE\":\"third\"", 17));
	/* the export is valid journal export format: systemd-journal-remote takes it back */
	const char *back = unit_write_file("back.export", s.a.p, s.a.len);
	char cmd[9000];
	snprintf(cmd, sizeof(cmd),
	         JREMOTE " -o '%s/back.journal' - < '%s' 2>/dev/null && "
	                 "journalctl --file '%s/back.journal' -o cat | tr '\\n' '|' | grep -qx "
	                 "'second|third|'",
	         unit_tmpdir(), back, unit_tmpdir());
	CU_ASSERT_EQUAL(system(cmd), 0);
	collector_buf_done(&s.a);
	collector_buf_done(&s.b);
	/* unit filter */
	const char *units[] = {"ssh.service", NULL};
	n = collector_journal_export(NULL, j, units, 0, INT64_MAX, put_a, NULL, &s, &e);
	CU_ASSERT_EQUAL(n, 2);
	collector_buf_done(&s.a);
	ev_errlist_clear(&e);
}
