/* evident seal through the running agent: the command line's options as one `seal`
 * control request (relative times made absolute RFC 3339, relative paths absolute), the
 * agent's answer printed like the in-process seal's result. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/cmd/cmd_seal_agent.h"
#include "agent/cmd/cmd_store_common.h"
#include "agent/daemon/control.h"
#include "agent/cmd/timeparse.h"
#include "util/timefmt.h"

/* The agent's own seal time limit (10 min) plus a margin. */
#define AGENT_SEAL_TIMEOUT_USEC (11ULL * 60 * 1000000)

/* An absolute form of a path or glob given on this command line (the agent's working
 * directory is not ours). NULL on OOM. */
static char *absolute(const char *p) {
	if (p[0] == '/')
		return strdup(p);
	char cwd[4096];
	char *r = NULL;
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&r, "%s/%s", cwd, p) < 0)
		return NULL;
	return r;
}

void ev_seal_print_result(bool json, const json_t *res) {
	if (json) { /* the keys in the order of the in-process seal's output */
		static const char *const order[] = {"bundle",          "bundle_id",     "sequence",
		                                    "manifest_sha256", "bundle_sha256", "members",
		                                    "immutable",       "chain_reset",   "notes"};
		json_t *o = json_object();
		for (size_t i = 0; o && i < ELEMENTSOF(order); i++)
			if (json_object_get(res, order[i]))
				json_object_set(o, order[i], json_object_get(res, order[i]));
		json_object_update_missing(o, (json_t *)res);
		char *s = json_dumps(o ? o : res, JSON_COMPACT);
		json_decref(o);
		printf("%s\n", s ? s : "{}");
		free(s);
		return;
	}
	const char *path = json_string_value(json_object_get(res, "bundle"));
	const char *id = json_string_value(json_object_get(res, "bundle_id"));
	const char *mh = json_string_value(json_object_get(res, "manifest_sha256"));
	printf("%s\nbundle_id %s\nsequence %" JSON_INTEGER_FORMAT "\nmanifest_sha256 %s\n",
	       path ? path : "?", id ? id : "?",
	       json_integer_value(json_object_get(res, "sequence")), mh ? mh : "?");
	/* sources with nothing in the window: "note SOURCE: no lines in the window" */
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(res, "notes"), i, n) {
		json_t *src = json_object_get(n, "source");
		const char *what = json_string_value(json_object_get(src, "asked"));
		printf("note %s: %s\n",
		       what ? what : json_string_value(json_object_get(src, "kind")),
		       json_string_value(json_object_get(n, "note")));
	}
	if (json_integer_value(json_object_get(res, "notes_omitted")))
		printf("note: %" JSON_INTEGER_FORMAT " more notes in the manifest\n",
		       json_integer_value(json_object_get(res, "notes_omitted")));
}

static int push_abs(json_t *arr, const struct ev_strv *v) {
	for (size_t i = 0; i < v->n; i++) {
		char *a = absolute(v->v[i]);
		if (!a || json_array_append_new(arr, json_string(a)) < 0) {
			free(a);
			return -ENOMEM;
		}
		free(a);
	}
	return 0;
}

int ev_seal_via_agent(const char *sock, const struct ev_seal_request *q, bool json) {
	int64_t now = (int64_t)time(NULL) * 1000000, t;
	char b[40];
	json_t *rq = json_pack("{s:s, s:s*, s:s*}", "request", "seal", "incident", q->incident,
	                       "note", q->note);
	json_t *sources = json_array(), *units = json_array(), *copies = json_array(),
	       *cmds = json_array();
	int r = rq && sources && units && copies && cmds ? 0 : -ENOMEM;
	if (r == 0 && q->since_s && ev_parse_time(q->since_s, now, &t) == 0) {
		ev_format_rfc3339_us(t, b, sizeof(b));
		json_object_set_new(rq, "from", json_string(b));
	}
	if (r == 0 && q->until_s && ev_parse_time(q->until_s, now, &t) == 0) {
		ev_format_rfc3339_us(t, b, sizeof(b));
		json_object_set_new(rq, "to", json_string(b));
	}
	if (r == 0 && q->journal)
		r = json_array_append_new(sources, json_string("journal"));
	if (r == 0)
		r = push_abs(sources, q->files);
	if (r == 0)
		r = push_abs(copies, q->copies);
	for (size_t i = 0; r == 0 && i < q->units->n; i++)
		r = json_array_append_new(units, json_string(q->units->v[i]));
	for (size_t i = 0; r == 0 && i < q->cmds->n; i++)
		r = json_array_append_new(cmds, json_string(q->cmds->v[i]));
	if (r < 0) {
		json_decref(rq);
		json_decref(sources);
		json_decref(units);
		json_decref(copies);
		json_decref(cmds);
		ev_log_error("out of memory");
		return EV_EXIT_USAGE;
	}
	json_object_set_new(rq, "sources", sources);
	json_object_set_new(rq, "units", units);
	json_object_set_new(rq, "copies", copies);
	json_object_set_new(rq, "commands", cmds);
	/* empty lists say nothing: drop them */
	const char *lists[] = {"sources", "units", "copies", "commands"};
	for (size_t i = 0; i < ELEMENTSOF(lists); i++)
		if (!json_array_size(json_object_get(rq, lists[i])))
			json_object_del(rq, lists[i]);
	if (q->level >= 0)
		json_object_set_new(rq, "level", json_integer(q->level));
	if (!q->immutable)
		json_object_set_new(rq, "immutable", json_false());
	if (q->maxb)
		json_object_set_new(rq, "max_bundle_size", json_integer((json_int_t)q->maxb));
	json_t *a = NULL;
	r = ev_control_call(sock, rq, AGENT_SEAL_TIMEOUT_USEC, &a);
	json_decref(rq);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return -ENOTCONN;
	if (r < 0) {
		ev_log_error("the agent on %s: %s (use --offline to seal in-process)", sock,
		             strerror(-r));
		return EV_EXIT_USAGE;
	}
	int ret = EV_EXIT_OK;
	json_t *res = json_object_get(a, "result");
	if (json_is_true(json_object_get(a, "ok")) && json_is_object(res))
		ev_seal_print_result(json, res);
	else {
		const char *code = json_string_value(json_object_get(a, "code"));
		const char *err = json_string_value(json_object_get(a, "error"));
		ev_log_error("the agent did not seal (%s): %s%s", code ? code : "?",
		             err ? err : "no reason given",
		             code && strcmp(code, "permission_denied") == 0
		                     ? " (--offline seals in-process, with your own access)"
		                     : "");
		ret = EV_EXIT_USAGE;
	}
	json_decref(a);
	return ret;
}
