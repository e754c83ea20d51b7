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

#include "agent/daemon/daemon.h"
#include "agent/incident/incident.h"
#include "agent/maint/window.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "agent/daemon/daemon_log.h"
#include "util/mkdir.h"
#include "correlate/engine.h"
#include "util/clock.h"

void ev_daemon_note_error(struct ev_daemon *d, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	char *m = ev_vasprintf(fmt, ap);
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
	           d->lines_per_sec, ev_seams_lines(d->seams), d->alerts, d->seals_ok,
	           qs.pending + qs.running, qs.capacity);
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
	struct ev_daemon *d = userdata;
	uint64_t now = ev_now_monotonic_us();
	if (d->last_status_mono && now > d->last_status_mono)
		d->lines_per_sec = (double)(ev_seams_lines(d->seams) - d->lines_at_last_status) *
		                   1e6 / (double)(now - d->last_status_mono);
	d->lines_at_last_status = ev_seams_lines(d->seams);
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

/* The seams' alert consumer. */
static void on_alert(void *ctx, const struct correlate_alert *a) {
	ev_daemon_alert(ctx, a);
}

void ev_daemon_alert(struct ev_daemon *d, const struct correlate_alert *alert) {
	d->alerts++;
	/* "RUN-N": unique per agent run (random run id), so that the "sealed" line of an
	 * automatic seal can name the alerts it holds */
	char id[48];
	snprintf(id, sizeof(id), "%s-%" PRIu64, d->run_id, d->alerts);
	/* marked, never dropped: a drill's alert, an alert of a service in a change window
	 * (which opens no incident) */
	char drill[EV_INCIDENT_ID_MAX + 1], inc[EV_INCIDENT_ID_MAX + 1] = "";
	bool is_drill = ev_drill_alert_id(alert, drill, sizeof(drill));
	if (!d->maint)
		d->maint = ev_maint_windows_new();
	const char *chg =
	        d->maint ? ev_maint_windows_match(d->maint, d->cfg, d->state_dir, alert) : NULL;
	json_t *marks = is_drill || chg ? json_pack("{s:s?}", "maintenance", chg) : NULL;
	if (marks && is_drill) {
		json_object_set_new(marks, "drill", json_true());
		json_object_set_new(marks, "drill_id", json_string(drill));
	}
	ev_sinks_emit_marked(d->sinks, alert, id, marks);
	json_decref(marks);
	ev_autoseal_alert(d, alert, id); /* actions.seal_on: coalesced, rate-limited, queued */
	if (!chg)                        /* actions.open_incident */
		ev_incident_alert(d, alert, id, is_drill ? drill : NULL, inc, sizeof(inc));
	if (is_drill)
		ev_daemon_drill_alert(d, alert, id, drill, inc, chg);
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
	log_errlist(errs, d);
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
	    str_differs(next->store.path, d->cfg->store.path))
		(void)ev_custody_set_ledger(d->custody, next->store.path, next->store.key);
	ev_custody_set_limits(d->custody, next->agent.audit_max_size,
	                      (unsigned)next->agent.audit_files);
	ev_config_free(d->cfg);
	d->cfg = next;
	d->reloads_ok++;
	ev_dlog(LOG_INFO, "configuration reloaded from %s", reload_origin(d));
	sd_notify(0, "READY=1");
	ev_daemon_notify_status(d);
}

