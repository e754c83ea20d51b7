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
