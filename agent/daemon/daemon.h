/* `evident agent`: the daemon. One sd-event loop owns everything: signals (SIGTERM and
 * SIGINT drain and exit, SIGHUP reloads), sd_notify (READY, STATUS, RELOADING, STOPPING)
 * and the watchdog, the control socket, the worker queue's completions, the alert sinks,
 * and, through the seams in daemon_seams.c (a typed interface the daemon calls, which
 * calls back only through its alert consumer), the live sources and the correlation
 * engine.
 *
 * Files, each calling only those below it (and the shared modules: seams, sinks, queue,
 * control, custody, daemon_seal.c, daemon_log.c), never back up:
 *   daemon.c            the loop, signals, start and stop: wires everything
 *   daemon_requests.c   control requests and `status` (the control socket's callback)
 *   daemon_reload.c     reload: check, compile in a thread, swap
 *   daemon_autoseal.c   automatic seals on alerts     daemon_incidents.c  incidents' deadlines
 *   daemon_work.c       seal and triage work items on the queue; a submitter that needs to
 *                       know when its seal is done passes an ev_daemon_sealed_fn
 *   daemon_state.c      last errors, STATUS=, error lists logged
 * and daemon_seams.c (live sources and the correlation engine), daemon_seal.c (seal
 * requests as `evident seal` child processes), daemon_custody.c (the audit trail of
 * control requests), daemon_log.c (messages).
 */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "agent/settings.h"
#include "agent/daemon/control.h"
#include "agent/daemon/daemon_seams.h"
#include "agent/daemon/queue.h"
#include "agent/daemon/sinks.h"
#include "correlate/alert.h"
#include "util/err.h"

struct ev_daemon_opts {
	const char *config_path; /* NULL: the embedded configuration */
	const char *state_dir;   /* NULL: agent.state_dir from the configuration */
	const char *socket_path; /* NULL: agent.control_socket from the configuration */
	int ready_fd;            /* >= 0: write one byte when ready, then close (daemonize) */
};

#define EV_DAEMON_LAST_ERRORS 16
#define EV_DAEMON_DRAIN_USEC  (3ULL * 1000000)

struct ev_custody;
struct ev_autoseal;
struct ev_incident_clock;
struct ev_upload_clock;
struct ev_notifier;
struct ev_reload;

struct ev_daemon {
	sd_event *event;
	struct ev_daemon_opts opts;
	struct ev_config *cfg;
	char *state_dir; /* effective */
	char *socket_path;
	struct ev_control *control;
	struct ev_queue *queue;
	struct ev_sinks *sinks;
	struct ev_custody *custody;
	struct ev_autoseal *autoseal;
	sd_event_source *queue_src, *status_timer;
	uint64_t started_mono, started_real;
	char run_id[9]; /* random, 8 hex digits: alert ids are RUN_ID-N */
	/* counters */
	uint64_t reloads_ok, reloads_failed;
	uint64_t alerts, seals_ok, seals_failed, seals_refused;
	uint64_t lines_at_last_status, last_status_mono;
	double lines_per_sec;
	/* the last errors (reload failures, work failures), newest last */
	char *last_errors[EV_DAEMON_LAST_ERRORS];
	size_t n_last_errors;
	/* a reload compiling its rules (daemon.c), and a SIGHUP that came meanwhile */
	struct ev_reload *reload;
	bool reload_again;
	/* the pipeline: sources -> engine -> ev_daemon_alert (daemon_seams.h) */
	struct ev_seams *seams;
	bool stopping;
	/* the incidents' deadlines (daemon_incidents.c) */
	struct ev_incident_clock *incident_clock;
	/* uploads to S3 (daemon_upload.c) */
	struct ev_upload_clock *upload_clock;
	/* notification channels' delivery worker (daemon_notify.c) */
	struct ev_notifier *notifier;
	/* maintenance windows and drills (agent/maint/window.h, drill_agent.c) */
	struct ev_maint_windows *maint;
	json_t *drill_alerts; /* the last EV_DRILL_ALERTS_MAX drill alerts */
	json_t *drills;       /* {DRILL-ID: {injected, first_us, last_us}}, EV_DRILLS_KEPT */
};

/* Run the daemon until SIGTERM/SIGINT. Returns the process exit status. */
int ev_daemon_run(const struct ev_daemon_opts *opts);

