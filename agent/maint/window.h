/* The agent's view of maintenance windows and drills, for its alert consumer
 * (agent/daemon/daemon.c ev_daemon_alert).
 *
 * Windows: the changes under STATE_DIR/changes whose window is open (change.h), re-read
 * at most once a second (a change started or finished on the command line is seen
 * within a second), with entries checked against store.key's public part when the agent
 * has it. An alert belongs to a change's service when one of its fields or sample
 * events names one of the service's programs or units (program, unit, _SYSTEMD_UNIT,
 * service) or a file that matches one of its file patterns (source). Such an alert is
 * marked {"maintenance": CHG-ID} and opens no incident; it is never dropped.
 *
 * Drills: a record injected by a drill request (agent/maint/drill.h) has the source
 * "drill:DRILL-ID"; an alert whose fields or sample events carry it is a drill alert,
 * marked {"drill": true, "drill_id": DRILL-ID}. */
#pragma once
#include <jansson.h>
#include <stdbool.h>

#include "agent/settings.h"
#include "correlate/alert.h"

#define EV_DRILL_SOURCE_PREFIX "drill:"
#define EV_MAINT_WINDOWS_MAX   256 /* open windows considered */

struct ev_maint_windows;

struct ev_maint_windows *ev_maint_windows_new(void);
struct ev_maint_windows *ev_maint_windows_free(struct ev_maint_windows *w);
/* The change whose open window covers the alert, or NULL (borrowed: valid until the next
 * call). */
const char *ev_maint_windows_match(struct ev_maint_windows *w, const struct ev_config *cfg,
                                   const char *state_dir, const struct correlate_alert *a);
/* The open windows, as ev_maint_windows_match sees them (re-read when a second has
 * passed): [{change, service, started_us, until_us}] (new; empty when none). */
json_t *ev_maint_windows_status(struct ev_maint_windows *w, const struct ev_config *cfg,
                                const char *state_dir);
/* The drill id of a drill alert into buf (1), or 0 when it is not one. */
int ev_drill_alert_id(const struct correlate_alert *a, char *buf, size_t len);
