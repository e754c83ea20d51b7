/* evident maintenance: change windows with a verified pre-change bundle, health checks,
 * a before/after comparison and a rollback from verified evidence (docs/maintenance.md).
 * This file: the options, the set-up every subcommand shares, and the read-only
 * subcommands plan, list and show; start, finish and rollback are agent/maint/maint_run.c.
 * Exit: 0 done (pass, healthy); 1 finish found a regression, a rollback did not end
 * healthy or was refused (its bundle does not verify), show found a bad ledger line;
 * 2 usage error or refusal. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "agent/incident/policy.h"
#include "agent/incident/triage.h"
#include "agent/maint/logscan.h"
#include "agent/maint/maint.h"
#include "store/ledger.h"
#include "util/clock.h"
#include "util/timefmt.h"

int mctx_record(struct mctx *c, const char *action, const char *bundle, json_t *details) {
	const struct ev_ledger_ctx l = {"change", "changes", c->state_dir, c->id, c->key, c->as};
	return ev_ledger_record(&l, action, bundle, details, NULL);
}

json_t *mctx_scope(struct mctx *c, const char *service) {
	const char *unknown = NULL;
	json_t *names = json_pack("[s]", service);
	json_t *scope = ev_incident_scope(c->cfg, names, &unknown);
	json_decref(names);
	if (!scope)
		ev_log_error("service '%s' is not one of incidents.services in %s (\"NAME: "
		             "unit:U program:P file:F ...\")",
		             service, c->cfg->origin);
	return scope;
}

int mctx_open(struct mctx *c, bool must_exist) {
	struct ev_errlist errs = {0};
	int r = ev_config_load(c->config, &c->cfg, &errs);
	if (r >= 0) {
		c->state_dir = c->state_opt ? c->state_opt : c->cfg->agent.state_dir;
		r = ev_incident_key(c->cfg, &c->key, &c->kr, &errs);
	}
	if (r < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	if (!c->id)
		return -1;
	char msg[300];
	if (ev_incident_id_check(c->id, msg, sizeof(msg)) < 0)
		return ev_usage_error(&ev_cmd_maintenance, "%s", msg);
	r = ev_change_load(c->state_dir, c->id, &c->kr, NULL, &c->ch);
	if (r == -ENOENT && !must_exist)
		return -1;
	if (r == -ENOENT)
		return mctx_refuse(c,
		                   "no such change under %s/changes ('evident maintenance "
		                   "start' opens one)",
		                   c->state_dir);
	if (r < 0)
		return mctx_refuse(c, "cannot read its ledger: %s", strerror(-r));
	c->loaded = true;
	if (c->ch.n_invalid)
		return mctx_refuse(c,
		                   "its ledger does not verify (%zu bad lines; see 'evident "
		                   "maintenance show %s')",
		                   c->ch.n_invalid, c->id);
	return -1;
}

void mctx_done(struct mctx *c) {
	if (c->loaded)
		ev_change_done(&c->ch);
	store_key_free(c->key);
	store_keyring_clear(&c->kr);
	ev_config_free(c->cfg);
	free(c->copies.v);
	free(c->checks.v);
}

static void print_json(json_t *o) {
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (s)
		printf("%s\n", s);
	free(s);
}

static int cmd_plan(struct mctx *c, uint64_t duration, unsigned days) {
	if (!c->service)
		return ev_usage_error(&ev_cmd_maintenance, "plan needs --service NAME");
	json_t *scope = mctx_scope(c, c->service);
	if (!scope)
		return EV_EXIT_USAGE;
	json_t *p = ev_maint_plan(json_object_get(scope, "files"), ev_now_realtime_us(), days,
	                          duration, EV_MAINT_WINDOWS_SHOWN);
	json_decref(scope);
	if (!p)
		return EV_EXIT_USAGE;
	json_object_set_new(p, "service", json_string(c->service));
	if (c->json)
		print_json(p);
	else {
		printf("service %s: %lld lines in the last %u days; quietest windows (UTC):\n",
		       c->service, (long long)json_integer_value(json_object_get(p, "lines")),
		       days);
		size_t i;
		json_t *w;
		json_array_foreach(json_object_get(p, "windows"), i, w)
		        printf("  %zu. %s for %lldh (next %s): %.1f lines expected, busiest hour "
		               "%.1f\n",
		               i + 1, json_string_value(json_object_get(w, "start")),
		               (long long)json_integer_value(json_object_get(w, "hours")),
		               json_string_value(json_object_get(w, "next")),
		               json_real_value(json_object_get(w, "expected_lines")),
		               json_real_value(json_object_get(w, "peak_hour_lines")));
	}
	json_decref(p);
	return EV_EXIT_OK;
}

static int cmd_list(struct mctx *c) {
	json_t *ids = ev_change_list_ids(c->state_dir), *out = json_array();
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		struct ev_change ch;
		if (ev_change_load(c->state_dir, json_string_value(id), &c->kr, NULL, &ch) < 0)
			continue;
		char t[EV_RFC3339_MAX] = "";
		if (ch.started_us)
			ev_format_rfc3339(ch.started_us, t, sizeof(t));
		json_array_append_new(out,
		                      json_pack("{s:O, s:s, s:s?, s:s, s:I}", "change", id, "state",
		                                ch.state, "service", ch.service, "started", t,
		                                "invalid_lines", (json_int_t)ch.n_invalid));
		ev_change_done(&ch);
	}
	json_decref(ids);
	if (c->json) {
		json_t *o = json_pack("{s:O}", "changes", out);
		print_json(o);
		json_decref(o);
	} else {
		json_t *o;
		json_array_foreach(out, i, o) printf(
		        "%-24s %-16s %-20s %s\n", json_string_value(json_object_get(o, "change")),
		        json_string_value(json_object_get(o, "state")),
		        json_string_value(json_object_get(o, "service")) ?: "-",
		        json_string_value(json_object_get(o, "started")));
	}
	json_decref(out);
	return EV_EXIT_OK;
}

static int cmd_show(struct mctx *c) {
	json_t *o = json_pack("{s:s, s:s, s:s?, s:I, s:O}", "change", c->id, "state", c->ch.state,
	                      "service", c->ch.service, "invalid_lines",
	                      (json_int_t)c->ch.n_invalid, "entries", c->ch.entries);
	if (c->json)
		print_json(o);
	else {
		printf("change %s: %s, service %s\n", c->id, c->ch.state, c->ch.service ?: "-");
		size_t i;
		json_t *e;
		json_array_foreach(c->ch.entries, i, e) {
			json_t *d = json_object_get(e, "details");
			const char *res = json_string_value(json_object_get(d, "result"));
			printf("  %s %-18s %s%s%s\n",
			       json_string_value(json_object_get(e, "time")) ?: "?",
			       json_string_value(json_object_get(e, "action")) ?: "?",
			       res ? res : "",
			       json_is_true(json_object_get(e, "_valid")) ? ""
			                                                  : " (DOES NOT VERIFY)",
			       json_string_value(json_object_get(d, "reason")) ?: "");
		}
	}
	json_decref(o);
	return c->ch.n_invalid ? EV_EXIT_FINDING : EV_EXIT_OK;
}

enum {
	OPT_CONFIG = 'c',
	OPT_STATE = 0x2000,
	OPT_AS,
	OPT_SERVICE,
	OPT_COPY,
	OPT_CHECK,
	OPT_DURATION,
	OPT_DAYS,
	OPT_WINDOW,
	OPT_NOIMM,
};

/* --duration and --days of `plan` (the context holds the rest). */
struct maint_plan_args {
	uint64_t duration;
	unsigned long days;
};

