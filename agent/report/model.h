/* The report model: everything `evident report` says about an incident, as one JSON
 * object built from evidence (the incident's signed ledger, its bundles verified now, the
 * custody ledgers of the stores they sit in), never from what a person would have to
 * write. The templates (conf/templates/report/) and --format json read this object; the
 * field list is in docs/reports.md. What is not recorded is null (the templates print
 * TO DO there).
 *
 * The timeline is a list of {at, at_us, event, detail, by, source} sorted by time: the
 * ledger's entries and the alerts that triggered the bundles. A richer timeline (the
 * analyze helper's) can be merged in with ev_report_timeline_merge; a chart is an SVG
 * string handed in by the caller (NULL: the report has no chart, and says nothing
 * about one). */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/incident/incident.h"
#include "agent/report/impact.h"
#include "agent/settings.h"

struct ev_report_opts {
	const struct ev_config *cfg;
	const struct ev_incident *inc;
	const struct store_keyring *kr; /* keys the bundles are verified with (pinned + store) */
	bool postmortem;
	int64_t now;                /* generation time, µs */
	struct ev_impact_in impact; /* unset fields: taken from the incident where it can */
	const char *chart_svg;      /* inline SVG, or NULL */
};

/* The model (new), or NULL when out of memory. */
json_t *ev_report_model(const struct ev_report_opts *o);
/* Merge more timeline events ({at_us, at, event, detail, source}) into model.timeline,
 * keeping it sorted by time (stable). `events` is borrowed. */
void ev_report_timeline_merge(json_t *model, const json_t *events);
/* The downtime the incident's ledger gives: t_mitigate - t_impact (µs; falls back to
 * t_resolve for the end and t_detect for the start), or EV_IMPACT_UNSET. *ret_source
 * names the two timestamps used. */
int64_t ev_report_incident_downtime(const struct ev_incident *inc, const char **ret_source);
