/* evident metrics: incident metrics with their definitions printed beside them, from the
 * incident ledgers under the state directory (agent/incident/metrics.h). Ledgers that do
 * not verify are left out and counted. Human output, one JSON object, or the
 * node_exporter textfile format (written to FILE.tmp, then renamed).
 * Exit: 0 done; 2 usage or I/O error. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "agent/cmd/timeparse.h"
#include "agent/incident/incident.h"
#include "agent/incident/metrics.h"
#include "agent/incident/triage.h"
#include "util/clock.h"

static void fmt_s(json_t *v, char *buf, size_t len) {
	if (!json_is_number(v)) {
		snprintf(buf, len, "-");
		return;
	}
	double s = json_number_value(v);
	long long t = (long long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, len, "%lldh%02lldm%02llds", t / 3600, t / 60 % 60, t % 60);
	else if (t >= 60)
		snprintf(buf, len, "%lldm%02llds", t / 60, t % 60);
	else
		snprintf(buf, len, "%llds", t);
}

static void print_group(const char *title, json_t *g, json_t *defs) {
	const char *k;
	json_t *s;
	printf("%s\n", title);
	json_object_foreach(g, k, s) {
		if (!json_is_object(s) || !json_object_get(s, "n"))
			continue;
		char a[32], b[32], c[32];
		fmt_s(json_object_get(s, "median"), a, sizeof(a));
		fmt_s(json_object_get(s, "p90"), b, sizeof(b));
		fmt_s(json_object_get(s, "mean"), c, sizeof(c));
		printf("  %-20s median %-9s p90 %-9s mean %-9s n %-3" JSON_INTEGER_FORMAT " %s\n",
		       k, a, b, c, json_integer_value(json_object_get(s, "n")),
		       json_string_value(json_object_get(defs, k)) ?: "");
	}
}

static void print_human(json_t *m) {
	json_t *defs = json_object_get(m, "definitions");
	printf("incidents %" JSON_INTEGER_FORMAT " (open %" JSON_INTEGER_FORMAT
	       ", drills excluded %" JSON_INTEGER_FORMAT
	       ", ledgers that do not verify %" JSON_INTEGER_FORMAT ")\n",
	       json_integer_value(json_object_get(m, "incidents")),
	       json_integer_value(json_object_get(m, "open")),
	       json_integer_value(json_object_get(m, "drills_excluded")),
	       json_integer_value(json_object_get(m, "unverified")));
	printf("median: the middle value (or the mean of the two middle ones); p90: nearest "
	       "rank\n");
	print_group("all incidents:", json_object_get(m, "overall"), defs);
	const char *k;
	json_t *g;
	json_object_foreach(json_object_get(m, "by_severity"), k, g) {
		char t[64];
		snprintf(t, sizeof(t), "severity %s (%" JSON_INTEGER_FORMAT "):", k,
		         json_integer_value(json_object_get(g, "incidents")));
		print_group(t, g, defs);
	}
	json_object_foreach(json_object_get(m, "by_impact"), k, g) {
		char t[80];
		snprintf(t, sizeof(t), "impact %s (%" JSON_INTEGER_FORMAT "):", k,
		         json_integer_value(json_object_get(g, "incidents")));
		print_group(t, g, defs);
	}
	json_t *r = json_object_get(m, "repeats"), *d = json_object_get(m, "documentation");
	printf("repeats: %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
	       " (same impact type, services and rules as one resolved in the 30 days before)\n",
	       json_integer_value(json_object_get(r, "count")),
	       json_integer_value(json_object_get(r, "of")));
	printf("documentation: %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
	       " closed incidents have a root cause, a resolution and a report\n",
	       json_integer_value(json_object_get(d, "count")),
	       json_integer_value(json_object_get(d, "of")));
	size_t i;
	json_array_foreach(json_object_get(m, "kpis"), i, g) {
		json_t *met = json_object_get(g, "met"), *v = json_object_get(g, "value");
		char b[32];
		const char *kpi = json_string_value(json_object_get(g, "kpi"));
		if (!strcmp(kpi, "repeats") || !strcmp(kpi, "documentation"))
			snprintf(b, sizeof(b), json_is_number(v) ? "%.1f%%" : "-",
			         json_number_value(v));
		else
			fmt_s(v, b, sizeof(b));
		printf("KPI %-14s %-44s %-10s %s\n", kpi,
		       json_string_value(json_object_get(g, "target")), b,
		       json_is_boolean(met) ? (json_is_true(met) ? "met" : "MISSED") : "no data");
	}
}

static int write_prometheus(json_t *m, const char *path) {
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f) {
		ev_log_error("cannot write %s: %s", tmp, strerror(errno));
		return EV_EXIT_USAGE;
	}
	ev_incident_metrics_prometheus(m, f);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
		ev_log_error("cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return EV_EXIT_USAGE;
	}
	return EV_EXIT_OK;
}

static int load_all(const struct ev_config *cfg, const char *state_dir, struct ev_incident **ret,
                    size_t *ret_n, size_t *ret_bad) {
	struct store_keyring kr = {0};
	struct store_key *key = NULL;
	struct ev_errlist errs = {0};
	if (ev_incident_key(cfg, &key, &kr, &errs) < 0 &&
	    (store_trusted_keys(cfg->store.path, &kr, NULL) < 0 || !kr.n)) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		ev_log_error(
		        "no key to verify the incident ledgers with (store.key or the store's)");
		return EV_EXIT_USAGE;
	}
	ev_errlist_clear(&errs);
	store_key_free(key);
	json_t *ids = ev_incident_list_ids(state_dir);
	struct ev_incident *v = calloc(json_array_size(ids) + 1, sizeof(*v));
	size_t n = 0, bad = 0, i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		if (!v || ev_incident_load(state_dir, json_string_value(id), &kr, NULL, &v[n]) < 0)
			continue;
		if (v[n].n_invalid) {
			ev_incident_done(&v[n]);
			bad++;
		} else
			n++;
	}
	json_decref(ids);
	store_keyring_clear(&kr);
	*ret = v;
	*ret_n = n;
	*ret_bad = bad;
	return v ? 0 : EV_EXIT_USAGE;
}

static int metrics_run(int argc, char **argv) {
	enum { O_SINCE = 0x2000, O_UNTIL, O_PROM, O_STATE };
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"state-dir", required_argument, NULL, O_STATE},
	                                     {"since", required_argument, NULL, O_SINCE},
	                                     {"until", required_argument, NULL, O_UNTIL},
	                                     {"prometheus", required_argument, NULL, O_PROM},
	                                     {NULL, 0, NULL, 0}};
	const char *config = NULL, *state = NULL, *prom = NULL;
	int64_t now = ev_now_realtime_us(), since = INT64_MIN, until = INT64_MAX;
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "hc:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_metrics);
		case EV_OPT_JSON:
			json = true;
			break;
		case 'c':
			config = optarg;
			break;
		case O_STATE:
			state = optarg;
			break;
		case O_SINCE:
		case O_UNTIL:
			if (ev_parse_time(optarg, now, c == O_SINCE ? &since : &until) < 0)
				return ev_usage_error(&ev_cmd_metrics,
				                      "%s: '%s' is not a time (%s)",
				                      c == O_SINCE ? "--since" : "--until", optarg,
				                      EV_TIME_FORMS);
			break;
		case O_PROM:
			prom = optarg;
			break;
		default:
			return ev_option_error(&ev_cmd_metrics, argv);
		}
	}
	if (optind < argc)
		return ev_usage_error(&ev_cmd_metrics, "unexpected argument '%s'", argv[optind]);
	if (json && prom)
		return ev_usage_error(&ev_cmd_metrics, "--json and --prometheus: choose one");
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	if (ev_config_load(config, &cfg, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	struct ev_incident *v = NULL;
	size_t n = 0, bad = 0;
	int ret = load_all(cfg, state ? state : cfg->agent.state_dir, &v, &n, &bad);
	if (ret == 0) {
		json_t *m = ev_incident_metrics(v, n, since, until);
		json_object_set_new(m, "unverified", json_integer((json_int_t)bad));
		if (prom)
			ret = write_prometheus(m, prom);
		else if (json) {
			char *s = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
			printf("%s\n", s ? s : "{}");
			free(s);
		} else
			print_human(m);
		json_decref(m);
	}
	for (size_t i = 0; i < n; i++)
		ev_incident_done(&v[i]);
	free(v);
	ev_config_free(cfg);
	return ret;
}

const struct ev_command ev_cmd_metrics = {
        .name = "metrics",
        .summary = "incident metrics (MTTD, acknowledge, respond, contain, resolve) and KPIs",
        .run = metrics_run,
        .usage = "Usage: evident metrics [--since T] [--until T] [--json | --prometheus FILE]\n"
                 "                       [-c FILE] [--state-dir DIR]\n"
                 "\n"
                 "Metrics over the incidents declared in [--since, --until), from the\n"
                 "timestamps in their signed ledgers (ledgers that do not verify are left out\n"
                 "and counted; drills never count). Each is the median (the middle value, or\n"
                 "the mean of the two middle ones), p90 (nearest rank), mean and n, overall,\n"
                 "by severity and by impact type:\n"
                 "  time_to_detect       t_detect - t_impact (MTTD)\n"
                 "  time_to_acknowledge  t_ack - t_detect\n"
                 "  time_to_respond      the first entry by a person - t_detect\n"
                 "  time_to_contain      t_contain - t_detect\n"
                 "  time_to_resolve      t_resolve - t_detect\n"
                 "  impact_to_resolve    t_resolve - t_impact\n"
                 "with the number still open, the frequency by impact type, repeats (the same\n"
                 "impact type, services and rules as an incident resolved in the 30 days\n"
                 "before), documentation (closed incidents with a root cause, a resolution and\n"
                 "a report) and the seed's KPI targets met or missed: MTTD, acknowledge (mean\n"
                 "< 5 min), containment (mean < 15 min), resolve (critical and high, mean\n"
                 "< 60 min), repeats < 5%, documentation 100%. See docs/incidents.md.\n"
                 "\n"
                 "  --since T, --until T   the window, on t_declare (" EV_TIME_FORMS ")\n"
                 "  --json                 one JSON object (durations in seconds)\n"
                 "  --prometheus FILE      node_exporter textfile format, evident_ names\n"
                 "  -c, --config FILE      the configuration (state_dir, store.key)\n"
                 "  --state-dir DIR        incidents under DIR (default agent.state_dir)\n"
                 "  -h, --help             show this help\n"
                 "\n"
                 "Exit status: 0 done, 2 usage or I/O error.\n",
};
