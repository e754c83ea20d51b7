/* A seal for the incident workflow made in this process's stead: `evident seal --json
 * --offline` as a child (agent/daemon/daemon_seal.c builds and runs it, as for the
 * agent's own seals), used by `evident triage --offline` and by `evident incident run`
 * for its snapshot before a change. */
#pragma once
#include <jansson.h>

#include "agent/settings.h"

/* Seal the request `req` (a seal request object, borrowed: incident, note, sources,
 * units) with the configuration at config_path (NULL: embedded) and `actor` as the
 * custody actor. 0 and the seal's result (new), or -errno with a message (malloc'd). */
int ev_incident_seal(const struct ev_config *cfg, const char *config_path, const json_t *req,
                     const char *actor, json_t **ret_result, char **ret_msg);
