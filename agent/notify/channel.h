/* Notification channels (`notify.channels` in evident.yaml), checked once at load.
 *
 * The loader (agent/settings.c) hands the YAML list to ev_notify_channels_load(), which
 * checks every key with its position and returns the channels as one JSON array that the
 * configuration owns; every later user reads that array, so a channel crosses threads as a
 * deep copy (json_deep_copy) and never as pointers into the configuration.
 *
 * A channel object: {"name", "type": webhook|email|statuspage|command, "audiences": [..],
 * "events": [..], "url", "payload": slack|json, "token_file", "ca_file", "tls_verify",
 * "timeout_us", "from", "to": {AUDIENCE|"*": [ADDR..]}, "starttls", "dir", "title",
 * "command": [ARGV..], "retry_max", "retry_backoff_us", "retry_max_backoff_us"}; keys that
 * the type does not use are absent. */
#pragma once
#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"
#include "util/ytree.h"

#define EV_NOTIFY_MAX_CHANNELS 64

/* Check the sequence `n` (file: for messages). Returns 0 and a new array in *ret, or
 * -EINVAL with every error in errs (FILE:LINE:COL). A null node gives an empty array. */
int ev_notify_channels_load(const struct ytree_node *n, const char *file, json_t **ret,
                            struct ev_errlist *errs);
/* The channel named `name` in `channels` (borrowed), or NULL. */
const json_t *ev_notify_channel_find(const json_t *channels, const char *name);
/* Whether channel `ch` takes `audience` (internal|customer|executive) / `event`. */
bool ev_notify_channel_takes_audience(const json_t *ch, const char *audience);
bool ev_notify_channel_takes_event(const json_t *ch, const char *event);
/* Whether a message to `audience` over a channel of this type needs an approval entry
 * first: customer messages, and everything on a status page (public). */
bool ev_notify_needs_approval(const json_t *ch, const char *audience);
