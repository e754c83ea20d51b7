/* RFC 6962 Merkle tree hash over SHA-256: leaf = H(0x00 || data), node = H(0x01 || l || r),
 * the empty tree hashes to H(""). Inclusion proofs as in RFC 6962 section 2.1.1. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "store/crypto.h"

typedef uint8_t store_hash_t[STORE_HASH_LEN];

void store_merkle_leaf(const void *data, size_t len, store_hash_t out);
/* Root of `n` leaf hashes. Returns 0 or -ENOMEM. */
int store_merkle_root(const store_hash_t *leaves, size_t n, store_hash_t out);
/* Audit path of leaf `index` (caller frees *ret_path; *ret_n may be 0). 0 or -errno. */
int store_merkle_proof(const store_hash_t *leaves, size_t n, size_t index, store_hash_t **ret_path,
                       size_t *ret_n);
/* 0 when the path proves `leaf` at `index` in a tree of `n` leaves with `root`,
 * -EBADMSG otherwise. */
int store_merkle_verify(const store_hash_t leaf, size_t index, size_t n, const store_hash_t *path,
                        size_t path_n, const store_hash_t root);
