/* Fuzz target: the logfmt line parser (see fuzz_parser.h). */
#define FUZZ_FORMAT "logfmt"
#include "tests/fuzz/fuzz_parser.h"
