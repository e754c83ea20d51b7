/* evident runbook --impact TYPE: the runbook for an impact type, rendered from a plain
 * template (conf/templates/runbook/runbook.{md,html}, or --template FILE) with the
 * site's configuration: the runbook name (incidents.runbooks), the teams routed per
 * severity with their contacts in escalation order (incidents.teams, .contacts), the
 * escalation steps and deadlines, and the containment actions suggested for the type
 * (incidents.containment) with whether each is configured and needs a second person.
 * The template holds the seed's phases and the evident command of every step.
 * Exit: 0 written; 2 usage error or a template error (FILE:LINE:COL). */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cmd/cmd_report.h"
#include "agent/cmd/commands.h"
#include "agent/incident/incident.h"
#include "agent/incident/policy.h"
#include "agent/replay_rules.h"
#include "agent/report/tmpl.h"
#include "agent/settings.h"

static json_t *dur(uint64_t us) {
	char b[64];
	ev_format_duration(us, b, sizeof(b));
	return json_string(b);
}

static json_t *runbook_model(const struct ev_config *cfg, const char *impact, const char *inc,
                             const char *config) {
	json_t *sev = json_array(), *steps = json_array(), *cont = json_array();
	for (int i = 0; ev_incident_severities[i]; i++) {
		uint64_t every = ev_incident_update_every(cfg, i);
		json_array_append_new(sev, json_pack("{s:s, s:o, s:o}", "severity",
		                                     ev_incident_severities[i], "teams",
		                                     ev_incident_routing(cfg, i), "update_every",
		                                     every ? dur(every) : json_null()));
	}
	for (size_t i = 0; i < cfg->incidents.escalation.n; i++)
		json_array_append_new(steps, json_pack("{s:I, s:s}", "step", (json_int_t)(i + 1),
		                                       "after", cfg->incidents.escalation.v[i]));
	json_t *acts = ev_incident_words(ev_incident_list_get(&cfg->incidents.containment, impact));
	size_t i;
	json_t *a;
	json_array_foreach(acts, i, a) {
		const char *name = json_string_value(a);
		json_t *cmd = ev_incident_command(cfg, name);
		json_array_append_new(cont, json_pack("{s:s, s:b, s:b}", "action", name,
		                                      "configured", cmd != NULL, "second_approver",
		                                      ev_incident_needs_second(cfg, name)));
		json_decref(cmd);
	}
	json_decref(acts);
	bool security = !strcmp(impact, "data_breach") || !strcmp(impact, "security_violation") ||
	                !strcmp(impact, "compliance_issue");
	bool availability = !strcmp(impact, "service_outage") ||
	                    !strcmp(impact, "service_degradation") ||
	                    !strcmp(impact, "user_complaints") || !strcmp(impact, "internal_error");
	char *copt = NULL;
	if (config && asprintf(&copt, " --config %s", config) < 0)
		copt = NULL;
	json_t *m = json_pack("{s:s, s:s, s:s?, s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:s, s:s}",
	                      "config_opt", copt ? copt : "", "impact", impact, "runbook",
	                      ev_incident_list_get(&cfg->incidents.runbooks, impact), "incident",
	                      inc, "security", security, "availability", availability, "severities",
	                      sev, "escalation", steps, "ack_within",
	                      dur(cfg->incidents.ack_within), "containment", cont, "store",
	                      cfg->store.path, "state_dir", cfg->agent.state_dir);
	free(copt);
	return m;
}

struct runbook_opts {
	const char *impact, *format, *inc, *tmpl, *out, *config;
	bool json;
};

