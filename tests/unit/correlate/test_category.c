/* Sigma categories: a process_creation rule sees the records flagged
 * EV_REC_PROCESS_CREATION and nothing else; service rules and rules without a category
 * or service never see category records; an unknown category stays a warning. */
#include "tests/unit/correlate/helpers.h"

static const char *rules_yaml =
        "title: pc\nid: pc\nlogsource: {product: linux, category: process_creation}\n"
        "detection:\n  s: {Image|endswith: /id}\n  condition: s\n---\n"
        "title: svc\nid: svc\nlogsource: {product: linux, service: auditd}\n"
        "detection:\n  k: ['uid']\n  condition: k\n---\n"
        "title: any\nid: any\nlogsource: {product: linux}\n"
        "detection:\n  k: ['uid']\n  condition: k\n---\n"
        "title: reg\nid: reg\nlogsource: {product: linux, category: registry_event}\n"
        "detection:\n  k: ['uid']\n  condition: k\n";

static void feed(struct th *t, uint32_t flags, const char *image) {
	struct ev_record r;
	ev_record_init(&r);
	r.time_us = t->base;
	r.flags = flags;
	ev_record_set(&r, "program", "auditd", 6);
	ev_record_set(&r, "message", "uid=0", 5);
	ev_record_add_field(&r, "Image", 5, image, strlen(image));
	CU_ASSERT_EQUAL(correlate_engine_feed(t->e, &r), 0);
	ev_record_free(&r);
}

static size_t fired(struct th *t, const char *title) {
	size_t n = 0;
	for (size_t i = 0; i < th_n(t); i++)
		n += !strcmp(json_string_value(json_object_get(
		                     json_object_get(th_get(t, i), "rule"), "title")),
		             title);
	return n;
}

TEST(test_correlate_category) {
	struct th *t = th_new(rules_yaml, "auto");
	CU_ASSERT_STRING_EQUAL(th_errors(t), "");
	CU_ASSERT_EQUAL(t->warns.n, 1); /* registry_event only */
	CU_ASSERT_PTR_NOT_NULL(strstr(t->warns.v[0].msg, "registry_event"));
	feed(t, EV_REC_PROCESS_CREATION, "/usr/bin/id"); /* pc */
	feed(t, EV_REC_FILE_EVENT, "/usr/bin/id");       /* nothing */
	feed(t, 0, "/usr/bin/id");                       /* svc, any */
	correlate_engine_finish(t->e);
	CU_ASSERT_EQUAL(fired(t, "pc"), 1);
	CU_ASSERT_EQUAL(fired(t, "svc"), 1);
	CU_ASSERT_EQUAL(fired(t, "any"), 1);
	CU_ASSERT_EQUAL(fired(t, "reg"), 0);
	char *j = correlate_engine_rule_json(t->e, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"live\":false"));
	free(j);
	j = correlate_engine_rule_json(t->e, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"live\":true"));
	free(j);
	th_free(t);
}
