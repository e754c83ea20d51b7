/* Correlation engine entry points. */
#include "config.h"

#include "correlate/engine.h"

const char *correlate_engine_name(void) {
#ifdef HAVE_VECTORSCAN
	return "vectorscan+pcre2";
#else
	return "pcre2";
#endif
}
