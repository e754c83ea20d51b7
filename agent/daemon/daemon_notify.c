/* The agent's notifier: one worker thread works through the persisted delivery queue
 * (agent/notify/outbox.h) every notify.interval, or at once when the loop queued
 * something, so that a slow or unreachable receiver never stalls the event loop. The loop
 * only queues (a small file written and synced) and reads counts for `status`.
 *
 * What the loop queues: alerts to the channels whose events name their level; incident
 * deadlines (`escalated`, `update_due`) to the channels taking that event; and, with
 * notify.auto_internal, the internal update message (the internal template) to the
 * internal channels taking update_due, in place of the bare event. The worker has its own
 * copy of what it needs (struct ev_notify_env); a reload hands it a new one. Stopping
 * waits for the delivery in progress (each is bounded by its channel's timeout). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon/daemon.h"
#include "agent/daemon/daemon_log.h"
#include "agent/daemon/daemon_notify.h"
#include "agent/incident/incident.h"
#include "agent/notify/channel.h"
#include "agent/notify/message.h"
#include "agent/notify/outbox.h"
#include "util/clock.h"

struct ev_notifier {
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, kick;
	uint64_t interval;         /* µs; under mu */
	struct ev_notify_env next; /* a reload's env, taken by the worker; under mu */
	bool have_next;
	struct ev_notify_env loop_env; /* the loop thread's own copy */
	uint64_t queued, queue_errors, flushes;
};

static bool stopping(void *ud) {
	struct ev_notifier *n = ud;
	return __atomic_load_n(&n->stop, __ATOMIC_RELAXED);
}

static void *worker(void *ud) {
	struct ev_notifier *n = ud;
	struct ev_notify_env env = {0};
	pthread_mutex_lock(&n->mu);
	while (!n->stop) {
		if (n->have_next) {
			ev_notify_env_done(&env);
			env = n->next;
			n->next = (struct ev_notify_env){0};
			n->have_next = false;
		}
		n->kick = false;
		pthread_mutex_unlock(&n->mu);
		if (env.state_dir && json_array_size(env.channels)) {
			int r = ev_notify_flush(&env, NULL, false, stopping, n, NULL);
			if (r < 0)
				ev_dlog(LOG_WARNING, "notify: cannot work through the queue: %s",
				        strerror(-r));
			__atomic_add_fetch(&n->flushes, 1, __ATOMIC_RELAXED);
		}
		pthread_mutex_lock(&n->mu);
		if (!n->kick && !n->stop) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			uint64_t ns = (uint64_t)ts.tv_nsec + (n->interval % 1000000) * 1000;
			ts.tv_sec += (time_t)(n->interval / 1000000 + ns / 1000000000);
			ts.tv_nsec = (long)(ns % 1000000000);
			pthread_cond_timedwait(&n->cv, &n->mu, &ts);
		}
	}
	pthread_mutex_unlock(&n->mu);
	ev_notify_env_done(&env);
	return NULL;
}

static void kick(struct ev_notifier *n) {
	pthread_mutex_lock(&n->mu);
	n->kick = true;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

int ev_notifier_start(struct ev_daemon *d) {
	struct ev_notifier *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	d->notifier = n;
	int r = ev_notifier_reload(d, d->cfg);
	if (r < 0)
		return r;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* signals reach only the loop */
	r = -pthread_create(&n->thread, NULL, worker, n);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	n->started = r == 0;
	return r;
}

int ev_notifier_reload(struct ev_daemon *d, const struct ev_config *cfg) {
	struct ev_notifier *n = d->notifier;
	struct ev_notify_env a, b;
	if (!n)
		return 0;
	if (ev_notify_env_init(cfg, d->state_dir, &a) < 0)
		return -ENOMEM;
	if (ev_notify_env_init(cfg, d->state_dir, &b) < 0) {
		ev_notify_env_done(&a);
		return -ENOMEM;
	}
	ev_notify_env_done(&n->loop_env);
	n->loop_env = a;
	pthread_mutex_lock(&n->mu);
	ev_notify_env_done(&n->next);
	n->next = b;
	n->have_next = true;
	n->interval = cfg->notify.interval;
	n->kick = true;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	return 0;
}

void ev_notifier_stop(struct ev_daemon *d) {
	struct ev_notifier *n = d->notifier;
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	__atomic_store_n(&n->stop, true, __ATOMIC_RELAXED);
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	if (n->started)
		pthread_join(n->thread, NULL);
	ev_notify_env_done(&n->next);
	ev_notify_env_done(&n->loop_env);
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->cv);
	free(n);
	d->notifier = NULL;
}

