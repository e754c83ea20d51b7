/* The static status page: a directory any web server can serve, holding index.html
 * (self-contained: inline CSS, no script, readable without JavaScript), status.json and
 * feed.atom, each replaced atomically (temporary file, fsync, rename, directory fsync).
 *
 * What it shows: the components (the services of incidents.services), each operational
 * unless an open incident with a public update names it; the open incidents with their
 * public updates, newest first; the resolved history with the root cause and resolution
 * once the incident is resolved, and the postmortem's hash once it is closed with one.
 * Only approved public updates reach it: they are kept, one JSON line each, in
 * STATE_DIR/notify/statuspage-NAME.jsonl (an update already there is not added twice).
 * A drill incident carries a DRILL badge on everything. */
#pragma once
#include <jansson.h>

#include "agent/notify/deliver.h"

/* The public update a queued item becomes (new): {id, incident, time, subject, body, drill}. */
json_t *ev_statuspage_update(const json_t *item);
/* Add the update (its JSON bytes) and write the page. 0 or -errno, a sentence in *ret_detail. */
int ev_statuspage_publish(const struct ev_notify_ctx *ctx, const json_t *ch, const char *bytes,
                          char **ret_detail);
/* Write the page from what is published now (also after a resolve). 0 or -errno. */
int ev_statuspage_write(const struct ev_notify_ctx *ctx, const json_t *ch, char **ret_detail);
