/* evident maintenance start|finish|rollback (agent/maint/maint.h).
 *
 * start: the files are stat'ed (owner, mode), a pre-change bundle is sealed (the files,
 * the agent's configuration, the service's recent logs, volatile state) by a seal child
 * (agent/incident/seal.h), verified, the health checks run for a baseline, and the
 * `started` entry records it all, signed. finish: the checks again, the service's error
 * lines after the start against the same span before it, a diff of every copied file,
 * a post-change bundle holding the results and the diff, and `finished` (exit 1 on a
 * regression). rollback: the pre-change bundle verified (and the manifest the ledger
 * names), what is there now sealed, the files put back (agent/maint/restore.h), the
 * restart command, the checks retried until they pass or maintenance.health_wait ends,
 * and `rolled_back`; a bundle that does not verify is `rollback_refused`, nothing else
 * touched. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/incident/policy.h"
#include "agent/incident/seal.h"
#include "agent/maint/health.h"
#include "agent/maint/logscan.h"
#include "agent/maint/maint.h"
#include "agent/maint/restore.h"
#include "agent/spawn.h"
#include "util/clock.h"
#include "util/io.h"
#include "util/timefmt.h"

#define DIFF_CAP (64 * 1024)

static const char *const volatile_state[] = {
        "processes=/bin/ps -eo pid,ppid,user,lstart,stat,args",
        "sockets=/bin/ss -tanup",
};

/* Seal through a child `evident seal --offline`: the copies, the service's logs of the
 * last `lookback`, the commands. 0 and the seal's result, or -errno (said). */
static int seal(struct mctx *c, const char *what, json_t *copies, const json_t *scope,
                const char *lookback, bool with_state, json_t **ret) {
	json_t *sources = json_deep_copy(json_object_get(scope, "files"));
	if (json_array_size(json_object_get(scope, "units")))
		json_array_append_new(sources, json_string("journal"));
	json_t *cmds = json_array();
	for (size_t i = 0; with_state && i < ELEMENTSOF(volatile_state); i++)
		json_array_append_new(cmds, json_string(volatile_state[i]));
	char note[300];
	snprintf(note, sizeof(note), "maintenance %s: %s (service %s)", c->id, what,
	         c->ch.service ? c->ch.service : c->service);
	json_t *req =
	        json_pack("{s:s, s:O, s:o, s:O, s:s, s:o, s:b}", "note", note, "copies", copies,
	                  "sources", sources, "units", json_object_get(scope, "units"), "lookback",
	                  lookback, "commands", cmds, "immutable", !c->no_immutable);
	char actor[300];
	snprintf(actor, sizeof(actor), "evident maintenance %s (uid %u)%s%s", c->id,
	         (unsigned)getuid(), c->as ? ", " : "", c->as ? c->as : "");
	char *msg = NULL;
	int r = req ? ev_incident_seal(c->cfg, c->config, req, actor, ret, &msg) : -ENOMEM;
	json_decref(req);
	if (r < 0)
		ev_log_error("change %s: cannot seal the %s: %s", c->id, what,
		             msg ? msg : strerror(-r));
	free(msg);
	return r;
}

/* The --copy files as the change records them (before their copies are known). */
static int stat_files(struct mctx *c, json_t **ret) {
	json_t *files = json_array();
	for (size_t i = 0; i < c->copies.n; i++) {
		const char *p = c->copies.v[i];
		struct stat st;
		if (p[0] != '/')
			return json_decref(files),
			       mctx_refuse(c, "--copy %s: give an absolute path", p);
		if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode))
			return json_decref(files),
			       mctx_refuse(c, "--copy %s: %s", p,
			                   errno && !S_ISLNK(st.st_mode) ? strerror(errno)
			                                                 : "not a regular file");
		json_array_append_new(files, json_pack("{s:s, s:I, s:I, s:I, s:I}", "path", p,
		                                       "size", (json_int_t)st.st_size, "mode",
		                                       (json_int_t)(st.st_mode & 07777), "uid",
		                                       (json_int_t)st.st_uid, "gid",
		                                       (json_int_t)st.st_gid));
	}
	*ret = files;
	return -1;
}

