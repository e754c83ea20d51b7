/* The delivery queue: every message or event for a channel is a file, so nothing is lost
 * across an outage of the receiver or a restart of the agent, and nothing is sent twice.
 *
 *   STATE_DIR/notify/outbox/ID.json  queued: the item, its exact bytes, their SHA-256,
 *                                    attempts, next attempt, last error
 *   STATE_DIR/notify/sent/ID.json    final: delivered or failed, with the detail, and
 *                                    "recorded" once the incident's ledger has its entry
 *
 * An item becomes final by writing sent/ID.json first (atomically), then the ledger entry
 * (`update_sent` for a message, `notified` for an event, with audience, channel, actor,
 * approver, the SHA-256 of the bytes sent and the result), then "recorded", then removing
 * outbox/ID.json. A flush that finds both files finishes that sequence without sending
 * again. Flushes hold an exclusive flock on STATE_DIR/notify/lock, so the agent's worker
 * and a command line never work on the same item at once. IDs sort by creation time.
 *
 * Retries: a transient failure waits retry_backoff * 2^(attempts-1), at most
 * retry_max_backoff; after retry_max attempts, or at once on a permanent failure (a
 * refused token file, a failed certificate check, an HTTP 4xx), the item is final as failed.
 * Messages that need an approval (channel.h) are refused at enqueue without an approver. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "agent/settings.h"
#include "util/err.h"

#define EV_NOTIFY_ID_MAX 40

/* What a flush needs, copied out of the configuration so that a worker thread owns it. */
struct ev_notify_env {
	char *state_dir;
	char *key_path;   /* store.key: ledger entries are signed with it */
	json_t *channels; /* deep copy of notify.channels */
	json_t *services; /* names of incidents.services (status page components) */
	char hostname[256];
};

int ev_notify_env_init(const struct ev_config *cfg, const char *state_dir,
                       struct ev_notify_env *ret);
void ev_notify_env_done(struct ev_notify_env *env);

/* Queue `item` (stolen): {"channel": NAME, "incident"?, "audience"?, "message"? |
 * "event"?, "actor", "approver"?}. id, created_us, bytes, sha256 are added. The id in
 * ret_id (may be NULL). 0; -ENOENT no such channel; -EPERM approval needed; -errno. */
int ev_notify_enqueue(const struct ev_notify_env *env, json_t *item, char *ret_id,
                      struct ev_errlist *errs);
/* Work through the queue: items due now (every one with `force`), or only `only_id` when
 * given. `stop` (may be NULL) is asked between items. The final items of this flush are
 * appended to *ret_final (may be NULL). Returns how many became final, or -errno (lock,
 * directory). */
int ev_notify_flush(const struct ev_notify_env *env, const char *only_id, bool force,
                    bool (*stop)(void *), void *ud, json_t *ret_final);
/* Replace `path` with data: PATH.tmp (O_NOFOLLOW, `mode`), fsync, rename, directory
 * fsync. 0 or -errno (nothing left behind). */
int ev_notify_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* {CHANNEL: {queued, delivered, failed}} for every configured channel and every channel
 * found in the queue (new). */
json_t *ev_notify_stats(const struct ev_notify_env *env);
/* An incident event (opened, resolved, update) for the channels taking it (not status
 * pages): queued only; the agent's worker delivers it. Returns how many were queued, or
 * -errno. */
int ev_notify_queue_event(const struct ev_config *cfg, const char *state_dir, const char *event,
                          const char *incident, const json_t *details, const json_t *actor);
