/* Helpers shared by the store unit tests: findings of a report, two signing keys made
 * once per test file, a keyring pinning one key, a whole file read into memory. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tests/unit/unit.h"
#include "util/macro.h"

static inline bool has(const struct store_report *r, enum store_finding_code c) {
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].code == c)
			return true;
	return false;
}

static inline void dump(const struct store_report *r) {
	for (size_t i = 0; i < r->n; i++)
		fprintf(stderr, "  %s %s: %s\n", store_finding_name(r->v[i].code),
		        r->v[i].where ?: "", r->v[i].msg ?: "");
}

/* "used": kept (and so reachable for the leak checker) in a file that reads only key_a */
static struct store_key *key_a __attribute__((used)), *key_b __attribute__((used));

static inline void keys(void) {
	if (!key_a) {
		key_a = store_key_generate();
		key_b = store_key_generate();
	}
}

static inline char *slurp(const char *path, size_t *len) {
	char *b = NULL;
	if (store_read_file(path, 1u << 30, &b, len) < 0)
		return NULL;
	return b;
}

static inline void ring(struct store_keyring *kr, const struct store_key *k) {
	struct store_key *pub = NULL;
	char *pem = store_key_public_pem(k);
	CU_ASSERT_FATAL(store_key_public_from_pem(pem, strlen(pem), &pub) == 0);
	free(pem);
	store_keyring_add(kr, pub, true);
}
