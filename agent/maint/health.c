/* Health checks (health.h): each command runs to its end or its time limit; the result
 * keeps the exit status, the duration and the start of its output (capped). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "agent/incident/policy.h"
#include "agent/maint/health.h"
#include "agent/spawn.h"
#include "util/clock.h"
#include "util/macro.h"

#define OUTPUT_KEPT 512

int ev_maint_check_parse(const char *spec, json_t **ret, char *msg, size_t len) {
	const char *eq = strchr(spec, '=');
	size_t n = eq ? (size_t)(eq - spec) : 0;
	if (!eq || n == 0 || n > 64 ||
	    strspn(spec, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
	                 "TUVWXYZ0123456789._-") != n) {
		snprintf(msg, len,
		         "'%s' is not NAME=COMMAND (NAME: letters, digits, '.', '_', '-')", spec);
		return -EINVAL;
	}
	if (!eq[1 + strspn(eq + 1, " \t")]) {
		snprintf(msg, len, "check '%.*s' has no command", (int)n, spec);
		return -EINVAL;
	}
	*ret = json_pack("{s:s%, s:s}", "name", spec, n, "command", eq + 1);
	return *ret ? 0 : -ENOMEM;
}

json_t *ev_maint_argv(const char *s) {
	return ev_argv_words(s);
}

json_t *ev_maint_run(const json_t *argv, uint64_t timeout_us) {
	size_t n = json_array_size(argv);
	char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = (char *)json_string_value(json_array_get(argv, i));
	struct ev_spawn sp = {.argv = v,
	                      .timeout_usec = timeout_us,
	                      .out_cap = OUTPUT_KEPT,
	                      .err_cap = OUTPUT_KEPT};
	struct ev_spawn_result res;
	uint64_t t0 = ev_now_monotonic_us();
	int r = n ? ev_spawn_run(&sp, &res) : -EINVAL;
	json_int_t ms = (json_int_t)((ev_now_monotonic_us() - t0) / 1000);
	free(v);
	if (r < 0)
		return json_pack("{s:i, s:b, s:I, s:s}", "exit", -1, "ok", 0, "ms", ms, "output",
		                 strerror(-r));
	bool exited = WIFEXITED(res.status);
	int code = exited ? WEXITSTATUS(res.status) : -1;
	char out[2 * OUTPUT_KEPT + 2];
	snprintf(out, sizeof(out), "%.*s%s%.*s", (int)MIN(res.out_len, (size_t)OUTPUT_KEPT),
	         res.out ? res.out : "", res.out_len && res.err_len ? "\n" : "",
	         (int)MIN(res.err_len, (size_t)OUTPUT_KEPT), res.err ? res.err : "");
	json_t *o = json_pack("{s:i, s:b, s:I, s:s}", "exit", code, "ok",
	                      exited && code == 0 && !res.timed_out, "ms", ms, "output", out);
	if (!o)
		o = json_pack("{s:i, s:b, s:I}", "exit", code, "ok", 0, "ms",
		              ms); /* invalid UTF-8 */
	if (o && res.timed_out)
		json_object_set_new(o, "timed_out", json_true());
	if (o && WIFSIGNALED(res.status))
		json_object_set_new(o, "signal", json_integer(WTERMSIG(res.status)));
	ev_spawn_result_clear(&res);
	return o;
}

json_t *ev_maint_health_run(const json_t *checks, uint64_t timeout_us) {
	json_t *out = json_array();
	size_t i;
	json_t *c;
	json_array_foreach(checks, i, c) {
		json_t *argv =
		        ev_maint_argv(json_string_value(json_object_get(c, "command")) ?: "");
		json_t *r = argv ? ev_maint_run(argv, timeout_us) : NULL;
		json_decref(argv);
		if (!r)
			r = json_pack("{s:b, s:i, s:s}", "ok", 0, "exit", -1, "output",
			              "out of memory");
		json_object_set(r, "name", json_object_get(c, "name"));
		json_object_set(r, "command", json_object_get(c, "command"));
		json_array_append_new(out, r);
	}
	return out;
}

bool ev_maint_health_ok(const json_t *results) {
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r) if (!json_is_true(json_object_get(r, "ok"))) return false;
	return true;
}

json_t *ev_maint_health_regressed(const json_t *before, const json_t *after) {
	json_t *out = json_array();
	size_t i, k;
	json_t *a, *b;
	json_array_foreach(after, i, a) {
		if (json_is_true(json_object_get(a, "ok")))
			continue;
		bool was_ok = false;
		json_array_foreach(before, k, b) if (json_equal(json_object_get(b, "name"),
		                                                json_object_get(a, "name")))
		        was_ok = json_is_true(json_object_get(b, "ok"));
		if (was_ok)
			json_array_append(out, json_object_get(a, "name"));
	}
	return out;
}
