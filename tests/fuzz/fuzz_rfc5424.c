/* Fuzz target: the rfc5424 line parser (see fuzz_parser.h). */
#define FUZZ_FORMAT "rfc5424"
#include "tests/fuzz/fuzz_parser.h"
