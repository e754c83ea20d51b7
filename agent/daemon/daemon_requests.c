/* Control requests, answered in the loop thread: status, reload and rules at once; seal
 * and triage as work items on the bounded queue (answered when the work finishes, or at
 * once with code "busy" when the queue is full). A triage request is checked and
 * classified at once (agent/incident/triage.h), seals the evidence of the incident (its
 * services' sources, else every configured source, the lookback window, the triage
 * fields in the note), and when the seal is done opens or extends the incident's signed
 * ledger in the loop thread; the answer carries the classification. */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/daemon/daemon.h"
#include "agent/daemon/daemon_log.h"
#include "agent/daemon/daemon_notify.h"
#include "agent/incident/triage.h"
#include "util/clock.h"

json_t *ev_daemon_status_json(struct ev_daemon *d) {
	struct ev_queue_stats qs;
	struct ev_sinks_stats ss;
	struct ev_control_stats cs;
	ev_queue_get_stats(d->queue, &qs);
	ev_sinks_get_stats(d->sinks, &ss);
	ev_control_get_stats(d->control, &cs);
	json_t *errors = json_array();
	for (size_t i = 0; i < d->n_last_errors; i++)
		json_array_append_new(errors, json_string(d->last_errors[i]));
	json_t *o = json_pack(
	        "{s:b, s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:I, s:f, s:I,"
	        " s:{s:I, s:I, s:I, s:I},"
	        " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
	        " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
	        " s:{s:I, s:I, s:I, s:I, s:I, s:I},"
	        " s:{s:I, s:I}, s:o}",
	        "ok", 1, "version", PACKAGE_VERSION, "pid", (json_int_t)getpid(), "uptime_us",
	        (json_int_t)(ev_now_monotonic_us() - d->started_mono), "started_us",
	        (json_int_t)d->started_real, "config", d->cfg->origin, "state_dir", d->state_dir,
	        "control_socket", d->socket_path, "lines", (json_int_t)ev_seams_lines(d->seams),
	        "lines_per_sec", d->lines_per_sec, "alerts", (json_int_t)d->alerts, "seals", "ok",
	        (json_int_t)d->seals_ok, "failed", (json_int_t)d->seals_failed, "refused",
	        (json_int_t)d->seals_refused, "pending", (json_int_t)0, "queue", "depth",
	        (json_int_t)(qs.pending + qs.running), "pending", (json_int_t)qs.pending, "running",
	        (json_int_t)qs.running, "capacity", (json_int_t)qs.capacity, "workers",
	        (json_int_t)qs.workers, "completed", (json_int_t)qs.completed, "failed",
	        (json_int_t)qs.failed, "refused", (json_int_t)qs.refused, "cancelled",
	        (json_int_t)qs.cancelled, "sinks", "alerts", (json_int_t)ss.alerts, "stdout_errors",
	        (json_int_t)ss.stdout_errors, "journal_errors", (json_int_t)ss.journal_errors,
	        "syslog_sent", (json_int_t)ss.syslog_sent, "syslog_dropped",
	        (json_int_t)ss.syslog_dropped, "hooks_started", (json_int_t)ss.hooks_started,
	        "hooks_ok", (json_int_t)ss.hooks_ok, "hooks_failed", (json_int_t)ss.hooks_failed,
	        "hooks_refused", (json_int_t)ss.hooks_refused, "control", "connections",
	        (json_int_t)cs.connections, "accepted", (json_int_t)cs.accepted, "requests",
	        (json_int_t)cs.requests, "errors", (json_int_t)cs.errors, "refused_peers",
	        (json_int_t)cs.refused_peers, "timeouts", (json_int_t)cs.timeouts, "reloads", "ok",
	        (json_int_t)d->reloads_ok, "failed", (json_int_t)d->reloads_failed, "last_errors",
	        errors);
	if (!o)
		return NULL;
	json_object_set_new(json_object_get(o, "control"), "refused_cap",
	                    json_integer((json_int_t)cs.refused_cap));
	struct ev_forward_stats fs;
	ev_sinks_get_forward_stats(d->sinks, &fs);
	json_object_set_new(o, "forward",
	                    json_pack("{s:b, s:b, s:I, s:I, s:I, s:I, s:I}", "enabled",
	                              d->cfg->actions.forward.address != NULL, "connected",
	                              fs.connected, "queued", (json_int_t)fs.queued, "sent",
	                              (json_int_t)fs.sent, "dropped", (json_int_t)fs.dropped,
	                              "tls_failures", (json_int_t)fs.tls_failures,
	                              "connect_failures", (json_int_t)fs.connect_failures));
	json_object_set_new(o, "audit_log", json_string(ev_custody_path(d->custody)));
	json_object_set_new(o, "audit", ev_custody_status(d->custody));
	json_object_set_new(o, "automatic_seals", ev_autoseal_status(d->autoseal));
	json_object_set_new(o, "incidents", ev_incident_clock_status(d));
	json_object_set_new(o, "upload", ev_upload_clock_status(d));
	json_object_set_new(o, "notify", ev_notifier_status(d));
	json_object_set_new(o, "maintenance", ev_daemon_maint_status(d));
	json_t *seams = ev_seams_status(d->seams, d->cfg);
	if (seams)
		json_object_update(o, seams);
	json_decref(seams);
	return o;
}