/* --duration, --window, --days. Returns -1 to go on, or the exit code. */
static int maint_number_option(struct mctx *c, int o, struct maint_plan_args *pa) {
	char *end;
	if (o == OPT_DAYS) {
		errno = 0;
		pa->days = strtoul(optarg, &end, 10);
		if (errno || *end || pa->days < 1 || pa->days > 366)
			return ev_usage_error(&ev_cmd_maintenance,
			                      "--days: '%s' is not a number of days (1 to 366)",
			                      optarg);
		return -1;
	}
	if (ev_parse_duration(optarg, o == OPT_WINDOW ? &c->window : &pa->duration) < 0 ||
	    (o == OPT_DURATION ? pa->duration : c->window) == 0)
		return ev_usage_error(&ev_cmd_maintenance, "--%s: '%s' is not a duration",
		                      o == OPT_WINDOW ? "window" : "duration", optarg);
	return -1;
}

/* One option. Returns -1 to go on, or the exit code. */
static int maint_option(struct mctx *c, int o, char **argv, struct maint_plan_args *pa) {
	switch (o) {
	case 'h':
		return ev_print_help(&ev_cmd_maintenance);
	case EV_OPT_JSON:
		c->json = true;
		break;
	case OPT_CONFIG:
		c->config = optarg;
		break;
	case OPT_STATE:
		c->state_opt = optarg;
		break;
	case OPT_AS:
		c->as = optarg;
		break;
	case OPT_SERVICE:
		c->service = optarg;
		break;
	case OPT_COPY:
		if (ev_strv_push(&c->copies, optarg) < 0)
			return EV_EXIT_USAGE;
		break;
	case OPT_CHECK:
		if (ev_strv_push(&c->checks, optarg) < 0)
			return EV_EXIT_USAGE;
		break;
	case OPT_DURATION:
	case OPT_WINDOW:
	case OPT_DAYS:
		return maint_number_option(c, o, pa);
	case OPT_NOIMM:
		c->no_immutable = true;
		break;
	default:
		return ev_option_error(&ev_cmd_maintenance, argv);
	}
	return -1;
}

