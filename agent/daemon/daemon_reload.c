/* Reloading the configuration (SIGHUP, or a control request): the configuration and the
 * sinks are checked in the loop thread, the rules compiled by a thread of their own, and
 * the new configuration, sinks and engine swapped in by the loop when it finishes. Called
 * by daemon.c and daemon_requests.c; calls down only (seams, sinks, custody, control,
 * daemon_state.c). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "agent/daemon/daemon.h"
#include "agent/daemon/daemon_log.h"
#include "agent/daemon/daemon_notify.h"
#include "correlate/engine.h"
#include "util/clock.h"

static bool str_differs(const char *a, const char *b) {
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

/* A reload whose rules compile in a thread of their own. The thread reads `next` and
 * writes only `engine` and `errs`, then signals `efd`; the loop joins it and swaps. */
struct ev_reload {
	struct ev_daemon *d;
	struct ev_config *next;
	struct ev_sinks *sinks;
	struct correlate_engine *engine;
	struct ev_errlist errs;
	uint64_t ticket;
	pthread_t thread;
	int efd;
	sd_event_source *src;
};

static const char *reload_origin(const struct ev_daemon *d) {
	return d->opts.config_path ? d->opts.config_path : "<embedded>";
}

/* The old configuration stays: log and keep every error, count, READY=1. */
static void reload_failed(struct ev_daemon *d, int r, struct ev_errlist *errs) {
	const char *origin = reload_origin(d);
	size_t n = ev_errlist_count(errs);
	ev_dlog(LOG_ERR,
	        "reload failed: %s: %zu error%s; the previous configuration stays in "
	        "effect",
	        origin, n, n == 1 ? "" : "s");
	ev_daemon_note_error(d, "reload failed: %s: %zu error%s", origin, n, n == 1 ? "" : "s");
	ev_daemon_log_errors(errs, d);
	if (n == 0)
		ev_dlog_errno(LOG_ERR, r, "reload failed");
	d->reloads_failed++;
	sd_notify(0, "READY=1");
	ev_daemon_notify_status(d);
}

/* Swap in the new configuration, sinks and engine (cannot fail). */
static void reload_apply(struct ev_daemon *d, struct ev_config *next, struct ev_sinks *sinks,
                         struct correlate_engine *engine) {
	ev_seams_install_engine(d->seams, engine, next);
	if (str_differs(next->agent.control_socket, d->cfg->agent.control_socket) &&
	    !d->opts.socket_path)
		ev_dlog(LOG_WARNING, "agent.control_socket changed: takes effect after a restart");
	if (str_differs(next->agent.state_dir, d->cfg->agent.state_dir) && !d->opts.state_dir)
		ev_dlog(LOG_WARNING, "agent.state_dir changed: takes effect after a restart");
	if (next->actions.workers != d->cfg->actions.workers)
		ev_dlog(LOG_WARNING, "actions.workers changed: takes effect after a restart");
	struct ev_sinks_stats st;
	ev_sinks_get_stats(d->sinks, &st);
	ev_sinks_set_stats(sinks, &st);
	ev_sinks_free(d->sinks);
	d->sinks = sinks;
	ev_queue_set_capacity(d->queue, (size_t)next->actions.queue_size);
	if (ev_control_set_group(d->control, next->agent.control_group) < 0)
		ev_dlog(LOG_WARNING,
		        "control: group '%s' does not exist: only root may use the socket",
		        next->agent.control_group ? next->agent.control_group : "");
	ev_dlog_set_level(next->agent.log_level);
	if (str_differs(next->store.key, d->cfg->store.key) ||
	    str_differs(next->store.path, d->cfg->store.path)) {
		(void)ev_custody_set_ledger(d->custody, next->store.path, next->store.key);
		(void)ev_custody_preflight(d->custody, next->store.path, next->store.key);
	}
	ev_custody_set_limits(d->custody, next->agent.audit_max_size,
	                      (unsigned)next->agent.audit_files);
	if (ev_notifier_reload(d, next) < 0)
		ev_dlog(LOG_WARNING, "notify: the new channels could not be taken (out of memory)");
	ev_config_free(d->cfg);
	d->cfg = next;
	d->reloads_ok++;
	ev_dlog(LOG_INFO, "configuration reloaded from %s", reload_origin(d));
	sd_notify(0, "READY=1");
	ev_daemon_notify_status(d);
}

