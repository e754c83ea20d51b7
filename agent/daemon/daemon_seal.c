/* Seal requests from the control socket, run by a queue worker as a child process:
 * `evident seal --json ...` (this very binary, /proc/self/exe), the same code path and
 * options as the offline seal, so a crash or a hang while collecting evidence cannot take
 * the daemon down, and a time limit (EV_SEAL_TIMEOUT_USEC, or the queue stopping) kills
 * it with its process group.
 *
 * The argument vector is built in the loop thread from the request and the configuration
 * (the worker touches no shared state): the window (from/to, or lookback before now,
 * default actions.lookback), the sources (the request's list, where "journal" means the
 * configured journal; default: every configured source), the incident id and note, and
 * the requester (uid, pid, executable; for an automatic seal, its rule) as the custody
 * actor; then --offline (the child
 * never asks the agent back), the rest of the request's options (units, copies, commands,
 * level, immutable, max_bundle_size), the configured evidence of every agent seal
 * (actions.seal_files, seal_commands; seal_journal_units for the journal) and, for an
 * automatic seal, its trigger (rule and alert ids) as --trigger JSON. The child is started
 * by agent/spawn.c (clean environment plus the few variables evident itself reads, fds 0-2
 * only); stdout (the JSON result) and stderr (the reason of a failure) are captured with
 * caps. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/cmd/seal_config.h"
#include "agent/daemon/daemon.h"
#include "agent/spawn.h"
#include "util/strv.h"

/* The seal child's JSON result on stdout (at most 200 notes of a path each: well under
 * 1 MiB) and its messages on stderr. */
#define OUT_CAP (1024 * 1024)
#define ERR_CAP (64 * 1024)

struct argv_builder {
	char **v;
	size_t n, alloc;
	bool oom;
};

static void push(struct argv_builder *b, const char *s) {
	if (b->oom)
		return;
	if (b->n + 2 > b->alloc) {
		size_t na = b->alloc ? b->alloc * 2 : 16;
		char **nv = realloc(b->v, na * sizeof(char *));
		if (!nv) {
			b->oom = true;
			return;
		}
		b->v = nv;
		b->alloc = na;
	}
	char *c = strdup(s);
	if (!c) {
		b->oom = true;
		return;
	}
	b->v[b->n++] = c;
	b->v[b->n] = NULL;
}

static void push2(struct argv_builder *b, const char *opt, const char *val) {
	push(b, opt);
	push(b, val);
}

/* The seal child is this binary: besides the clean environment it keeps the variables
 * that change what evident itself does (its data directory, the time zone that local
 * timestamps are read in, sanitizer settings of test builds). */
static char **seal_env(void) {
	static const char *const keep[] = {
	        "TZ",           "EVIDENT_DATADIR", "EVIDENT_QUIET_WARNINGS",
	        "ASAN_OPTIONS", "UBSAN_OPTIONS",   "LSAN_OPTIONS"};
	char **e = calloc(ELEMENTSOF(keep) + 1, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; e && i < ELEMENTSOF(keep); i++) {
		const char *v = getenv(keep[i]);
		if (v && asprintf(&e[n], "%s=%s", keep[i], v) >= 0)
			n++;
	}
	return e;
}

void ev_seal_job_free(struct ev_seal_job *j) {
	if (!j)
		return;
	ev_strv_free(j->argv);
	ev_strv_free(j->env);
	free(j);
}

/* ev_seal_opt_fn: the option and its value onto the argument vector. */
static int push_opt(void *ud, const char *opt, const char *val) {
	struct argv_builder *b = ud;
	push(b, opt);
	if (val)
		push(b, val);
	return b->oom ? -ENOMEM : 0;
}

static void push_strings(struct argv_builder *b, const char *opt, const json_t *list) {
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s) {
		if (json_string_value(s))
			push2(b, opt, json_string_value(s));
	}
}

/* The trigger as one argument, under the kernel's limit for a single argument (128 KiB):
 * beyond TRIGGER_ARG_MAX the alert summaries are left out (they are in the note too), then
 * the alert id list is cut (alert_ids_truncated; alert_count stays exact). */
