/* The daemon's pipeline: live sources -> correlation engine -> the daemon's alert consumer.
 *
 * It runs one way. The daemon (daemon.c, daemon_requests.c) calls these functions; the
 * seams never call back into the daemon except through the consumer given at start, and
 * know nothing of struct ev_daemon. Everything runs in the loop thread except
 * ev_seams_build_engine(), which touches no state (a reload compiles in a thread).
 * All return >= 0 or -errno and never block the loop. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "agent/settings.h"
#include "correlate/alert.h"
#include "util/err.h"

struct ev_seams;
struct correlate_engine;

/* Where the engine's alerts go: `alert` is called in the loop thread with a borrowed
 * alert (correlate/alert.h: valid during the call only). */
struct ev_seams_consumer {
	void (*alert)(void *ctx, const struct correlate_alert *a);
	void *ctx;
};

/* Start-up: the engine for `cfg` (errors logged: -EINVAL), then the sources of the
 * configuration at config_path (loaded again: the tail keeps pointers into its own copy),
 * positions in state_dir, new sources read from their end. Returns 0 and *ret, or -errno
 * (everything released). */
int ev_seams_start(sd_event *event, const struct ev_config *cfg, const char *config_path,
                   const char *state_dir, const struct ev_seams_consumer *consumer,
                   struct ev_seams **ret);
/* Drain what is already written, checkpoint positions, free. Accepts NULL; returns NULL. */
struct ev_seams *ev_seams_stop(struct ev_seams *s);

/* Reload, in two steps: build and compile the engine of `next` (any thread: it touches
 * no daemon state; NULL with errors in errs), then install it in the loop thread (the old
 * engine is freed; cannot fail; s NULL: the engine is freed). Compiled databases are
 * kept in STATE_DIR/cache (rules.cache). */
struct correlate_engine *ev_seams_build_engine(const struct ev_config *next, const char *state_dir,
                                               struct ev_errlist *errs);
/* A reload must not silently end detection: a new engine with no rules while the running
 * one has rules is refused (message in errs, returns true); the caller keeps the old. */
bool ev_seams_reload_empties(const struct ev_seams *s, const struct correlate_engine *next_engine,
                             const struct ev_config *next, struct ev_errlist *errs);
void ev_seams_install_engine(struct ev_seams *s, struct correlate_engine *e,
                             const struct ev_config *next);

/* Feed one record that no source read (a drill's, agent/maint/drill_agent.c) to the
 * engine as the sources' records are fed; not counted as a line read. 0, -EAGAIN (no
 * engine yet), -ENOMEM. */
struct ev_record;
int ev_seams_inject(struct ev_seams *s, struct ev_record *rec);
/* Records read from the sources since start (0 for NULL). */
uint64_t ev_seams_lines(const struct ev_seams *s);
/* Sources, engine and store state for `status` (s may be NULL: not started). */
json_t *ev_seams_status(const struct ev_seams *s, const struct ev_config *cfg);
json_t *ev_seams_rules(const struct ev_seams *s, const char **ret_code, char **ret_error);
