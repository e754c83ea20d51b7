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
	json_object_set_new(o, "audit_log", json_string(ev_custody_path(d->custody)));
	json_object_set_new(o, "audit", ev_custody_status(d->custody));
	json_object_set_new(o, "automatic_seals", ev_autoseal_status(d->autoseal));
	json_object_set_new(o, "incidents", ev_incident_clock_status(d));
	json_t *seams = ev_seams_status(d->seams, d->cfg);
	if (seams)
		json_object_update(o, seams);
	json_decref(seams);
	return o;
}

struct seal_work {
	struct ev_work w;
	struct ev_daemon *d;
	uint64_t ticket; /* 0: automatic, nobody waits for an answer */
	json_t *req;
	struct ev_seal_job *job;
	json_t *result;
};

/* A triage's seal is done: record it in the incident's ledger; the answer gets the
 * classification under "incident", or becomes the error. */
static json_t *triage_done(struct ev_daemon *d, const json_t *req, const json_t *result,
                           json_t *answer) {
	struct ev_errlist errs = {0};
	json_t *inc = NULL;
	int r = ev_triage_record(d->cfg, d->state_dir, json_object_get(req, "triage"),
	                         json_object_get(req, "classification"), result,
	                         json_object_get(req, "actor"), &inc, &errs);
	if (r >= 0) {
		json_object_set_new(answer, "incident", inc);
		ev_errlist_clear(&errs);
		return answer;
	}
	char *m = errs.n ? ev_error_format(&errs.v[errs.n - 1]) : NULL;
	ev_dlog(LOG_WARNING, "triage: sealed, but the incident was not recorded: %s",
	        m ? m : strerror(-r));
	json_t *e = ev_control_error(r == -EEXIST ? "invalid_argument" : "failed",
	                             "evidence sealed (%s), but the incident was not recorded: %s",
	                             json_string_value(json_object_get(result, "bundle")) ?: "?",
	                             m ? m : strerror(-r));
	free(m);
	ev_errlist_clear(&errs);
	json_decref(answer);
	return e;
}

static int seal_run(struct ev_work *w, struct ev_queue *q, char **msg) {
	struct seal_work *s = (struct seal_work *)w;
	return ev_seal_job_run(s->job, q, msg, &s->result);
}

static void seal_done(struct ev_work *w, int result, char *msg) {
	struct seal_work *s = (struct seal_work *)w;
	struct ev_daemon *d = s->d;
	const char *what = json_string_value(json_object_get(s->req, "request"));
	json_t *answer;
	if (result >= 0) {
		d->seals_ok++;
		answer = json_pack("{s:b, s:I, s:O?}", "ok", 1, "work_id", (json_int_t)w->id,
		                   "result", s->result);
		const char *bundle = json_string_value(json_object_get(s->result, "bundle"));
		ev_dlog(LOG_INFO, "%s (work %" PRIu64 "): sealed %s", what ? what : "seal", w->id,
		        bundle ? bundle : "(no path)");
		if (json_is_true(json_object_get(s->result, "chain_reset")))
			ev_dlog(LOG_WARNING,
			        "%s (work %" PRIu64
			        "): the store's chain state was lost or invalid: "
			        "a new chain was started and a signed chain_reset entry recorded "
			        "(evident verify reports it as CHAIN_RESET)",
			        what ? what : "seal", w->id);
		json_t *trigger = json_object_get(s->req, "trigger");
		if (trigger) /* an automatic seal: its alerts now know their bundle */
			ev_daemon_sealed(d, trigger, s->result);
		if (answer && what && strcmp(what, "triage") == 0)
			answer = triage_done(d, s->req, s->result, answer);
	} else {
		d->seals_failed++;
		const char *code = result == -EOPNOTSUPP ? "unavailable" : "failed";
		if (result == -ECANCELED && !msg)
			msg = strdup("cancelled: the agent is stopping");
		ev_dlog(result == -EOPNOTSUPP ? LOG_NOTICE : LOG_WARNING,
		        "%s (work %" PRIu64 "): %s", what ? what : "seal", w->id,
		        msg ? msg : strerror(-result));
		ev_daemon_note_error(d, "%s (work %" PRIu64 "): %s", what ? what : "seal", w->id,
		                     msg ? msg : strerror(-result));
		answer = ev_control_error(code, "%s", msg ? msg : strerror(-result));
		if (answer) {
			json_object_set_new(answer, "work_id", json_integer((json_int_t)w->id));
			json_object_set_new(answer, "queued", json_true());
		}
	}
	if (d->control && s->ticket)
		ev_control_answer(d->control, s->ticket, answer);
	else
		json_decref(answer);
	free(msg);
	json_decref(s->req);
	json_decref(s->result);
	ev_seal_job_free(s->job);
	free(s);
}