static json_t *parse_checks(struct mctx *c, int *ret_status) {
	json_t *checks = json_array();
	for (size_t i = 0; i < c->checks.n; i++) {
		char msg[300];
		json_t *chk;
		if (ev_maint_check_parse(c->checks.v[i], &chk, msg, sizeof(msg)) < 0) {
			json_decref(checks);
			*ret_status = ev_usage_error(&ev_cmd_maintenance, "--check %s", msg);
			return NULL;
		}
		json_array_append_new(checks, chk);
	}
	return checks;
}

static void print_health(const char *title, const json_t *results) {
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r) {
		printf("  %s %-16s %s (exit %lld, %lld ms)\n", title,
		       json_string_value(json_object_get(r, "name")) ?: "?",
		       json_is_true(json_object_get(r, "ok")) ? "ok" : "FAILED",
		       (long long)json_integer_value(json_object_get(r, "exit")),
		       (long long)json_integer_value(json_object_get(r, "ms")));
	}
}

static void print_json(json_t *o) {
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (s)
		printf("%s\n", s);
	free(s);
}

/* Seal the pre-change bundle (the --copy files, the configuration, the service's scope)
 * and verify it; each of `files` gets its member name and hash in it. -ECANCELED when the
 * seal failed (said), another -errno with msg when the bundle is not what it must be. */
static int seal_pre(struct mctx *c, json_t *files, const json_t *scope, json_t **ret_res,
                    struct ev_maint_bundle *b, char *msg, size_t msglen) {
	json_t *copies = json_array();
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f) json_array_append(copies, json_object_get(f, "path"));
	if (strcmp(c->cfg->origin, "<embedded>") != 0)
		json_array_append_new(copies, json_string(c->cfg->origin));
	int r = seal(c, "pre-change bundle", copies, scope, "1h", true, ret_res);
	json_decref(copies);
	if (r < 0)
		return -ECANCELED;
	const char *bundle = json_string_value(json_object_get(*ret_res, "bundle"));
	r = ev_maint_bundle_verify(bundle ?: "", &c->kr, false, b, msg, msglen);
	json_array_foreach(files, i, f) {
		json_t *cp = r >= 0 ? json_object_get(b->copies,
		                                      json_string_value(json_object_get(f, "path")))
		                    : NULL;
		if (r >= 0 && !cp) {
			snprintf(msg, msglen,
			         "%s was not copied into the bundle (see 'evident "
			         "show %s')",
			         json_string_value(json_object_get(f, "path")), bundle);
			r = -EIO;
		}
		if (r >= 0) {
			json_object_set(f, "member", json_object_get(cp, "member"));
			json_object_set(f, "sha256", json_object_get(cp, "sha256"));
		}
	}
	return r;
}

