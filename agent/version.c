/* Version string and the build's feature list. */
#include "config.h"

#include <jansson.h>
#include <string.h>

#include "agent/version.h"
#include "correlate/engine.h"
#include "store/store.h"

#ifdef HAVE_VECTORSCAN
#define VS "yes"
#else
#define VS "no"
#endif
#ifdef EV_SANITIZED
#define SAN "yes"
#else
#define SAN "no"
#endif

void ev_version_print(FILE *f, bool json) {
	if (json) {
		json_t *o =
		        json_pack("{s:s, s:{s:b, s:s, s:b}, s:i}", "version", PACKAGE_VERSION,
		                  "features", "vectorscan", strcmp(VS, "yes") == 0, "engine",
		                  correlate_engine_name(), "sanitizers", strcmp(SAN, "yes") == 0,
		                  "bundle_format", store_format_version());
		char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
		fprintf(f, "%s\n", s ? s : "{}");
		free(s);
		json_decref(o);
		return;
	}
	fprintf(f, "evident %s\n", PACKAGE_VERSION);
	fprintf(f, "features: vectorscan=%s engine=%s sanitizers=%s bundle-format=%d\n", VS,
	        correlate_engine_name(), SAN, store_format_version());
}
