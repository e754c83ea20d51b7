/* Fuzz target: the custody ledger verifier on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "store/ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static struct store_keyring kr;
	if (!kr.n) {
		struct store_key *k = store_key_generate();
		if (k)
			store_keyring_add(&kr, k, true);
	}
	struct store_report rep = {0};
	struct store_keyring work = {0}; /* key_rotated entries add keys: use a copy */
	store_keyring_copy(&work, &kr);
	json_t *entries = NULL;
	store_ledger_verify_mem((const char *)data, size, "fuzz", &work, &rep, &entries);
	store_keyring_clear(&work);
	json_decref(entries);
	store_report_clear(&rep);
	return 0;
}
