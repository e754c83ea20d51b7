/* Records: standard and named fields, arena stability, bytes with NULs. */
#include "collector/record.h"
#include "tests/unit/unit.h"

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