static void *reload_thread(void *userdata) {
	struct ev_reload *rl = userdata;
	rl->engine = ev_seams_build_engine(rl->next, rl->d->state_dir, &rl->errs);
	uint64_t one = 1;
	while (write(rl->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	return NULL;
}

/* Join the thread (it has finished or is about to) and stop watching its eventfd. */
static void reload_join(struct ev_reload *rl) {
	pthread_join(rl->thread, NULL);
	rl->src = sd_event_source_disable_unref(rl->src);
	close(rl->efd);
}

static void reload_discard(struct ev_reload *rl) {
	if (!rl)
		return;
	reload_join(rl);
	correlate_engine_free(rl->engine);
	ev_sinks_free(rl->sinks);
	ev_config_free(rl->next);
	ev_errlist_clear(&rl->errs);
	free(rl);
}

static int on_reload_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
	struct ev_reload *rl = userdata;
	struct ev_daemon *d = rl->d;
	reload_join(rl);
	d->reload = NULL;
	if (rl->engine && ev_seams_reload_empties(d->seams, rl->engine, rl->next, &rl->errs))
		rl->engine = correlate_engine_free(rl->engine);
	int r = rl->engine ? 0 : -EINVAL;
	if (rl->engine) {
		reload_apply(d, rl->next, rl->sinks, rl->engine);
		rl->next = NULL;
		rl->sinks = NULL;
		rl->engine = NULL;
	} else
		reload_failed(d, r, &rl->errs);
	if (rl->ticket && d->control)
		ev_control_answer(d->control, rl->ticket, ev_daemon_reload_answer(d, r, &rl->errs));
	ev_sinks_free(rl->sinks);
	ev_config_free(rl->next);
	ev_errlist_clear(&rl->errs);
	free(rl);
	if (d->reload_again && !d->stopping) { /* a SIGHUP came during the compile */
		d->reload_again = false;
		struct ev_errlist errs = {0};
		(void)ev_daemon_reload_start(d, 0, &errs);
		ev_errlist_clear(&errs);
	}
	return 0;
}

int ev_daemon_reload_start(struct ev_daemon *d, uint64_t ticket, struct ev_errlist *out_errs) {
	if (d->reload) {
		if (ticket)
			return -EBUSY;
		d->reload_again = true;
		ev_dlog(LOG_INFO, "reload requested while one is running: it follows");
		return 0;
	}
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading configuration",
	           ev_now_monotonic_us());
	ev_dlog(LOG_INFO, "reloading configuration from %s", reload_origin(d));
	struct ev_reload *rl = calloc(1, sizeof(*rl));
	if (!rl) {
		reload_failed(d, -ENOMEM, out_errs);
		return -ENOMEM;
	}
	rl->d = d;
	rl->ticket = ticket;
	rl->efd = -1;
	int r = ev_config_load(d->opts.config_path, &rl->next, out_errs);
	if (r >= 0)
		r = ev_sinks_new(rl->next, d->event, d->queue, &rl->sinks, out_errs);
	if (r >= 0)
		r = ev_sinks_forward(rl->sinks, rl->next, d->state_dir, out_errs);
	if (r >= 0 && (rl->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		r = -errno;
	if (r >= 0)
		r = sd_event_add_io(d->event, &rl->src, rl->efd, EPOLLIN, on_reload_done, rl);
	/* the thread inherits the blocked signals: only the loop's signalfd sees them */
	if (r >= 0)
		r = -pthread_create(&rl->thread, NULL, reload_thread, rl);
	if (r < 0) {
		reload_failed(d, r, out_errs);
		rl->src = sd_event_source_disable_unref(rl->src);
		if (rl->efd >= 0)
			close(rl->efd);
		ev_sinks_free(rl->sinks);
		ev_config_free(rl->next);
		free(rl);
		return r;
	}
	d->reload = rl;
	return 1;
}

json_t *ev_daemon_reload_answer(struct ev_daemon *d, int r, const struct ev_errlist *errs) {
	if (r >= 0)
		return json_pack("{s:b, s:s}", "ok", 1, "config", d->cfg->origin);
	json_t *a = ev_control_error(
	        "invalid_argument",
	        "the new configuration has errors; the previous one stays in effect");
	json_t *arr = json_array();
	for (size_t i = 0; errs && i < errs->n; i++) {
		char *m = ev_error_format(&errs->v[i]);
		if (m)
			json_array_append_new(arr, json_string(m));
		free(m);
	}
	if (!errs || ev_errlist_count(errs) == 0)
		json_array_append_new(arr, json_string(strerror(-r)));
	if (a)
		json_object_set_new(a, "errors", arr);
	else
		json_decref(arr);
	return a;
}

void ev_daemon_reload_discard(struct ev_daemon *d) {
	reload_discard(d->reload);
	d->reload = NULL;
}