/* daemon_reload.c */
/* Re-read the configuration. The configuration and the sinks are checked in the loop
 * thread; the rules are compiled by a thread of their own, and the new configuration and
 * engine are swapped in by the loop when it finishes (the old ones run meanwhile). On
 * failure the old ones keep running, every error is logged and kept in last_errors.
 * Returns 1 when the compile was started (the control request with `ticket`, if not 0,
 * is answered when it ends), -EBUSY when a reload is already running (a SIGHUP, ticket 0,
 * is then remembered and run after it: returns 0), or -errno with the errors in errs
 * (not NULL) when the configuration was refused at once. */
int ev_daemon_reload_start(struct ev_daemon *d, uint64_t ticket, struct ev_errlist *errs);
/* The answer to a reload request: ok, or the errors. */
json_t *ev_daemon_reload_answer(struct ev_daemon *d, int r, const struct ev_errlist *errs);
/* Stopping: wait for a compile in progress and drop its result. */
void ev_daemon_reload_discard(struct ev_daemon *d);

/* daemon_state.c */
void ev_daemon_note_error(struct ev_daemon *d, const char *fmt, ...) _printf_(2, 3);
/* Send STATUS= with the current counters. */
void ev_daemon_notify_status(struct ev_daemon *d);
/* Log every error of errs (and keep it in last_errors when d is not NULL). */
void ev_daemon_log_errors(const struct ev_errlist *errs, struct ev_daemon *d);

/* daemon_work.c */
/* A queued seal succeeded: `req` is the seal request (its "trigger", if any), `result`
 * the seal's result. Called in the loop thread, both borrowed for the call. */
typedef void (*ev_daemon_sealed_fn)(struct ev_daemon *d, const json_t *req, const json_t *result);
/* Queue a seal: `req` is a seal request object (taken). With a ticket the control
 * connection gets the answer when the work is done; ticket 0 is an automatic seal (the
 * outcome is logged and counted). `on_sealed` (may be NULL) is called when it succeeded.
 * Returns NULL when queued, else an error answer (the queue is full: counted as refused). */
json_t *ev_daemon_submit_seal(struct ev_daemon *d, json_t *req, const struct ev_peer *peer,
                              uint64_t ticket, ev_daemon_sealed_fn on_sealed);
/* A triage request (agent/incident/triage.h) from a peer, or from the agent itself (an
 * alert of actions.open_incident, ticket 0): checked and classified at once, sealed on the
 * queue, recorded in the incident's ledger when the seal is done. NULL when queued, else
 * the error answer. */
json_t *ev_daemon_submit_triage(struct ev_daemon *d, const json_t *rq, const struct ev_peer *peer,
                                uint64_t ticket);

/* daemon_requests.c */
json_t *ev_daemon_handle_request(void *userdata, const struct ev_request *req,
                                 const struct ev_peer *peer, uint64_t ticket);
json_t *ev_daemon_status_json(struct ev_daemon *d);

/* daemon_custody.c: the audit trail of the control socket. Until the store's signed
 * custody ledger is wired (see daemon_seams.c), it is an append-only JSON-lines file
 * STATE_DIR/control-audit.jsonl (mode 0640), one entry per line with a "time" field. */
int ev_custody_open(const char *state_dir, struct ev_custody **ret);
struct ev_custody *ev_custody_free(struct ev_custody *c);
/* Append one entry (a copy gets "time" added). Failures are logged once and counted. */
void ev_custody_append(struct ev_custody *c, json_t *entry);
const char *ev_custody_path(const struct ev_custody *c);
/* Rotate the file before it would exceed max_size bytes (0: never), keeping `keep`
 * generations (PATH.1 newest .. PATH.keep). Called at start-up and on reload. */
void ev_custody_set_limits(struct ev_custody *c, uint64_t max_size, unsigned keep);
/* Also record requests and refusals in the store's signed ledger (STORE/custody.jsonl)
 * with the key at key_path. Returns 0, or -errno when the key cannot be loaded (the
 * ledger part is then off; status says why). Called again on reload. */
int ev_custody_set_ledger(struct ev_custody *c, const char *store_dir, const char *key_path);
/* The checks a seal makes, made at start and when the store or key changes, so that a
 * store a seal would refuse (writable by others or a non-root group: see
 * store_check_permissions) or a refused private key (readable by others, ...) is an
 * error in the log at once, not at the first alert. The agent keeps running (detection
 * goes on). Returns the problems logged: EV_PREFLIGHT_KEY | EV_PREFLIGHT_STORE. */
