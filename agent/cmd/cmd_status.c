/* evident status / evident reload: clients of the agent's control socket.
 * Exit: 0 answered ok; 1 the agent answered with an error (reload refused, permission
 * denied); 2 usage error or no agent running (nothing listens on the socket). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "agent/cmd/commands.h"
#include "agent/paths.h"
#include "agent/settings.h"
#include "agent/daemon/control.h"
#include "agent/term.h"
#include "util/timefmt.h"

#define CLIENT_TIMEOUT_USEC (10ULL * 1000000)

struct client_opts {
	bool json;
	const char *sock, *config;
};

static int call(const struct ev_command *cmd, const struct client_opts *o, const char *request,
                json_t **ret) {
	json_t *rq = json_pack("{s:s}", "request", request);
	int r = ev_control_client(cmd, o->sock, o->config, rq, CLIENT_TIMEOUT_USEC, NULL, ret);
	json_decref(rq);
	return r;
}

static void print_json(json_t *a) {
	char *s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	printf("%s\n", s ? s : "{}");
	free(s);
}

static json_int_t geti(json_t *o, const char *a, const char *b) {
	json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	return json_integer_value(v);
}

static const char *gets_(json_t *o, const char *a, const char *b) {
	json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	return json_string_value(v) ? json_string_value(v) : "-";
}

/* The sources as a table, one line each (the name last: paths are long), and a source's
 * last error under it. */
static void print_sources(json_t *sources) {
	if (!json_array_size(sources))
		return;
	printf("    %-7s  %-6s  %10s  %6s  %10s  %-20s  %s\n", "KIND", "STATE", "RECORDS", "ERRORS",
	       "LAG", "LAST EVENT", "NAME");
	json_t *src;
	size_t i;
	json_array_foreach(sources, i, src) {
		char last[32] = "-", lag[32];
		json_int_t us = geti(src, "last_time_us", NULL), errs = geti(src, "errors", NULL);
		if (us > 0)
			ev_format_rfc3339(us, last, sizeof(last));
		bool journal = json_is_true(json_object_get(src, "journal")),
		     open = json_is_true(json_object_get(src, "open"));
		if (journal)
			snprintf(lag, sizeof(lag), "-");
		else
			snprintf(lag, sizeof(lag), "%" JSON_INTEGER_FORMAT " B",
			         geti(src, "lag_bytes", NULL));
		printf("    %-7s  %s%-6s%s  %10" JSON_INTEGER_FORMAT "  %s%6" JSON_INTEGER_FORMAT
		       "%s  %10s  %-20s  %s\n",
		       journal ? "journal" : "file",
		       ev_term_on(stdout, open ? EV_COLOR_NONE : EV_COLOR_YELLOW),
		       open ? "open" : "closed", ev_term_off(stdout), geti(src, "records", NULL),
		       ev_term_on(stdout, errs ? EV_COLOR_RED : EV_COLOR_NONE), errs,
		       ev_term_off(stdout), lag, last, gets_(src, "name", NULL));
		if (!journal && json_string_value(json_object_get(src, "formats")))
			printf("             format: %s\n", gets_(src, "formats", NULL));
		if (json_string_value(json_object_get(src, "last_error")))
			printf("             last error: %s\n", gets_(src, "last_error", NULL));
	}
}

/* Open maintenance windows and the drills played into the agent. */
static void print_maintenance(json_t *m) {
	json_t *wins = json_object_get(m, "windows"), *drills = json_object_get(m, "drills"), *e;
	size_t i;
	char t1[EV_RFC3339_MAX], t2[EV_RFC3339_MAX];
	if (!json_array_size(wins))
		printf("  maintenance    no open window\n");
	json_array_foreach(wins, i, e) {
		ev_format_rfc3339(geti(e, "started_us", NULL), t1, sizeof(t1));
		ev_format_rfc3339(geti(e, "until_us", NULL), t2, sizeof(t2));
		printf("  maintenance    %s (service %s) open since %s, until %s\n",
		       gets_(e, "change", NULL), gets_(e, "service", NULL), t1, t2);
	}
	json_array_foreach(drills, i, e) {
		ev_format_rfc3339(geti(e, "last_us", NULL), t1, sizeof(t1));
		printf("  drill          %s: %" JSON_INTEGER_FORMAT
		       " records injected, %" JSON_INTEGER_FORMAT " alerts (last %s)\n",
		       gets_(e, "drill", NULL), geti(e, "injected", NULL), geti(e, "alerts", NULL),
		       t1);
	}
}

