/* Incident metrics with stated definitions (issue 13, "Metrics"): from the metric
 * timestamps of each incident's ledger (incident.h), never from a clock reading.
 *
 *   time_to_detect       t_detect - t_impact        (MTTD)
 *   time_to_acknowledge  t_ack - t_detect
 *   time_to_respond      first human entry - t_detect (acknowledged, note, decision,
 *                        role, update_sent, action_*, contained, mitigated, resolved)
 *   time_to_contain      t_contain - t_detect
 *   time_to_resolve      t_resolve - t_detect
 *   impact_to_resolve    t_resolve - t_impact
 *
 * each over the incidents that have both timestamps, as median (the middle value, or the
 * mean of the two middle ones), p90 (nearest rank: the ceil(0.9 n)-th smallest), mean and
 * n, overall, by severity and by impact type. An incident counts when t_declare is in
 * [since, until); drills never count. Repeats: incidents whose fingerprint (impact type,
 * services, rule ids) matches an incident resolved in the 30 days before it was declared.
 * Documentation: closed incidents with a root cause, a resolution and a report. KPIs (the
 * seed's targets) compare the mean, or the share, with the target. */
#pragma once
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/incident/incident.h"

/* The metrics of incidents v[0..n) (new JSON object, seconds as numbers). */
json_t *ev_incident_metrics(const struct ev_incident *v, size_t n, int64_t since, int64_t until);
/* Write them in the node_exporter textfile format (evident_ names) to f. */
void ev_incident_metrics_prometheus(const json_t *m, FILE *f);
