/* Lowercase hex and one-shot SHA-256, shared by the store (hashes in manifests, chains and
 * ledgers) and the rule database cache (file names and payload sums). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define EV_SHA256_LEN 32

/* Lowercase hex of `len` bytes into out (2*len+1 bytes, NUL-terminated). */
void ev_hex(const void *in, size_t len, char *out);
/* SHA-256 of len bytes. Uses OpenSSL's low-level interface: EVP would load and initialise
 * the default provider (2 MiB resident) in every process that only hashes. */
void ev_sha256(const void *data, size_t len, uint8_t out[EV_SHA256_LEN]);
/* ev_sha256() in hex (2*EV_SHA256_LEN+1 bytes). */
void ev_sha256_hex(const void *data, size_t len, char *out);
