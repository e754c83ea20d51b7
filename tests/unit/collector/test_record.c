/* Records: standard and named fields, arena stability, bytes with NULs, fields as JSON. */
#include "collector/recjson.h"
#include "collector/record.h"
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

TEST(test_record_fields) {
	struct ev_record r;
	ev_record_init(&r);
	CU_ASSERT_PTR_NULL(ev_record_get(&r, "pid"));
	CU_ASSERT_PTR_NULL(ev_record_get(&r, "message"));
	CU_ASSERT_EQUAL(ev_record_set(&r, "message", "a\0b", 3), 0);
	CU_ASSERT_EQUAL(ev_record_set(&r, "nope", "x", 1), -EINVAL);
	r.pid = 123;
	const struct ev_str *m = ev_record_get(&r, "message");
	CU_ASSERT_EQUAL_FATAL(m->len, 3);
	CU_ASSERT_EQUAL(memcmp(m->p, "a\0b", 3), 0);
	CU_ASSERT_STRING_EQUAL(ev_record_get(&r, "pid")->p, "123");
	CU_ASSERT_EQUAL(ev_record_add_field(&r, "user", 4, "root", 4), 0);
	CU_ASSERT_EQUAL(ev_record_add_field(&r, "user", 4, "alice", 5), 0);
	CU_ASSERT_STRING_EQUAL(ev_record_get(&r, "user")->p, "alice");
	CU_ASSERT_PTR_NULL(ev_record_get(&r, "use"));
	ev_record_free(&r);
}

TEST(test_record_arena_stable) {
	struct ev_record r;
	ev_record_init(&r);
	struct ev_str first = ev_record_strdup(&r, "first", 5);
	char big[10000];
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 50; i++)
		ev_record_add_field(&r, "k", 1, big, sizeof(big));
	CU_ASSERT_STRING_EQUAL(first.p, "first");
	struct ev_record c;
	CU_ASSERT_EQUAL(ev_record_copy(&c, &r), 0);
	CU_ASSERT_EQUAL(c.n_fields, 50);
	ev_record_reset(&r);
	CU_ASSERT_EQUAL(r.n_fields, 0);
	CU_ASSERT_EQUAL(ev_record_get(&c, "k")->len, sizeof(big));
	ev_record_free(&r);
	ev_record_free(&c);
}

/* ev_record_reset clears member by member: every member an init clears is clear again,
 * the arena is reused from its start, and a string larger than a chunk still fits. */
TEST(test_record_reset_clears) {
	struct ev_record r, z;
	ev_record_init(&r);
	ev_record_init(&z);
	for (int round = 0; round < 3; round++) {
		r.time_us = 5, r.seq = 6, r.source_id = 7, r.flags = EV_REC_PART;
		r.pid = 8, r.priority = 3, r.facility = 4, r.offset = 9, r.length = 10;
		CU_ASSERT_EQUAL(ev_record_set(&r, "source", "f", 1), 0);
		CU_ASSERT_EQUAL(ev_record_set(&r, "host", "h", 1), 0);
		CU_ASSERT_EQUAL(ev_record_set(&r, "program", "p", 1), 0);
		CU_ASSERT_EQUAL(ev_record_set(&r, "unit", "u", 1), 0);
		CU_ASSERT_EQUAL(ev_record_set(&r, "message", "m", 1), 0);
		CU_ASSERT_EQUAL(ev_record_add_field(&r, "k", 1, "v", 1), 0);
		char big[10000];
		memset(big, 'x', sizeof(big));
		struct ev_str b = ev_record_strdup(&r, big, sizeof(big));
		CU_ASSERT_PTR_NOT_NULL_FATAL(b.p);
		CU_ASSERT_EQUAL(b.p[sizeof(big)], '\0');
		CU_ASSERT_EQUAL(memcmp(b.p, big, sizeof(big)), 0);
		ev_record_reset(&r);
		/* the members up to `length` (no padding among them), then the rest */
		CU_ASSERT_EQUAL(
		        memcmp(&r, &z, offsetof(struct ev_record, length) + sizeof(r.length)), 0);
		CU_ASSERT_EQUAL(r.n_fields, 0);
		CU_ASSERT_PTR_NULL(ev_record_get(&r, "k"));
		CU_ASSERT_PTR_NULL(ev_record_get(&r, "pid"));
		/* the kept chunk is reused from its start */
		char *a = ev_record_alloc(&r, 3);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_EQUAL(ev_record_alloc(&r, 0), a + 4);
		ev_record_reset(&r);
	}
	ev_record_free(&r);
}

/* The JSON of a record's fields: each name once, in the order of its first field, the
 * values of a repeated name as an array in record order; and the grouping costs little for
 * a record of very many fields (a hostile line chooses how many): 40,000 fields, every
 * tenth name repeated, under a second of CPU (comparing every field with every other took
 * seconds). */
TEST(test_record_json_fields) {
	struct ev_record r;
	struct collector_buf b = {0};
	ev_record_init(&r);
	static const char *const f[][2] = {{"b", "1"},  {"a", "2"}, {"b", "3"}, {"", "4"},
	                                   {"ab", "5"}, {"a", "6"}, {"b", "7"}, {"", "8"}};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		CU_ASSERT_EQUAL(ev_record_add_field(&r, f[i][0], strlen(f[i][0]), f[i][1], 1), 0);
	CU_ASSERT_EQUAL(collector_record_to_json(&r, &b), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(memmem(b.p, b.len, "\"fields\":{", 10));
	static const char want[] =
	        "\"fields\":{\"b\":[\"1\",\"3\",\"7\"],\"a\":[\"2\",\"6\"],\"\":[\"4\",\"8\"],"
	        "\"ab\":\"5\"}";
	if (!memmem(b.p, b.len, want, sizeof(want) - 1))
		fprintf(stderr, "\n%.*s\n", (int)b.len, b.p);
	CU_ASSERT_PTR_NOT_NULL(memmem(b.p, b.len, want, sizeof(want) - 1));
	ev_record_reset(&r);
	char name[32];
	for (size_t i = 0; i < 40000; i++) {
		int n = snprintf(name, sizeof(name), "k%zu", i % 10 == 9 ? (size_t)9 : i);
		CU_ASSERT_EQUAL_FATAL(ev_record_add_field(&r, name, (size_t)n, "v", 1), 0);
	}
	b.len = 0;
	clock_t t0 = clock();
	CU_ASSERT_EQUAL(collector_record_to_json(&r, &b), 0);
	double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	if (cpu >= 1.0)
		fprintf(stderr, "\n%.2f s of CPU for the fields of one record\n", cpu);
	CU_ASSERT(cpu < 1.0);
	/* k9 is the tenth field and 4,000 of them: one array; k39998 a single value */
	CU_ASSERT_PTR_NOT_NULL(memmem(b.p, b.len, ",\"k9\":[\"v\",\"v\",", 15));
	CU_ASSERT_PTR_NOT_NULL(memmem(b.p, b.len, ",\"k39998\":\"v\"}", 14));
	size_t k9 = 0;
	for (const char *p = b.p; (p = memmem(p, b.len - (size_t)(p - b.p), "\"k9\"", 4)); p++)
		k9++;
	CU_ASSERT_EQUAL(k9, 1);
	collector_buf_done(&b);
	ev_record_free(&r);
}
