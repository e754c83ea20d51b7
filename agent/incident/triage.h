/* Triage: the request's check, its classification (severity, routing, cadence, ack
 * deadline, containment, runbook, the evidence scope), the seal request it becomes, and
 * its record in the incident ledger. The agent (a `triage` control request) and
 * `evident triage --offline` run the same functions; only where the seal runs differs.
 *
 * The request object: {"incident":ID, "impact":T, "urgency":U, "affected_users":N,
 * "services":[...], "summary":S, "impact_started":TIME, "detected":TIME, "reason":S,
 * "as":NAME}; TIME as the command line takes it (agent/cmd/timeparse.h). */
#pragma once
#include <jansson.h>
#include <stdint.h>

#include "agent/settings.h"
#include "store/crypto.h"
#include "store/store.h"
#include "util/err.h"

/* Check every field; nothing is written. 0, or -EINVAL with one line in msg that lists
 * the valid values where there is a set. */
int ev_triage_check(const json_t *rq, int64_t now_us, char *msg, size_t len);
/* Before sealing: may this incident be triaged now? -EEXIST when it is closed (reopen it
 * first), with one line in msg; 0 when it is new or open. */
int ev_triage_state_check(const char *state_dir, const json_t *rq, char *msg, size_t len);
/* The classification of a checked request (new): severity, many_users, teams (with
 * contacts), update_every, ack_within, containment, runbook, scope, unscoped_services. */
json_t *ev_triage_classify(const struct ev_config *cfg, const json_t *rq);
/* The seal request for it (new): the incident, a note with the triage fields, and the
 * sources and journal units of the services (none named: every configured source). */
json_t *ev_triage_seal_request(const json_t *rq, const json_t *cls);
/* Record the triage in STATE_DIR/incidents/ID/ledger.jsonl: `opened` for a new incident,
 * `triaged` (with the previous classification and the reason on a re-triage), and
 * `evidence` for the bundle of seal_result (may be NULL). *ret_answer: the answer (new).
 * -EEXIST: the incident is closed (reopen it first); -EBADMSG: its ledger does not verify;
 * -errno otherwise; the reason in errs. */
int ev_triage_record(const struct ev_config *cfg, const char *state_dir, const json_t *rq,
                     const json_t *cls, const json_t *seal_result, const json_t *actor,
                     json_t **ret_answer, struct ev_errlist *errs);
/* Load store.key, with its public part in kr when kr is given. 0 or -errno (errs). */
int ev_incident_key(const struct ev_config *cfg, struct store_key **ret, struct store_keyring *kr,
                    struct ev_errlist *errs);