#define TRIGGER_ARG_MAX (96 * 1024)
static char *trigger_arg(const json_t *trigger) {
	json_t *t = json_deep_copy(trigger);
	char *s = t ? json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (s && strlen(s) > TRIGGER_ARG_MAX) {
		free(s);
		json_object_del(t, "alerts");
		json_object_set_new(t, "alerts_omitted", json_true());
		json_t *ids = json_object_get(t, "alert_ids");
		for (;;) {
			s = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
			if (!s || strlen(s) <= TRIGGER_ARG_MAX || json_array_size(ids) == 0)
				break;
			free(s);
			size_t n = json_array_size(ids);
			for (size_t k = n / 2; k < n; k++) /* drop the later half */
				json_array_remove(ids, json_array_size(ids) - 1);
			json_object_set_new(t, "alert_ids_truncated", json_true());
		}
	}
	json_decref(t);
	return s;
}

/* Who the custody ledger names for this seal: the rule that triggered an automatic seal
 * (the control socket accepts no "trigger", so only the agent's own seals have one), else
 * the peer of the control socket. */
static void seal_actor(const json_t *req, const struct ev_peer *peer, char *buf, size_t len) {
	const json_t *trigger = json_object_get(req, "trigger");
	if (json_is_object(trigger)) {
		const char *rule = json_string_value(json_object_get(trigger, "rule"));
		const char *title = json_string_value(json_object_get(trigger, "title"));
		snprintf(buf, len, "rule %s%s%s%s, automatic seal by the agent (pid %d)",
		         rule ? rule : "(unnamed)", title ? " (" : "", title ? title : "",
		         title ? ")" : "", (int)peer->pid);
	} else
		snprintf(buf, len, "control socket: uid %u pid %d exe %s", (unsigned)peer->uid,
		         (int)peer->pid, peer->exe[0] ? peer->exe : "unknown");
}

/* The window, incident, note and actor of the request. */
static void push_window(struct argv_builder *b, const json_t *req, const struct ev_peer *peer) {
	const char *from = json_string_value(json_object_get(req, "from"));
	const char *to = json_string_value(json_object_get(req, "to"));
	const char *lookback = json_string_value(json_object_get(req, "lookback"));
	char rel[80];
	if (from)
		push2(b, "--since", from);
	else if (lookback) {
		snprintf(rel, sizeof(rel), "-%s", lookback);
		push2(b, "--since", rel);
	}
	if (to)
		push2(b, "--until", to);
	const char *incident = json_string_value(json_object_get(req, "incident"));
	const char *note = json_string_value(json_object_get(req, "note"));
	if (incident)
		push2(b, "--incident", incident);
	if (note)
		push2(b, "--note", note);
	char actor[512];
	seal_actor(req, peer, actor, sizeof(actor));
	push2(b, "--actor", actor);
}

/* The sources: the request's (files, or "journal" with its units), else the configured
 * ones; then --offline, and the request's and configured evidence. */
static void push_evidence(struct argv_builder *b, const json_t *req, const struct ev_config *cfg) {
	json_t *sources = json_object_get(req, "sources");
	json_t *units = json_object_get(req, "units");
	bool journal = false;
	if (json_array_size(sources)) {
		size_t i;
		json_t *s;
		json_array_foreach(sources, i, s) {
			if (strcmp(json_string_value(s), "journal") == 0) {
				if (!journal)
					ev_seal_config_journal(cfg, units, push_opt, b);
				journal = true;
			} else
				push2(b, "--file", json_string_value(s));
		}
	} else {
		ev_seal_config_sources(cfg, units, push_opt, b);
		journal = cfg->sources.journal || json_array_size(units);
	}
	/* Never back through the agent: this child seals in-process. */
	push(b, "--offline");
	if (!journal && json_array_size(units)) /* units name the journal, as in `evident seal` */
		ev_seal_config_journal(cfg, units, push_opt, b);
	/* the request's evidence, then the configured evidence of every agent seal */
	push_strings(b, "--copy", json_object_get(req, "copies"));
	push_strings(b, "--command", json_object_get(req, "commands"));
	ev_seal_config_extras(cfg, push_opt, b);
}

