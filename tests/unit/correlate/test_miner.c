/* The template miner: masking and grouping, ids as the hash of the text, absorbed ids
 * resolving after a generalisation, seeding (the store's reload) giving the same
 * templates, determinism, and the caps (a line of many tokens, NUL bytes, empty input,
 * the template cap). */
#include <stdio.h>
#include <string.h>

#include "correlate/miner.h"
#include "tests/unit/unit.h"

static const char *text_of(struct miner *m, const char *msg) {
	int i = miner_add(m, msg, strlen(msg));
	CU_ASSERT_FATAL(i >= 0);
	return miner_template(m, (size_t)i)->text;
}

TEST(test_miner_masking) {
	struct miner *m = miner_new();
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_STRING_EQUAL(text_of(m, "Accepted password for root from 10.1.2.3 port 22 ssh2"),
	                       "Accepted password for root from <*> port <*> ssh2");
	CU_ASSERT_STRING_EQUAL(
	        text_of(m, "BIOS-e820: 0000000000000000 - 000000000009f800 (usable)"),
	        "BIOS-e820: <*> - <*> (usable)");
	CU_ASSERT_STRING_EQUAL(text_of(m, "session opened for user x by (uid=0)"),
	                       "session opened for user x by (uid=<*>)");
	CU_ASSERT_STRING_EQUAL(
	        text_of(m, "ask 10.0.0.1:50010 to delete blk_3886504906 blk_-6952295868"),
	        "ask <*> to delete <*>");
	CU_ASSERT_STRING_EQUAL(text_of(m, "opened /var/log/x/y.log for reading"),
	                       "opened <*> for reading");
	CU_ASSERT_STRING_EQUAL(text_of(m, "host a.b:443 sent 9 bytes (9.39 KB) ok"),
	                       "host <*> sent <*> bytes <*> ok");
	miner_free(m);
}

TEST(test_miner_grouping) {
	struct miner *m = miner_new();
	int a = miner_add(m, "Failed password for root from 1.1.1.1 port 1 ssh2", 49);
	int b = miner_add(m, "Failed password for admin from 1.1.1.2 port 2 ssh2", 50);
	int c = miner_add(m, "Failed none for invalid user x from 1.1.1.2 port 2 ssh2", 55);
	int d = miner_add(m, "x open through proxy p:1 HTTPS", 30);
	int e = miner_add(m, "x open through proxy p:1 SOCKS5", 31);
	CU_ASSERT_EQUAL(a, b);
	CU_ASSERT_NOT_EQUAL(a, c);
	CU_ASSERT_NOT_EQUAL(d, e); /* two keywords: two events */
	CU_ASSERT_STRING_EQUAL(miner_template(m, (size_t)a)->text,
	                       "Failed password for <*> from <*> port <*> ssh2");
	CU_ASSERT_EQUAL(miner_template(m, (size_t)a)->count, 2);
	/* another length, values inserted: joins */
	int f = miner_add(m, "h:1 close, 5 bytes sent, 7 bytes received, lifetime 00:01", 56);
	int g = miner_add(m, "h:1 close, 5 bytes (5 KB) sent, 7 bytes received, lifetime <1 sec",
	                  66);
	CU_ASSERT_EQUAL(f, g);
	miner_free(m);
}

TEST(test_miner_ids_and_absorbed) {
	struct miner *m = miner_new();
	int a = miner_add(m, "cache warmup done for tenant alpha", 34);
	uint64_t old = miner_template(m, (size_t)a)->id;
	const char *t = miner_template(m, (size_t)a)->text;
	CU_ASSERT_EQUAL(old, miner_text_id(t, strlen(t)));
	int b = miner_add(m, "cache warmup done for tenant beta", 33);
	CU_ASSERT_EQUAL(a, b);
	const struct miner_template *nt = miner_template(m, (size_t)a);
	CU_ASSERT_STRING_EQUAL(nt->text, "cache warmup done for tenant <*>");
	CU_ASSERT_NOT_EQUAL(nt->id, old);
	CU_ASSERT_EQUAL(nt->n_absorbed, 1);
	CU_ASSERT_EQUAL(nt->absorbed[0], old);
	CU_ASSERT_EQUAL(miner_resolve(m, old), a);
	CU_ASSERT_EQUAL(miner_resolve(m, nt->id), a);
	CU_ASSERT_EQUAL(miner_resolve(m, 12345), -ENOENT);

	/* a miner seeded with the generalised template puts both lines there at once */
	struct miner *s = miner_new();
	uint64_t abs[1] = {old};
	int k = miner_seed(s, nt->text, abs, 1);
	CU_ASSERT_EQUAL(k, 0);
	CU_ASSERT_EQUAL(miner_seed(s, nt->text, NULL, 0), k);
	CU_ASSERT_EQUAL(miner_add(s, "cache warmup done for tenant alpha", 34), k);
	CU_ASSERT_EQUAL(miner_template(s, (size_t)k)->id, nt->id);
	CU_ASSERT_EQUAL(miner_resolve(s, old), k);
	CU_ASSERT_EQUAL(miner_seed(s, "", NULL, 0), -EINVAL);
	miner_free(s);
	miner_free(m);
}

TEST(test_miner_deterministic_and_caps) {
	struct miner *m1 = miner_new(), *m2 = miner_new();
	char line[256];
	for (int i = 0; i < 500; i++) {
		int n = snprintf(line, sizeof(line), "worker %d state %s took %d ms", i % 7,
		                 i % 3 ? "IDLE" : "BUSY", i);
		CU_ASSERT_EQUAL(miner_add(m1, line, (size_t)n), miner_add(m2, line, (size_t)n));
	}
	CU_ASSERT_EQUAL(miner_count(m1), miner_count(m2));
	for (size_t i = 0; i < miner_count(m1); i++)
		CU_ASSERT_EQUAL(miner_template(m1, i)->id, miner_template(m2, i)->id);
	/* empty, blanks only, NUL bytes, a line of 1000 tokens */
	CU_ASSERT(miner_add(m1, "", 0) >= 0);
	CU_ASSERT(miner_add(m1, " \t ", 3) >= 0);
	CU_ASSERT(miner_add(m1, "a\0b\0c", 5) >= 0);
	static char big[4000];
	for (size_t i = 0; i < 1000; i++)
		memcpy(big + i * 4, "ab  ", 4);
	int k = miner_add(m1, big, sizeof(big));
	CU_ASSERT_FATAL(k >= 0);
	CU_ASSERT(strlen(miner_template(m1, (size_t)k)->text) <= (MINER_MAX_TOKENS + 1) * 4);
	miner_free(m1);
	miner_free(m2);
}

TEST(test_miner_template_cap) {
	struct miner *m = miner_new();
	char line[64];
	int last = -1;
	/* every line its own template (different words, no digits) until the cap */
	for (unsigned i = 0; i < MINER_MAX_TEMPLATES + 10; i++) {
		char w[8];
		unsigned v = i;
		for (int k = 0; k < 7; k++, v /= 26)
			w[k] = (char)('a' + v % 26);
		w[7] = 0;
		int n = snprintf(line, sizeof(line), "%s", w);
		last = miner_add(m, line, (size_t)n);
		CU_ASSERT_FATAL(last >= 0);
	}
	CU_ASSERT(miner_count(m) <= MINER_MAX_TEMPLATES + 1);
	miner_free(m);
}
