/* Shipping a store to S3 (store.upload): a persisted queue, worked through one pass at a
 * time by the agent's worker or by `evident upload`.
 *
 * What is pending is derived from the store, so nothing can be forgotten: every bundle
 * without an `uploaded` entry in the custody ledger, then every public key, the chain
 * head, the custody ledger and each incident ledger whose bytes differ from the version
 * last uploaded. Per item the queue file STATE_DIR/upload/queue.json keeps the attempts,
 * the time of the next try (backoff: 10 s doubling up to store.upload.backoff_max) and the
 * last error; it is written atomically (temp, fsync, rename) and survives restarts.
 *
 * A bundle is never uploaded twice: before a PUT the key is looked up, and an object that
 * is already there with the bundle's size and SHA-256 (an upload whose record a crash or
 * an outage lost) is adopted instead; one with other bytes is an error, never overwritten.
 * After each upload the version is read back with HEAD (size, SHA-256, lock mode, retain
 * until date in the future) before the `uploaded` entry (key, version id, ETag, size,
 * retention) is appended to the custody ledger. One pass at a time (STATE_DIR/upload/.lock). */
#pragma once
#include <jansson.h>
#include <stdbool.h>

#include "agent/settings.h"

struct ev_s3;
/* An S3 client for `bucket` with the endpoint, region, TLS setting and credentials of
 * store.upload (endpoint and region from AWS_ENDPOINT_URL and AWS_REGION when no
 * endpoint is configured; credentials from store.upload.credentials, refused when
 * world-readable, else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN).
 * 0, or -errno with one line in err. */
int ev_fleet_client(const struct ev_config *cfg, const char *bucket, struct ev_s3 **ret, char *err,
                    size_t errlen);

struct ev_upload;
/* Set up from cfg (borrowed for the lifetime of *ret): the S3 client with its credentials
 * (store.upload.credentials, refused when world-readable, else the AWS_* environment
 * variables) and the store key. -ENOTCONN when uploads are not configured; other -errno
 * with one line in err. */
int ev_upload_open(const struct ev_config *cfg, struct ev_upload **ret, char *err, size_t errlen);
struct ev_upload *ev_upload_free(struct ev_upload *u);

/* Abandon transfers once stop(userdata) is true (the agent's shutdown). */
void ev_upload_set_stop(struct ev_upload *u, bool (*stop)(void *), void *userdata);

/* One pass: every pending item whose next try is due (all of them with `force`), oldest
 * bundle first; a server that cannot be reached ends the pass. *ret_report (new):
 * {uploaded: [...], adopted: [...], failed: [{file, error}], pending: N}. Returns the
 * number of items still pending, or -errno (-EBUSY: another pass is running). */
int ev_upload_pass(struct ev_upload *u, bool force, json_t **ret_report, char *err, size_t errlen);

/* The queue as `status` and `upload --status` show it (new; state_dir NULL:
 * agent.state_dir): {configured, pending:
 * [{file, attempts, next_try, last_error}], uploaded_bundles: N}. Never fails but for
 * memory (NULL). */
json_t *ev_upload_queue_json(const struct ev_config *cfg, const char *state_dir);

/* The bundles of the store with a confirmed upload (names, a new JSON object used as a
 * set), from the custody ledger. NULL when out of memory. */
json_t *ev_upload_confirmed(const char *store_dir);
