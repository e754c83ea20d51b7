/* Child processes of the agent (seal commands, alert hooks, the daemon's seal children):
 * one way to start them, with least privilege. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The only PATH a child sees, also used to find a program named without a '/'. */
#define EV_SPAWN_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct ev_spawn {
	char *const
	        *argv; /* NULL-terminated, no shell; argv[0] a path or a name in EV_SPAWN_PATH */
	/* "NAME=VALUE" entries added to the clean environment (PATH=EV_SPAWN_PATH, LANG=C);
	 * NULL-terminated, may be NULL. Nothing else of ours is inherited. */
	char *const *env;
	const void *input; /* written to stdin, then EOF; NULL: stdin is /dev/null */
	size_t input_len;
	uint64_t timeout_usec; /* killed with its process group when over; 0: no limit */
	/* stdout: streamed to on_out (its error stops the run, the child is killed and the
	 * error returned), else kept in the result; stdout_null sends it to /dev/null. At most
	 * out_cap bytes are passed on or kept, stderr keeps at most err_cap: the rest is read,
	 * counted and dropped. */
	int (*on_out)(void *userdata, const void *buf, size_t len);
	void *userdata;
	bool stdout_null;
	uint64_t out_cap, err_cap;
	/* polled about every 50 ms; true: kill the child (result cancelled) */
	bool (*stop)(void *userdata);
};

struct ev_spawn_result {
	int status; /* wait status */
	bool timed_out, cancelled, out_truncated, err_truncated;
	uint64_t out_total, err_total; /* bytes the child wrote, capped or not */
	char *out, *err;               /* NUL-terminated, malloc'd (out: only without on_out) */
	size_t out_len, err_len;
};

/* Run sp->argv to its end (or its time limit, or stop). The child gets its own session
 * and process group, default signal dispositions and an empty mask, no core dumps, fds 0,
 * 1, 2 only (stdin, the stdout and stderr pipes or /dev/null: every other descriptor is
 * closed, inherited or not) and the clean environment. Returns 0 with *ret filled (free
 * with ev_spawn_result_clear) when the child ran, -ENOENT/-EACCES/... when it could not be
 * started (exec's errno; nothing in *ret), or on_out's error. */
int ev_spawn_run(const struct ev_spawn *sp, struct ev_spawn_result *ret);
void ev_spawn_result_clear(struct ev_spawn_result *r);