enum { EV_PREFLIGHT_KEY = 1, EV_PREFLIGHT_STORE = 2 };
int ev_custody_preflight(const struct ev_custody *c, const char *store_dir, const char *key_path);
json_t *ev_custody_status(const struct ev_custody *c);
uint64_t ev_custody_failures(const struct ev_custody *c);
void ev_daemon_audit(void *userdata, json_t *entry);

/* daemon_autoseal.c: automatic seals on alerts (actions.seal_on), coalesced per rule,
 * rate-limited per rule, each queued `lookahead` after its first alert. */
int ev_autoseal_new(struct ev_autoseal **ret);
struct ev_autoseal *ev_autoseal_free(struct ev_autoseal *a);
/* Reads the typed alert (rule id/level/tags, first/last, group) only during the call. */
void ev_autoseal_alert(struct ev_daemon *d, const struct correlate_alert *al, const char *alert_id);
json_t *ev_autoseal_status(const struct ev_autoseal *a);

/* daemon_incidents.c: the incidents' deadlines (acknowledge escalation, update cadence),
 * checked every incidents.check_interval from the ledgers (agent/incident/deadlines.h). */
int ev_incident_clock_start(struct ev_daemon *d);
void ev_incident_clock_stop(struct ev_daemon *d);
json_t *ev_incident_clock_status(const struct ev_daemon *d);

/* daemon_upload.c: store.upload: a pass of the upload queue on the worker queue every
 * store.upload.interval (the first a second after start); status shows the queue. */
int ev_upload_clock_start(struct ev_daemon *d);
void ev_upload_clock_stop(struct ev_daemon *d);
json_t *ev_upload_clock_status(const struct ev_daemon *d);
/* An alert selected by actions.open_incident: a triage of the rule's open incident
 * ("R-RULE-N"; a drill's: "D-DRILL-RULE-N", marked drill), or one more `alert` entry when
 * it is already open. The incident's id goes to ret_id (unchanged when not selected). */
void ev_incident_alert(struct ev_daemon *d, const struct correlate_alert *al, const char *alert_id,
                       const char *drill, char *ret_id, size_t ret_len);

/* agent/maint/drill_agent.c: a drill request (records injected into the pipeline marked
 * drill; the answer lists the drill's alerts so far), and the drill alerts' log. */
json_t *ev_daemon_drill(struct ev_daemon *d, const json_t *req, const struct ev_peer *peer);
/* For `evident status`: {"windows": the open maintenance windows
 * (ev_maint_windows_status), "drills": [{drill, injected, first_us, last_us, alerts}] the
 * drills played into this agent since it started, the latest first}. */
json_t *ev_daemon_maint_status(struct ev_daemon *d);
/* STATE_DIR/drills/DRILL.log: the drill's records as lines (sealed with its incidents). */
int ev_drill_log_path(const char *state_dir, const char *drill, char *buf, size_t len);
void ev_daemon_drill_alert(struct ev_daemon *d, const struct correlate_alert *a,
                           const char *alert_id, const char *drill, const char *incident,
                           const char *change);

/* daemon_seal.c: a seal request as a child process `evident seal --json ...`. */
#define EV_SEAL_TIMEOUT_USEC (600ULL * 1000000)
struct ev_seal_job {
	char **argv; /* NULL-terminated; argv[0] is this binary */
	char **env;  /* NULL-terminated additions to the child's clean environment; may be NULL */
	uint64_t timeout;
};
/* Loop thread: build the job from a seal request object (from, to, lookback, sources,
 * incident, note), the configuration and the requester. Returns 0 or -errno. */
int ev_seal_job_new(const json_t *req, const struct ev_config *cfg, const char *config_path,
                    const struct ev_peer *peer, struct ev_seal_job **ret);
/* Worker thread: run it. 0 and the seal's JSON result (bundle, bundle_id, sequence,
 * manifest_sha256, ...), or -errno with a message (the seal's own error, a time-out, or
 * -ECANCELED when the queue stops). */
int ev_seal_job_run(struct ev_seal_job *j, struct ev_queue *q, char **ret_msg, json_t **ret_result);
void ev_seal_job_free(struct ev_seal_job *j);
/* Where alerts from the engine enter the agent: count, an alert id ("RUN-N"), sinks, seal
 * policy. `a` is borrowed for the call (see correlate/alert.h). */
void ev_daemon_alert(struct ev_daemon *d, const struct correlate_alert *a);
