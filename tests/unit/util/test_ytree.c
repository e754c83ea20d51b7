/* YAML tree: positions, duplicate keys, aliases, binary input, depth cap. */
#include "tests/unit/unit.h"
#include "util/ytree.h"

static int parse(const char *s, struct ytree_docs *d, struct ev_errlist *e) {
	return ytree_parse_buffer("t.yaml", s, strlen(s), d, e);
}

TEST(test_ytree_positions) {
	struct ytree_docs d = {0};
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL_FATAL(parse("a: 1\nb:\n  c: [x, 'y']\n", &d, &e), 0);
	CU_ASSERT_EQUAL_FATAL(d.n, 1);
	struct ytree_node *b = ytree_map_get(d.v[0].root, "b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	struct ytree_node *c = ytree_map_get(b, "c");
	CU_ASSERT_EQUAL_FATAL(c->kind, YTREE_SEQ);
	CU_ASSERT_EQUAL(c->line, 3);
	CU_ASSERT_EQUAL(c->col, 6);
	CU_ASSERT_EQUAL(c->items[1]->col, 10);
	CU_ASSERT_TRUE(c->items[0]->plain);
	CU_ASSERT_FALSE(c->items[1]->plain);
	ytree_docs_free(&d);
}

TEST(test_ytree_duplicate_key) {
	struct ytree_docs d = {0};
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL(parse("a: 1\nb: 2\na: 3\n", &d, &e), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(e.n, 1);
	CU_ASSERT_EQUAL(e.v[0].line, 3);
	CU_ASSERT_EQUAL(e.v[0].col, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.v[0].msg, "duplicate key 'a'"));
	CU_ASSERT_EQUAL(d.n, 0);
	ev_errlist_clear(&e);
}

TEST(test_ytree_alias_rejected) {
	struct ytree_docs d = {0};
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL(parse("a: &x [1, 2]\nb: *x\n", &d, &e), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(e.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.v[0].msg, "anchors"));
	ev_errlist_clear(&e);
}

TEST(test_ytree_binary_and_syntax) {
	struct ytree_docs d = {0};
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL(ytree_parse_buffer("b", "a: \0x", 6, &d, &e), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.v[0].msg, "NUL byte at offset 3"));
	ev_errlist_clear(&e);
	CU_ASSERT_EQUAL(parse("a: [1, 2\nb: 3\n", &d, &e), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(e.n, 1);
	CU_ASSERT(e.v[0].line >= 2);
	ev_errlist_clear(&e);
	/* invalid UTF-8 is a reader error with an offset */
	CU_ASSERT_EQUAL(parse("a: \xff\xfe\n", &d, &e), -EINVAL);
	CU_ASSERT_EQUAL(e.n, 1);
	ev_errlist_clear(&e);
}

TEST(test_ytree_depth_cap) {
	char buf[400];
	memset(buf, '[', 200);
	buf[200] = '\0';
	struct ytree_docs d = {0};
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL(parse(buf, &d, &e), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.v[0].msg, "nesting deeper"));
	ev_errlist_clear(&e);
}

TEST(test_ytree_multi_docs_and_null) {
	struct ytree_docs d = {0};
	struct ev_errlist e = {0};
	CU_ASSERT_EQUAL_FATAL(parse("a: ~\n---\nb: null\n---\nc: ''\n", &d, &e), 0);
	CU_ASSERT_EQUAL_FATAL(d.n, 3);
	CU_ASSERT_TRUE(ytree_is_null(ytree_map_get(d.v[0].root, "a")));
	CU_ASSERT_TRUE(ytree_is_null(ytree_map_get(d.v[1].root, "b")));
	CU_ASSERT_FALSE(ytree_is_null(ytree_map_get(d.v[2].root, "c")));
	CU_ASSERT_EQUAL(d.v[1].line, 2);
	ytree_docs_free(&d);
}
