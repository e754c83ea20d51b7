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
 * automatic seal, its trigger (rule and alert ids) as --trigger JSON. stdout (the JSON
 * result) and stderr (the reason of a failure) are captured with caps. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/daemon.h"

#define OUT_CAP (64 * 1024)

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

void ev_seal_job_free(struct ev_seal_job *j) {
	if (!j)
		return;
	for (size_t i = 0; j->argv && j->argv[i]; i++)
		free(j->argv[i]);
	free(j->argv);
	free(j);
}

/* The journal: the request's units, else actions.seal_journal_units, else
 * sources.journal_units (none: the whole journal). */
static void push_journal(struct argv_builder *b, const struct ev_config *cfg, const json_t *units) {
	if (cfg->sources.journal_dir)
		push2(b, "--journal-dir", cfg->sources.journal_dir);
	else
		push(b, "--journal");
	const struct ev_strv *u = cfg->actions.seal_journal_units.n
	                                  ? &cfg->actions.seal_journal_units
	                                  : &cfg->sources.journal_units;
	if (json_array_size(units)) {
		size_t i;
		json_t *s;
		json_array_foreach(units, i, s) push2(b, "--unit", json_string_value(s));
	} else
		for (size_t i = 0; i < u->n; i++)
			push2(b, "--unit", u->v[i]);
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
	const char *from = json_string_value(json_object_get(req, "from"));
	const char *to = json_string_value(json_object_get(req, "to"));
	const char *lookback = json_string_value(json_object_get(req, "lookback"));
	char rel[80];
	if (from)
		push2(&b, "--since", from);
	else if (lookback) {
		snprintf(rel, sizeof(rel), "-%s", lookback);
		push2(&b, "--since", rel);
	}
	if (to)
		push2(&b, "--until", to);
	const char *incident = json_string_value(json_object_get(req, "incident"));
	const char *note = json_string_value(json_object_get(req, "note"));
	if (incident)
		push2(&b, "--incident", incident);
	if (note)
		push2(&b, "--note", note);
	char actor[512];
	seal_actor(req, peer, actor, sizeof(actor));
	push2(&b, "--actor", actor);
	json_t *sources = json_object_get(req, "sources");
	json_t *units = json_object_get(req, "units");
	bool journal = false;
	if (json_array_size(sources)) {
		size_t i;
		json_t *s;
		json_array_foreach(sources, i, s) {
			if (strcmp(json_string_value(s), "journal") == 0) {
				if (!journal)
					push_journal(&b, cfg, units);
				journal = true;
			} else
				push2(&b, "--file", json_string_value(s));
		}
	} else {
		if (cfg->sources.journal || json_array_size(units)) {
			push_journal(&b, cfg, units);
			journal = true;
		}
		for (size_t i = 0; i < cfg->sources.n_files; i++)
			push2(&b, "--file", cfg->sources.files[i].path);
	}
	/* Never back through the agent: this child seals in-process. */
	push(&b, "--offline");
	if (!journal && json_array_size(units)) /* units name the journal, as in `evident seal` */
		push_journal(&b, cfg, units);
	/* the request's evidence, then the configured evidence of every agent seal */
	push_strings(&b, "--copy", json_object_get(req, "copies"));
	for (size_t i = 0; i < cfg->actions.seal_files.n; i++)
		push2(&b, "--copy", cfg->actions.seal_files.v[i]);
	push_strings(&b, "--command", json_object_get(req, "commands"));
	for (size_t i = 0; i < cfg->actions.seal_commands.n; i++)
		push2(&b, "--command", cfg->actions.seal_commands.v[i]);
	char num[32];
	json_t *v = json_object_get(req, "level");
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		push2(&b, "--level", num);
	}
	if (json_is_false(json_object_get(req, "immutable")))
		push(&b, "--no-immutable");
	v = json_object_get(req, "max_bundle_size");
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		push2(&b, "--max-bundle-size", num);
	}
	/* automatic seals only (the control socket accepts no "trigger"): the rule and its
	 * alerts, recorded in the manifest's trigger */
	v = json_object_get(req, "trigger");
	if (json_is_object(v)) {
		char *t = trigger_arg(v);
		if (t)
			push2(&b, "--trigger", t);
		else
			b.oom = true;
		free(t);
	}
	struct ev_seal_job *j = calloc(1, sizeof(*j));
	if (b.oom || !j) {
		for (size_t i = 0; i < b.n; i++)
			free(b.v[i]);
		free(b.v);
		free(j);
		return -ENOMEM;
	}
	j->argv = b.v;
	j->timeout = EV_SEAL_TIMEOUT_USEC;
	*ret = j;
	return 0;
}

static uint64_t now_mono(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Append what is readable on fd to buf (capped; the rest is read and dropped). Returns
 * false at EOF or error. */
static bool drain(int fd, char *buf, size_t *len) {
	char tmp[8192];
	ssize_t k = read(fd, tmp, sizeof(tmp));
	if (k < 0)
		return errno == EAGAIN || errno == EINTR;
	if (k == 0)
		return false;
	size_t take = MIN((size_t)k, OUT_CAP - *len);
	memcpy(buf + *len, tmp, take);
	*len += take;
	return true;
}

int ev_seal_job_run(struct ev_seal_job *j, struct ev_queue *q, char **ret_msg,
                    json_t **ret_result) {
	int po[2], pe[2];
	if (pipe2(po, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		int r = -errno;
		close(po[0]);
		close(po[1]);
		return r;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pe[1], STDERR_FILENO);
	sigset_t none, def;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	                                      POSIX_SPAWN_SETSID);
	extern char **environ;
	pid_t pid;
	int e = posix_spawn(&pid, j->argv[0], &fa, &at, j->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(po[1]);
	close(pe[1]);
	if (e != 0) {
		close(po[0]);
		close(pe[0]);
		return -e;
	}
	_cleanup_free_ char *out = malloc(OUT_CAP + 1), *err = malloc(OUT_CAP + 1);
	size_t olen = 0, elen = 0;
	bool oopen = true, eopen = true, timed_out = false, stopped = false;
	uint64_t deadline = now_mono() + j->timeout;
	int status = 0;
	while (out && err && (oopen || eopen)) {
		struct pollfd p[2] = {{.fd = oopen ? po[0] : -1, .events = POLLIN},
		                      {.fd = eopen ? pe[0] : -1, .events = POLLIN}};
		int r = poll(p, 2, 50);
		if (r > 0) {
			if (p[0].revents && !drain(po[0], out, &olen))
				oopen = false;
			if (p[1].revents && !drain(pe[0], err, &elen))
				eopen = false;
		}
		stopped = q && ev_queue_stopping(q);
		if (stopped || now_mono() >= deadline) {
			timed_out = !stopped;
			break;
		}
	}
	if (timed_out || stopped || !out || !err) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(po[0]);
	close(pe[0]);
	if (!out || !err)
		return -ENOMEM;
	out[olen] = '\0';
	err[elen] = '\0';
	if (stopped) {
		*ret_msg = strdup("cancelled: the agent is stopping (the seal was killed; nothing "
		                  "is placed before commit)");
		return -ECANCELED;
	}
	if (timed_out) {
		if (asprintf(ret_msg, "sealing took longer than %llus and was killed",
		             (unsigned long long)(j->timeout / 1000000)) < 0)
			*ret_msg = NULL;
		return -ETIME;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		json_t *res = json_loads(out, 0, NULL);
		if (!res) {
			*ret_msg = strdup("evident seal succeeded but printed no JSON result");
			return -EBADMSG;
		}
		*ret_result = res;
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
