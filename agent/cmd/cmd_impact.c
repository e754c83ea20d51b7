/* evident impact: business impact and SLA figures (agent/report/impact.h: exact integer
 * arithmetic, one documented rounding per printed figure). The downtime and the
 * affected users may come from an incident's ledger (--incident: t_impact .. t_mitigate,
 * and the users triage recorded). Exit: 0 figures printed; 1 the SLA is breached; 2
 * usage error. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cmd/cmd_report.h"
#include "agent/cmd/commands.h"
#include "agent/report/model.h"
#include "store/bundle.h"

void ev_impact_defaults(struct ev_impact_in *in) {
	*in = (struct ev_impact_in){.users = EV_IMPACT_UNSET,
	                            .total_users = EV_IMPACT_UNSET,
	                            .downtime_us = EV_IMPACT_UNSET,
	                            .rpum_micro = EV_IMPACT_UNSET,
	                            .sla_micro = EV_IMPACT_UNSET,
	                            .period_us = 30LL * 86400 * 1000000};
}

static int count(const struct ev_command *cmd, const char *opt, const char *arg, int64_t *ret) {
	char *end;
	errno = 0;
	long long v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v < 0 || arg[0] == '-' || arg[0] == '+')
		return ev_usage_error(cmd, "--%s: '%s' is not a number of users (0 or more)", opt,
		                      arg);
	*ret = v;
	return 0;
}

int ev_impact_opt(const struct ev_command *cmd, int opt, const char *arg, struct ev_impact_in *in) {
	uint64_t us;
	switch (opt) {
	case EV_IOPT_USERS:
		return count(cmd, "affected-users", arg, &in->users);
	case EV_IOPT_TOTAL:
		if (count(cmd, "total-users", arg, &in->total_users))
			return EV_EXIT_USAGE;
		return in->total_users ? 0
		                       : ev_usage_error(cmd, "--total-users: must be at least 1");
	case EV_IOPT_DOWNTIME:
	case EV_IOPT_PERIOD:
		if (ev_parse_duration(arg, &us) < 0 || us > INT64_MAX / 2 ||
		    (opt == EV_IOPT_PERIOD && !us))
			return ev_usage_error(cmd,
			                      "--%s: '%s' is not a duration (e.g. 42m, 1h30m, 30d)",
			                      opt == EV_IOPT_PERIOD ? "period" : "downtime", arg);
		if (opt == EV_IOPT_PERIOD)
			in->period_us = (int64_t)us;
		else {
			in->downtime_us = (int64_t)us;
			in->downtime_source = "given";
		}
		return 0;
	case EV_IOPT_RPUM:
		if (ev_impact_parse_decimal(arg, &in->rpum_micro) < 0)
			return ev_usage_error(
			        cmd,
			        "--revenue-per-user-minute: '%s' is not a decimal of at "
			        "most six places (e.g. 0.05)",
			        arg);
		return 0;
	case EV_IOPT_SLA:
		if (ev_impact_parse_decimal(arg, &in->sla_micro) < 0 || in->sla_micro > 100000000 ||
		    in->sla_micro == 0)
			return ev_usage_error(
			        cmd,
			        "--sla: '%s' is not a percentage above 0 and at most 100 "
			        "(e.g. 99.9)",
			        arg);
		return 0;
	}
	return EV_EXIT_USAGE;
}

static const char *s(const json_t *o, const char *k) {
	return json_string_value(json_object_get(o, k));
}

static void print_human(const json_t *f) {
	const json_t *sla = json_object_get(f, "sla");
	if (json_is_integer(json_object_get(f, "affected_users"))) {
		printf("affected users   %" JSON_INTEGER_FORMAT,
		       json_integer_value(json_object_get(f, "affected_users")));
		if (s(f, "share_affected_percent"))
			printf(" (%s%% of %" JSON_INTEGER_FORMAT ")",
			       s(f, "share_affected_percent"),
			       json_integer_value(json_object_get(f, "total_users")));
		printf("\n");
	}
	if (s(f, "downtime"))
		printf("downtime         %s (%s minutes; %s)\n", s(f, "downtime"),
		       s(f, "downtime_minutes"), s(f, "downtime_source") ?: "given");
	if (s(f, "revenue_impact"))
		printf("revenue impact   %s (users x minutes x %s per user-minute)\n",
		       s(f, "revenue_impact"), s(f, "revenue_per_user_minute"));
	if (json_is_object(sla))
		printf("SLA              %s%% over %s: %s of downtime allowed; %s (%s %s); "
		       "availability %s%%\n",
		       s(sla, "percent"), s(sla, "period"), s(sla, "allowed_downtime"),
		       json_is_true(json_object_get(sla, "breached")) ? "BREACHED" : "not breached",
		       json_is_true(json_object_get(sla, "breached")) ? "over by" : "margin",
		       s(sla, "over_by") ?: s(sla, "margin"), s(sla, "availability_percent"));
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(f, "missing"), i, v)
	        printf("not worked out   without %s\n", json_string_value(v));
}

static int from_incident(const char *config, const char *state_opt, const char *id,
                         struct ev_impact_in *in) {
	struct ev_config *cfg = NULL;
	struct store_keyring kr = {0};
	struct ev_incident inc;
	struct ev_strv none = {0};
	int ret = ev_report_load(config, state_opt, id, &none, &cfg, &kr, &inc);
	if (!ret) {
		if (in->downtime_us < 0)
			in->downtime_us = ev_report_incident_downtime(&inc, &in->downtime_source);
		const json_t *u = json_object_get(inc.triage, "affected_users");
		if (in->users < 0 && json_is_integer(u))
			in->users = json_integer_value(u);
		if (in->total_users < 0 && cfg->incidents.user_base > 0)
			in->total_users = cfg->incidents.user_base;
		if (in->downtime_us < 0)
			ret = ev_usage_error(
			        &ev_cmd_impact,
			        "incident %s has no downtime yet (t_impact or t_detect .. "
			        "t_mitigate or t_resolve): give --downtime",
			        id);
		ev_incident_done(&inc);
		store_keyring_clear(&kr);
		ev_config_free(cfg);
	}
	return ret;
}

static int impact_run(int argc, char **argv) {
	enum { O_INC = 0x2000, O_STATE };
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     EV_IMPACT_LONGOPTS,
	                                     {"incident", required_argument, NULL, O_INC},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"state-dir", required_argument, NULL, O_STATE},
	                                     {NULL, 0, NULL, 0}};
	struct ev_impact_in in;
	ev_impact_defaults(&in);
	const char *incident = NULL, *config = NULL, *state = NULL;
	bool json = false;
	int o, r;
	while ((o = getopt_long(argc, argv, "hc:", opts, NULL)) != -1) {
		if (o == 'h')
			return ev_print_help(&ev_cmd_impact);
		else if (o == EV_OPT_JSON)
			json = true;
		else if (o == 'c')
			config = optarg;
		else if (o == O_INC)
			incident = optarg;
		else if (o == O_STATE)
			state = optarg;
		else if (o >= EV_IOPT_USERS && o <= EV_IOPT_LAST) {
			if ((r = ev_impact_opt(&ev_cmd_impact, o, optarg, &in)))
				return r;
		} else
			return ev_option_error(&ev_cmd_impact, argv);
	}
	if (optind < argc)
		return ev_usage_error(&ev_cmd_impact, "unexpected argument '%s'", argv[optind]);
	if (incident && (r = from_incident(config, state, incident, &in)))
		return r;
	if (in.users < 0 && in.downtime_us < 0)
		return ev_usage_error(
		        &ev_cmd_impact,
		        "give --affected-users N and --downtime DURATION (or --incident "
		        "INC)");
	json_t *f = ev_impact_compute(&in);
	if (!f)
		return EV_EXIT_USAGE;
	if (json) {
		char *t = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", t ? t : "{}");
		free(t);
	} else
		print_human(f);
	bool breached = json_is_true(json_object_get(json_object_get(f, "sla"), "breached"));
	json_decref(f);
	return breached ? EV_EXIT_FINDING : EV_EXIT_OK;
}

const struct ev_command ev_cmd_impact = {
        .name = "impact",
        .summary = "business impact of an incident: revenue, SLA breach, share of users",
        .run = impact_run,
        .usage =
                "Usage: evident impact --affected-users N --downtime DURATION\n"
                "                      [--revenue-per-user-minute X] [--sla PCT] [--period DUR]\n"
                "                      [--total-users N] [--incident INC [-c FILE]\n"
                "                      [--state-dir DIR]] [--json]\n"
                "\n"
                "The seed's business impact: revenue impact = affected users x downtime minutes\n"
                "x revenue per user per minute; the downtime the SLA allows over the period\n"
                "(period x (100 - SLA) / 100), whether the downtime breaches it and by how\n"
                "much; the share of the user base affected. With --incident, the downtime is\n"
                "t_impact .. t_mitigate from the incident's ledger and the affected users\n"
                "those triage recorded, unless given; the user base defaults to\n"
                "incidents.user_base. Arithmetic is exact (integers); each printed figure is\n"
                "rounded once, half up: revenue to the cent, shares to 0.01%, minutes to 0.01;\n"
                "the allowed downtime is floored to the microsecond. See docs/reports.md.\n"
                "\n"
                "  --affected-users N             users affected\n"
                "  --downtime DURATION            how long (42m, 1h30m, 90s)\n"
                "  --revenue-per-user-minute X    revenue per user per minute (up to 6 decimals)\n"
                "  --sla PCT                      the availability promised, in percent (99.9)\n"
                "  --period DURATION              the SLA's period (default 30d)\n"
                "  --total-users N                the user base (default incidents.user_base)\n"
                "  --incident INC                 take the downtime and users from the incident\n"
                "  -c, --config FILE              the configuration (state_dir, store, incidents)\n"
                "  --state-dir DIR                incidents under DIR (default agent.state_dir)\n"
                "  --json                         print the figures as JSON\n"
                "  -h, --help                     show this help\n"
                "\n"
                "Exit status: 0 figures printed, 1 the SLA is breached, 2 usage error.\n",
};
