/* Drill scenarios (game days): YAML files NAME.yaml in the directories of drills.paths
 * (the site's, searched first) and the shipped conf/drills/.
 *
 *   name: NAME                      # must be the file's name
 *   description: TEXT
 *   steps:                          # at most EV_DRILL_STEPS_MAX
 *     - name: TEXT
 *       at: DURATION                # from the drill's start, in scenario time (--speed)
 *       records:                    # injected when the step starts, marked drill
 *         - {program: P, message: M, unit: U, host: H, pid: N, priority: N,
 *            FIELD: VALUE..., repeat: N}          # repeat: that many copies (1..100)
 *       expect:                     # what the response must do (optional)
 *         rule: TITLE-OR-ID         # the rule that must fire
 *         within: DURATION          # detection deadline, scenario time (default 1m)
 *         incident: BOOL            # an incident must open (and its evidence be sealed)
 *         teams: [TEAM...]          # teams the incident must be routed to
 *
 * In record values ${DRILL} is the drill id and ${N} a number 1..254 of the run (use them
 * in group-by values: a scenario can then run again at once).
 * Loaded into JSON: {name, description, path, steps:[{name, at_us, records:[...],
 * expect:{rule, within_us, incident, teams}}]}. Every error is FILE:LINE:COL. */
#pragma once
#include <jansson.h>

#include "agent/settings.h"
#include "util/err.h"

#define EV_DRILL_STEPS_MAX 64

/* Find and load scenario `name` (letters, digits, '.', '_', '-'). 0 and *ret (new);
 * -ENOENT (no such scenario; the directories searched in errs), -EINVAL (errors in errs). */
int ev_drill_load(const struct ev_config *cfg, const char *name, json_t **ret,
                  struct ev_errlist *errs);
/* The scenarios available, sorted, each once (a site's shadows a shipped one): [{name,
 * path}] (new). */
json_t *ev_drill_list(const struct ev_config *cfg);
