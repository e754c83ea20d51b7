/* The daemon's loop: start-up, signals, sd_notify and the watchdog, reload, shutdown.
 *
 * Start-up order: configuration (fail fast, every error reported), state directory,
 * custody file, worker queue, sinks, control socket, seams (sources and engine), then
 * READY=1. Shutdown (SIGTERM/SIGINT): STOPPING=1, the control socket closes first (no new
 * work), the seams drain and checkpoint, the queue cancels what never started and waits
 * for running work (which honours ev_queue_stopping(), so this is bounded by the hook and
 * seal time limits), then exit 0.
 *
 * Reload (SIGHUP or the `reload` request): RELOADING=1, the new configuration is loaded
 * and checked completely (schema, sinks, seams) before anything changes; on any error the
 * old configuration keeps running and every error is logged and kept for `status`.
 * Settings that need a restart (control socket path, state directory, workers) are
 * reported when they change and take effect at the next start. */
#include "config.h"

#include "agent/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "agent/daemon_log.h"

static uint64_t now_clock(clockid_t id) {
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void ev_daemon_note_error(struct ev_daemon *d, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	char *m = NULL;
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	if (!m)
		return;
	if (d->n_last_errors == EV_DAEMON_LAST_ERRORS) {
		free(d->last_errors[0]);
		memmove(d->last_errors, d->last_errors + 1,
		        (EV_DAEMON_LAST_ERRORS - 1) * sizeof(char *));
		d->n_last_errors--;
	}
	d->last_errors[d->n_last_errors++] = m;
}

void ev_daemon_notify_status(struct ev_daemon *d) {
	struct ev_queue_stats qs;
	ev_queue_get_stats(d->queue, &qs);
	sd_notifyf(0,
	           "STATUS=running: %.0f lines/s, %" PRIu64 " lines, %" PRIu64 " alerts, %" PRIu64
	           " seals, queue %zu/%zu",
	           d->lines_per_sec, d->lines, d->alerts, d->seals_ok, qs.pending + qs.running,
	           qs.capacity);
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
	struct ev_daemon *d = userdata;
	uint64_t now = now_clock(CLOCK_MONOTONIC);
	if (d->last_status_mono && now > d->last_status_mono)
		d->lines_per_sec = (double)(d->lines - d->lines_at_last_status) * 1e6 /
		                   (double)(now - d->last_status_mono);
	d->lines_at_last_status = d->lines;
	d->last_status_mono = now;
	ev_daemon_notify_status(d);
	sd_event_source_set_time(s, usec + 5000000);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

static int on_queue(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
	struct ev_daemon *d = userdata;
	ev_queue_dispatch(d->queue);
	return 0;
}

void ev_daemon_alert(struct ev_daemon *d, const json_t *alert) {
	d->alerts++;
	ev_sinks_emit(d->sinks, alert);
	ev_autoseal_alert(d, alert); /* actions.seal_on: coalesced, rate-limited, queued */
}

static void log_errlist(const struct ev_errlist *errs, struct ev_daemon *d) {
	for (size_t i = 0; i < errs->n; i++) {
		char *m = ev_error_format(&errs->v[i]);
		if (!m)
			continue;
		ev_dlog(LOG_ERR, "%s", m);
		if (d)
			ev_daemon_note_error(d, "%s", m);
		free(m);
	}
	if (errs->dropped)
		ev_dlog(LOG_ERR, "... and %zu more errors", errs->dropped);
}

static bool str_differs(const char *a, const char *b) {
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

int ev_daemon_reload(struct ev_daemon *d, struct ev_errlist *out_errs) {
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading configuration",
	           now_clock(CLOCK_MONOTONIC));
	const char *origin = d->opts.config_path ? d->opts.config_path : "<embedded>";
	ev_dlog(LOG_INFO, "reloading configuration from %s", origin);
	struct ev_errlist errs = {0};
	struct ev_config *next = NULL;
	struct ev_sinks *sinks = NULL;
	int r = ev_config_load(d->opts.config_path, &next, &errs);
	if (r >= 0)
		r = ev_sinks_new(next, d->event, d->queue, &sinks, &errs);
	if (r >= 0)
		r = ev_seams_reload(d, next, &errs);
	if (r < 0) {
		size_t n = ev_errlist_count(&errs);
		ev_dlog(LOG_ERR,
		        "reload failed: %s: %zu error%s; the previous configuration stays in "
		        "effect",
		        origin, n, n == 1 ? "" : "s");
		ev_daemon_note_error(d, "reload failed: %s: %zu error%s", origin, n,
		                     n == 1 ? "" : "s");
		log_errlist(&errs, d);
		if (n == 0)
			ev_dlog_errno(LOG_ERR, r, "reload failed");
		d->reloads_failed++;
		if (out_errs)
			ev_errlist_move(out_errs, &errs);
		ev_errlist_clear(&errs);
		ev_sinks_free(sinks);
		ev_config_free(next);
		sd_notify(0, "READY=1");
		ev_daemon_notify_status(d);
		return r < 0 ? r : -EINVAL;
	}
	ev_errlist_clear(&errs);
	/* apply */
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
	    str_differs(next->store.path, d->cfg->store.path))
		(void)ev_custody_set_ledger(d->custody, next->store.path, next->store.key);
	ev_config_free(d->cfg);
	d->cfg = next;
	d->reloads_ok++;
	ev_dlog(LOG_INFO, "configuration reloaded from %s", origin);
	sd_notify(0, "READY=1");
	ev_daemon_notify_status(d);
	return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
	struct ev_daemon *d = userdata;
	if (si->ssi_signo == SIGHUP) {
		ev_daemon_reload(d, NULL);
		return 0;
	}
	if (!d->stopping) {
		d->stopping = true;
		ev_dlog(LOG_INFO, "%s received, stopping", strsignal((int)si->ssi_signo));
		sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	}
	sd_event_exit(sd_event_source_get_event(s), 0);
	return 0;
}

static int mkdir_state(const char *path) {
	if (mkdir(path, 0750) < 0 && errno != EEXIST)
		return -errno;
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return 0;
}

static void daemon_free(struct ev_daemon *d) {
	/* order: no new requests, then the work in flight, then everything else */
	d->control = ev_control_free(d->control);
	ev_seams_stop(d);
	d->queue_src = sd_event_source_disable_unref(d->queue_src);
	d->autoseal =
	        ev_autoseal_free(d->autoseal); /* pending automatic seals are dropped, logged */
	d->queue = ev_queue_free(d->queue);
	d->status_timer = sd_event_source_disable_unref(d->status_timer);
	d->sinks = ev_sinks_free(d->sinks);
	d->custody = ev_custody_free(d->custody);
	for (size_t i = 0; i < d->n_last_errors; i++)
		free(d->last_errors[i]);
	ev_config_free(d->cfg);
	free(d->state_dir);
	free(d->socket_path);
	sd_event_unref(d->event);
}

static void ready_signal(struct ev_daemon *d) {
	if (d->opts.ready_fd >= 0) {
		char c = 'R';
		ssize_t k = write(d->opts.ready_fd, &c, 1);
		(void)k;
		close(d->opts.ready_fd);
		d->opts.ready_fd = -1;
		/* detached: from now on messages go to the journal, stderr to /dev/null */
		int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (nul >= 0) {
			ev_dlog_to_journal(true);
			dup2(nul, STDERR_FILENO);
			close(nul);
		}
	}
}

int ev_daemon_run(const struct ev_daemon_opts *opts) {
	struct ev_daemon dd = {.opts = *opts}, *d = &dd;
	struct ev_errlist errs = {0};
	int r = ev_config_load(opts->config_path, &d->cfg, &errs);
	if (r < 0) {
		log_errlist(&errs, NULL);
		size_t n = ev_errlist_count(&errs);
		ev_errlist_clear(&errs);
		if (n == 0)
			ev_dlog_errno(LOG_ERR, r, "cannot load the configuration");
		else
			ev_dlog(LOG_ERR, "%s: %zu error%s, not starting",
			        opts->config_path ? opts->config_path : "<embedded>", n,
			        n == 1 ? "" : "s");
		return 2;
	}
	ev_dlog_set_level(d->cfg->agent.log_level);
	d->state_dir = strdup(opts->state_dir ? opts->state_dir : d->cfg->agent.state_dir);
	d->socket_path =
	        strdup(opts->socket_path ? opts->socket_path : d->cfg->agent.control_socket);
	if (!d->state_dir || !d->socket_path) {
		daemon_free(d);
		return 2;
	}
	d->started_mono = now_clock(CLOCK_MONOTONIC);
	d->started_real = now_clock(CLOCK_REALTIME);
	int status = 2;

	/* Signals are blocked before any thread exists, so only the loop's signalfd sees
	 * them; SIGPIPE is ignored (every socket write uses MSG_NOSIGNAL, stdout may not). */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = mkdir_state(d->state_dir);
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "state directory %s", d->state_dir);
		goto out;
	}
	r = ev_custody_open(d->state_dir, &d->custody);
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "cannot open the audit log in %s", d->state_dir);
		goto out;
	}
	if (ev_custody_set_ledger(d->custody, d->cfg->store.path, d->cfg->store.key) < 0)
		ev_dlog(LOG_NOTICE,
		        "custody ledger: store key %s not usable: control requests are audited in "
		        "%s only",
		        d->cfg->store.key ? d->cfg->store.key : "(none)",
		        ev_custody_path(d->custody));
	r = sd_event_default(&d->event);
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "sd_event_default");
		goto out;
	}
	r = ev_queue_new((size_t)d->cfg->actions.workers, (size_t)d->cfg->actions.queue_size,
	                 &d->queue);
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "cannot start the worker threads");
		goto out;
	}
	r = sd_event_add_io(d->event, &d->queue_src, ev_queue_fd(d->queue), EPOLLIN, on_queue, d);
	if (r < 0)
		goto fail;
	r = ev_autoseal_new(&d->autoseal);
	if (r < 0)
		goto fail;
	r = ev_sinks_new(d->cfg, d->event, d->queue, &d->sinks, &errs);
	if (r < 0) {
		log_errlist(&errs, NULL);
		ev_errlist_clear(&errs);
		ev_dlog_errno(LOG_ERR, r, "alert sinks");
		goto out;
	}
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
		r = sd_event_add_signal(d->event, NULL, sigs[i], on_signal, d);
		if (r < 0)
			goto fail;
	}
	/* sources first: once the socket exists, every line written is read */
	r = ev_seams_start(d);
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "cannot start the sources and the engine");
		goto out;
	}
	r = ev_control_new(d->event, d->socket_path, d->cfg->agent.control_group,
	                   ev_daemon_handle_request, ev_daemon_audit, d, &d->control);
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "control socket %s", d->socket_path);
		goto out;
	}
	r = sd_event_add_time_relative(d->event, &d->status_timer, CLOCK_MONOTONIC, 5000000, 100000,
	                               on_status_timer, d);
	if (r < 0)
		goto fail;
	r = sd_event_set_watchdog(d->event, true);
	if (r < 0)
		goto fail;
	ev_dlog(LOG_INFO, "agent started (pid %d, configuration %s, state %s, control socket %s)",
	        (int)getpid(), d->cfg->origin, d->state_dir, d->socket_path);
	sd_notifyf(0, "READY=1\nMAINPID=%d", (int)getpid());
	ev_daemon_notify_status(d);
	ready_signal(d);

	r = sd_event_loop(d->event);
	if (r < 0)
		goto fail;
	status = r == 0 ? 0 : 1;
	ev_dlog(LOG_INFO, "agent stopped");
	goto out;
fail:
	ev_dlog_errno(LOG_ERR, r, "event loop");
out:
	daemon_free(d);
	if (d->opts.ready_fd >= 0)
		close(d->opts.ready_fd); /* the parent sees EOF without 'R': failed */
	return status;
}
