/* Fuzz target: one control-socket request line (the parser and validator every peer's
 * bytes reach first), then the error answer built from what it said. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "agent/daemon/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	struct ev_request req;
	const char *code = NULL;
	char *error = NULL;
	if (ev_request_parse((const char *)data, size, &req, &code, &error) >= 0) {
		(void)ev_request_name(req.type);
		ev_request_done(&req);
	} else {
		json_t *a = ev_control_error(code ? code : "invalid_request", "%s",
		                             error ? error : "?");
		char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
		free(s);
		json_decref(a);
	}
	free(error);
	return 0;
}
