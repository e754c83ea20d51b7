/* The typed alert: the fast renderer gives exactly jansson's canonical bytes
 * (JSON_COMPACT | JSON_SORT_KEYS) on random alerts (random bytes in values: controls,
 * quotes, invalid and valid UTF-8, NULs; times across and outside years 1..9999), a copy
 * renders like its original and outlives it, and the cached "rule" object renders like
 * the rule's own fields. */
#include <jansson.h>
#include <stdio.h>

#include "correlate/alert.h"
#include "tests/unit/unit.h"
#include "util/macro.h"

static uint64_t rng_state = 42;
static uint64_t rnd(void) {
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng_state >> 33;
}

/* Random bytes, biased to the interesting ones. */
static struct ev_str rstr(char *buf, size_t cap) {
	static const char *pieces[] = {"a",        "Z",    "\"",
	                               "\\",       "\n",   "\t",
	                               "\x01",     "\x7f", "/",
	                               "é",        "€",    "😀",
	                               "\xff",     "\xc3", "\xed\xa0\x80",
	                               " ",        "{",    "\xf4\x90\x80\x80",
	                               "\xe2\x82", "\0",   "\x1f"};
	if (rnd() % 16 == 0)
		return (struct ev_str){NULL, 0}; /* absent: renders "" */
	size_t n = 0, parts = rnd() % 12;
	for (size_t i = 0; i < parts; i++) {
		const char *p = pieces[rnd() % ELEMENTSOF(pieces)];
		size_t l = *p ? strlen(p) : 1;
		if (n + l >= cap)
			break;
		memcpy(buf + n, p, l);
		n += l;
	}
	buf[n] = 0;
	return (struct ev_str){buf, n};
}

static int64_t rtime(void) {
	switch (rnd() % 6) {
	case 0:
		return -(int64_t)(rnd() * 1000003ULL); /* before 1970 */
	case 1:
		return 253402300800000000LL + (int64_t)(rnd() % 1000000); /* year 10000 */
	default:
		return 1767323045000000LL + (int64_t)(rnd() % 5000000);
	}
}

/* Valid, sorted, unique names (the engine's contract for fields and groups). */
static void rfields(struct correlate_alert_field *f, size_t n, char (*names)[16],
                    char (*vals)[64]) {
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], 16, "f%02zu%c", i, (char)('a' + rnd() % 26));
		f[i].name = (struct ev_str){names[i], strlen(names[i])};
		f[i].value = rstr(vals[i], 64);
	}
}

static char *jansson_bytes(const struct correlate_alert *a, const char *id) {
	json_t *j = correlate_alert_to_json(a, id);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	return s;
}

TEST(test_alert_render_equals_jansson) {
	struct correlate_alert_buf b = {0}, rb = {0};
	for (int iter = 0; iter < 3000; iter++) {
		char names[2][8][16], vals[2][8][64], ev[4][2][64], tags[3][32], ttl[64];
		struct correlate_alert_field fields[8], group[8];
		struct correlate_alert_event events[4];
		const char *tagv[3];
		size_t nf = rnd() % 8, ng = rnd() % 4, ne = rnd() % 4, nt = rnd() % 3;
		rfields(fields, nf, names[0], vals[0]);
		rfields(group, ng, names[1], vals[1]);
		for (size_t i = 0; i < ne; i++)
			events[i] = (struct correlate_alert_event){rtime(), rstr(ev[i][0], 64),
			                                           rstr(ev[i][1], 64)};
		for (size_t i = 0; i < nt; i++) {
			struct ev_str t = rstr(tags[i], 32);
			tagv[i] = t.len && !memchr(t.p, 0, t.len) ? t.p : "attack.t1110";
		}
		struct correlate_alert a = {
		        .rule_id = rnd() % 5 ? "r-1" : NULL,
		        .rule_title = rnd() % 3 ? rstr(ttl, 64).p : NULL,
		        .level = rnd() % 2 ? "high" : NULL,
		        .tags = tagv,
		        .n_tags = nt,
		        .kind = rnd() % 2 ? "match" : "event_count",
		        .time_us = rtime(),
		        .first_us = rtime(),
		        .last_us = rtime(),
		        .count = rnd(),
		        .has_distinct = rnd() % 2,
		        .distinct = rnd(),
		        .group = group,
		        .n_group = ng,
		        .has_fields = rnd() % 2,
		        .fields = fields,
		        .n_fields = nf,
		        .events = events,
		        .n_events = ne,
		        .time_suspect_future = rnd() % 4 == 0,
		};
		if (!a.has_fields)
			a.n_fields = 0;
		const char *id = rnd() % 2 ? "run-7" : NULL;
		char *want = jansson_bytes(&a, id);
		CU_ASSERT_PTR_NOT_NULL_FATAL(want);
		size_t len = 0;
		const char *got = correlate_alert_render(&a, id, &b, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		CU_ASSERT_EQUAL(len, strlen(got));
		if (strcmp(got, want)) {
			fprintf(stderr, "\nrenderer: %s\njansson:  %s\n", got, want);
			CU_FAIL("renderer and jansson differ");
			free(want);
			break;
		}
		/* the cached rule object renders the same */
		size_t rl;
		const char *r = correlate_alert_render_rule(&a, &rb, &rl);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		struct correlate_alert ac = a;
		ac.rule_json = r;
		ac.rule_json_len = rl;
		/* a copy owns its bytes: render it after the sources are overwritten */
		struct correlate_alert *c = correlate_alert_copy(&ac);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		memset(vals, 'x', sizeof(vals));
		memset(ev, 'y', sizeof(ev));
		memset(names, 'z', sizeof(names));
		memset(ttl, 'w', sizeof(ttl));
		got = correlate_alert_render(c, id, &b, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		CU_ASSERT_STRING_EQUAL(got, want);
		correlate_alert_free(c);
		free(want);
	}
	correlate_alert_buf_done(&b);
	correlate_alert_buf_done(&rb);
}
