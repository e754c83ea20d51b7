/* Lowercase hex and one-shot SHA-256 (util/hex.h). */
#include "config.h"

#define OPENSSL_SUPPRESS_DEPRECATED 1 /* SHA256_Init(): see util/hex.h */
#include <openssl/sha.h>

#include "util/hex.h"

void ev_hex(const void *in, size_t len, char *out) {
	static const char hx[] = "0123456789abcdef";
	const uint8_t *b = in;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * len] = 0;
}

void ev_sha256(const void *data, size_t len, uint8_t out[EV_SHA256_LEN]) {
	/* not SHA256(): in OpenSSL 3 the one-shot goes through EVP_Q_digest() */
	SHA256_CTX c;
	SHA256_Init(&c); /* these cannot fail: no allocation */
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
}
void ev_sha256_hex(const void *data, size_t len, char *out) {
	uint8_t md[EV_SHA256_LEN];
	ev_sha256(data, len, md);
	ev_hex(md, sizeof(md), out);
}