/* The agent, its sources, rules and correlation, and what went through. */
static void print_pipeline(json_t *a) {
	json_int_t up = geti(a, "uptime_us", NULL) / 1000000;
	printf("evident agent %s, pid %" JSON_INTEGER_FORMAT ", up %" JSON_INTEGER_FORMAT
	       "h%02dm%02ds\n",
	       gets_(a, "version", NULL), geti(a, "pid", NULL), up / 3600, (int)(up / 60 % 60),
	       (int)(up % 60));
	printf("  configuration  %s\n", gets_(a, "config", NULL));
	printf("  state          %s\n", gets_(a, "state_dir", NULL));
	printf("  sources        %zu (collector: %s)\n",
	       json_array_size(json_object_get(a, "sources")), gets_(a, "collector", "state"));
	print_sources(json_object_get(a, "sources"));
	if (geti(a, "files_over_cap", NULL))
		printf("  %snot tailed%s     %" JSON_INTEGER_FORMAT
		       " files past the cap of 4096 open files\n",
		       ev_term_on(stdout, EV_COLOR_RED), ev_term_off(stdout),
		       geti(a, "files_over_cap", NULL));
	printf("  rules          %" JSON_INTEGER_FORMAT " loaded (engine: %s, %s)\n",
	       geti(a, "engine", "rules_loaded"), gets_(a, "engine", "matcher"),
	       gets_(a, "engine", "state"));
	printf("  correlation    %" JSON_INTEGER_FORMAT
	       " groups; not correlated: %" JSON_INTEGER_FORMAT " late, %" JSON_INTEGER_FORMAT
	       " far-future; caps: %" JSON_INTEGER_FORMAT " groups evicted, %" JSON_INTEGER_FORMAT
	       " values dropped, %" JSON_INTEGER_FORMAT
	       " event times dropped, %" JSON_INTEGER_FORMAT
	       " captures dropped, %" JSON_INTEGER_FORMAT " samples without source\n",
	       geti(a, "engine", "live_groups"), geti(a, "engine", "late"),
	       geti(a, "engine", "future"), geti(a, "engine", "evicted"),
	       geti(a, "engine", "values_dropped"), geti(a, "engine", "times_dropped"),
	       geti(a, "engine", "captures_dropped"), geti(a, "engine", "sources_capped"));
	printf("  lines          %" JSON_INTEGER_FORMAT " (%.0f/s; %" JSON_INTEGER_FORMAT
	       " read for their time only: no rule can match them)\n",
	       geti(a, "lines", NULL), json_number_value(json_object_get(a, "lines_per_sec")),
	       geti(a, "engine", "quiet_records"));
	printf("  alerts         %" JSON_INTEGER_FORMAT "\n", geti(a, "alerts", NULL));
}

/* What alerts led to: seals, the queue, the control socket, custody, sinks, forwarding,
 * notifications, reloads. */