static void *reload_thread(void *userdata) {
	struct ev_reload *rl = userdata;
	rl->engine = ev_seams_build_engine(rl->next, &rl->errs);
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

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
	struct ev_daemon *d = userdata;
	if (si->ssi_signo == SIGHUP) {
		struct ev_errlist errs = {0};
		(void)ev_daemon_reload_start(d, 0, &errs);
		ev_errlist_clear(&errs);
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

static void daemon_free(struct ev_daemon *d) {
	/* order: no new requests, then the work in flight, then everything else */
	d->control = ev_control_free(d->control);
	reload_discard(d->reload); /* waits for a compile in progress; its result is dropped */
	d->reload = NULL;
	d->seams = ev_seams_stop(d->seams);
	d->queue_src = sd_event_source_disable_unref(d->queue_src);
	d->autoseal =
	        ev_autoseal_free(d->autoseal); /* pending automatic seals are dropped, logged */
	d->queue = ev_queue_free(d->queue);
	d->status_timer = sd_event_source_disable_unref(d->status_timer);
	ev_incident_clock_stop(d);
	d->maint = ev_maint_windows_free(d->maint);
	json_decref(d->drill_alerts);
	d->sinks = ev_sinks_free(d->sinks);
	d->custody = ev_custody_free(d->custody);
	for (size_t i = 0; i < d->n_last_errors; i++)
		free(d->last_errors[i]);
	ev_config_free(d->cfg);
	free(d->state_dir);
	free(d->socket_path);
	sd_event_unref(d->event);
}

/* Detached, stdout is /dev/null: point it at STATE_DIR/alerts.jsonl so the stdout sink's
 * alerts are kept (appended, 0640, not through a symlink). Returns 0 and the path (caller
 * frees), or -errno. */
static int detached_alerts_file(const struct ev_daemon *d, char **ret_path) {
	char *p = NULL;
	if (asprintf(&p, "%s/alerts.jsonl", d->state_dir) < 0)
		return -ENOMEM;
	int fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
		int r = -errno;
		if (fd >= 0)
			close(fd);
		free(p);
		return r;
	}
	close(fd);
	*ret_path = p;
	return 0;
}

static void append(char *buf, size_t len, const char *what) {
	size_t o = strlen(buf);
	snprintf(buf + o, len - o, "%s%s", o ? ", " : "", what);
}

/* Where alerts go, for the start message: "stdout, the journal, ..." or NULL when nowhere. */
static char *alert_destinations(const struct ev_config *c, const char *alerts_file) {
	char buf[1024] = "", hook[512];
	if (c->actions.stdout_alerts)
		append(buf, sizeof(buf), alerts_file ? alerts_file : "stdout");
	if (c->actions.journal_alerts)
		append(buf, sizeof(buf),
		       "the journal (journalctl MESSAGE_ID=81e468705c5f4e1bbf4e391551c05922)");
	if (c->actions.syslog)
		append(buf, sizeof(buf), c->actions.syslog);
	if (c->actions.hook.n) {
		snprintf(hook, sizeof(hook), "the hook %s", c->actions.hook.v[0]);
		append(buf, sizeof(buf), hook);
	}
	return buf[0] ? strdup(buf) : NULL;
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
	d->started_mono = ev_now_monotonic_us();
	d->started_real = (uint64_t)ev_now_realtime_us();
	uint32_t rnd;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint32_t)(d->started_real ^ ((uint64_t)getpid() << 20));
	snprintf(d->run_id, sizeof(d->run_id), "%08" PRIx32, rnd);
	int status = 2;
	_cleanup_free_ char *alerts_file = NULL, *dest = NULL;

	/* Signals are blocked before any thread exists, so only the loop's signalfd sees
	 * them; SIGPIPE is ignored (every socket write uses MSG_NOSIGNAL, stdout may not). */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = ev_mkdir_p(d->state_dir, 0750, 0755); /* parents too: a fresh host has none */
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "state directory %s", d->state_dir);
		goto out;
	}
	r = ev_custody_open(d->state_dir, &d->custody);
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "cannot open the audit log in %s", d->state_dir);
		goto out;
	}
	ev_custody_set_limits(d->custody, d->cfg->agent.audit_max_size,
	                      (unsigned)d->cfg->agent.audit_files);
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
	if (d->opts.ready_fd >= 0 && d->cfg->actions.stdout_alerts) {
		r = detached_alerts_file(d, &alerts_file);
		if (r < 0) {
			ev_dlog_errno(LOG_ERR, r, "alerts file in %s", d->state_dir);
			goto out;
		}
	}
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
	struct ev_seams_consumer consumer = {.alert = on_alert, .ctx = d};
	r = ev_seams_start(d->event, d->cfg, d->opts.config_path, d->state_dir, &consumer,
	                   &d->seams);
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
	r = ev_incident_clock_start(d);
	if (r < 0)
		goto fail;
	r = sd_event_set_watchdog(d->event, true);
	if (r < 0)
		goto fail;
	ev_dlog(LOG_INFO, "agent started (pid %d, configuration %s, state %s, control socket %s)",
	        (int)getpid(), d->cfg->origin, d->state_dir, d->socket_path);
	dest = alert_destinations(d->cfg, alerts_file);
	if (dest)
		ev_dlog(LOG_INFO, "alerts go to %s%s", dest,
		        d->opts.ready_fd >= 0 ? "; messages to the journal (journalctl -t evident)"
		                              : "");
	else
		ev_dlog(LOG_WARNING, "alerts go nowhere: actions.stdout, journal, syslog and hook "
		                     "are all off");
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
