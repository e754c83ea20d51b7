/* Fuzz target: the auto line parser (see fuzz_parser.h). */
#define FUZZ_FORMAT "auto"
#include "tests/fuzz/fuzz_parser.h"