static void print_actions(json_t *a) {
	printf("  seals          %" JSON_INTEGER_FORMAT " ok, %" JSON_INTEGER_FORMAT
	       " failed, %" JSON_INTEGER_FORMAT " refused (store: %s)\n",
	       geti(a, "seals", "ok"), geti(a, "seals", "failed"), geti(a, "seals", "refused"),
	       gets_(a, "store", "state"));
	printf("  queue          %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT
	       " (%" JSON_INTEGER_FORMAT " workers, %" JSON_INTEGER_FORMAT " refused)\n",
	       geti(a, "queue", "depth"), geti(a, "queue", "capacity"), geti(a, "queue", "workers"),
	       geti(a, "queue", "refused"));
	printf("  control        %" JSON_INTEGER_FORMAT " requests, %" JSON_INTEGER_FORMAT
	       " refused peers; audit log %s\n",
	       geti(a, "control", "requests"), geti(a, "control", "refused_peers"),
	       gets_(a, "audit_log", NULL));
	printf("  custody ledger %s\n", gets_(a, "audit", "ledger"));
	printf("  auto seals     %" JSON_INTEGER_FORMAT " opened, %" JSON_INTEGER_FORMAT
	       " coalesced, %" JSON_INTEGER_FORMAT " rate-limited, %" JSON_INTEGER_FORMAT
	       " pending\n",
	       geti(a, "automatic_seals", "opened"), geti(a, "automatic_seals", "coalesced"),
	       geti(a, "automatic_seals", "rate_limited"), geti(a, "automatic_seals", "pending"));
	printf("  sinks          %" JSON_INTEGER_FORMAT " alerts; hooks %" JSON_INTEGER_FORMAT
	       " ok, %" JSON_INTEGER_FORMAT " failed, %" JSON_INTEGER_FORMAT
	       " refused; syslog %" JSON_INTEGER_FORMAT " sent, %" JSON_INTEGER_FORMAT " dropped\n",
	       geti(a, "sinks", "alerts"), geti(a, "sinks", "hooks_ok"),
	       geti(a, "sinks", "hooks_failed"), geti(a, "sinks", "hooks_refused"),
	       geti(a, "sinks", "syslog_sent"), geti(a, "sinks", "syslog_dropped"));
	if (json_is_true(json_object_get(json_object_get(a, "forward"), "enabled")))
		printf("  forward        %s; %" JSON_INTEGER_FORMAT " queued, %" JSON_INTEGER_FORMAT
		       " sent, %" JSON_INTEGER_FORMAT " dropped, %" JSON_INTEGER_FORMAT
		       " TLS failures\n",
		       json_is_true(json_object_get(json_object_get(a, "forward"), "connected"))
		               ? "connected"
		               : "not connected",
		       geti(a, "forward", "queued"), geti(a, "forward", "sent"),
		       geti(a, "forward", "dropped"), geti(a, "forward", "tls_failures"));
	const char *cn;
	json_t *cv;
	json_object_foreach(json_object_get(json_object_get(a, "notify"), "channels"), cn, cv)
	        printf("  notify %-7s %" JSON_INTEGER_FORMAT " queued, %" JSON_INTEGER_FORMAT
	               " delivered, %" JSON_INTEGER_FORMAT " failed\n",
	               cn, json_integer_value(json_object_get(cv, "queued")),
	               json_integer_value(json_object_get(cv, "delivered")),
	               json_integer_value(json_object_get(cv, "failed")));
	printf("  reloads        %" JSON_INTEGER_FORMAT " ok, %" JSON_INTEGER_FORMAT " failed\n",
	       geti(a, "reloads", "ok"), geti(a, "reloads", "failed"));
}

/* Uploads pending, and the last errors. */
static void print_upload_and_errors(json_t *a) {
	json_t *upl = json_object_get(a, "upload");
	if (json_is_true(json_object_get(upl, "configured"))) {
		json_t *p = json_object_get(upl, "pending"), *it;
		printf("  upload         %zu pending, %" JSON_INTEGER_FORMAT
		       " bundles uploaded%s\n",
		       json_array_size(p), geti(upl, "uploaded_bundles", NULL),
		       json_is_true(json_object_get(upl, "running")) ? " (a pass is running)" : "");
		size_t k;
		json_array_foreach(p, k, it) {
			if (json_string_value(json_object_get(it, "last_error")))
				printf("    %s: %s\n", gets_(it, "file", NULL),
				       gets_(it, "last_error", NULL));
		}
	}
	json_t *errs = json_object_get(a, "last_errors");
	if (json_array_size(errs)) {
		printf("  %slast errors:%s\n", ev_term_on(stdout, EV_COLOR_RED),
		       ev_term_off(stdout));
		json_t *e;
		size_t i;
		json_array_foreach(errs, i, e) {
			printf("    %s\n", json_string_value(e));
		}
	}
}