/* The subcommand and, for those that need one, the change id (into c->id). Returns -1
 * with *ret_sub set, or the exit code. */
static int maint_subcommand(int argc, char **argv, struct mctx *c, const char **ret_sub) {
	if (optind >= argc)
		return ev_usage_error(
		        &ev_cmd_maintenance,
		        "which subcommand? (plan, start, finish, rollback, list, show)");
	const char *sub = argv[optind++];
	static const char *const with_id[] = {"start", "finish", "rollback", "show"};
	bool needs_id = false;
	for (size_t i = 0; i < ELEMENTSOF(with_id); i++)
		needs_id = needs_id || !strcmp(sub, with_id[i]);
	if (!needs_id && strcmp(sub, "plan") && strcmp(sub, "list"))
		return ev_usage_error(&ev_cmd_maintenance,
		                      "unknown subcommand '%s' (plan, start, "
		                      "finish, rollback, list, show)",
		                      sub);
	if (needs_id && optind >= argc)
		return ev_usage_error(&ev_cmd_maintenance, "%s needs a change id", sub);
	if (needs_id)
		c->id = argv[optind++];
	if (optind < argc)
		return ev_usage_error(&ev_cmd_maintenance, "unexpected argument '%s'",
		                      argv[optind]);
	*ret_sub = sub;
	return -1;
}

static int maint_dispatch(struct mctx *c, const char *sub, const struct maint_plan_args *pa) {
	if (!strcmp(sub, "plan"))
		return cmd_plan(c, pa->duration, (unsigned)pa->days);
	if (!strcmp(sub, "list"))
		return cmd_list(c);
	if (!strcmp(sub, "show"))
		return cmd_show(c);
	if (!strcmp(sub, "start"))
		return ev_maint_cmd_start(c);
	if (!strcmp(sub, "finish"))
		return ev_maint_cmd_finish(c);
	return ev_maint_cmd_rollback(c);
}

