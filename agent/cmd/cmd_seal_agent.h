/* evident seal through the running agent (agent/cmd/cmd_seal_agent.c). */
#pragma once
#include <stdbool.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strv.h"

/* The options of `evident seal` that travel in a seal request. NULL / -1 / 0: not given. */
struct ev_seal_request {
	const char *since_s, *until_s, *incident, *note;
	bool journal, immutable;
	int level;
	unsigned long long maxb;
	const struct ev_strv *units, *files, *copies, *cmds;
};

/* Send the seal to the agent on `sock` and print its answer (`json`: one object, as
 * `evident seal --json` prints it). Returns -ENOTCONN when nothing listens on the socket
 * (the caller seals in-process), else the exit status: EV_EXIT_OK, or EV_EXIT_USAGE when
 * the agent refused or failed (its code and message on stderr) or could not be asked. */
int ev_seal_via_agent(const char *sock, const struct ev_seal_request *q, bool json);

/* Print a seal's result object (bundle, bundle_id, sequence, manifest_sha256, ...,
 * notes): with `json` one compact line, keys in that order; else the bundle path, then
 * "bundle_id ID", "sequence N", "manifest_sha256 HEX" and a "note SOURCE: TEXT" line per
 * source that had nothing in the window. */
void ev_seal_print_result(bool json, const json_t *res);
