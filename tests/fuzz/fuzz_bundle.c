/* Fuzz target: the bundle verifier (zlib + libarchive tar + manifest checks) on arbitrary
 * bytes, and the chain-head parser, with the key that signed the corpus seeds pinned
 * (fuzz_key.h). Must never crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>

#include "store/store.h"
#include "tests/fuzz/fuzz_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static struct store_keyring kr;
	if (!kr.n)
		fuzz_keyring(&kr);
	struct store_report rep = {0};
	struct store_bundle_info info = {0};
	struct store_verify_limits lim = {.max_member_size = 16u << 20,
	                                  .max_total_size = 64u << 20};
	store_bundle_verify_mem(data, size, "fuzz", &kr, &lim, NULL, &rep, &info);
	store_bundle_info_clear(&info);
	store_report_clear(&rep);
	struct store_head h;
	store_head_parse((const char *)data, size, &kr, &h);
	return 0;
}