int ev_maint_cmd_start(struct mctx *c) {
	if (c->loaded)
		return mctx_refuse(c, "it exists already (state %s): use a new change id",
		                   c->ch.state);
	if (!c->service)
		return ev_usage_error(&ev_cmd_maintenance, "start needs --service NAME");
	if (!c->copies.n)
		return ev_usage_error(&ev_cmd_maintenance, "start needs at least one --copy PATH");
	int st = -1;
	_cleanup_(json_decrefp) json_t *checks = parse_checks(c, &st);
	if (!checks)
		return st;
	_cleanup_(json_decrefp) json_t *scope = mctx_scope(c, c->service);
	if (!scope)
		return EV_EXIT_USAGE;
	_cleanup_(json_decrefp) json_t *files = NULL;
	if ((st = stat_files(c, &files)) >= 0)
		return st;
	int64_t now = ev_now_realtime_us();
	_cleanup_(json_decrefp) json_t *marks = ev_maint_log_marks(json_object_get(scope, "files"));
	json_t *res = NULL;
	char msg[1024];
	struct ev_maint_bundle b;
	int r = seal_pre(c, files, scope, &res, &b, msg, sizeof(msg));
	if (r == -ECANCELED)
		return EV_EXIT_USAGE;
	if (r < 0) {
		ev_maint_bundle_done(&b);
		json_decref(res);
		return mctx_refuse(c, "%s", msg);
	}
	json_t *baseline = ev_maint_health_run(checks, c->cfg->maintenance.check_timeout);
	uint64_t win = c->window ? c->window : c->cfg->maintenance.window;
	json_t *d = json_pack("{s:s, s:I, s:I, s:O, s:O, s:O, s:O, s:O, s:s, s:O, s:b, s:O*}",
	                      "service", c->service, "started_us", (json_int_t)now, "until_us",
	                      (json_int_t)(now + (int64_t)win), "files", files, "checks", checks,
	                      "baseline", baseline, "bundle", json_object_get(res, "bundle"),
	                      "bundle_id", json_object_get(res, "bundle_id"), "manifest_sha256",
	                      b.manifest_sha256, "scope", scope, "verified", 1, "log_marks", marks);
	ev_maint_bundle_done(&b);
	r = mctx_record(c, "started", json_string_value(json_object_get(res, "bundle_id")),
	                json_incref(d));
	bool healthy = ev_maint_health_ok(baseline);
	if (r >= 0 && c->json)
		print_json(d);
	else if (r >= 0) {
		char until[EV_RFC3339_MAX];
		ev_format_rfc3339(now + (int64_t)win, until, sizeof(until));
		printf("change %s: started for service %s; window open until %s\n", c->id,
		       c->service, until);
		printf("  pre-change bundle %s (%zu files, verified)\n",
		       json_string_value(json_object_get(res, "bundle")), json_array_size(files));
		print_health("baseline", baseline);
	}
	if (r >= 0 && !healthy)
		ev_log_warning("change %s: the baseline health checks do not all pass; only checks "
		               "that pass now count as regressions at finish",
		               c->id);
	json_decref(baseline);
	json_decref(d);
	json_decref(res);
	return r < 0 ? EV_EXIT_USAGE : EV_EXIT_OK;
}

/* `diff -u` of the pre-change copy (written to a temporary file) and the file now. */
static json_t *diff_file(struct mctx *c, const json_t *f, const struct ev_maint_bundle *b) {
	const char *path = json_string_value(json_object_get(f, "path"));
	const char *member = json_string_value(json_object_get(f, "member"));
	const struct ev_maint_member *m = member ? ev_maint_bundle_member(b, member) : NULL;
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s/changes/%s/.before.XXXXXX", c->state_dir, c->id);
	int fd = m ? mkostemp(tmp, O_CLOEXEC) : -1;
	if (fd < 0)
		return json_pack("{s:s, s:s}", "path", path, "error", "no pre-change copy");
	int r = ev_write_all(fd, m->data, m->len);
	close(fd);
	char la[4200], lb[4200];
	snprintf(la, sizeof(la), "%s (before)", path);
	snprintf(lb, sizeof(lb), "%s (after)", path);
	char *argv[] = {"diff", "-u", "--label", la, "--label", lb, tmp, (char *)path, NULL};
	struct ev_spawn sp = {.argv = argv,
	                      .timeout_usec = 30 * 1000000ULL,
	                      .out_cap = DIFF_CAP,
	                      .err_cap = 1024};
	struct ev_spawn_result res = {0};
	if (r >= 0)
		r = ev_spawn_run(&sp, &res);
	unlink(tmp);
	if (r < 0)
		return json_pack("{s:s, s:s}", "path", path, "error", strerror(-r));
	int code = WIFEXITED(res.status) ? WEXITSTATUS(res.status) : -1;
	json_t *o = json_pack("{s:s, s:b, s:s%}", "path", path, "changed", code != 0, "diff",
	                      res.out ? res.out : "", res.out_len);
	if (!o) /* not UTF-8: said so, the bundle holds both files */
		o = json_pack("{s:s, s:b, s:s}", "path", path, "changed", code != 0, "diff",
		              "(binary or not UTF-8: compare the copies in the bundles)");
	if (res.out_truncated)
		json_object_set_new(o, "diff_truncated", json_true());
	ev_spawn_result_clear(&res);
	return o;
}

/* A results file beside the ledger, for the post-change bundle. */
static int write_state_file(struct mctx *c, const char *name, const char *text, char *path,
                            size_t len) {
	snprintf(path, len, "%s/changes/%s/%s", c->state_dir, c->id, name);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	int r = ev_write_all(fd, text, strlen(text));
	close(fd);
	return r;
}

