/* Fuzz target: auto-detection with the shipped format library (conf/formats) loaded, so
 * that every format's regexes, time layouts and continuation rules see hostile lines
 * (see fuzz_parser.h). */
#include <stdbool.h>
#include <stdlib.h>

#include "agent/formats.h"

static void load_formats(void) {
	static bool done;
	if (!done) {
		collector_formats_set_loader(ev_formats_load_embedded);
		if (collector_formats_default_errors()->n)
			abort();
		done = true;
	}
}

#define FUZZ_FORMAT "auto"
#define FUZZ_SETUP  load_formats
#include "tests/fuzz/fuzz_parser.h"