/* Level, immutability, bundle size and (automatic seals only) the trigger. */
static void push_bundle_options(struct argv_builder *b, const json_t *req) {
	char num[32];
	json_t *v = json_object_get(req, "level");
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		push2(b, "--level", num);
	}
	if (json_is_false(json_object_get(req, "immutable")))
		push(b, "--no-immutable");
	v = json_object_get(req, "max_bundle_size");
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		push2(b, "--max-bundle-size", num);
	}
	/* automatic seals only (the control socket accepts no "trigger"): the rule and its
	 * alerts, recorded in the manifest's trigger */
	v = json_object_get(req, "trigger");
	if (json_is_object(v)) {
		char *t = trigger_arg(v);
		if (t)
			push2(b, "--trigger", t);
		else
			b->oom = true;
		free(t);
	}
}

int ev_seal_job_new(const json_t *req, const struct ev_config *cfg, const char *config_path,
                    const struct ev_peer *peer, struct ev_seal_job **ret) {
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	struct argv_builder b = {0};
	push(&b, exe);
	push(&b, "seal");
	push(&b, "--json");
	if (config_path)
		push2(&b, "--config", config_path);
	push_window(&b, req, peer);
	push_evidence(&b, req, cfg);
	push_bundle_options(&b, req);
	struct ev_seal_job *j = calloc(1, sizeof(*j));
	char **env = seal_env();
	if (b.oom || !j || !env) {
		for (size_t i = 0; i < b.n; i++)
			free(b.v[i]);
		free(b.v);
		free(j);
		ev_strv_free(env);
		return -ENOMEM;
	}
	j->argv = b.v;
	j->env = env;
	j->timeout = EV_SEAL_TIMEOUT_USEC;
	*ret = j;
	return 0;
}

/* What the child's end means: its JSON result, or the reason it failed. */
static int seal_outcome(const struct ev_seal_job *j, struct ev_spawn_result *res, char **ret_msg,
                        json_t **ret_result) {
	int status = res->status;
	char *out = res->out, *err = res->err;
	size_t elen = res->err_len;
	if (res->cancelled) {
		*ret_msg = strdup("cancelled: the agent is stopping (the seal was killed; nothing "
		                  "is placed before commit)");
		return -ECANCELED;
	}
	if (res->timed_out) {
		if (asprintf(ret_msg, "sealing took longer than %llus and was killed",
		             (unsigned long long)(j->timeout / 1000000)) < 0)
			*ret_msg = NULL;
		return -ETIME;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		json_t *result = json_loads(out, 0, NULL);
		if (!result) {
			*ret_msg = strdup("evident seal succeeded but printed no JSON result");
			return -EBADMSG;
		}
		*ret_result = result;
		return 0;
	}
	/* the reason: stderr without trailing newlines, one line per message */
	while (elen && (err[elen - 1] == '\n' || err[elen - 1] == '\r'))
		err[--elen] = '\0';
	if (WIFEXITED(status)) {
		if (asprintf(ret_msg, "evident seal failed (exit %d): %s", WEXITSTATUS(status),
		             elen ? err : "no message") < 0)
			*ret_msg = NULL;
	} else if (asprintf(ret_msg, "evident seal killed by signal %d: %s",
	                    WIFSIGNALED(status) ? WTERMSIG(status) : 0,
	                    elen ? err : "no message") < 0)
		*ret_msg = NULL;
	return -EIO;
}

int ev_seal_job_run(struct ev_seal_job *j, struct ev_queue *q, char **ret_msg,
                    json_t **ret_result) {
	struct ev_spawn sp = {.argv = j->argv,
	                      .env = j->env,
	                      .timeout_usec = j->timeout,
	                      .out_cap = OUT_CAP,
	                      .err_cap = ERR_CAP,
	                      .userdata = q,
	                      .stop = ev_queue_stopping_cb};
	struct ev_spawn_result res;
	int r = ev_spawn_run(&sp, &res);
	if (r < 0)
		return r;
	r = seal_outcome(j, &res, ret_msg, ret_result);
	ev_spawn_result_clear(&res);
	return r;
}
