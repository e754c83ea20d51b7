/* Fuzz target: the custody ledger verifier and the key-rotation scan (the keys a ledger's
 * key_rotated entries introduce) on arbitrary bytes, with the key that signed the corpus
 * seeds pinned (fuzz_key.h). The keyring is made once: each input works on shallow copies
 * that share its key, since copying the key through PEM for every input cost more than
 * the verification itself. */
#include <stdint.h>
#include <stdlib.h>

#include "store/ledger.h"
#include "tests/fuzz/fuzz_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static struct store_keyring kr;
	if (!kr.n)
		fuzz_keyring(&kr);
	struct store_keyring work;
	struct store_report rep = {0};
	json_t *entries = NULL;
	fuzz_keyring_share(&work, &kr);
	store_ledger_verify_mem((const char *)data, size, "fuzz", &work, &rep, &entries);
	fuzz_keyring_unshare(&work, &kr);
	json_decref(entries);
	store_report_clear(&rep);
	json_t *why = json_object();
	if (!why)
		abort();
	fuzz_keyring_share(&work, &kr);
	store_ledger_add_rotations((const char *)data, size, &work, why);
	fuzz_keyring_unshare(&work, &kr);
	json_decref(why);
	return 0;
}
