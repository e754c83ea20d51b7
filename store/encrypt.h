/* Evidence encrypted to recipients (docs/FORMAT.md "Encrypted bundles").
 *
 * A bundle gets one fresh 32-byte data key. Each evidence member is stored as
 * NONCE(12) || AEAD(data key, NONCE, aad = the member path, plaintext) || TAG(16) with
 * AES-256-GCM or ChaCha20-Poly1305. The data key is wrapped for each recipient's X25519
 * public key R: an ephemeral X25519 pair (e, E), S = X25519(e, R), W = HKDF-SHA256(ikm S,
 * salt E || R, info "evident-bundle-key-v1", 32 bytes), wrapped = NONCE(12) || AEAD(W, NONCE,
 * aad "evident-bundle-key-v1", data key) || TAG(16), same cipher. Nothing here touches the
 * manifest's hashes: the writer hashes the ciphertext for SHA256SUMS and records the
 * plaintext hash beside it.
 *
 * Keys and secrets are wiped with explicit_bzero when freed. No function logs. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define STORE_ENC_KEY_LEN   32
#define STORE_ENC_NONCE_LEN 12
#define STORE_ENC_TAG_LEN   16
#define STORE_ENC_OVERHEAD  (STORE_ENC_NONCE_LEN + STORE_ENC_TAG_LEN)
#define STORE_ENC_SCHEME    "x25519-hkdf-sha256-v1"
#define STORE_ENC_INFO      "evident-bundle-key-v1"

struct store_recipient {
	uint8_t pub[32];
	char key_id[65]; /* hex SHA-256 of pub */
};

/* `spec`: a PEM file (PUBLIC KEY or CERTIFICATE with an X25519 key) or a raw 32-byte key
 * in base64. -EINVAL with a message in errs (`where` labels it). */
int store_recipient_parse(const char *spec, const char *where, struct store_recipient *ret,
                          struct ev_errlist *errs);
/* Whether `name` is a cipher we write ("aes-256-gcm", "chacha20-poly1305"). */
bool store_enc_cipher_known(const char *name);

/* Streaming AEAD of one member. The output callback receives the nonce, the ciphertext and
 * at the end the tag (encrypt), or the plaintext (decrypt: the tag is the stream's last 16
 * bytes; final() returns -EBADMSG when it does not authenticate, and then the plaintext
 * given out so far must be discarded). */
typedef int (*store_enc_out_fn)(void *ud, const void *buf, size_t len);
struct store_aead;
int store_aead_new(const char *cipher, const uint8_t key[STORE_ENC_KEY_LEN], bool encrypt,
                   const char *aad, store_enc_out_fn out, void *ud, struct store_aead **ret);
int store_aead_update(struct store_aead *a, const void *buf, size_t len);
int store_aead_final(struct store_aead *a);
struct store_aead *store_aead_free(struct store_aead *a);

/* The manifest's "encryption" object for `dk`: {"cipher", "scheme", "recipients": [{"key_id",
 * "ephemeral", "wrapped_key"} ...]} (hex). 0 or -errno. */
int store_enc_wrap(const char *cipher, const uint8_t dk[STORE_ENC_KEY_LEN],
                   const struct store_recipient *r, size_t n, json_t **ret);
/* Unwrap the data key with the X25519 private key in PEM file `key_path`. -ENOKEY when the
 * key is not a recipient, -EBADMSG when the wrapped key does not authenticate, -EINVAL for a
 * malformed block or key (message in errs). */
int store_enc_unwrap(const json_t *encryption, const char *key_path,
                     uint8_t ret_dk[STORE_ENC_KEY_LEN], struct ev_errlist *errs);

/* A new X25519 key pair: DIR/NAME.x25519.key (PEM PKCS#8, 0600) and DIR/NAME.x25519.pub
 * (PEM SubjectPublicKeyInfo), never replacing a file. Its key id in ret_id. 0 or -errno. */
int store_x25519_keygen(const char *dir, const char *name, char ret_id[65],
                        struct ev_errlist *errs);
