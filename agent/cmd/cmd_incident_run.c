/* evident incident run and import.
 *
 * run INC ACTION [ARG=VALUE]... --rationale T [--approve]: a containment command from
 * incidents.commands ({ARG} placeholders filled with the values; a value may not start
 * with '-'), identified by the SHA-256 of its exact argument vector (words joined with
 * NUL bytes). Without --approve it is proposed (action_proposed). With --approve: an
 * action in incidents.second_approver needs a proposal of the same command by another
 * person (self-approval is refused); then a snapshot is sealed (the seed's "collect logs
 * before making changes"; if it fails nothing runs), the approval is recorded naming the
 * command's hash, the command runs without a shell under incidents.action_timeout
 * (agent/spawn.c), and action_run records the exit status and the output's SHA-256.
 *
 * import INC BUNDLE|STORE --pub KEY...: bundles sealed on other hosts join the incident
 * after verifying against the pinned keys (anything not verified is refused, nothing
 * recorded); each becomes an `evidence` entry and an `imported` entry in this host's
 * custody ledger. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "agent/cmd/cmd_incident.h"
#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/timeparse.h"
#include "agent/fleet/fleet_cmd.h"
#include "agent/incident/policy.h"
#include "agent/incident/seal.h"
#include "agent/spawn.h"
#include "store/ledger.h"

#define ACTION_OUT_CAP (1u << 20)

/* The command with its {ARG}s filled (new array), or NULL after saying why. */
static json_t *fill(struct ictx *c, const json_t *tmpl, const char **ret_err) {
	static char err[300];
	json_t *out = json_array();
	bool *used = calloc((size_t)c->nargs + 1, sizeof(bool));
	size_t i;
	json_t *w;
	*ret_err = NULL;
	for (int k = 1; k < c->nargs && !*ret_err; k++) {
		const char *a = c->args[k], *eq = strchr(a, '=');
		if (!eq || eq == a || eq[1] == '-' || strpbrk(a, "\n\r\t{}"))
			snprintf(err, sizeof(err),
			         "'%s': expected ARG=VALUE (the value must not start "
			         "with '-')",
			         a),
			        *ret_err = err;
	}
	json_array_foreach(tmpl, i, w) {
		const char *s = json_string_value(w);
		char buf[4096];
		size_t bl = 0;
		while (*s && !*ret_err && bl < sizeof(buf) - 1) {
			const char *o = strchr(s, '{'), *e = o ? strchr(o, '}') : NULL;
			if (!o || !e) {
				bl += (size_t)snprintf(buf + bl, sizeof(buf) - bl, "%s", s);
				break;
			}
			bl += (size_t)snprintf(buf + bl, sizeof(buf) - bl, "%.*s", (int)(o - s), s);
			size_t nl = (size_t)(e - o - 1);
			int found = -1;
			for (int k = 1; k < c->nargs; k++)
				if (!strncmp(c->args[k], o + 1, nl) && c->args[k][nl] == '=')
					found = k;
			if (found < 0) {
				snprintf(err, sizeof(err), "missing %.*s=VALUE for {%.*s}", (int)nl,
				         o + 1, (int)nl, o + 1);
				*ret_err = err;
				break;
			}
			used[found] = true;
			bl += (size_t)snprintf(buf + bl, sizeof(buf) - bl, "%s",
			                       c->args[found] + nl + 1);
			s = e + 1;
		}
		json_array_append_new(out, json_string(buf));
	}
	for (int k = 1; k < c->nargs && !*ret_err; k++)
		if (!used[k])
			snprintf(err, sizeof(err), "'%s': the command has no such parameter",
			         c->args[k]),
			        *ret_err = err;
	free(used);
	if (*ret_err) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static void hash_argv(const json_t *argv, char hex[STORE_HEX_LEN + 1]) {
	size_t i, n = 0;
	json_t *w;
	json_array_foreach(argv, i, w) n += json_string_length(w) + 1;
	char *b = malloc(n + 1), *p = b;
	json_array_foreach(argv, i, w) {
		memcpy(p, json_string_value(w), json_string_length(w) + 1);
		p += json_string_length(w) + 1;
	}
	uint8_t h[STORE_HASH_LEN];
	store_sha256(b ? b : "", b ? n : 0, h);
	store_hex(h, STORE_HASH_LEN, hex);
	free(b);
}

/* Whether two actors are the same person: the same uid, unless both gave different --as
 * names (a shared account used by two named people). */
static bool same_person(const json_t *a, const json_t *b) {
	const char *na = json_string_value(json_object_get(a, "name"));
	const char *nb = json_string_value(json_object_get(b, "name"));
	if (json_integer_value(json_object_get(a, "uid")) !=
	    json_integer_value(json_object_get(b, "uid")))
		return false;
	return !(na && nb && strcmp(na, nb));
}

/* The open proposal of this command (the last action_proposed with its hash and no
 * action_approved after it), or NULL. */
static const json_t *proposal(const struct ictx *c, const char *hash) {
	const json_t *p = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(c->inc.entries, i, e) {
		const char *k = json_string_value(json_object_get(e, "action"));
		const char *h = json_string_value(
		        json_object_get(json_object_get(e, "details"), "command_sha256"));
		if (!json_is_true(json_object_get(e, "_valid")) || !h || strcmp(h, hash))
			continue;
		if (!strcmp(k, "action_proposed"))
			p = e;
		else if (!strcmp(k, "action_approved"))
			p = NULL;
	}
	return p;
}

static int execute(struct ictx *c, const char *action, json_t *argv, const char *hash) {
	char **v = calloc(json_array_size(argv) + 1, sizeof(char *));
	size_t i;
	json_t *w;
	json_array_foreach(argv, i, w) v[i] = (char *)json_string_value(w);
	struct ev_spawn sp = {.argv = v,
	                      .timeout_usec = c->cfg->incidents.action_timeout,
	                      .out_cap = ACTION_OUT_CAP,
	                      .err_cap = ACTION_OUT_CAP};
	struct ev_spawn_result res = {0};
	int r = ev_spawn_run(&sp, &res);
	free(v);
	json_t *p = json_pack("{s:s, s:s, s:O}", "action", action, "command_sha256", hash, "argv",
	                      argv);
	if (r < 0)
		json_object_set_new(p, "error", json_string(strerror(-r)));
	else {
		uint8_t h[STORE_HASH_LEN];
		char hx[STORE_HEX_LEN + 1];
		store_sha256(res.out ? res.out : "", res.out_len, h);
		store_hex(h, STORE_HASH_LEN, hx);
		json_object_set_new(p, "stdout_sha256", json_string(hx));
		json_object_set_new(p, "stdout_bytes", json_integer((json_int_t)res.out_total));
		store_sha256(res.err ? res.err : "", res.err_len, h);
		store_hex(h, STORE_HASH_LEN, hx);
		json_object_set_new(p, "stderr_sha256", json_string(hx));
		json_object_set_new(p, "timed_out", json_boolean(res.timed_out));
		if (WIFEXITED(res.status))
			json_object_set_new(p, "exit_status",
			                    json_integer(WEXITSTATUS(res.status)));
		else if (WIFSIGNALED(res.status))
			json_object_set_new(p, "signal", json_integer(WTERMSIG(res.status)));
	}
	bool ok = r >= 0 && !res.timed_out && WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0;
	ev_spawn_result_clear(&res);
	int ret = ictx_record(c, "action_run", NULL, p);
	return ret ? ret : ok ? EV_EXIT_OK : EV_EXIT_FINDING;
}

/* The snapshot before the change, recorded as evidence. 0, or an exit status. */
static int snapshot(struct ictx *c, const char *action, const char *hash, json_t **ret_bundle) {
	char note[300], who[200];
	snprintf(note, sizeof(note), "snapshot before containment action %s (command sha256 %s)",
	         action, hash);
	snprintf(who, sizeof(who), "evident incident run (uid %u%s%s)", (unsigned)getuid(),
	         c->as ? ", as " : "", c->as ? c->as : "");
	json_t *req =
	        json_pack("{s:s, s:s, s:s}", "request", "seal", "incident", c->id, "note", note);
	json_t *res = NULL;
	char *msg = NULL;
	int r = ev_incident_seal(c->cfg, c->config, req, who, &res, &msg);
	json_decref(req);
	if (r < 0) {
		int ret = ictx_refuse(c,
		                      "the snapshot before the change failed: %s; the action was "
		                      "not run",
		                      msg ? msg : strerror(-r));
		free(msg);
		return ret;
	}
	const char *bid = json_string_value(json_object_get(res, "bundle_id"));
	int ret = ictx_record(c, "evidence", bid,
	                      json_pack("{s:O?, s:O?, s:O?, s:s}", "bundle",
	                                json_object_get(res, "bundle"), "bundle_id",
	                                json_object_get(res, "bundle_id"), "manifest_sha256",
	                                json_object_get(res, "manifest_sha256"), "why", note));
	*ret_bundle = json_incref(json_object_get(res, "bundle_id"));
	json_decref(res);
	return ret;
}

int ev_incident_cmd_run(struct ictx *c) {
	if (c->nargs < 1)
		return ev_usage_error(&ev_cmd_incident, "run: expected ACTION [ARG=VALUE]...");
	const char *action = c->args[0], *err = NULL;
	if (!c->rationale || !*c->rationale)
		return ev_usage_error(&ev_cmd_incident, "run: --rationale is required (why this "
		                                        "action, recorded for accountability)");
	if (!strcmp(c->inc.state, "closed"))
		return ictx_refuse(c, "it is closed: no containment on a closed incident");
	json_t *tmpl = ev_incident_command(c->cfg, action);
	if (!tmpl)
		return ictx_refuse(c, "action '%s' is not configured (incidents.commands)", action);
	json_t *argv = fill(c, tmpl, &err);
	json_decref(tmpl);
	if (!argv)
		return ictx_refuse(c, "run %s: %s", action, err);
	char hash[STORE_HEX_LEN + 1];
	hash_argv(argv, hash);
	bool second = ev_incident_needs_second(c->cfg, action);
	int ret;
	json_t *bundle = NULL;
	if (!c->approve) {
		ret = ictx_record(c, "action_proposed", NULL,
		                  json_pack("{s:s, s:s, s:O, s:s, s:b}", "action", action,
		                            "command_sha256", hash, "argv", argv, "rationale",
		                            c->rationale, "second_approver", second));
		if (!ret && !c->json)
			printf("  to run it: evident incident run %s %s ... --approve --rationale "
			       "TEXT%s\n",
			       c->id, action, second ? " (by another person)" : "");
		goto out;
	}
	const json_t *prop = proposal(c, hash);
	json_t *me = ev_store_actor(c->as);
	bool self = prop && same_person(json_object_get(prop, "actor"), me);
	json_decref(me);
	if (second && !prop) {
		ret = ictx_refuse(c,
		                  "action %s needs a second approver: propose it first (without "
		                  "--approve), then another person approves",
		                  action);
		goto out;
	}
	if (second && self) {
		ret = ictx_refuse(c,
		                  "self-approval refused: action %s needs a second approver and "
		                  "you proposed it (entry %" JSON_INTEGER_FORMAT ")",
		                  action, json_integer_value(json_object_get(prop, "_line")));
		goto out;
	}
	ret = snapshot(c, action, hash, &bundle);
	if (!ret)
		ret = ictx_record(c, "action_approved", NULL,
		                  json_pack("{s:s, s:s, s:O, s:s, s:O?, s:O?}", "action", action,
		                            "command_sha256", hash, "argv", argv, "rationale",
		                            c->rationale, "proposal_entry",
		                            prop ? json_object_get(prop, "_line") : NULL,
		                            "snapshot_bundle", bundle));
	if (!ret)
		ret = execute(c, action, argv, hash);
out:
	json_decref(bundle);
	json_decref(argv);
	return ret;
}

/* Whether a manifest's evidence window (else its creation) meets [since, until]. */
static bool in_window(json_t *m, int64_t since, int64_t until) {
	json_t *w = json_object_get(m, "window");
	int64_t a = json_integer_value(json_object_get(w, "since_us")),
	        b = json_integer_value(json_object_get(w, "until_us"));
	if (!json_is_integer(json_object_get(w, "since_us")) &&
	    ev_parse_time(json_string_value(json_object_get(m, "created")) ?: "", 0, &a) == 0)
		b = a;
	return b >= since && a <= until;
}

/* Verify one bundle file against the pinned keys; NULL after refusing, else its entry.
 * With a window (since < until), a verified bundle outside it gives NULL and *outside. */
static json_t *verified_bundle_in(struct ictx *c, const char *path, int *ret, int64_t since,
                                  int64_t until, bool *outside) {
	struct store_report rep = {0};
	struct store_bundle_info info = {0};
	int r = ev_store_verify_bundle(path, &c->pub_kr, &rep, &info);
	json_t *e = NULL;
	if (outside)
		*outside = false;
	if (r == 0 && !rep.n && info.authenticated && info.key_pinned && outside && since < until &&
	    !in_window(info.manifest, since, until))
		*outside = true;
	else if (r < 0 || rep.n || !info.authenticated || !info.key_pinned) {
		char per[512] = "not authenticated by a pinned key";
		if (rep.n)
			ev_store_summary(&rep, per, sizeof(per));
		*ret = ictx_refuse(c, "import of %s refused: %s", path, r < 0 ? strerror(-r) : per);
	} else {
		char mh[STORE_HEX_LEN + 1], fh[STORE_HEX_LEN + 1];
		store_hex(info.manifest_sha256, STORE_HASH_LEN, mh);
		store_hex(info.file_sha256, STORE_HASH_LEN, fh);
		json_t *m = info.manifest;
		e = json_pack("{s:s, s:O?, s:s, s:s, s:O?, s:O?, s:O?, s:s}", "bundle", path,
		              "bundle_id", json_object_get(m, "bundle_id"), "manifest_sha256", mh,
		              "bundle_sha256", fh, "key_id", json_object_get(m, "key_id"), "host",
		              json_object_get(m, "host"), "source_incident",
		              json_object_get(json_object_get(m, "trigger"), "incident"), "why",
		              "import");
	}
	store_report_clear(&rep);
	store_bundle_info_clear(&info);
	return e;
}

static json_t *verified_bundle(struct ictx *c, const char *path, int *ret) {
	return verified_bundle_in(c, path, ret, 0, 0, NULL);
}

static int import_one(struct ictx *c, json_t *e) {
	const char *bid = json_string_value(json_object_get(e, "bundle_id"));
	json_t *d = json_pack("{s:s, s:O, s:O}", "incident", c->id, "source",
	                      json_object_get(e, "bundle"), "manifest_sha256",
	                      json_object_get(e, "manifest_sha256"));
	/* this host's custody ledger says who added which foreign bundle to which incident */
	if (ev_store_record(c->cfg->store.path, NULL, c->cfg->store.key, "imported", bid, d,
	                    c->as) < 0)
		return ictx_refuse(c, "cannot record the import in %s/custody.jsonl",
		                   c->cfg->store.path);
	return ictx_record(c, "evidence", bid, json_incref(e));
}

/* import INC s3://BUCKET/PREFIX: every host's bundles of the window, downloaded into
 * STATE/incidents/INC/imported/, verified against the pinned keys. */
static int import_s3(struct ictx *c, const char *url, json_t *list) {
	int64_t since = c->inc.t[EV_T_IMPACT] != EV_T_UNSET   ? c->inc.t[EV_T_IMPACT]
	                : c->inc.t[EV_T_DETECT] != EV_T_UNSET ? c->inc.t[EV_T_DETECT]
	                                                      : INT64_MIN + 1;
	int64_t until = c->now;
	if ((c->since_s && ev_parse_time(c->since_s, c->now, &since) < 0) ||
	    (c->until_s && ev_parse_time(c->until_s, c->now, &until) < 0))
		return ev_usage_error(&ev_cmd_incident, "import: bad --since/--until (%s)",
		                      EV_TIME_FORMS);
	char dir[4096];
	snprintf(dir, sizeof(dir), "%.3900s/incidents/%s/imported", c->state_dir, c->id);
	json_t *got = ev_fleet_download_bundles(c->cfg, url, c->hosts.v, c->hosts.n, dir);
	if (!got)
		return ictx_refuse(c, "import from %s failed (nothing imported)", url);
	int ret = 0;
	size_t i, skipped = 0;
	json_t *b;
	json_array_foreach(got, i, b) {
		bool outside = false;
		json_t *e = verified_bundle_in(c, json_string_value(json_object_get(b, "path")),
		                               &ret, since, until, &outside);
		if (!e) {
			skipped += outside;
			if (ret)
				break;
			continue;
		}
		json_object_set(e, "s3_key", json_object_get(b, "key"));
		json_object_set(e, "s3_version_id", json_object_get(b, "version_id"));
		json_array_append_new(list, e);
	}
	if (!ret && !json_array_size(list))
		ret = ictx_refuse(c, "import from %s: no bundle%s%s (%zu outside the window)", url,
		                  c->hosts.n ? " of the hosts asked" : "", " in the window",
		                  skipped);
	json_decref(got);
	return ret;
}

int ev_incident_cmd_import(struct ictx *c) {
	if (c->nargs != 1)
		return ev_usage_error(&ev_cmd_incident, "import: expected one BUNDLE or STORE");
	if (!c->pubs.n)
		return ev_usage_error(&ev_cmd_incident, "import: --pub KEY is required (the other "
		                                        "host's public key, pinned)");
	const char *src = c->args[0];
	json_t *list = json_array();
	int ret = 0;
	if (ev_fleet_is_url(src))
		ret = import_s3(c, src, list);
	else if (store_is_dir(src)) {
		struct store_report rep = {0};
		struct store_verify_opts o = {.kr = &c->pub_kr};
		size_t n = 0;
		int r = store_verify_dir(src, &o, &rep, &n);
		if (r < 0 || rep.n) {
			char per[512] = "";
			ev_store_summary(&rep, per, sizeof(per));
			ret = ictx_refuse(c, "import of store %s refused: %s", src,
			                  r < 0 ? store_strerror(r) : per);
		}
		store_report_clear(&rep);
		char bd[4096];
		snprintf(bd, sizeof(bd), "%s/bundles", src);
		DIR *d = ret ? NULL : opendir(bd);
		struct dirent *de;
		while (d && (de = readdir(d)) && !ret) {
			if (de->d_name[0] == '.')
				continue;
			char p[4400];
			snprintf(p, sizeof(p), "%s/%s", bd, de->d_name);
			json_t *e = verified_bundle(c, p, &ret);
			if (e)
				json_array_append_new(list, e);
		}
		if (d)
			closedir(d);
	} else {
		json_t *e = verified_bundle(c, src, &ret);
		if (e)
			json_array_append_new(list, e);
	}
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) if (!ret) ret = import_one(c, e);
	json_decref(list);
	return ret;
}
