/* An incident as input to `evident analyze --incident INC`: its window, the bundles its
 * ledger records (sealed here or imported from other hosts) and its ledger entries as
 * timeline markers.
 *
 * Window: t_impact, else t_detect (else the first entry), .. t_resolve, else now.
 * Markers: every verified ledger entry, at its moment (the payload's "at", else the
 * entry's time), as kind triage (triaged), seal (evidence), declared (opened),
 * resolution (resolved), action (action_proposed/approved/run), or the entry's own kind
 * (acknowledged, note, decision, update_sent, contained, mitigated, closed, ...), with a
 * short text and the host: the bundle manifest's host for evidence, else the actor's. */
#pragma once
#include <jansson.h>
#include <stdint.h>

#include "agent/analyze/analysis.h"
#include "agent/settings.h"
#include "util/err.h"

struct analyze_incident_input {
	int64_t since_us, until_us;
	json_t *bundles;  /* [{bundle, manifest_sha256?}], one per path, in ledger order */
	json_t *events;   /* [{t_us, kind, text, host?}] */
	size_t n_invalid; /* ledger lines that did not verify (not used) */
};

/* Read incident `id` under cfg->agent.state_dir (`state_dir` overrides when not NULL),
 * checking its ledger with the store's keys. -ENOENT (no such incident), -EINVAL (bad
 * id), -errno; a message in errs. */
int analyze_incident_read(const struct ev_config *cfg, const char *state_dir, const char *id,
                          int64_t now_us, struct analyze_incident_input *ret,
                          struct ev_errlist *errs);
/* Add the events as markers (past ANALYZE_MAX_MARKERS: dropped). 0 or -ENOMEM. */
int analyze_incident_markers(struct analysis *a, const struct analyze_incident_input *in);
void analyze_incident_input_done(struct analyze_incident_input *in);