static json_t *finish_results(struct mctx *c, const struct ev_maint_bundle *b, int64_t now) {
	json_t *start = c->ch.start;
	json_t *health = ev_maint_health_run(json_object_get(start, "checks"),
	                                     c->cfg->maintenance.check_timeout);
	json_t *regressed = ev_maint_health_regressed(json_object_get(start, "baseline"), health);
	/* Log times often have whole seconds: a line stamped in the second the change started
	 * may have been written after the start, so that second counts as after it. */
	int64_t t0 = c->ch.started_us - c->ch.started_us % 1000000;
	int64_t span = MAX(now - t0, (int64_t)1000000);
	json_t *pats = json_object_get(json_object_get(start, "scope"), "files");
	json_t *cmp = ev_maint_errors_compare(pats, json_object_get(start, "log_marks"), t0, span);
	if (!cmp) {
		json_decref(health);
		json_decref(regressed);
		return NULL;
	}
	json_t *diff = json_array();
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(start, "files"), i, f)
	        json_array_append_new(diff, diff_file(c, f, b));
	json_t *reasons = json_array();
	json_array_foreach(regressed, i, f) {
		char m[200];
		snprintf(m, sizeof(m), "health check %s fails (it passed before the change)",
		         json_string_value(f));
		json_array_append_new(reasons, json_string(m));
	}
	json_array_extend(reasons, json_object_get(cmp, "reasons"));
	json_t *o = json_pack(
	        "{s:s, s:o, s:o, s:{s:O, s:O, s:O, s:O, s:s, s:I}, s:o, s:o}", "result",
	        json_array_size(reasons) ? "regression" : "pass", "reasons", reasons, "health",
	        health, "errors", "before", json_object_get(cmp, "before"), "after",
	        json_object_get(cmp, "after"), "new_templates",
	        json_object_get(cmp, "new_templates"), "new_templates_dropped",
	        json_object_get(cmp, "new_templates_dropped"), "method",
	        "error lines, grouped into templates by the template miner (as evident analyze)",
	        "span_us", (json_int_t)span, "diff", diff, "health_regressed", regressed);
	json_decref(cmp);
	return o;
}

/* Seal the post-change bundle: the files now, the results and the diff (as files beside
 * the ledger). The bundle's result is added to o. */
static int seal_post(struct mctx *c, json_t *o) {
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_t *diffs = json_object_get(o, "diff");
	size_t cap = 1, i;
	json_t *f;
	json_array_foreach(diffs, i, f) cap += json_string_length(json_object_get(f, "diff"));
	char *dtext = calloc(1, cap);
	size_t o_len = 0;
	json_array_foreach(diffs, i, f) {
		size_t n = json_string_length(json_object_get(f, "diff"));
		if (dtext && n)
			memcpy(dtext + o_len, json_string_value(json_object_get(f, "diff")), n);
		o_len += n;
	}
	char rp[4300], dp[4300];
	int r = text && dtext ? write_state_file(c, "finish-results.json", text, rp, sizeof(rp))
	                      : -ENOMEM;
	if (r >= 0)
		r = write_state_file(c, "finish.diff", dtext, dp, sizeof(dp));
	free(text);
	free(dtext);
	if (r < 0) {
		ev_log_error("change %s: cannot write its results: %s", c->id, strerror(-r));
		return r;
	}
	json_t *copies = json_array();
	json_array_foreach(json_object_get(c->ch.start, "files"), i, f)
	        json_array_append(copies, json_object_get(f, "path"));
	json_array_append_new(copies, json_string(rp));
	json_array_append_new(copies, json_string(dp));
	char lookback[32];
	snprintf(lookback, sizeof(lookback), "%llds",
	         (long long)(json_integer_value(json_object_get(o, "span_us")) / 1000000 + 1));
	json_t *res = NULL;
	r = seal(c, "post-change bundle", copies, json_object_get(c->ch.start, "scope"), lookback,
	         false, &res);
	json_decref(copies);
	if (r >= 0) {
		json_object_set(o, "bundle", json_object_get(res, "bundle"));
		json_object_set(o, "bundle_id", json_object_get(res, "bundle_id"));
		json_object_set(o, "manifest_sha256", json_object_get(res, "manifest_sha256"));
	}
	json_decref(res);
	return r;
}

