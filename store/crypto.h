/* Ed25519 keys, signatures and SHA-256 for the evidence store (OpenSSL libcrypto).
 * Never logs: errors are -errno, with a message in an ev_errlist where one helps. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define STORE_SIG_LEN  64
#define STORE_HASH_LEN 32
#define STORE_HEX_LEN  64 /* hex of a SHA-256, without the NUL */

struct store_key;

/* A fresh Ed25519 key pair. NULL on failure (out of memory or libcrypto failure). */
struct store_key *store_key_generate(void);
/* Write DIR/NAME.key (PEM PKCS#8, mode 0600, O_EXCL: refuses to overwrite) and
 * DIR/NAME.pub (PEM SubjectPublicKeyInfo, 0644). Returns 0 or -errno (-EEXIST). */
int store_key_write(const struct store_key *k, const char *dir, const char *name,
                    struct ev_errlist *errs);
/* Load a private key; refuses (-EPERM) a file readable or writable by group or others,
 * and follows no symlink. The PEM bytes are wiped after parsing. */
int store_key_load_private(const char *path, struct store_key **ret, struct ev_errlist *errs);
/* Load a public key (PEM) from a file or from memory. */
int store_key_load_public(const char *path, struct store_key **ret, struct ev_errlist *errs);
int store_key_public_from_pem(const void *buf, size_t len, struct store_key **ret);
/* The public key as PEM text (caller frees). NULL on OOM. */
char *store_key_public_pem(const struct store_key *k);
/* Key id: lowercase hex SHA-256 of the raw 32-byte public key (64 chars, NUL-terminated). */
const char *store_key_id(const struct store_key *k);
bool store_key_has_private(const struct store_key *k);
/* One-shot Ed25519 sign of `len` bytes. Returns 0, -EINVAL for a public-only key. */
int store_key_sign(const struct store_key *k, const void *data, size_t len,
                   uint8_t sig[STORE_SIG_LEN]);
/* Returns 0 when the signature holds, -EBADMSG when it does not. */
int store_key_verify(const struct store_key *k, const void *data, size_t len,
                     const uint8_t sig[STORE_SIG_LEN]);
struct store_key *store_key_free(struct store_key *k);
static inline void store_key_freep(struct store_key **k) {
	store_key_free(*k);
}

/* SHA-256 helpers. */
void store_sha256(const void *data, size_t len, uint8_t out[STORE_HASH_LEN]);
struct store_sha256_ctx;
struct store_sha256_ctx *store_sha256_new(void); /* NULL on OOM */
void store_sha256_update(struct store_sha256_ctx *c, const void *data, size_t len);
/* Writes the digest and frees the context. */
void store_sha256_final(struct store_sha256_ctx *c, uint8_t out[STORE_HASH_LEN]);
void store_sha256_free(struct store_sha256_ctx *c);
/* 64 zeros: the "previous hash" of a chain's or a ledger's first element. */
extern const char store_zero_hex[STORE_HEX_LEN + 1];
/* Lowercase hex of `len` bytes into out (2*len+1 bytes). */
void store_hex(const uint8_t *in, size_t len, char *out);
/* Parse exactly 2*len lowercase hex chars. Returns 0 or -EINVAL. */
int store_unhex(const char *in, uint8_t *out, size_t len);

/* out = "dir/name"; -ENAMETOOLONG (out unusable) when it does not fit. */
int store_path_join(char *out, size_t len, const char *dir, const char *name);