/* A seal request's `sources` are read with the agent's privileges: a peer other than root
 * may name only what the agent already reads ("journal", or a path matching one of
 * sources.files). Returns the first source that is not allowed, or NULL. */
static const char *disallowed_source(const struct ev_config *cfg, const json_t *req) {
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(req, "sources"), i, v) {
		const char *s = json_string_value(v);
		if (!s)
			return "(not a string)";
		if (strcmp(s, "journal") == 0)
			continue;
		bool ok = false;
		for (size_t k = 0; k < cfg->sources.n_files && !ok; k++)
			ok = strcmp(cfg->sources.files[k].path, s) == 0 ||
			     fnmatch(cfg->sources.files[k].path, s, FNM_PATHNAME | FNM_PERIOD) == 0;
		if (!ok || strstr(s, "/../") || strstr(s, "/./"))
			return s;
	}
	return NULL;
}

json_t *ev_daemon_handle_request(void *userdata, const struct ev_request *req,
                                 const struct ev_peer *peer, uint64_t ticket) {
	struct ev_daemon *d = userdata;
	switch (req->type) {
	case EV_REQ_STATUS: {
		json_t *o = ev_daemon_status_json(d);
		return o ? o : ev_control_error("failed", "out of memory");
	}
	case EV_REQ_RELOAD: {
		ev_dlog(LOG_INFO, "reload requested by uid %u pid %d", (unsigned)peer->uid,
		        (int)peer->pid);
		struct ev_errlist errs = {0};
		int r = ev_daemon_reload_start(d, ticket, &errs);
		if (r == 1)
			return NULL; /* answered when the rules are compiled */
		json_t *a = r == -EBUSY ? ev_control_error("busy", "a reload is already running; "
		                                                   "try again when it is done")
		                        : ev_daemon_reload_answer(d, r, &errs);
		ev_errlist_clear(&errs);
		return a;
	}
	case EV_REQ_RULES: {
		const char *code = "failed";
		char *err = NULL;
		json_t *o = ev_seams_rules(d->seams, &code, &err);
		if (o)
			return o;
		json_t *a = ev_control_error(code, "%s", err ? err : "out of memory");
		free(err);
		return a;
	}
	case EV_REQ_SEAL:
		/* A command runs, and a copied file is read, with the agent's privileges: only
		 * root may add them (actions.seal_commands and seal_files apply to every seal
		 * anyway; anyone else can seal in-process, with their own access). */
		if (peer->uid != 0 && (json_array_size(json_object_get(req->obj, "commands")) ||
		                       json_array_size(json_object_get(req->obj, "copies"))))
			return ev_control_error(
			        "permission_denied",
			        "only root may add commands or copied files to a "
			        "seal (the agent adds actions.seal_commands and "
			        "seal_files to every seal; --offline seals with your "
			        "own access)");
		/* fall through */
	case EV_REQ_TRIAGE: {
		const char *bad = peer->uid != 0 ? disallowed_source(d->cfg, req->obj) : NULL;
		if (bad)
			return ev_control_error(
			        "permission_denied",
			        "source '%s' is not one the agent reads (journal or "
			        "sources.files); only root may name other files",
			        bad);
	}
		if (req->type == EV_REQ_TRIAGE)
			return ev_daemon_submit_triage(d, req->obj, peer, ticket);
		return ev_daemon_submit_seal(d, json_deep_copy(req->obj), peer, ticket, NULL);
	case EV_REQ_DRILL:
		return ev_daemon_drill(d, req->obj, peer);
	}
	return ev_control_error("unknown_request", "unknown request");
}
