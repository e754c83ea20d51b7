/* RFC 6962 Merkle tree hash and inclusion proofs. Recursion depth is log2(n). */
#include "store/merkle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void store_merkle_leaf(const void *data, size_t len, store_hash_t out) {
	struct store_sha256_ctx *c = store_sha256_new();
	if (!c)
		abort();
	store_sha256_update(c, "\0", 1);
	store_sha256_update(c, data, len);
	store_sha256_final(c, out);
}

static void node(const store_hash_t l, const store_hash_t r, store_hash_t out) {
	uint8_t buf[1 + 2 * STORE_HASH_LEN];
	buf[0] = 1;
	memcpy(buf + 1, l, STORE_HASH_LEN);
	memcpy(buf + 1 + STORE_HASH_LEN, r, STORE_HASH_LEN);
	store_sha256(buf, sizeof(buf), out);
}

static size_t split(size_t n) { /* largest power of two < n (n >= 2) */
	size_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

static void mth(const store_hash_t *d, size_t n, store_hash_t out) {
	if (n == 1) {
		memcpy(out, d[0], STORE_HASH_LEN);
		return;
	}
	size_t k = split(n);
	store_hash_t l, r;
	mth(d, k, l);
	mth(d + k, n - k, r);
	node(l, r, out);
}

int store_merkle_root(const store_hash_t *leaves, size_t n, store_hash_t out) {
	if (n == 0) {
		store_sha256("", 0, out);
		return 0;
	}
	mth(leaves, n, out);
	return 0;
}

static void path(const store_hash_t *d, size_t n, size_t m, store_hash_t *out, size_t *k_out) {
	if (n <= 1)
		return;
	size_t k = split(n);
	if (m < k) {
		path(d, k, m, out, k_out);
		mth(d + k, n - k, out[(*k_out)++]);
	} else {
		path(d + k, n - k, m - k, out, k_out);
		mth(d, k, out[(*k_out)++]);
	}
}

int store_merkle_proof(const store_hash_t *leaves, size_t n, size_t index, store_hash_t **ret_path,
                       size_t *ret_n) {
	if (index >= n)
		return -EINVAL;
	store_hash_t *p = calloc(65, sizeof(store_hash_t));
	if (!p)
		return -ENOMEM;
	size_t k = 0;
	path(leaves, n, index, p, &k);
	*ret_path = p;
	*ret_n = k;
	return 0;
}

int store_merkle_verify(const store_hash_t leaf, size_t index, size_t n, const store_hash_t *p,
                        size_t path_n, const store_hash_t root) {
	if (index >= n)
		return -EBADMSG;
	size_t fn = index, sn = n - 1;
	store_hash_t r;
	memcpy(r, leaf, STORE_HASH_LEN);
	for (size_t i = 0; i < path_n; i++) {
		if (sn == 0)
			return -EBADMSG;
		if ((fn & 1) || fn == sn) {
			node(p[i], r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			node(r, p[i], r);
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, STORE_HASH_LEN) == 0 ? 0 : -EBADMSG;
}