/* The options, checked; -1 to go on, else the exit status. */
static int runbook_parse(int argc, char **argv, struct runbook_opts *ro) {
	enum { O_IMPACT = 0x2000, O_FORMAT, O_INC, O_TMPL };
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"impact", required_argument, NULL, O_IMPACT},
	                                     {"format", required_argument, NULL, O_FORMAT},
	                                     {"incident", required_argument, NULL, O_INC},
	                                     {"template", required_argument, NULL, O_TMPL},
	                                     {"output", required_argument, NULL, 'o'},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {NULL, 0, NULL, 0}};
	*ro = (struct runbook_opts){.format = "md", .inc = "INC-ID"};
	int o;
	while ((o = getopt_long(argc, argv, "hc:o:", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			return ev_print_help(&ev_cmd_runbook);
		case EV_OPT_JSON:
			ro->json = true;
			break;
		case O_IMPACT:
			ro->impact = optarg;
			break;
		case O_FORMAT:
			ro->format = optarg;
			break;
		case O_INC:
			ro->inc = optarg;
			break;
		case O_TMPL:
			ro->tmpl = optarg;
			break;
		case 'o':
			ro->out = optarg;
			break;
		case 'c':
			ro->config = optarg;
			break;
		default:
			return ev_option_error(&ev_cmd_runbook, argv);
		}
	}
	char set[300], msg[300];
	ev_incident_choices(ev_incident_impacts, set, sizeof(set));
	if (optind < argc)
		return ev_usage_error(&ev_cmd_runbook, "unexpected argument '%s'", argv[optind]);
	if (!ro->impact || ev_incident_index(ev_incident_impacts, ro->impact) < 0)
		return ev_usage_error(&ev_cmd_runbook, "--impact: expected %s", set);
	if (strcmp(ro->format, "md") && strcmp(ro->format, "html"))
		return ev_usage_error(&ev_cmd_runbook, "--format: expected md or html");
	if (ev_incident_id_check(ro->inc, msg, sizeof(msg)) < 0)
		return ev_usage_error(&ev_cmd_runbook, "--incident: %s", msg);
	return -1;
}

static int runbook_run(int argc, char **argv) {
	struct runbook_opts ro;
	int st = runbook_parse(argc, argv, &ro);
	if (st >= 0)
		return st;
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	struct ev_tmpl *t = NULL;
	char *text = NULL, name[64];
	snprintf(name, sizeof(name), "templates/runbook/runbook.%s", ro.format);
	int r = ev_config_load(ro.config, &cfg, &errs);
	json_t *model = r < 0 ? NULL : runbook_model(cfg, ro.impact, ro.inc, ro.config);
	if (model && ro.json) {
		text = json_dumps(model, JSON_INDENT(2) | JSON_SORT_KEYS);
		r = text ? 0 : -ENOMEM;
	} else if (model && (r = ev_tmpl_load(ro.tmpl ? ro.tmpl : replay_rules_datadir(name), &t,
	                                      &errs)) == 0)
		r = ev_tmpl_render(t, model, !strcmp(ro.format, "html") ? EV_TMPL_HTML : EV_TMPL_MD,
		                   &text, &errs);
	if (ro.json && text) { /* the JSON model ends with a newline, like the rendered text */
		char *nl = NULL;
		if (asprintf(&nl, "%s\n", text) < 0)
			nl = NULL;
		free(text);
		text = nl;
	}
	bool failed = r < 0 || errs.n || !text;
	ev_errlist_print(&errs, stderr);
	if (!failed && ev_report_write_out(ro.out, text))
		failed = true;
	ev_errlist_clear(&errs);
	free(text);
	ev_tmpl_free(t);
	json_decref(model);
	ev_config_free(cfg);
	return failed ? EV_EXIT_USAGE : EV_EXIT_OK;
}

const struct ev_command ev_cmd_runbook = {
        .name = "runbook",
        .summary = "the runbook for an impact type: phases, checklists, contacts, commands",
        .run = runbook_run,
        .usage = "Usage: evident runbook --impact TYPE [--format md|html] [--incident INC]\n"
                 "                       [--template FILE] [-o FILE] [-c FILE] [--json]\n"
                 "\n"
                 "The runbook for an impact type in the seed's phases (detect, triage, contain,\n"
                 "preserve evidence, communicate, resolve, validate, postmortem): a checklist\n"
                 "per phase with the evident command of each step, the teams routed per\n"
                 "severity with their contacts in escalation order, the escalation steps and\n"
                 "deadlines, and the containment actions suggested for the type, from the\n"
                 "configuration. Rendered from conf/templates/runbook/runbook.{md,html} (plain\n"
                 "files a site may copy and change; --template FILE uses another). The\n"
                 "commands name --incident INC (default INC-ID) and, given -c FILE, that\n"
                 "configuration. See docs/reports.md.\n"
                 "\n"
                 "  --impact TYPE        data_breach, service_outage, service_degradation,\n"
                 "                       security_violation, compliance_issue,\n"
                 "                       user_complaints or internal_error\n"
                 "  --format F           md (default) or html\n"
                 "  --incident INC       the incident id the commands name\n"
                 "  --template FILE      render with this template instead of the shipped one\n"
                 "  -o, --output FILE    write to FILE (default: standard output)\n"
                 "  -c, --config FILE    the configuration (teams, contacts, containment)\n"
                 "  --json               print the model the template reads, as JSON\n"
                 "  -h, --help           show this help\n"
                 "\n"
                 "Exit status: 0 written, 2 usage error, template error (FILE:LINE:COL) or I/O\n"
                 "error.\n",
};
