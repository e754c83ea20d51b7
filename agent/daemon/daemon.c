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
#include "agent/daemon/daemon_notify.h"
#include "util/mkdir.h"
#include "correlate/engine.h"
#include "util/clock.h"

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
	/* the channels see the marks too (DRILL); the alert's JSON only when one takes it */
	if (alert->level && ev_notifier_wants(d, alert->level)) {
		json_t *aj = correlate_alert_to_json(alert, id);
		if (aj && marks)
			json_object_update(aj, marks);
		ev_notifier_event(d, alert->level, NULL, aj);
		json_decref(aj);
	}
	json_decref(marks);
	ev_autoseal_alert(d, alert, id); /* actions.seal_on: coalesced, rate-limited, queued */
	if (!chg)                        /* actions.open_incident */
		ev_incident_alert(d, alert, id, is_drill ? drill : NULL, inc, sizeof(inc));
	if (is_drill)
		ev_daemon_drill_alert(d, alert, id, drill, inc, chg);
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
	ev_daemon_reload_discard(d); /* waits for a compile in progress; its result is dropped */
	d->seams = ev_seams_stop(d->seams);
	d->queue_src = sd_event_source_disable_unref(d->queue_src);
	d->autoseal =
	        ev_autoseal_free(d->autoseal); /* pending automatic seals are dropped, logged */
	d->queue = ev_queue_free(d->queue);
	d->status_timer = sd_event_source_disable_unref(d->status_timer);
	ev_incident_clock_stop(d);
	ev_upload_clock_stop(d);
	ev_notifier_stop(d);
	d->maint = ev_maint_windows_free(d->maint);
	json_decref(d->drill_alerts);
	json_decref(d->drills);
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

/* A failure of the event machinery (sd-event sources, clocks). */
static int loop_fail(int r) {
	ev_dlog_errno(LOG_ERR, r, "event loop");
	return r;
}

/* The configuration, the state directory and socket it names (unless the options do),
 * and this run's id. Returns 0, or the exit status (nothing to free then but d). */
static int daemon_load(struct ev_daemon *d) {
	struct ev_errlist errs = {0};
	int r = ev_config_load(d->opts.config_path, &d->cfg, &errs);
	if (r < 0) {
		ev_daemon_log_errors(&errs, NULL);
		size_t n = ev_errlist_count(&errs);
		ev_errlist_clear(&errs);
		if (n == 0)
			ev_dlog_errno(LOG_ERR, r, "cannot load the configuration");
		else
			ev_dlog(LOG_ERR, "%s: %zu error%s, not starting",
			        d->opts.config_path ? d->opts.config_path : "<embedded>", n,
			        n == 1 ? "" : "s");
		return 2;
	}
	ev_dlog_set_level(d->cfg->agent.log_level);
	d->state_dir = strdup(d->opts.state_dir ? d->opts.state_dir : d->cfg->agent.state_dir);
	d->socket_path =
	        strdup(d->opts.socket_path ? d->opts.socket_path : d->cfg->agent.control_socket);
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
	return 0;
}

/* Signals are blocked before any thread exists, so only the loop's signalfd sees them;
 * SIGPIPE is ignored (every socket write uses MSG_NOSIGNAL, stdout may not). */
static void block_signals(void) {
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The state directory, the custody log and ledger, the event loop and the worker queue. */
static int daemon_open_state(struct ev_daemon *d) {
	int r = ev_mkdir_p(d->state_dir, 0750, 0755); /* parents too: a fresh host has none */
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "state directory %s", d->state_dir);
		return r;
	}
	r = ev_custody_open(d->state_dir, &d->custody);
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "cannot open the audit log in %s", d->state_dir);
		return r;
	}
	ev_custody_set_limits(d->custody, d->cfg->agent.audit_max_size,
	                      (unsigned)d->cfg->agent.audit_files);
	int lr = ev_custody_set_ledger(d->custody, d->cfg->store.path, d->cfg->store.key);
	int bad = ev_custody_preflight(d->custody, d->cfg->store.path, d->cfg->store.key);
	if (lr < 0 && !(bad & EV_PREFLIGHT_KEY))
		ev_dlog(LOG_NOTICE,
		        "custody ledger: store key %s not usable: control requests are audited in "
		        "%s only",
		        d->cfg->store.key ? d->cfg->store.key : "(none)",
		        ev_custody_path(d->custody));
	r = sd_event_default(&d->event);
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "sd_event_default");
		return r;
	}
	r = ev_queue_new((size_t)d->cfg->actions.workers, (size_t)d->cfg->actions.queue_size,
	                 &d->queue);
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "cannot start the worker threads");
		return r;
	}
	r = sd_event_add_io(d->event, &d->queue_src, ev_queue_fd(d->queue), EPOLLIN, on_queue, d);
	return r < 0 ? loop_fail(r) : 0;
}

