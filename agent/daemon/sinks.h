/* Alert sinks: where an alert goes once the engine raised it.
 *
 * An alert is the engine's typed alert (correlate/alert.h) plus the daemon's alert id. It is
 * rendered once, here, to its canonical JSON with "alert_id" added: that line is what stdout,
 * syslog and the hook receive; the journal gets MESSAGE plus RULE=, LEVEL=, GROUP= (the
 * group-by values as "FIELD=VALUE,..."), COUNT=, ALERT_JSON= under the fixed MESSAGE_ID
 * EV_ALERT_MESSAGE_ID, read from the struct's fields.
 *
 * - stdout: one compact JSON line per alert (sorted keys), flushed.
 * - journal: sd_journal_send().
 * - syslog: RFC 5424 (facility authpriv, severity from the level, MSGID "alert", the JSON
 *   alert as MSG). UDP: one datagram per alert. TCP: octet-counted framing (RFC 6587),
 *   one non-blocking connection watched by the event loop, an output buffer capped at
 *   EV_SINK_TCP_BUFFER_CAP (alerts beyond it are dropped and counted), reconnection at
 *   most once per second.
 * - forward: RFC 5424 over TLS with structured data, through a persisted queue
 *   (agent/daemon/forward.h); also the automatic seals' bundle ids.
 * - hook: argv run without a shell by a worker of the queue, the alert as one JSON line
 *   on stdin, killed after hook_timeout; the exit status is logged. A full queue refuses
 *   the hook run (counted and logged).
 *
 * Nothing here blocks the loop except the stdout write (a blocked stdout reader stalls
 * the agent; run it with stdout to the journal or a file). */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "agent/settings.h"
#include "agent/daemon/forward.h"
#include "agent/daemon/queue.h"
#include "correlate/alert.h"
#include "util/err.h"

/* journalctl MESSAGE_ID=81e468705c5f4e1bbf4e391551c05922 lists every alert. */
#define EV_ALERT_MESSAGE_ID    "81e468705c5f4e1bbf4e391551c05922"
#define EV_SEALED_MESSAGE_ID   "5b2f4e0c9a1d4c6e8f3a7b1d2e9c0f47"
#define EV_SINK_TCP_BUFFER_CAP (1024 * 1024)

struct ev_sinks;

struct ev_sinks_stats {
	uint64_t alerts;
	uint64_t stdout_errors;
	uint64_t journal_errors;
	uint64_t syslog_sent, syslog_dropped;
	uint64_t hooks_started, hooks_ok, hooks_failed, hooks_refused;
};

/* Build the sinks that `cfg` turns on. The syslog address is parsed and resolved here;
 * errors (bad address) go to errs and return -EINVAL. `e` may be NULL when TCP syslog is
 * not configured; `q` may be NULL when no hook is configured. Returns 0 or -errno. */
int ev_sinks_new(const struct ev_config *cfg, sd_event *e, struct ev_queue *q,
                 struct ev_sinks **ret, struct ev_errlist *errs);
struct ev_sinks *ev_sinks_free(struct ev_sinks *s);
/* Send one alert to every sink, with "alert_id":alert_id (may be NULL) added. `a` is only
 * read during the call. Failures are counted and logged, never returned. */
void ev_sinks_emit(struct ev_sinks *s, const struct correlate_alert *a, const char *alert_id);
/* The same with `marks` (may be NULL; borrowed) added to the alert's JSON: {"drill":true,
 * "drill_id"} for a drill's alert, {"maintenance":CHG-ID} in a change window; the
 * journal's MESSAGE then begins "DRILL: " or "maintenance: ". */
void ev_sinks_emit_marked(struct ev_sinks *s, const struct correlate_alert *a, const char *alert_id,
                          const json_t *marks);
/* An automatic seal's association of alerts and bundle ({"type":"sealed", ...}): one
 * JSON line on stdout, and a journal entry (EV_SEALED_MESSAGE_ID, BUNDLE_ID=, RULE=,
 * SEALED_JSON=) when those sinks are on. Not sent to syslog or the hook. */
void ev_sinks_emit_sealed(struct ev_sinks *s, const json_t *sealed);
/* A missed incident deadline ({"type":"incident_deadline", "incident", "kind", ...}): one
 * JSON line on stdout, a journal entry (INCIDENT=, INCIDENT_JSON=), syslog and the hook,
 * when those sinks are on. */
void ev_sinks_emit_incident(struct ev_sinks *s, const json_t *event);
/* Start forwarding alerts (actions.forward) with its queue under state_dir, when the
 * configuration turns it on; a no-op otherwise. Errors as for ev_sinks_new. */
int ev_sinks_forward(struct ev_sinks *s, const struct ev_config *cfg, const char *state_dir,
                     struct ev_errlist *errs);
/* Forwarding counters (zero when off; per process, they outlive a reload). */
void ev_sinks_get_forward_stats(const struct ev_sinks *s, struct ev_forward_stats *ret);
/* Running statistics. A reload carries them over: get from the old sinks, set on the new. */
void ev_sinks_get_stats(const struct ev_sinks *s, struct ev_sinks_stats *ret);
void ev_sinks_set_stats(struct ev_sinks *s, const struct ev_sinks_stats *st);

/* Exposed for tests. Parse "udp://HOST:PORT" / "tcp://HOST:PORT" ([v6] brackets allowed).
 * Returns 0 and malloc'd host/port strings, or -EINVAL. */
int ev_sink_parse_address(const char *s, bool *ret_tcp, char **ret_host, char **ret_port);
/* Format one RFC 5424 message for an alert of `level` (may be NULL) whose JSON is `json`, at
 * time `now_us` (no framing). Returns a malloc'd string or NULL (OOM). */
char *ev_sink_format_rfc5424(const char *level, const char *json, int64_t now_us,
                             const char *hostname, long pid);
/* The same with MSGID `msgid` and STRUCTURED-DATA `sd` (already escaped; "-" for none). */
char *ev_sink_format_rfc5424_sd(const char *level, const char *msgid, const char *sd,
                                const char *json, int64_t now_us, const char *hostname, long pid);
/* Run argv with `input` on its stdin, no shell, killed with its process group after
 * timeout_usec (or as soon as `q` is stopping, when q is not NULL); started by
 * agent/spawn.c (clean environment, fds 0-2 only), stdout to /dev/null, stderr logged. Returns the
 * wait status (>= 0), or -ETIME after a timeout (the child killed and reaped), -ECANCELED when
 * stopping, or -errno. */
int ev_sink_run_hook(char *const *argv, const char *input, size_t len, uint64_t timeout_usec,
                     struct ev_queue *q);
