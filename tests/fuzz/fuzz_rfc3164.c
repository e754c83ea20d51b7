/* Fuzz target: the rfc3164 line parser (see fuzz_parser.h). */
#define FUZZ_FORMAT "rfc3164"
#include "tests/fuzz/fuzz_parser.h"
