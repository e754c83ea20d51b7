/* The incident clocks the agent keeps (issue 13, "Roles, escalation and cadence"): the
 * acknowledge deadline with its escalation steps (incidents.escalation: after each
 * duration from t_detect without an ack, notify the next contact of every routed team)
 * and the update cadence (every incidents.update_critical / update_high since the last
 * update_sent, or the declaration). Everything is computed from the ledger and the wall
 * clock, and every missed deadline is written once (an `escalated` entry per step, an
 * `update_due` entry per missed update), so the deadlines survive a restart: the agent
 * finds in the ledger what it already wrote. */
#pragma once
#include <jansson.h>
#include <stdint.h>

#include "agent/incident/incident.h"
#include "agent/settings.h"

/* The entries missed deadlines call for now: [{"kind":K, "payload":{...}}] (new; empty
 * for resolved, closed and drill incidents, and when nothing is due). */
json_t *ev_incident_due(const struct ev_config *cfg, const struct ev_incident *inc, int64_t now);