static void queue_one(struct ev_notifier *n, json_t *item) {
	struct ev_errlist errs = {0};
	const char *ch = json_string_value(json_object_get(item, "channel"));
	char name[128];
	snprintf(name, sizeof(name), "%s", ch ? ch : "?");
	int r = ev_notify_enqueue(&n->loop_env, item, NULL, &errs);
	if (r < 0) {
		char *m = errs.n ? ev_error_format(&errs.v[0]) : NULL;
		ev_dlog(LOG_WARNING, "notify %s: not queued: %s", name, m ? m : strerror(-r));
		free(m);
		n->queue_errors++;
	} else
		n->queued++;
	ev_errlist_clear(&errs);
}

static json_t *agent_actor(void) {
	return json_pack("{s:b, s:I, s:I, s:s}", "agent", 1, "pid", (json_int_t)getpid(), "uid",
	                 (json_int_t)getuid(), "name", "evident agent");
}

/* Channel ch gets `event` queued: it takes the event and is not a status page (public:
 * only approved messages). */
static bool channel_gets(const json_t *ch, const char *event) {
	const char *type = json_string_value(json_object_get(ch, "type"));
	return ev_notify_channel_takes_event(ch, event) && type && strcmp(type, "statuspage") != 0;
}

bool ev_notifier_wants(const struct ev_daemon *d, const char *event) {
	const struct ev_notifier *n = d->notifier;
	if (!n)
		return false;
	size_t i;
	const json_t *ch;
	json_array_foreach(n->loop_env.channels, i, ch) {
		if (channel_gets(ch, event))
			return true;
	}
	return false;
}

void ev_notifier_event(struct ev_daemon *d, const char *event, const char *incident,
                       const json_t *payload) {
	struct ev_notifier *n = d->notifier;
	if (!n)
		return;
	size_t i;
	const json_t *ch;
	bool any = false;
	json_array_foreach(n->loop_env.channels, i, ch) {
		if (!channel_gets(ch, event))
			continue;
		json_t *item = json_pack("{s:s, s:O, s:o, s:s}", "channel",
		                         json_string_value(json_object_get(ch, "name")), "event",
		                         payload, "actor", agent_actor(), "audience", "internal");
		if (incident)
			json_object_set_new(item, "incident", json_string(incident));
		queue_one(n, item);
		any = true;
	}
	if (any)
		kick(n);
}

void ev_notifier_update_due(struct ev_daemon *d, const struct ev_incident *inc,
                            const json_t *event) {
	struct ev_notifier *n = d->notifier;
	if (!n)
		return;
	if (!d->cfg->notify.auto_internal) {
		ev_notifier_event(d, "update_due", inc->id, event);
		return;
	}
	struct ev_message msg;
	struct ev_errlist errs = {0};
	json_t *vars =
	        ev_message_vars(d->cfg, inc, ev_now_realtime_us(),
	                        "An update is due; this is the automatic internal update.", NULL);
	int r = ev_message_render(d->cfg, "internal", vars, inc->drill, &msg, &errs);
	json_decref(vars);
	if (r < 0) {
		char *m = errs.n ? ev_error_format(&errs.v[0]) : NULL;
		ev_dlog(LOG_WARNING, "notify: incident %s: internal template: %s", inc->id,
		        m ? m : strerror(-r));
		free(m);
		ev_errlist_clear(&errs);
		return;
	}
	size_t i;
	const json_t *ch;
	bool any = false;
	json_array_foreach(n->loop_env.channels, i, ch) {
		if (!ev_notify_channel_takes_event(ch, "update_due") ||
		    !ev_notify_channel_takes_audience(ch, "internal") ||
		    ev_notify_needs_approval(ch, "internal"))
			continue;
		json_t *item = json_pack("{s:s, s:s, s:s, s:o, s:o}", "channel",
		                         json_string_value(json_object_get(ch, "name")), "incident",
		                         inc->id, "audience", "internal", "message",
		                         ev_message_to_json(&msg), "actor", agent_actor());
		queue_one(n, item);
		any = true;
	}
	ev_message_done(&msg);
	if (any)
		kick(n);
}

json_t *ev_notifier_status(const struct ev_daemon *d) {
	const struct ev_notifier *n = d->notifier;
	if (!n)
		return json_null();
	json_t *o = json_pack("{s:I, s:I, s:I}", "queued_now", (json_int_t)n->queued,
	                      "queue_errors", (json_int_t)n->queue_errors, "passes",
	                      (json_int_t)__atomic_load_n(&n->flushes, __ATOMIC_RELAXED));
	json_object_set_new(o, "channels", ev_notify_stats(&n->loop_env));
	return o;
}