/* Where alerts go: automatic seals, the alerts file of a detached agent, the sinks. */
static int daemon_open_alerts(struct ev_daemon *d, char **ret_alerts_file) {
	struct ev_errlist errs = {0};
	int r = ev_autoseal_new(&d->autoseal);
	if (r < 0)
		return loop_fail(r);
	if (d->opts.ready_fd >= 0 && d->cfg->actions.stdout_alerts) {
		r = detached_alerts_file(d, ret_alerts_file);
		if (r < 0) {
			ev_dlog_errno(LOG_ERR, r, "alerts file in %s", d->state_dir);
			return r;
		}
	}
	r = ev_sinks_new(d->cfg, d->event, d->queue, &d->sinks, &errs);
	if (r >= 0)
		r = ev_sinks_forward(d->sinks, d->cfg, d->state_dir, &errs);
	if (r < 0) {
		ev_daemon_log_errors(&errs, NULL);
		ev_errlist_clear(&errs);
		ev_dlog_errno(LOG_ERR, r, "alert sinks");
		return r;
	}
	return 0;
}

/* Signals, then the sources and engine, then the control socket (once the socket exists,
 * every line written is read), then the clocks. */
static int daemon_start(struct ev_daemon *d) {
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
	int r;
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
		r = sd_event_add_signal(d->event, NULL, sigs[i], on_signal, d);
		if (r < 0)
			return loop_fail(r);
	}
	struct ev_seams_consumer consumer = {.alert = on_alert, .ctx = d};
	r = ev_seams_start(d->event, d->cfg, d->opts.config_path, d->state_dir, &consumer,
	                   &d->seams);
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "cannot start the sources and the engine");
		return r;
	}
	r = ev_control_new(d->event, d->socket_path, d->cfg->agent.control_group,
	                   ev_daemon_handle_request, ev_daemon_audit, d, &d->control);
	if (r < 0) {
		ev_dlog_errno(LOG_ERR, r, "control socket %s", d->socket_path);
		return r;
	}
	r = sd_event_add_time_relative(d->event, &d->status_timer, CLOCK_MONOTONIC, 5000000, 100000,
	                               on_status_timer, d);
	if (r >= 0)
		r = ev_incident_clock_start(d);
	if (r < 0)
		return loop_fail(r);
	/* Without the upload clock the agent still collects and seals; uploads then wait for
	 * `evident upload`. Said in the log, not fatal. */
	int ur = ev_upload_clock_start(d);
	if (ur < 0)
		ev_dlog_errno(LOG_ERR, ur,
		              "upload clock not started: uploads wait for 'evident upload'");
	r = ev_notifier_start(d);
	if (r >= 0)
		r = sd_event_set_watchdog(d->event, true);
	return r < 0 ? loop_fail(r) : 0;
}

/* The start messages, systemd's READY=1, and the ready byte of a detached agent. */
static void daemon_announce(struct ev_daemon *d, const char *alerts_file) {
	ev_dlog(LOG_INFO, "agent started (pid %d, configuration %s, state %s, control socket %s)",
	        (int)getpid(), d->cfg->origin, d->state_dir, d->socket_path);
	_cleanup_free_ char *dest = alert_destinations(d->cfg, alerts_file);
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
}

int ev_daemon_run(const struct ev_daemon_opts *opts) {
	struct ev_daemon dd = {.opts = *opts}, *d = &dd;
	int status = daemon_load(d);
	if (status != 0)
		return status;
	status = 2;
	_cleanup_free_ char *alerts_file = NULL;
	block_signals();
	if (daemon_open_state(d) >= 0 && daemon_open_alerts(d, &alerts_file) >= 0 &&
	    daemon_start(d) >= 0) {
		daemon_announce(d, alerts_file);
		int r = sd_event_loop(d->event);
		if (r < 0)
			loop_fail(r);
		else {
			status = r == 0 ? 0 : 1;
			ev_dlog(LOG_INFO, "agent stopped");
		}
	}
	daemon_free(d);
	if (d->opts.ready_fd >= 0)
		close(d->opts.ready_fd); /* the parent sees EOF without 'R': failed */
	return status;
}
