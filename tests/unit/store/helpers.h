/* Helpers shared by the store unit tests: findings of a report, two signing keys made
 * once per test file, a keyring pinning one key, a whole file read into memory, a bundle
 * written to a file finished and verified. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Finish the bundle w writes to fd (signed with key_a), free w, verify the file from its
 * start pinned to key_a and close fd: no finding expected. The caller clears kr, info. */
static inline void finish_verified(struct store_bundle_writer *w, int fd, const char *name,
                                   struct store_bundle_result *res, struct store_keyring *kr,
                                   struct store_bundle_info *info) {
	CU_ASSERT_FATAL(store_bundle_finish(w, json_object(), key_a, res) == 0);
	store_bundle_writer_free(w);
	lseek(fd, 0, SEEK_SET);
	ring(kr, key_a);
	struct store_report rep = {0};
	CU_ASSERT(store_bundle_verify_fd(fd, name, kr, NULL, NULL, &rep, info) == 0);
	close(fd);
	dump(&rep);
	CU_ASSERT(rep.n == 0);
	store_report_clear(&rep);
}
