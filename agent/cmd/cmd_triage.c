/* evident triage: classify an incident, seal its evidence at once and open or extend its
 * signed ledger. Through the running agent (a `triage` control request: the agent
 * classifies with its configuration, seals, records and answers), or with --offline in
 * this process's stead (the same functions, agent/incident/triage.h, and a seal child).
 * The request is checked before anything happens: a bad value is one line and exit 2,
 * with nothing sealed or written.
 * Exit: 0 triaged; 1 the agent or the seal failed; 2 usage error or no agent running. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "agent/paths.h"
#include "agent/daemon/control.h"
#include "agent/incident/incident.h"
#include "agent/incident/seal.h"
#include "agent/incident/triage.h"
#include "agent/settings.h"
#include "util/clock.h"

/* A seal takes a while: wait for it (the agent's own seal limit is longer). */
#define TRIAGE_TIMEOUT_USEC (120ULL * 1000000)

struct triage_opts {
	const char *sock, *config, *state_dir;
	bool json, offline, dry_run;
};

static void print_answer(const json_t *inc) {
	printf("incident %s: severity %s (%s)\n",
	       json_string_value(json_object_get(inc, "incident")),
	       json_string_value(json_object_get(inc, "severity")),
	       json_is_true(json_object_get(inc, "dry_run")) ? "dry run: nothing sealed or written"
	       : json_is_true(json_object_get(inc, "created")) ? "opened"
	                                                       : "re-triaged");
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(inc, "teams"), i, t) {
		char *c = json_dumps(json_object_get(t, "contacts"), JSON_COMPACT);
		printf("  team         %s%s%s\n", json_string_value(json_object_get(t, "team")),
		       json_array_size(json_object_get(t, "contacts")) ? " escalation " : "",
		       json_array_size(json_object_get(t, "contacts")) && c ? c : "");
		free(c);
	}
	const char *b = json_string_value(json_object_get(inc, "bundle"));
	printf("  bundle       %s\n", b ? b : "-");
	const char *every = json_string_value(json_object_get(inc, "update_every"));
	printf("  updates      %s%s\n", every ? "every " : "", every ? every : "none required");
	const char *ack = json_string_value(json_object_get(inc, "ack_deadline"));
	printf("  acknowledge  by %s (%s after detection)\n", ack ? ack : "-",
	       json_string_value(json_object_get(inc, "ack_within")));
	char *c = json_dumps(json_object_get(inc, "containment"), JSON_COMPACT);
	printf("  containment  %s (suggested; 'evident incident run' with --approve)\n",
	       c ? c : "[]");
	free(c);
	const char *rb = json_string_value(json_object_get(inc, "runbook"));
	printf("  runbook      %s\n", rb ? rb : "-");
	json_array_foreach(json_object_get(inc, "unscoped_services"), i, t)
	        printf("  note         service %s is not in incidents.services: every configured "
	               "source was sealed\n",
	               json_string_value(t));
	if (json_object_get(inc, "ledger"))
		printf("  ledger       %s\n", json_string_value(json_object_get(inc, "ledger")));
}

