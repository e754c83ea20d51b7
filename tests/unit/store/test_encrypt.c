/* store/encrypt: the streaming AEAD in any chunking, a flipped byte or a cut tag refused,
 * both ciphers, key wrapping for several recipients (a non-recipient and a tampered
 * wrapped key refused), recipients from PEM and base64. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/encrypt.h"
#include "tests/unit/unit.h"

struct sink {
	uint8_t *b;
	size_t n, cap;
};
static int sink_out(void *ud, const void *buf, size_t len) {
	struct sink *s = ud;
	if (s->n + len > s->cap)
		return -EOVERFLOW;
	memcpy(s->b + s->n, buf, len);
	s->n += len;
	return 0;
}

/* Run `in` through an AEAD fed in chunks of `step` bytes. */
static int aead_run(const char *cipher, const uint8_t key[32], bool enc, const char *aad,
                    const uint8_t *in, size_t len, size_t step, struct sink *out) {
	struct store_aead *a = NULL;
	out->n = 0;
	int r = store_aead_new(cipher, key, enc, aad, sink_out, out, &a);
	for (size_t o = 0; r == 0 && o < len; o += step)
		r = store_aead_update(a, in + o, len - o < step ? len - o : step);
	if (r == 0)
		r = store_aead_final(a);
	store_aead_free(a);
	return r;
}

TEST(test_store_encrypt_aead_stream) {
	uint8_t key[32], pt[5000];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 31);
	static uint8_t cb[6000], db[6000];
	const char *ciphers[] = {"aes-256-gcm", "chacha20-poly1305"};
	for (size_t c = 0; c < 2; c++) {
		struct sink ct = {cb, 0, sizeof(cb)}, dt = {db, 0, sizeof(db)};
		CU_ASSERT_EQUAL_FATAL(
		        aead_run(ciphers[c], key, true, "evidence/a", pt, sizeof(pt), 777, &ct), 0);
		CU_ASSERT_EQUAL(ct.n, sizeof(pt) + STORE_ENC_OVERHEAD);
		size_t steps[] = {1, 5, 12, 13, 16, 17, 4096, 100000};
		for (size_t s = 0; s < sizeof(steps) / sizeof(*steps); s++) {
			CU_ASSERT_EQUAL(aead_run(ciphers[c], key, false, "evidence/a", cb, ct.n,
			                         steps[s], &dt),
			                0);
			CU_ASSERT(dt.n == sizeof(pt) && memcmp(db, pt, sizeof(pt)) == 0);
		}
		/* another member's path as associated data: refused */
		CU_ASSERT_EQUAL(aead_run(ciphers[c], key, false, "evidence/b", cb, ct.n, 64, &dt),
		                -EBADMSG);
		/* a flipped byte anywhere (nonce, body, tag): refused */
		size_t at[] = {0, 11, 12, 2500, ct.n - 17, ct.n - 1};
		for (size_t i = 0; i < sizeof(at) / sizeof(*at); i++) {
			cb[at[i]] ^= 0x40;
			CU_ASSERT_EQUAL(
			        aead_run(ciphers[c], key, false, "evidence/a", cb, ct.n, 100, &dt),
			        -EBADMSG);
			cb[at[i]] ^= 0x40;
		}
		/* cut: no tag, or shorter than nonce + tag */
		CU_ASSERT_EQUAL(
		        aead_run(ciphers[c], key, false, "evidence/a", cb, ct.n - 16, 100, &dt),
		        -EBADMSG);
		CU_ASSERT_EQUAL(aead_run(ciphers[c], key, false, "evidence/a", cb, 20, 100, &dt),
		                -EBADMSG);
	}
}

static void write_file(const char *path, const char *text) {
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

TEST(test_store_encrypt_wrap_unwrap) {
	const char *d = unit_tmpdir();
	char id_a[65], id_b[65], id_c[65], p[4096], q[4096];
	struct ev_errlist errs = {0};
	CU_ASSERT_EQUAL_FATAL(store_x25519_keygen(d, "a", id_a, &errs), 0);
	CU_ASSERT_EQUAL_FATAL(store_x25519_keygen(d, "b", id_b, &errs), 0);
	CU_ASSERT_EQUAL_FATAL(store_x25519_keygen(d, "c", id_c, &errs), 0);
	CU_ASSERT_EQUAL(store_x25519_keygen(d, "a", id_a, &errs), -EEXIST);
	ev_errlist_clear(&errs);
	struct store_recipient r[2];
	snprintf(p, sizeof(p), "%s/a.x25519.pub", d);
	CU_ASSERT_EQUAL_FATAL(store_recipient_parse(p, "t", &r[0], &errs), 0);
	CU_ASSERT_STRING_EQUAL(r[0].key_id, id_a);
	snprintf(p, sizeof(p), "%s/b.x25519.pub", d);
	CU_ASSERT_EQUAL_FATAL(store_recipient_parse(p, "t", &r[1], &errs), 0);
	/* the same key as raw base64 gives the same recipient */
	struct store_recipient rb;
	static const char b64[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	CU_ASSERT_EQUAL(store_recipient_parse(b64, "t", &rb, &errs), 0);
	CU_ASSERT(rb.pub[0] == 0 && rb.pub[31] == 31);
	CU_ASSERT_EQUAL(store_recipient_parse("AAEC=", "t", &rb, &errs), -EINVAL);
	snprintf(q, sizeof(q), "%s/not-a-key.pem", d);
	write_file(q, "hello\n");
	CU_ASSERT_EQUAL(store_recipient_parse(q, "t", &rb, &errs), -EINVAL);
	CU_ASSERT(errs.n == 2);
	ev_errlist_clear(&errs);

	uint8_t dk[32], got[32];
	for (size_t i = 0; i < 32; i++)
		dk[i] = (uint8_t)(200 - i);
	json_t *enc = NULL;
	CU_ASSERT_EQUAL_FATAL(store_enc_wrap("chacha20-poly1305", dk, r, 2, &enc), 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(enc, "recipients")), 2);
	snprintf(p, sizeof(p), "%s/a.x25519.key", d);
	CU_ASSERT_EQUAL(store_enc_unwrap(enc, p, got, &errs), 0);
	CU_ASSERT(memcmp(got, dk, 32) == 0);
	snprintf(p, sizeof(p), "%s/b.x25519.key", d);
	memset(got, 0, sizeof(got));
	CU_ASSERT_EQUAL(store_enc_unwrap(enc, p, got, &errs), 0);
	CU_ASSERT(memcmp(got, dk, 32) == 0);
	snprintf(p, sizeof(p), "%s/c.x25519.key", d);
	CU_ASSERT_EQUAL(store_enc_unwrap(enc, p, got, &errs), -ENOKEY);
	/* a changed wrapped key does not authenticate */
	json_t *rec = json_array_get(json_object_get(enc, "recipients"), 0);
	char *w = strdup(json_string_value(json_object_get(rec, "wrapped_key")));
	w[30] = w[30] == '0' ? '1' : '0';
	json_object_set_new(rec, "wrapped_key", json_string(w));
	free(w);
	snprintf(p, sizeof(p), "%s/a.x25519.key", d);
	CU_ASSERT_EQUAL(store_enc_unwrap(enc, p, got, &errs), -EBADMSG);
	ev_errlist_clear(&errs);
	json_decref(enc);
	CU_ASSERT_EQUAL(store_enc_wrap("des", dk, r, 2, &enc), -EINVAL);
}
