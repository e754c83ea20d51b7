/* Fuzz target: the iso line parser (see fuzz_parser.h). */
#define FUZZ_FORMAT "iso"
#include "tests/fuzz/fuzz_parser.h"