static int maint_run(int argc, char **argv) {
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"config", required_argument, NULL, OPT_CONFIG},
	                                     {"state-dir", required_argument, NULL, OPT_STATE},
	                                     {"as", required_argument, NULL, OPT_AS},
	                                     {"service", required_argument, NULL, OPT_SERVICE},
	                                     {"copy", required_argument, NULL, OPT_COPY},
	                                     {"check", required_argument, NULL, OPT_CHECK},
	                                     {"duration", required_argument, NULL, OPT_DURATION},
	                                     {"days", required_argument, NULL, OPT_DAYS},
	                                     {"window", required_argument, NULL, OPT_WINDOW},
	                                     {"no-immutable", no_argument, NULL, OPT_NOIMM},
	                                     {NULL, 0, NULL, 0}};
	struct mctx c = {0};
	struct maint_plan_args pa = {.duration = 3600ULL * 1000000, .days = 28};
	const char *sub = NULL;
	int ret = -1, o;
	while (ret < 0 && (o = getopt_long(argc, argv, "hc:", opts, NULL)) != -1)
		ret = maint_option(&c, o, argv, &pa);
	if (ret < 0)
		ret = maint_subcommand(argc, argv, &c, &sub);
	if (ret < 0 && (ret = mctx_open(&c, strcmp(sub, "start") != 0)) < 0)
		ret = maint_dispatch(&c, sub, &pa);
	mctx_done(&c);
	return ret;
}

const struct ev_command ev_cmd_maintenance = {
        .name = "maintenance",
        .summary = "change windows: pre-change bundle, health checks, comparison, rollback",
        .run = maint_run,
        .usage =
                "Usage: evident maintenance plan --service S [--duration 1h] [--days 28] [--json]\n"
                "       evident maintenance start CHG-ID --service S --copy PATH...\n"
                "                                 [--check NAME=CMD]... [--window DURATION]\n"
                "       evident maintenance finish CHG-ID\n"
                "       evident maintenance rollback CHG-ID\n"
                "       evident maintenance list | show CHG-ID\n"
                "\n"
                "plan: windows of --duration from the service's traffic (its log lines per hour\n"
                "of the week over the last --days days), lowest first, with the lines expected.\n"
                "start: seal a pre-change bundle (the --copy files with their owners and modes,\n"
                "this configuration, the service's logs of the last hour, processes and\n"
                "sockets), verify it, run the health checks for a baseline and open the\n"
                "change window: the agent marks the service's alerts \"maintenance\":CHG-ID and\n"
                "opens no incident for them until the change passes or is rolled back.\n"
                "finish: the health checks, the service's error lines and error messages since\n"
                "the start against the same span before it, a diff of every copied file, and\n"
                "a post-change bundle holding the results; exit 1 on a regression.\n"
                "rollback: verify the pre-change bundle (refused, nothing touched, when it\n"
                "does not), seal the files it replaces, put them back atomically with their\n"
                "owners and modes, run maintenance.restart for the service, and retry the\n"
                "health checks for maintenance.health_wait. Every step is an entry in the\n"
                "change's signed ledger STATE/changes/CHG-ID/ledger.jsonl. See\n"
                "docs/maintenance.md.\n"
                "\n"
                "  --service S          a service of incidents.services (its files and units)\n"
                "  --copy PATH          a file the change touches (absolute; repeatable)\n"
                "  --check NAME=CMD     a health check, run without a shell (repeatable)\n"
                "  --window DURATION    how long the window stays open at most\n"
                "                       (default maintenance.window)\n"
                "  --duration DURATION  plan: the length of the window (default 1h)\n"
                "  --days N             plan: the history used (default 28)\n"
                "  --no-immutable       do not set the immutable flag on the bundles\n"
                "  --as NAME            who you are, in the ledger entries\n"
                "  -c, --config FILE    the configuration (state_dir, store, services)\n"
                "  --state-dir DIR      changes under DIR (default agent.state_dir)\n"
                "  --json               print the result as one JSON object\n"
                "  -h, --help           show this help\n"
                "\n"
                "Exit status: 0 done (pass, healthy), 1 regression, rollback not healthy or\n"
                "refused (its bundle does not verify), a ledger line that does not verify;\n"
                "2 usage error or refusal.\n",
};
