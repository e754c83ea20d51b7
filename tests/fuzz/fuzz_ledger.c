/* Fuzz target: the custody ledger verifier on arbitrary bytes. The keyring is made once:
 * each input verifies against a shallow copy of it that shares its key (a key_rotated
 * entry may add keys to the copy; those are freed after the input), since copying the key
 * through PEM for every input cost more than the verification itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static struct store_keyring kr;
	if (!kr.n) {
		struct store_key *k = store_key_generate();
		if (!k || store_keyring_add(&kr, k, true) < 0)
			abort();
	}
	struct store_keyring work = {.keys = malloc(kr.n * sizeof(*kr.keys)),
	                             .pinned = malloc(kr.n * sizeof(*kr.pinned)),
	                             .n = kr.n};
	if (!work.keys || !work.pinned)
		abort();
	memcpy(work.keys, kr.keys, kr.n * sizeof(*kr.keys));
	memcpy(work.pinned, kr.pinned, kr.n * sizeof(*kr.pinned));
	struct store_report rep = {0};
	json_t *entries = NULL;
	store_ledger_verify_mem((const char *)data, size, "fuzz", &work, &rep, &entries);
	for (size_t i = kr.n; i < work.n; i++) /* only the keys the input added */
		store_key_free(work.keys[i]);
	free(work.keys);
	free(work.pinned);
	json_decref(entries);
	store_report_clear(&rep);
	return 0;
}