int ev_maint_cmd_finish(struct mctx *c) {
	if (strcmp(c->ch.state, "open") != 0)
		return mctx_refuse(c, "it is %s, not open: nothing to finish", c->ch.state);
	int64_t now = ev_now_realtime_us();
	char msg[1024];
	struct ev_maint_bundle b;
	const char *bundle = json_string_value(json_object_get(c->ch.start, "bundle"));
	if (ev_maint_bundle_verify(bundle ?: "", &c->kr, true, &b, msg, sizeof(msg)) < 0)
		ev_log_warning("change %s: %s; the diff is left out", c->id, msg);
	_cleanup_(json_decrefp) json_t *o = finish_results(c, &b, now);
	ev_maint_bundle_done(&b);
	if (!o || seal_post(c, o) < 0)
		return EV_EXIT_USAGE;
	bool pass = !strcmp(json_string_value(json_object_get(o, "result")), "pass");
	if (mctx_record(c, "finished", json_string_value(json_object_get(o, "bundle_id")),
	                json_incref(o)) < 0)
		return EV_EXIT_USAGE;
	if (c->json) {
		print_json(o);
		return pass ? EV_EXIT_OK : EV_EXIT_FINDING;
	}
	json_t *bef = json_object_get(json_object_get(o, "errors"), "before");
	json_t *aft = json_object_get(json_object_get(o, "errors"), "after");
	printf("change %s: %s\n", c->id, pass ? "pass" : "REGRESSION");
	print_health("health", json_object_get(o, "health"));
	printf("  error lines: %lld before, %lld after (same span; %lld lines before, %lld "
	       "after)\n",
	       (long long)json_integer_value(json_object_get(bef, "error_lines")),
	       (long long)json_integer_value(json_object_get(aft, "error_lines")),
	       (long long)json_integer_value(json_object_get(bef, "lines")),
	       (long long)json_integer_value(json_object_get(aft, "lines")));
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(json_object_get(o, "errors"), "new_templates"), i, v)
	        printf("  new error template: %s (%lld line%s)\n",
	               json_string_value(json_object_get(v, "template")),
	               (long long)json_integer_value(json_object_get(v, "count")),
	               json_integer_value(json_object_get(v, "count")) == 1 ? "" : "s");
	json_array_foreach(json_object_get(o, "diff"), i, v)
	        printf("  %s: %s\n", json_string_value(json_object_get(v, "path")),
	               json_is_true(json_object_get(v, "changed")) ? "changed" : "unchanged");
	json_array_foreach(json_object_get(o, "reasons"), i, v)
	        printf("  regressed: %s\n", json_string_value(v));
	printf("  post-change bundle %s\n", json_string_value(json_object_get(o, "bundle")));
	if (!pass)
		printf("  roll back with: evident maintenance rollback %s\n", c->id);
	return pass ? EV_EXIT_OK : EV_EXIT_FINDING;
}

/* The configured restart command of the service, run; NULL when there is none. */
static json_t *restart(struct mctx *c) {
	const char *cmd = ev_incident_list_get(&c->cfg->maintenance.restart, c->ch.service);
	if (!cmd) { /* "SERVICE=CMD" */
		size_t n = strlen(c->ch.service);
		for (size_t i = 0; i < c->cfg->maintenance.restart.n && !cmd; i++)
			if (!strncmp(c->cfg->maintenance.restart.v[i], c->ch.service, n) &&
			    c->cfg->maintenance.restart.v[i][n] == '=')
				cmd = c->cfg->maintenance.restart.v[i] + n + 1;
	}
	if (!cmd)
		return NULL;
	json_t *argv = ev_maint_argv(cmd);
	json_t *r = ev_maint_run(argv, c->cfg->maintenance.check_timeout);
	if (r)
		json_object_set_new(r, "command", json_string(cmd));
	json_decref(argv);
	return r;
}

