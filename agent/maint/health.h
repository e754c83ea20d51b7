/* Health checks of a change: "NAME=CMD ARGS" run without a shell (agent/spawn.h: clean
 * environment, own process group, time limit), ok when the command exits 0 in time. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* "NAME=CMD ARGS" into {name, command}: NAME 1..64 of [A-Za-z0-9._-], CMD not empty.
 * 0 and *ret (new), or -EINVAL with a reason in msg. */
int ev_maint_check_parse(const char *spec, json_t **ret, char *msg, size_t len);
/* The words of a command (separated by blanks; no quoting) as a JSON array (new). */
json_t *ev_maint_argv(const char *cmd);
/* Run a command given as words (timeout_us each; 0: none): {exit, ok, ms, signal?,
 * timed_out?, output (the first 512 bytes of stdout and stderr)} (new), or NULL on OOM. */
json_t *ev_maint_run(const json_t *argv, uint64_t timeout_us);
/* Run every check ([{name, command}]): [{name, command, ok, exit, ms, output}] (new). */
json_t *ev_maint_health_run(const json_t *checks, uint64_t timeout_us);
/* Whether every result is ok (an empty list is ok). */
bool ev_maint_health_ok(const json_t *results);
/* The names of the checks that were ok in `before` and are not in `after` (new array). */
json_t *ev_maint_health_regressed(const json_t *before, const json_t *after);
