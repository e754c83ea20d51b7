/* Unit test conventions.
 *
 *   #include "tests/unit/unit.h"
 *   TEST(test_module_thing) { CU_ASSERT_EQUAL(1, 1); }
 *
 * Every TEST() marker in a file listed in UNIT_TEST_SOURCES is registered by
 * tests/unit/gen-registry.sh (one CUnit suite per file), and that script fails the build
 * when a tests/unit/<module>/test_*.c file is not listed: a test cannot be forgotten.
 * Test names must be unique across the suite: prefix them with test_<module>_. */
#pragma once
#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TEST(name)                                                                                 \
	void name(void);                                                                           \
	void name(void)

/* The source tree (for fixtures) and shared test data ("" when absent). */
const char *unit_srcdir(void);
const char *unit_shared(void);
/* A fresh temporary directory, removed with everything in it at exit. */
const char *unit_tmpdir(void);
/* Write `len` bytes to DIR/name and return the path (static buffer per call ring). */
const char *unit_write_file(const char *name, const void *data, size_t len);
#define unit_write_str(name, s) unit_write_file((name), (s), strlen(s))
/* Mark the running test skipped (data absent); it is counted and reported. */
void unit_skip(const char *why);
