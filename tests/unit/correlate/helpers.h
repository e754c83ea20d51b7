/* Helpers for the correlate unit tests: an engine from a YAML string, records from
 * (time, program, message, extra fields), alerts collected as parsed JSON
 * (each rendered by the fast renderer and by jansson, which must agree). */
#pragma once
#include <jansson.h>
#include <stdarg.h>

#include "correlate/engine.h"
#include "tests/unit/unit.h"

struct th {
	struct correlate_engine *e;
	json_t *alerts;
	struct ev_errlist errs, warns;
	int64_t base;
};

/* Every alert is rendered both ways (the fast renderer and jansson) and must agree. */
static void th_collect(void *ctx, const struct correlate_alert *a) {
	struct th *t = ctx;
	struct correlate_alert_buf b = {0};
	const char *fast = correlate_alert_render(a, NULL, &b, NULL);
	json_t *ref = correlate_alert_to_json(a, NULL);
	char *slow = ref ? json_dumps(ref, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	CU_ASSERT_PTR_NOT_NULL(fast);
	CU_ASSERT_PTR_NOT_NULL(slow);
	if (fast && slow)
		if (strcmp(fast, slow))
			fprintf(stderr, "fast: %s\nslow: %s\n", fast, slow);
	CU_ASSERT_STRING_EQUAL(fast, slow);
	json_t *j = fast ? json_loads(fast, 0, NULL) : NULL;
	CU_ASSERT_PTR_NOT_NULL(j);
	if (j)
		json_array_append_new(t->alerts, j);
	json_decref(ref);
	free(slow);
	correlate_alert_buf_done(&b);
}

/* engine: "pcre2" or "vectorscan" (falls back to pcre2 in a build without it) */
static inline struct th *th_new_opts(const char *yaml, const char *engine, int64_t lateness_us,
                                     size_t max_groups) {
	struct th *t = calloc(1, sizeof(*t));
#ifndef HAVE_VECTORSCAN
	engine = "pcre2";
#endif
	struct correlate_opts o = {
	        .engine = engine, .allowed_lateness_us = lateness_us, .max_groups = max_groups};
	if (correlate_engine_new(&o, &t->e, &t->errs) < 0) {
		CU_FAIL("engine");
		return t;
	}
	t->alerts = json_array();
	correlate_engine_add_rules_buffer(t->e, "test.yml", yaml, strlen(yaml), &t->errs);
	correlate_engine_compile(t->e, &t->errs, &t->warns);
	correlate_engine_set_callback(t->e, th_collect, t);
	correlate_parse_time("2024-03-01T10:00:00Z", &t->base);
	return t;
}
static inline struct th *th_new(const char *yaml, const char *engine) {
	return th_new_opts(yaml, engine, -1, 0);
}

/* Feed a record at base + off_us; fields: NULL-terminated name, value pairs. */
static inline void th_feed(struct th *t, int64_t off_us, const char *program, const char *msg,
                           ...) {
	struct ev_record r;
	ev_record_init(&r);
	r.time_us = t->base + off_us;
	ev_record_set(&r, "host", "h1", 2);
	ev_record_set(&r, "source", "test", 4);
	if (program)
		ev_record_set(&r, "program", program, strlen(program));
	if (msg)
		ev_record_set(&r, "message", msg, strlen(msg));
	va_list ap;
	va_start(ap, msg);
	for (;;) {
		const char *n = va_arg(ap, const char *);
		if (!n)
			break;
		const char *v = va_arg(ap, const char *);
		ev_record_add_field(&r, n, strlen(n), v, strlen(v));
	}
	va_end(ap);
	CU_ASSERT_EQUAL(correlate_engine_feed(t->e, &r), 0);
	ev_record_free(&r);
}

static inline size_t th_n(struct th *t) {
	return json_array_size(t->alerts);
}
static inline json_t *th_get(struct th *t, size_t i) {
	return json_array_get(t->alerts, i);
}
static inline const char *th_str(struct th *t, size_t i, const char *k) {
	return json_string_value(json_object_get(th_get(t, i), k));
}
static inline long long th_int(struct th *t, size_t i, const char *k) {
	return json_integer_value(json_object_get(th_get(t, i), k));
}
static inline const char *th_errors(struct th *t) {
	static char buf[4096];
	buf[0] = 0;
	for (size_t i = 0; i < t->errs.n; i++) {
		char *s = ev_error_format(&t->errs.v[i]);
		size_t l = strlen(buf);
		snprintf(buf + l, sizeof(buf) - l, "%s\n", s ? s : "?");
		free(s);
	}
	return buf;
}
static inline void th_free(struct th *t) {
	correlate_engine_free(t->e);
	json_decref(t->alerts);
	ev_errlist_clear(&t->errs);
	ev_errlist_clear(&t->warns);
	free(t);
}
/* Seconds/µs helpers */
#define S(x) ((int64_t)(x)*1000000)