/* In this process's stead: classify, seal (a child), record. */
static int triage_offline(const struct triage_opts *o, const json_t *rq, json_t **ret_inc) {
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	int r = ev_config_load(o->config, &cfg, &errs);
	if (r < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	int ret = EV_EXIT_FINDING;
	json_t *cls = ev_triage_classify(cfg, rq), *sreq = NULL, *res = NULL;
	json_t *actor = ev_store_actor(json_string_value(json_object_get(rq, "as")));
	char *msg = NULL;
	char line[512];
	if (ev_triage_state_check(o->state_dir ? o->state_dir : cfg->agent.state_dir, rq, line,
	                          sizeof(line)) < 0) {
		ev_log_error("%s (nothing sealed or written)", line);
		ret = EV_EXIT_USAGE;
		goto out;
	}
	if (!cls) {
		ev_log_error("incidents.severity has no row for impact '%s'",
		             json_string_value(json_object_get(rq, "impact")));
		ret = EV_EXIT_USAGE;
		goto out;
	}
	if (o->dry_run) { /* the classification only: nothing sealed or written */
		*ret_inc = json_incref(cls);
		json_object_set(*ret_inc, "incident", json_object_get(rq, "incident"));
		json_object_set_new(*ret_inc, "created", json_false());
		json_object_set_new(*ret_inc, "dry_run", json_true());
		ret = EV_EXIT_OK;
		goto out;
	}
	sreq = ev_triage_seal_request(rq, cls);
	char who[300];
	snprintf(who, sizeof(who), "evident triage --offline (uid %u%s%s)", (unsigned)getuid(),
	         json_object_get(rq, "as") ? ", as " : "",
	         json_string_value(json_object_get(rq, "as")) ?: "");
	r = ev_incident_seal(cfg, o->config, sreq, who, &res, &msg);
	if (r < 0) {
		ev_log_error("triage %s: the seal failed: %s (nothing recorded)",
		             json_string_value(json_object_get(rq, "incident")),
		             msg ? msg : strerror(-r));
		goto out;
	}
	r = ev_triage_record(cfg, o->state_dir ? o->state_dir : cfg->agent.state_dir, rq, cls, res,
	                     actor, ret_inc, &errs);
	if (r < 0) {
		ev_errlist_print(&errs, stderr);
		ev_log_error("evidence sealed (%s), but the incident was not recorded",
		             json_string_value(json_object_get(res, "bundle")) ?: "?");
		ret = r == -EEXIST ? EV_EXIT_USAGE : EV_EXIT_FINDING;
	} else
		ret = EV_EXIT_OK;
out:
	ev_errlist_clear(&errs);
	free(msg);
	json_decref(cls);
	json_decref(sreq);
	json_decref(res);
	json_decref(actor);
	ev_config_free(cfg);
	return ret;
}

static int triage_agent(const struct triage_opts *o, json_t *rq, json_t **ret_inc) {
	json_object_set_new(rq, "request", json_string("triage"));
	json_t *a = NULL;
	int r = ev_control_client(&ev_cmd_triage, o->sock, o->config, rq, TRIAGE_TIMEOUT_USEC,
	                          "start it with 'systemctl start evident', or triage with "
	                          "--offline",
	                          &a);
	if (r >= 0)
		return r;
	int ret = EV_EXIT_OK;
	if (!json_is_true(json_object_get(a, "ok")) && o->json) { /* the agent's answer as is */
		char *s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", s ? s : "{}");
		free(s);
	}
	if (!json_is_true(json_object_get(a, "ok"))) {
		const char *code = json_string_value(json_object_get(a, "code"));
		ev_log_error("the agent did not triage (%s): %s", code ? code : "error",
		             json_string_value(json_object_get(a, "error")) ?: "no message");
		ret = code && !strcmp(code, "invalid_argument") ? EV_EXIT_USAGE : EV_EXIT_FINDING;
	} else
		*ret_inc = json_incref(json_object_get(a, "incident"));
	json_decref(a);
	return ret;
}

static int add_str(json_t *rq, const char *k, const char *v) {
	return json_object_set_new(rq, k, json_string(v));
}

enum { O_SUMMARY = 0x2000, O_STARTED, O_DETECTED, O_REASON, O_AS, O_OFFLINE, O_STATE, O_DRY };

/* One option into o or the request. Returns -1 to go on, or what parse() returns. */
static int triage_option(int c, char **argv, struct triage_opts *o, json_t *rq) {
	static const char *const keys[] = {[O_SUMMARY - O_SUMMARY] = "summary",
	                                   [O_STARTED - O_SUMMARY] = "impact_started",
	                                   [O_DETECTED - O_SUMMARY] = "detected",
	                                   [O_REASON - O_SUMMARY] = "reason",
	                                   [O_AS - O_SUMMARY] = "as"};
	switch (c) {
	case 'h':
		return ev_print_help(&ev_cmd_triage) + 1000;
	case EV_OPT_JSON:
		o->json = true;
		break;
	case 'i':
		add_str(rq, "incident", optarg);
		break;
	case 'I':
		add_str(rq, "impact", optarg);
		break;
	case 'u':
		add_str(rq, "urgency", optarg);
		break;
	case 'a': {
		char *end = NULL;
		errno = 0;
		long long users = strtoll(optarg, &end, 10);
		if (errno || !*optarg || *end || users < 0)
			return ev_usage_error(&ev_cmd_triage,
			                      "--affected-users: '%s' is not a count (0 or more)",
			                      optarg);
		json_object_set_new(rq, "affected_users", json_integer(users));
		break;
	}
	case 's':
		json_array_append_new(json_object_get(rq, "services"), json_string(optarg));
		break;
	case O_SUMMARY:
	case O_STARTED:
	case O_DETECTED:
	case O_REASON:
	case O_AS:
		add_str(rq, keys[c - O_SUMMARY], optarg);
		break;
	case O_OFFLINE:
		o->offline = true;
		break;
	case O_DRY:
		o->dry_run = o->offline = true;
		break;
	case O_STATE:
		o->state_dir = optarg;
		o->offline = true;
		break;
	case 'S':
		o->sock = optarg;
		break;
	case 'c':
		o->config = optarg;
		break;
	default:
		return ev_option_error(&ev_cmd_triage, argv);
	}
	return -1;
}

/* The options into the request object; 0, or an exit status. */
static int parse(int argc, char **argv, struct triage_opts *o, json_t *rq) {
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"incident", required_argument, NULL, 'i'},
	                                     {"impact", required_argument, NULL, 'I'},
	                                     {"urgency", required_argument, NULL, 'u'},
	                                     {"affected-users", required_argument, NULL, 'a'},
	                                     {"service", required_argument, NULL, 's'},
	                                     {"summary", required_argument, NULL, O_SUMMARY},
	                                     {"note", required_argument, NULL, O_SUMMARY},
	                                     {"impact-started", required_argument, NULL, O_STARTED},
	                                     {"detected", required_argument, NULL, O_DETECTED},
	                                     {"reason", required_argument, NULL, O_REASON},
	                                     {"as", required_argument, NULL, O_AS},
	                                     {"offline", no_argument, NULL, O_OFFLINE},
	                                     {"dry-run", no_argument, NULL, O_DRY},
	                                     {"state-dir", required_argument, NULL, O_STATE},
	                                     {"socket", required_argument, NULL, 'S'},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {NULL, 0, NULL, 0}};
	json_t *services = json_array();
	json_object_set_new(rq, "services", services);
	int c, r;
	while ((c = getopt_long(argc, argv, "hc:", opts, NULL)) != -1)
		if ((r = triage_option(c, argv, o, rq)) >= 0)
			return r;
	if (optind < argc)
		return ev_usage_error(&ev_cmd_triage, "unexpected argument '%s'", argv[optind]);
	if (!json_array_size(services))
		json_object_del(rq, "services");
	char msg[512];
	if (ev_triage_check(rq, ev_now_realtime_us(), msg, sizeof(msg)) < 0)
		return ev_usage_error(&ev_cmd_triage, "%s", msg);
	return 0;
}