/* The checks until they all pass or health_wait is over. */
static json_t *health_wait(struct mctx *c) {
	uint64_t end = ev_now_monotonic_us() + c->cfg->maintenance.health_wait;
	json_t *checks = json_object_get(c->ch.start, "checks");
	for (;;) {
		json_t *h = ev_maint_health_run(checks, c->cfg->maintenance.check_timeout);
		if (ev_maint_health_ok(h) || ev_now_monotonic_us() >= end)
			return h;
		json_decref(h);
		struct timespec ts = {0, 200 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

static int rollback_refused(struct mctx *c, const char *why) {
	ev_log_error("change %s: rollback refused: %s; no file was touched", c->id, why);
	mctx_record(c, "rollback_refused", NULL, json_pack("{s:s}", "reason", why));
	return EV_EXIT_FINDING;
}

int ev_maint_cmd_rollback(struct mctx *c) {
	uint64_t t0 = ev_now_monotonic_us();
	if (!c->ch.start || !strcmp(c->ch.state, "rolled_back"))
		return mctx_refuse(c, "it is %s: nothing to roll back", c->ch.state);
	const char *bundle = json_string_value(json_object_get(c->ch.start, "bundle"));
	const char *want = json_string_value(json_object_get(c->ch.start, "manifest_sha256"));
	char msg[1024];
	struct ev_maint_bundle b;
	int r = ev_maint_bundle_verify(bundle ?: "", &c->kr, true, &b, msg, sizeof(msg));
	if (r >= 0 && (!want || strcmp(want, b.manifest_sha256))) {
		snprintf(msg, sizeof(msg),
		         "the pre-change bundle %s is not the one the change "
		         "recorded (manifest %s, recorded %s)",
		         bundle, b.manifest_sha256, want ? want : "none");
		r = -EBADMSG;
	}
	if (r < 0) {
		ev_maint_bundle_done(&b);
		return rollback_refused(c, msg);
	}
	/* what is there now, sealed before it is replaced */
	json_t *files = json_object_get(c->ch.start, "files");
	json_t *copies = json_array(), *res = NULL;
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f) json_array_append(copies, json_object_get(f, "path"));
	r = seal(c, "files replaced by the rollback", copies, json_object_get(c->ch.start, "scope"),
	         "10m", false, &res);
	json_decref(copies);
	if (r < 0) {
		ev_maint_bundle_done(&b);
		return rollback_refused(c, "what the rollback would replace could not be sealed");
	}
	json_t *restored = NULL;
	r = ev_maint_restore(files, &b, &restored, msg, sizeof(msg));
	ev_maint_bundle_done(&b);
	json_t *rs = r >= 0 ? restart(c) : NULL;
	json_t *health = r >= 0 ? health_wait(c) : json_array();
	bool ok = r >= 0 && ev_maint_health_ok(health) &&
	          (!rs || json_is_true(json_object_get(rs, "ok")));
	uint64_t ms = (ev_now_monotonic_us() - t0) / 1000;
	json_t *d = json_pack(
	        "{s:s, s:o, s:O, s:O, s:o, s:o, s:I, s:s?}", "result", ok ? "healthy" : "unhealthy",
	        "restored", restored ? restored : json_array(), "replaced_bundle",
	        json_object_get(res, "bundle"), "replaced_bundle_id",
	        json_object_get(res, "bundle_id"), "restart", rs ? rs : json_null(), "health",
	        health, "duration_ms", (json_int_t)ms, "error", r < 0 ? msg : NULL);
	json_decref(res);
	if (mctx_record(c, "rolled_back",
	                json_string_value(json_object_get(d, "replaced_bundle_id")),
	                json_incref(d)) < 0) {
		json_decref(d);
		return EV_EXIT_USAGE;
	}
	if (c->json)
		print_json(d);
	else {
		if (r < 0)
			ev_log_error("change %s: %s", c->id, msg);
		printf("change %s: rolled back, %s, in %.1f s\n", c->id,
		       ok ? "healthy" : "NOT HEALTHY", (double)ms / 1000.0);
		printf("  %zu files restored; what they replaced is in %s\n",
		       json_array_size(json_object_get(d, "restored")),
		       json_string_value(json_object_get(d, "replaced_bundle")) ?: "?");
		if (rs)
			printf("  restart: %s (exit %lld)\n",
			       json_string_value(json_object_get(rs, "command")),
			       (long long)json_integer_value(json_object_get(rs, "exit")));
		print_health("health", json_object_get(d, "health"));
	}
	json_decref(d);
	return ok ? EV_EXIT_OK : EV_EXIT_FINDING;
}
