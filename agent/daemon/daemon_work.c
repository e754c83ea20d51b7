/* Seal and triage requests as work items on the bounded queue: a seal runs as a child
 * process (daemon_seal.c) in a worker; its completion, in the loop thread, answers the
 * waiting control connection, counts, and calls the submitter's `on_sealed` (an automatic
 * seal's announcement, daemon_autoseal.c). A triage is checked and classified at once
 * (agent/incident/triage.h), sealed on the queue, and recorded in the incident's ledger
 * when the seal is done. Called by daemon_requests.c, daemon_autoseal.c and
 * daemon_incidents.c; calls down only (queue, control, seal, triage, daemon_state.c). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon/daemon.h"
#include "agent/daemon/daemon_log.h"
#include "agent/incident/triage.h"
#include "util/clock.h"

struct seal_work {
	struct ev_work w;
	struct ev_daemon *d;
	uint64_t ticket; /* 0: automatic, nobody waits for an answer */
	json_t *req;
	struct ev_seal_job *job;
	json_t *result;
	ev_daemon_sealed_fn on_sealed; /* NULL: nothing more to do */
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
		if (s->on_sealed) /* an automatic seal: its alerts now know their bundle */
			s->on_sealed(d, s->req, s->result);
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
	return err ? err : ev_daemon_submit_seal(d, sr, peer, ticket, NULL);
}

json_t *ev_daemon_submit_seal(struct ev_daemon *d, json_t *req, const struct ev_peer *peer,
                              uint64_t ticket, ev_daemon_sealed_fn on_sealed) {
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
	s->on_sealed = on_sealed;
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