static void print_status(json_t *a) {
	print_pipeline(a);
	print_actions(a);
	print_maintenance(json_object_get(a, "maintenance"));
	print_upload_and_errors(a);
}

static int parse_opts(const struct ev_command *cmd, int argc, char **argv, struct client_opts *o) {
	enum { OPT_SOCKET = 0x2000 };
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"socket", required_argument, NULL, OPT_SOCKET},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "hc:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(cmd) + 100;
		case EV_OPT_JSON:
			o->json = true;
			break;
		case OPT_SOCKET:
			o->sock = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		default:
			return ev_option_error(cmd, argv);
		}
	}
	if (optind < argc)
		return ev_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return -1;
}

static int answer_error(json_t *a, bool json) {
	if (json)
		print_json(a);
	ev_log_error("%s", gets_(a, "error", NULL));
	json_t *e;
	size_t i;
	json_array_foreach(json_object_get(a, "errors"), i, e) {
		fprintf(stderr, "%s\n", json_string_value(e));
	}
	return EV_EXIT_FINDING;
}

/* One request to the agent from the command line: the options, the call, then the
 * agent's refusal (exit 1), its answer as JSON, or `show` for people. */
static int client_run(const struct ev_command *cmd, const char *request, void (*show)(json_t *a),
                      int argc, char **argv) {
	struct client_opts o = {0};
	int r = parse_opts(cmd, argc, argv, &o);
	if (r >= 100)
		return r - 100;
	if (r >= 0)
		return r;
	json_t *a = NULL;
	r = call(cmd, &o, request, &a);
	if (r >= 0)
		return r;
	if (!json_is_true(json_object_get(a, "ok")))
		r = answer_error(a, o.json);
	else {
		if (o.json)
			print_json(a);
		else
			show(a);
		r = EV_EXIT_OK;
	}
	json_decref(a);
	return r;
}

static void print_reload(json_t *a) {
	printf("evident: configuration reloaded from %s\n", gets_(a, "config", NULL));
}

static int status_run(int argc, char **argv) {
	return client_run(&ev_cmd_status, "status", print_status, argc, argv);
}

static int reload_run(int argc, char **argv) {
	return client_run(&ev_cmd_reload, "reload", print_reload, argc, argv);
}

const struct ev_command ev_cmd_status = {
        .name = "status",
        .summary = "show the running agent's state (through the control socket)",
        .run = status_run,
        .usage = "Usage: evident status [--json] [--config FILE | --socket PATH]\n"
                 "\n"
                 "Ask the running agent for its state: uptime, sources, rules, lines/s, alerts,\n"
                 "seals, queue depth, open maintenance windows, drills played, last errors.\n"
                 "Exit 2 when no agent is running.\n"
                 "\n"
                 "  --json         the agent's answer as one JSON object\n"
                 "  -c, --config FILE  the agent's configuration: its agent.control_socket\n"
                 "                 (default: " EV_CONFIG_DEFAULT_HELP ")\n"
                 "  --socket PATH  control socket (default: agent.control_socket)\n"
                 "  -h, --help     show this help\n",
};

const struct ev_command ev_cmd_reload = {
        .name = "reload",
        .summary = "make the running agent re-read its configuration",
        .run = reload_run,
        .usage = "Usage: evident reload [--json] [--config FILE | --socket PATH]\n"
                 "\n"
                 "Ask the running agent to re-read its configuration. A configuration with\n"
                 "errors is refused (exit 1, every error printed) and the running one stays.\n"
                 "Exit 2 when no agent is running.\n"
                 "\n"
                 "  --json         the agent's answer as one JSON object\n"
                 "  -c, --config FILE  the agent's configuration: its agent.control_socket\n"
                 "                 (default: " EV_CONFIG_DEFAULT_HELP ")\n"
                 "  --socket PATH  control socket (default: agent.control_socket)\n"
                 "  -h, --help     show this help\n",
};
