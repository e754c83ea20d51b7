/* util/hex: lowercase hex and SHA-256 against the FIPS 180-2 examples. */
#include "tests/unit/unit.h"
#include "util/hex.h"

#include <string.h>

TEST(test_util_hex_and_sha256) {
	char out[2 * EV_SHA256_LEN + 1];
	ev_hex("\x00\x0f\xa5\xff", 4, out);
	CU_ASSERT_STRING_EQUAL(out, "000fa5ff");
	ev_hex("", 0, out);
	CU_ASSERT_STRING_EQUAL(out, "");
	ev_sha256_hex("abc", 3, out);
	CU_ASSERT_STRING_EQUAL(out,
	                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ev_sha256_hex("", 0, out);
	CU_ASSERT_STRING_EQUAL(out,
	                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	ev_sha256_hex(two, strlen(two), out);
	CU_ASSERT_STRING_EQUAL(out,
	                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