static int triage_run(int argc, char **argv) {
	struct triage_opts o = {0};
	json_t *rq = json_object(), *inc = NULL;
	if (!rq)
		return EV_EXIT_USAGE;
	int ret = parse(argc, argv, &o, rq);
	if (ret) {
		json_decref(rq);
		return ret >= 1000 ? ret - 1000 : ret;
	}
	ret = o.offline ? triage_offline(&o, rq, &inc) : triage_agent(&o, rq, &inc);
	if (ret == EV_EXIT_OK && inc) {
		if (o.json) {
			char *s = json_dumps(inc, JSON_COMPACT | JSON_SORT_KEYS);
			printf("%s\n", s ? s : "{}");
			free(s);
		} else
			print_answer(inc);
	}
	json_decref(inc);
	json_decref(rq);
	return ret;
}

const struct ev_command ev_cmd_triage = {
        .name = "triage",
        .summary = "classify an incident, seal its evidence now and record it",
        .run = triage_run,
        .usage = "Usage: evident triage --incident ID --impact TYPE --urgency U\n"
                 "                      [--affected-users N] [--service NAME]... [--summary TEXT]\n"
                 "                      [--impact-started TIME] [--detected TIME] [--reason TEXT]\n"
                 "                      [--as NAME] [--offline [--state-dir DIR]] [--dry-run]\n"
                 "                      [--config FILE | --socket PATH] [--json]\n"
                 "\n"
                 "Classify the incident (severity from incidents.severity: impact, urgency and\n"
                 "affected users), route it (incidents.teams, with each team's contacts in\n"
                 "escalation order), seal its evidence at once (the services' units, programs\n"
                 "and files from incidents.services, else every configured source; the\n"
                 "actions.lookback window) and open or extend its signed ledger\n"
                 "STATE_DIR/incidents/ID/ledger.jsonl (opened, triaged, evidence entries).\n"
                 "The answer: severity, teams, the bundle, the update cadence, the acknowledge\n"
                 "deadline, suggested containment and the runbook. Triage of an existing\n"
                 "incident re-classifies it and records the previous classification and\n"
                 "--reason. Through the running agent, or --offline in this process's stead.\n"
                 "See docs/incidents.md.\n"
                 "\n"
                 "  --incident ID        incident id (letters, digits, '.', '_', '-')\n"
                 "  --impact TYPE        data_breach, service_outage, service_degradation,\n"
                 "                       security_violation, compliance_issue,\n"
                 "                       user_complaints or internal_error\n"
                 "  --urgency U          immediate, high, medium or low\n"
                 "  --affected-users N   number of affected users (0 or more)\n"
                 "  --service NAME       affected service (repeatable)\n"
                 "  --summary TEXT       what is happening (--note is the same)\n"
                 "  --impact-started T   when the impact began (t_impact; not in the future)\n"
                 "  --detected T         when it was detected (t_detect; default: now)\n"
                 "  --reason TEXT        why a re-triage changes the classification\n"
                 "  --as NAME            who you are (recorded beside your uid)\n"
                 "  --offline            do it in this process, not through the agent\n"
                 "  --dry-run            classify and route only: nothing sealed or written\n"
                 "  --state-dir DIR      incidents under DIR (default agent.state_dir;\n"
                 "                       implies --offline)\n"
                 "  -c, --config FILE    the configuration (default: " EV_CONFIG_DEFAULT_HELP ")\n"
                 "  --socket PATH        control socket (default: agent.control_socket)\n"
                 "  --json               print the answer as JSON\n"
                 "  -h, --help           show this help\n"
                 "\n"
                 "Exit status: 0 triaged, 1 the agent or the seal failed, 2 usage error (one\n"
                 "line; nothing sealed or written) or no agent running.\n",
};