/* A triage request as a seal request (its services' sources, or every configured one;
 * the triage fields in the note), carrying the request, its classification and the
 * requester for the record made when the seal is done. NULL with *ret_err (an answer)
 * when the request does not pass the check: nothing is sealed or written. */
static json_t *triage_as_seal(struct ev_daemon *d, const json_t *t, const struct ev_peer *peer,
                              json_t **ret_err) {
	char msg[512];
	if (ev_triage_check(t, ev_now_realtime_us(), msg, sizeof(msg)) < 0 ||
	    ev_triage_state_check(d->state_dir, t, msg, sizeof(msg)) < 0) {
		*ret_err = ev_control_error("invalid_argument", "%s", msg);
		return NULL;
	}
	json_t *cls = ev_triage_classify(d->cfg, t);
	if (!cls) {
		*ret_err = ev_control_error("invalid_argument",
		                            "incidents.severity has no row for impact '%s'",
		                            json_string_value(json_object_get(t, "impact")));
		return NULL;
	}
	json_t *r = ev_triage_seal_request(t, cls);
	json_t *actor = ev_peer_json(peer);
	struct passwd pw, *pr = NULL;
	char buf[1024];
	if (actor && getpwuid_r(peer->uid, &pw, buf, sizeof(buf), &pr) == 0 && pr)
		json_object_set_new(actor, "user", json_string(pr->pw_name));
	if (actor && json_object_get(t, "as"))
		json_object_set(actor, "name", json_object_get(t, "as"));
	if (actor)
		json_object_set_new(actor, "via", json_string("control socket"));
	if (r) {
		json_object_set(r, "triage", (json_t *)t);
		json_object_set_new(r, "classification", cls);
		json_object_set_new(r, "actor", actor);
	} else {
		json_decref(cls);
		json_decref(actor);
	}
	return r;
}

json_t *ev_daemon_submit_triage(struct ev_daemon *d, const json_t *rq, const struct ev_peer *peer,
                                uint64_t ticket) {
	json_t *err = NULL;
	json_t *sr = triage_as_seal(d, rq, peer, &err);
	return err ? err : ev_daemon_submit_seal(d, sr, peer, ticket);
}

json_t *ev_daemon_submit_seal(struct ev_daemon *d, json_t *req, const struct ev_peer *peer,
                              uint64_t ticket) {
	const char *what = json_string_value(json_object_get(req, "request"));
	struct seal_work *s = calloc(1, sizeof(*s));
	if (!s || !req) {
		free(s);
		json_decref(req);
		return ev_control_error("failed", "out of memory");
	}
	s->w.kind = what && strcmp(what, "triage") == 0 ? "triage" : "seal";
	s->w.run = seal_run;
	s->w.done = seal_done;
	s->d = d;
	s->ticket = ticket;
	s->req = req; /* the worker owns its copies: nothing is shared across threads */
	int r = ev_seal_job_new(s->req, d->cfg, d->opts.config_path, peer, &s->job);
	if (r < 0) {
		json_decref(s->req);
		free(s);
		return ev_control_error("failed", "cannot prepare the seal: %s", strerror(-r));
	}
	int64_t id = ev_queue_submit(d->queue, &s->w);
	if (id < 0) {
		json_decref(s->req);
		ev_seal_job_free(s->job);
		free(s);
		d->seals_refused++;
		struct ev_queue_stats qs;
		ev_queue_get_stats(d->queue, &qs);
		ev_dlog(LOG_WARNING,
		        "%s refused: work queue full (%zu/%zu), %" PRIu64 " refused so far",
		        what ? what : "seal", qs.pending + qs.running, qs.capacity, qs.refused);
		return ev_control_error("busy",
		                        "work queue full (%zu pending, capacity %zu): request "
		                        "refused, try again later",
		                        qs.pending + qs.running, qs.capacity);
	}
	return NULL; /* answered by seal_done */
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
		return ev_daemon_submit_seal(d, json_deep_copy(req->obj), peer, ticket);
	case EV_REQ_DRILL:
		return ev_daemon_drill(d, req->obj, peer);
	}
	return ev_control_error("unknown_request", "unknown request");
}
