/* The public key that signed the seeds of the bundle and ledger corpora (a key pair made
 * with `evident keygen` for the corpora, its private half not kept; the seeds are a store
 * of three bundles sealed with it and a key_rotated entry to a second key). Inputs derived
 * from the seeds keep valid signatures where the fuzzer leaves the signed bytes alone, so
 * the verifiers' paths after a good signature (chaining, key rotation) are reached; a key
 * generated per process, as before, left every input unsigned. */
#include <stdlib.h>
#include <string.h>

#include "store/bundle.h"
#include "store/crypto.h"

static inline void fuzz_keyring(struct store_keyring *kr) {
	static const char pem[] = "-----BEGIN PUBLIC KEY-----\n"
	                          "MCowBQYDK2VwAyEALbdwRpa/7KeHgRYdFksyZux1+mjESyjwg07pEp2vHUc=\n"
	                          "-----END PUBLIC KEY-----\n";
	struct store_key *k = NULL;
	if (store_key_public_from_pem(pem, strlen(pem), &k) < 0 ||
	    store_keyring_add(kr, k, true) < 0)
		abort();
}

/* A shallow copy of kr sharing its keys (a key_rotated entry may add keys to the copy),
 * and its release: only the keys added to the copy are freed. */
static inline void fuzz_keyring_share(struct store_keyring *dst, const struct store_keyring *kr) {
	*dst = (struct store_keyring){.keys = malloc(kr->n * sizeof(*kr->keys)),
	                              .pinned = malloc(kr->n * sizeof(*kr->pinned)),
	                              .n = kr->n};
	if (!dst->keys || !dst->pinned)
		abort();
	memcpy(dst->keys, kr->keys, kr->n * sizeof(*kr->keys));
	memcpy(dst->pinned, kr->pinned, kr->n * sizeof(*kr->pinned));
}

static inline void fuzz_keyring_unshare(struct store_keyring *dst, const struct store_keyring *kr) {
	for (size_t i = kr->n; i < dst->n; i++)
		store_key_free(dst->keys[i]);
	free(dst->keys);
	free(dst->pinned);
}
