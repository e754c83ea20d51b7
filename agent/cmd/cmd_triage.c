/* evident triage: the path from the command line to the running agent for triage
 * requests. It sends the triage fields as one `triage` request on the control socket;
 * the agent seals the evidence window at once and answers with the bundle. Severity
 * classification, team routing and incident records belong to the incident workflow and
 * are not computed here: the answer says so.
 * Exit: 0 sealed; 1 the agent answered with an error; 2 usage error or no agent running. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cmd/commands.h"
#include "agent/paths.h"
#include "agent/settings.h"
#include "agent/daemon/control.h"

/* A seal takes a while: wait for it (the agent's own seal limit is longer). */
#define TRIAGE_TIMEOUT_USEC (120ULL * 1000000)

static const char *const impacts[] = {
        "data_breach",      "service_outage",  "service_degradation", "security_violation",
        "compliance_issue", "user_complaints", "internal_error",      NULL};
static const char *const urgencies[] = {"immediate", "high", "medium", "low", NULL};

static bool one_of(const char *v, const char *const *set) {
	for (; *set; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

static int triage_run(int argc, char **argv) {
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"incident", required_argument, NULL, 'i'},
	                                     {"impact", required_argument, NULL, 'I'},
	                                     {"urgency", required_argument, NULL, 'u'},
	                                     {"affected-users", required_argument, NULL, 'a'},
	                                     {"service", required_argument, NULL, 's'},
	                                     {"note", required_argument, NULL, 'n'},
	                                     {"socket", required_argument, NULL, 'S'},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {NULL, 0, NULL, 0}};
	const char *incident = NULL, *impact = NULL, *urgency = NULL, *note = NULL, *sock = NULL,
	           *config = NULL;
	long long users = -1;
	bool json = false;
	json_t *services = json_array();
	int c, ret = EV_EXIT_USAGE;
	if (!services)
		return EV_EXIT_USAGE;
	while ((c = getopt_long(argc, argv, "hc:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			json_decref(services);
			return ev_print_help(&ev_cmd_triage);
		case EV_OPT_JSON:
			json = true;
			break;
		case 'i':
			incident = optarg;
			break;
		case 'I':
			impact = optarg;
			break;
		case 'u':
			urgency = optarg;
			break;
		case 'a': {
			char *end = NULL;
			errno = 0;
			users = strtoll(optarg, &end, 10);
			if (errno || !*optarg || *end || users < 0) {
				json_decref(services);
				return ev_usage_error(&ev_cmd_triage,
				                      "--affected-users: '%s' is not a count",
				                      optarg);
			}
			break;
		}
		case 's':
			json_array_append_new(services, json_string(optarg));
			break;
		case 'n':
			note = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		default:
			json_decref(services);
			return ev_option_error(&ev_cmd_triage, argv);
		}
	}
	const char *problem = NULL;
	if (optind < argc)
		problem = "unexpected argument";
	else if (!incident || !*incident)
		problem = "--incident is required";
	else if (impact && !one_of(impact, impacts))
		problem = "--impact: unknown impact type (data_breach, service_outage, "
		          "service_degradation, security_violation, compliance_issue, "
		          "user_complaints, internal_error)";
	else if (urgency && !one_of(urgency, urgencies))
		problem = "--urgency: expected immediate, high, medium or low";
	if (problem) {
		json_decref(services);
		return ev_usage_error(&ev_cmd_triage, "%s", problem);
	}

	json_t *rq = json_pack("{s:s, s:s}", "request", "triage", "incident", incident);
	if (impact)
		json_object_set_new(rq, "impact", json_string(impact));
	if (urgency)
		json_object_set_new(rq, "urgency", json_string(urgency));
	if (users >= 0)
		json_object_set_new(rq, "affected_users", json_integer(users));
	if (json_array_size(services))
		json_object_set(rq, "services", services);
	if (note)
		json_object_set_new(rq, "note", json_string(note));
	json_decref(services);

	json_t *a = NULL;
	int r = ev_control_client(&ev_cmd_triage, sock, config, rq, TRIAGE_TIMEOUT_USEC,
	                          "start it with 'systemctl start evident', or seal offline "
	                          "with 'evident seal'",
	                          &a);
	json_decref(rq);
	if (r >= 0)
		return r;
	bool ok = json_is_true(json_object_get(a, "ok"));
	if (json) {
		char *s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", s ? s : "{}");
		free(s);
	} else if (ok) {
		json_t *res = json_object_get(a, "result");
		if (!json_is_object(res))
			res = a;
		const char *b = json_string_value(json_object_get(res, "bundle"));
		printf("triage %s: evidence sealed\n", incident);
		printf("  bundle    %s\n", b ? b : "-");
		json_t *seq = json_object_get(res, "sequence");
		if (json_is_integer(seq))
			printf("  sequence  %" JSON_INTEGER_FORMAT "\n", json_integer_value(seq));
		const char *h = json_string_value(json_object_get(res, "manifest_sha256"));
		if (h)
			printf("  manifest  sha256 %s\n", h);
		const char *rec = json_string_value(json_object_get(a, "incident_record"));
		if (rec)
			printf("  incident  %s\n", rec);
	}
	if (!ok && !json) {
		const char *code = json_string_value(json_object_get(a, "error"));
		const char *msg = json_string_value(json_object_get(a, "message"));
		ev_log_error("the agent did not triage (%s): %s", code ? code : "error",
		             msg ? msg : "no message");
	}
	ret = ok ? EV_EXIT_OK : EV_EXIT_FINDING;
	json_decref(a);
	return ret;
}

const struct ev_command ev_cmd_triage = {
        .name = "triage",
        .summary = "ask the running agent to seal an incident's evidence now",
        .run = triage_run,
        .usage = "Usage: evident triage --incident ID [--impact TYPE] [--urgency U]\n"
                 "                      [--affected-users N] [--service NAME]... [--note TEXT]\n"
                 "                      [--config FILE | --socket PATH] [--json]\n"
                 "\n"
                 "Send a triage request to the running agent over its control socket: the\n"
                 "agent seals the evidence window at once (actions.lookback until now, with\n"
                 "the configured sources and evidence commands) and answers with the bundle.\n"
                 "The request is recorded in the custody ledger with your identity.\n"
                 "Severity classification, team routing and incident records (MTTD/MTTR)\n"
                 "are not computed yet: the answer says so.\n"
                 "\n"
                 "  --incident ID        incident id (required), recorded in the bundle\n"
                 "  --impact TYPE        data_breach, service_outage, service_degradation,\n"
                 "                       security_violation, compliance_issue,\n"
                 "                       user_complaints or internal_error\n"
                 "  --urgency U          immediate, high, medium or low\n"
                 "  --affected-users N   number of affected users\n"
                 "  --service NAME       affected service (repeatable)\n"
                 "  --note TEXT          free text\n"
                 "  -c, --config FILE    the agent's configuration: its agent.control_socket\n"
                 "                       (default: " EV_CONFIG_DEFAULT_HELP ")\n"
                 "  --socket PATH        control socket (default: agent.control_socket)\n"
                 "  --json               print the agent's answer as JSON\n"
                 "  -h, --help           show this help\n"
                 "\n"
                 "Exit status: 0 sealed, 1 the agent answered with an error, 2 usage error\n"
                 "or no agent running.\n",
};
