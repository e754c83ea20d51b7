/* The agent's notifier (daemon_notify.c): a worker thread delivering the persisted queue,
 * and what the loop queues (alerts, deadlines, the automatic internal update). */
#pragma once
#include <jansson.h>

#include "agent/incident/incident.h"
#include "agent/settings.h"

struct ev_daemon;

/* Start the worker (after d->cfg and d->state_dir are set). 0 or -errno. */
int ev_notifier_start(struct ev_daemon *d);
/* A new configuration's channels and interval. 0 or -ENOMEM (the old ones stay). */
int ev_notifier_reload(struct ev_daemon *d, const struct ev_config *cfg);
/* Stop the worker (waits for a delivery in progress) and free. NULL-safe. */
void ev_notifier_stop(struct ev_daemon *d);
/* Queue `payload` (borrowed) for the channels taking `event` (an alert level, escalated,
 * update_due, ...); incident may be NULL. Loop thread. */
void ev_notifier_event(struct ev_daemon *d, const char *event, const char *incident,
                       const json_t *payload);
/* Whether a channel would get `event` (ev_notifier_event): false when none, so the
 * caller need not build the payload. Loop thread. */
bool ev_notifier_wants(const struct ev_daemon *d, const char *event);
/* An update is due on inc: the internal update message (notify.auto_internal) or the
 * event. Loop thread. */
void ev_notifier_update_due(struct ev_daemon *d, const struct ev_incident *inc,
                            const json_t *event);
/* {queued_now, queue_errors, passes, channels: {NAME: {queued, delivered, failed}}}. */
json_t *ev_notifier_status(const struct ev_daemon *d);
