/* Fuzz target: the two template languages on arbitrary template text with a fixed
 * context. The message templates (agent/notify/template.h: {{name}} from the variables
 * ev_message_vars builds) and the report templates (agent/report/tmpl.h: sections,
 * inverses, comments, escaped and raw values, rendered with every escape against the
 * model ev_report_model builds). The context comes from the real builders, once, for a
 * hand-made incident (triaged, with roles, services, ledger entries, a decision, an
 * action item, a root cause and a chart). Nothing may crash, leak or read out of bounds;
 * a successful render is a NUL-terminated string, a failed one returns nothing and says
 * why in the error list. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cmd/commands.h"
#include "agent/incident/incident.h"
#include "agent/notify/message.h"
#include "agent/notify/template.h"
#include "agent/report/model.h"
#include "agent/report/tmpl.h"
#include "agent/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The command table in libagent.a names these two, which live in the binary's main.c. */
const struct ev_command ev_cmd_help = {.name = "help"};
const struct ev_command ev_cmd_version = {.name = "version"};

static const char ledger[] =
        "[{\"action\":\"opened\",\"time\":\"2026-11-27T01:40:00Z\",\"_valid\":true,"
        "\"actor\":{\"name\":\"alice\"},\"details\":{\"summary\":\"logins <failing> & "
        "slow | api\"}},"
        "{\"action\":\"triaged\",\"time\":\"2026-11-27T01:45:00Z\",\"_valid\":true,"
        "\"details\":{\"severity\":\"SEV2\",\"impact\":\"degraded\",\"urgency\":\"high\"}},"
        "{\"action\":\"decision\",\"time\":\"2026-11-27T01:50:00Z\",\"_valid\":true,"
        "\"details\":{\"decision\":\"roll back\",\"rationale\":\"the deploy at 01:30\"}},"
        "{\"action\":\"action_item\",\"time\":\"2026-11-27T02:10:00Z\",\"_valid\":true,"
        "\"details\":{\"item\":\"A1\",\"what\":\"alert on login failures\",\"owner\":\"bob\","
        "\"deadline\":\"2026-12-04T00:00:00Z\",\"kind\":\"prevent\"}},"
        "{\"action\":\"note\",\"time\":\"2026-11-27T02:00:00Z\",\"_valid\":false}]";

static json_t *vars, *model;

static void context(void) {
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	if (ev_config_load(EV_CONFIG_EMBEDDED, &cfg, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		abort();
	}
	struct ev_incident inc = {.id = "INC-2026-11-27-1",
	                          .state = "mitigated",
	                          .impact = 1,
	                          .urgency = 1,
	                          .severity = 1,
	                          .root_cause = "a config push\nwith | pipes",
	                          .resolution = "rolled back"};
	for (int t = 0; t < _EV_T_MAX; t++)
		inc.t[t] = t <= EV_T_MITIGATE ? INT64_C(1764207600000000) + t * INT64_C(60000000)
		                              : EV_T_UNSET;
	inc.entries = json_loads(ledger, 0, NULL);
	inc.triage = json_object_get(json_array_get(inc.entries, 1), "details");
	inc.roles = json_pack("{s:s, s:s}", "commander", "alice", "communication_lead", "carol");
	inc.evidence = json_array();
	inc.services = json_pack("[s, s]", "api", "web");
	if (!inc.entries || !inc.roles || !inc.services) {
		fprintf(stderr, "fuzz-templates: cannot build the incident\n");
		abort();
	}
	int64_t now = INT64_C(1764212400000000);
	vars = ev_message_vars(cfg, &inc, now, "We are <on it> & {{not a tag}}", "03:00 UTC");
	struct ev_report_opts o = {.cfg = cfg,
	                           .inc = &inc,
	                           .postmortem = true,
	                           .now = now,
	                           .chart_svg = "<svg><rect width=\"3\"/></svg>"};
	o.impact = (struct ev_impact_in){.users = 1200,
	                                 .total_users = 50000,
	                                 .downtime_us = EV_IMPACT_UNSET,
	                                 .rpum_micro = 50000,
	                                 .sla_micro = 99900000,
	                                 .period_us = INT64_C(2592000000000)};
	model = ev_report_model(&o);
	if (!vars || !model) {
		fprintf(stderr, "fuzz-templates: no %s\n",
		        vars ? "report model" : "message variables");
		abort();
	}
	json_decref(inc.entries);
	json_decref(inc.roles);
	json_decref(inc.evidence);
	json_decref(inc.services);
	ev_config_free(cfg);
	ev_errlist_clear(&errs);
}

/* A render either returns a string or fails with a reason. */
static void check(int r, char *out, struct ev_errlist *errs) {
	if ((r == 0 && (!out || errs->n)) || (r < 0 && (out || (r == -EINVAL && !errs->n)))) {
		fprintf(stderr, "fuzz-templates: render returned %d, %s, %zu error(s)\n", r,
		        out ? "a string" : "no string", errs->n);
		ev_errlist_print(errs, stderr);
		abort();
	}
	free(out);
	ev_errlist_clear(errs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	if (!model)
		context();
	const char *text = (const char *)data;
	struct ev_errlist errs = {0};
	char *out = NULL;
	int r = ev_template_render("fuzz.txt", text, size, vars, &out, &errs);
	check(r, out, &errs);
	struct ev_tmpl *t = NULL;
	if (ev_tmpl_parse(text, size, "fuzz.tmpl", &t, &errs) == 0) {
		static const enum ev_tmpl_escape esc[] = {EV_TMPL_TEXT, EV_TMPL_HTML, EV_TMPL_MD};
		for (size_t i = 0; i < sizeof(esc) / sizeof(esc[0]); i++) {
			out = NULL;
			r = ev_tmpl_render(t, model, esc[i], &out, &errs);
			check(r, out, &errs);
		}
		ev_tmpl_free(t);
	}
	ev_errlist_clear(&errs);
	return 0;
}
