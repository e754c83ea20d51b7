/* Fuzz target: the json line parser (see fuzz_parser.h). */
#define FUZZ_FORMAT "json"
#include "tests/fuzz/fuzz_parser.h"
