/* evident report INC: the incident report (or with --postmortem the blameless
 * postmortem) from the incident's signed ledger and its bundles, verified now
 * (agent/report/model.h), rendered through a plain template (agent/report/tmpl.h;
 * conf/templates/report/, or --template FILE) as Markdown or HTML, or the model as JSON.
 * --seal puts the report into the store (`evident seal --offline --copy FILE` as a child,
 * the same seal as every other) and records a `report_sealed` entry in the incident's
 * ledger naming the bundle and the report's SHA-256.
 * Exit: 0 written; 1 written, but a bundle or the ledger does not verify; 2 usage or I/O
 * error, a template error (FILE:LINE:COL) or the seal failed. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/analyze/analysis.h"
#include "agent/cmd/cmd_report.h"
#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "agent/incident/triage.h"
#include "agent/replay_rules.h"
#include "agent/report/model.h"
#include "agent/report/tmpl.h"
#include "agent/spawn.h"
#include "store/ledger.h"
#include "util/clock.h"
#include "util/io.h"

static int load_keys(const struct ev_config *cfg, const struct ev_strv *pubs,
                     struct store_keyring *kr) {
	if (store_trusted_keys(cfg->store.path, kr, NULL) < 0 || !kr->n) {
		struct ev_errlist errs = {0};
		struct store_key *key = NULL;
		store_keyring_clear(kr);
		if (ev_incident_key(cfg, &key, kr, &errs) < 0)
			ev_errlist_clear(&errs);
		store_key_free(key);
	}
	if (pubs->n) {
		struct store_keyring pinned = {0};
		if (ev_store_keyring(pubs->v, pubs->n, NULL, &pinned))
			return EV_EXIT_USAGE;
		for (size_t i = 0; i < pinned.n; i++)
			store_keyring_add_public(kr, pinned.keys[i], true);
		store_keyring_clear(&pinned);
	}
	return 0;
}

int ev_report_load(const char *config, const char *state_opt, const char *id,
                   const struct ev_strv *pubs, struct ev_config **ret_cfg, struct store_keyring *kr,
                   struct ev_incident *inc) {
	char msg[300];
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	if (ev_incident_id_check(id, msg, sizeof(msg)) < 0) {
		ev_log_error("%s", msg);
		return EV_EXIT_USAGE;
	}
	if (ev_config_load(config, &cfg, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	const char *state_dir = state_opt ? state_opt : cfg->agent.state_dir;
	int r = load_keys(cfg, pubs, kr) ? -EINVAL : ev_incident_load(state_dir, id, kr, NULL, inc);
	if (r == -ENOENT)
		ev_log_error("incident %s: no such incident under %s/incidents", id, state_dir);
	else if (r < 0 && r != -EINVAL)
		ev_log_error("incident %s: cannot read its ledger: %s", id, strerror(-r));
	if (r < 0) {
		store_keyring_clear(kr);
		ev_config_free(cfg);
		return EV_EXIT_USAGE;
	}
	*ret_cfg = cfg;
	return 0;
}

struct ropts {
	const char *config, *state, *format, *out, *tmpl, *as;
	bool postmortem, seal, json;
	struct ev_strv pubs;
	struct ev_impact_in impact;
};

static int render(const struct ropts *ro, const json_t *model, char **ret) {
	if (!strcmp(ro->format, "json")) {
		*ret = json_dumps(model, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (*ret) {
			size_t n = strlen(*ret);
			char *nl = realloc(*ret, n + 2);
			if (nl) {
				nl[n] = '\n';
				nl[n + 1] = '\0';
				*ret = nl;
			}
		}
		return *ret ? 0 : EV_EXIT_USAGE;
	}
	char name[64];
	snprintf(name, sizeof(name), "templates/report/%s.%s",
	         ro->postmortem ? "postmortem" : "incident", ro->format);
	const char *path = ro->tmpl ? ro->tmpl : replay_rules_datadir(name);
	struct ev_errlist errs = {0};
	struct ev_tmpl *t = NULL;
	int r = ev_tmpl_load(path, &t, &errs);
	if (r == 0)
		r = ev_tmpl_render(t, model,
		                   !strcmp(ro->format, "html") ? EV_TMPL_HTML : EV_TMPL_MD, ret,
		                   &errs);
	ev_tmpl_free(t);
	if (r < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	return 0;
}

/* Seal the written report into the store and record it in the incident's ledger. */
static int seal_report(const struct ropts *ro, const struct ev_config *cfg, const char *state_dir,
                       const char *id, const char *path, const char *text) {
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return ev_log_error("--seal: cannot find this program: %s", strerror(errno)),
		       EV_EXIT_USAGE;
	exe[n] = '\0';
	char *argv[20] = {exe,       "seal",           "--offline",  "--json",
	                  "--store", cfg->store.path,  "--key",      cfg->store.key,
	                  "--copy",  (char *)path,     "--incident", (char *)id,
	                  "--note",  "incident report"};
	size_t k = 14;
	if (ro->as) {
		argv[k++] = "--actor";
		argv[k++] = (char *)ro->as;
	}
	struct ev_spawn sp = {.argv = argv,
	                      .timeout_usec = 120 * 1000000ULL,
	                      .out_cap = 1 << 20,
	                      .err_cap = 1 << 16};
	struct ev_spawn_result res = {0};
	int r = ev_spawn_run(&sp, &res);
	json_t *o = r == 0 && WIFEXITED(res.status) && !WEXITSTATUS(res.status)
	                    ? json_loads(res.out, 0, NULL)
	                    : NULL;
	if (!o) {
		ev_log_error("--seal: the seal failed%s%.300s", r == 0 && res.err ? ": " : "",
		             r == 0 && res.err ? res.err : strerror(-r));
		ev_spawn_result_clear(&res);
		return EV_EXIT_USAGE;
	}
	ev_spawn_result_clear(&res);
	uint8_t h[STORE_HASH_LEN];
	char hx[STORE_HEX_LEN + 1];
	store_sha256(text, strlen(text), h);
	store_hex(h, STORE_HASH_LEN, hx);
	struct ev_errlist errs = {0};
	struct store_key *key = NULL;
	struct store_keyring kr = {0};
	json_t *actor = ev_store_actor(ro->as);
	r = ev_incident_key(cfg, &key, &kr, &errs);
	if (r >= 0)
		r = ev_incident_append(state_dir, id, key, "report_sealed",
		                       json_string_value(json_object_get(o, "bundle_id")),
		                       json_pack("{s:s, s:s, s:s, s:b, s:O?, s:O?, s:O?}", "report",
		                                 path, "report_sha256", hx, "format", ro->format,
		                                 "postmortem", ro->postmortem, "bundle",
		                                 json_object_get(o, "bundle"), "bundle_id",
		                                 json_object_get(o, "bundle_id"), "manifest_sha256",
		                                 json_object_get(o, "manifest_sha256")),
		                       actor, &errs);
	json_decref(actor);
	store_key_free(key);
	store_keyring_clear(&kr);
	if (r < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		json_decref(o);
		return EV_EXIT_USAGE;
	}
	fprintf(stderr, "evident: report sealed in bundle %s (manifest sha256 %s)\n",
	        json_string_value(json_object_get(o, "bundle_id")),
	        json_string_value(json_object_get(o, "manifest_sha256")));
	json_decref(o);
	return 0;
}

int ev_report_write_out(const char *path, const char *text) {
	FILE *f = path ? fopen(path, "we") : stdout;
	if (!f) {
		ev_log_error("-o %s: %s", path, strerror(errno));
		return EV_EXIT_USAGE;
	}
	bool ok = fputs(text, f) >= 0;
	int r;
	if (path)
		r = fclose(f);
	else
		r = fflush(f);
	ok = ok && r == 0;
	if (!ok)
		ev_log_error("cannot write%s%s", path ? " to " : "", path ? path : "");
	return ok ? 0 : EV_EXIT_USAGE;
}

/* The analysis of the incident's window and bundles (evident analyze --incident): its
 * chart for the HTML report, and its first errors and pattern onsets for the timeline
 * (the ledger's entries are in the timeline already). No chart when no log line of the
 * incident's evidence could be analysed: the report then says nothing about one. */
static struct analysis *report_analysis(const struct ev_config *cfg, const char *state_dir,
                                        const char *id, char **ret_svg) {
	struct analysis *a = NULL;
	struct ev_errlist errs = {0};
	int r = analyze_incident(cfg, state_dir, id, &a, &errs);
	ev_errlist_clear(&errs);
	*ret_svg = NULL;
	if (r < 0)
		return NULL;
	if (a->n_svc > 0) { /* lines were analysed: their error rate per service */
		*ret_svg = analyze_svg_string(a, NULL);
		char *s = *ret_svg, *nl;
		/* inline in HTML: without the XML declaration of the standalone document */
		if (s && !strncmp(s, "<?xml", 5) && (nl = strchr(s, '\n')))
			memmove(s, nl + 1, strlen(nl + 1) + 1);
	}
	return a;
}

static void report_merge_analysis(json_t *model, const struct analysis *a) {
	struct analyze_event *ev = NULL;
	int n = a ? analyze_timeline(a, &ev) : 0;
	json_t *add = json_array();
	for (int i = 0; add && i < n; i++) {
		const char *k = ev[i].kind;
		if (strcmp(k, "first_error") && strcmp(k, "pattern_onset") &&
		    strcmp(k, "new_pattern"))
			continue;
		char *detail = NULL;
		if (asprintf(&detail, "%s%s%s", ev[i].service ? ev[i].service : "",
		             ev[i].service ? ": " : "", ev[i].text ? ev[i].text : "") < 0)
			continue;
		json_array_append_new(add, json_pack("{s:I, s:o, s:s, s:s, s:s}", "at_us",
		                                     (json_int_t)ev[i].t_us, "at",
		                                     ev_incident_time_json(ev[i].t_us), "event", k,
		                                     "detail", detail, "source", "analysis"));
		free(detail);
	}
	if (add && json_array_size(add))
		ev_report_timeline_merge(model, add);
	json_decref(add);
	if (n > 0)
		analyze_timeline_free(ev, (size_t)n);
}

static int report_make(struct ropts *ro, const char *id) {
	struct ev_config *cfg = NULL;
	struct store_keyring kr = {0};
	struct ev_incident inc;
	int ret = ev_report_load(ro->config, ro->state, id, &ro->pubs, &cfg, &kr, &inc);
	if (ret)
		return ret;
	const char *state_dir = ro->state ? ro->state : cfg->agent.state_dir;
	struct ev_report_opts o = {.cfg = cfg,
	                           .inc = &inc,
	                           .kr = &kr,
	                           .postmortem = ro->postmortem,
	                           .now = ev_now_realtime_us(),
	                           .impact = ro->impact};
	char *svg = NULL;
	struct analysis *an = report_analysis(cfg, state_dir, id, &svg);
	o.chart_svg = svg;
	json_t *model = ev_report_model(&o);
	if (model)
		report_merge_analysis(model, an);
	analyze_free(an);
	free(svg);
	char *text = NULL;
	ret = model ? render(ro, model, &text) : EV_EXIT_USAGE;
	if (!ret)
		ret = ev_report_write_out(ro->out, text);
	if (!ret && ro->seal)
		ret = seal_report(ro, cfg, state_dir, id, ro->out, text);
	if (!ret &&
	    (inc.n_invalid ||
	     !json_is_true(json_object_get(json_object_get(model, "artifacts"), "all_verified"))))
		ret = EV_EXIT_FINDING;
	free(text);
	json_decref(model);
	ev_incident_done(&inc);
	store_keyring_clear(&kr);
	ev_config_free(cfg);
	return ret;
}

static int report_run(int argc, char **argv) {
	enum { O_FORMAT = 0x2000, O_PM, O_SEAL, O_STATE, O_PUB, O_TMPL, O_AS };
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     EV_IMPACT_LONGOPTS,
	                                     {"format", required_argument, NULL, O_FORMAT},
	                                     {"postmortem", no_argument, NULL, O_PM},
	                                     {"seal", no_argument, NULL, O_SEAL},
	                                     {"output", required_argument, NULL, 'o'},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"state-dir", required_argument, NULL, O_STATE},
	                                     {"pub", required_argument, NULL, O_PUB},
	                                     {"template", required_argument, NULL, O_TMPL},
	                                     {"as", required_argument, NULL, O_AS},
	                                     {NULL, 0, NULL, 0}};
	struct ropts ro = {.format = "md"};
	ev_impact_defaults(&ro.impact);
	int o, r = 0;
	while (!r && (o = getopt_long(argc, argv, "hc:o:", opts, NULL)) != -1) {
		if (o == 'h')
			r = ev_print_help(&ev_cmd_report) + 1000;
		else if (o == EV_OPT_JSON)
			ro.format = "json";
		else if (o == O_FORMAT)
			ro.format = optarg;
		else if (o == O_PM)
			ro.postmortem = true;
		else if (o == O_SEAL)
			ro.seal = true;
		else if (o == 'o')
			ro.out = optarg;
		else if (o == 'c')
			ro.config = optarg;
		else if (o == O_STATE)
			ro.state = optarg;
		else if (o == O_TMPL)
			ro.tmpl = optarg;
		else if (o == O_AS)
			ro.as = optarg;
		else if (o == O_PUB)
			r = ev_strv_push(&ro.pubs, optarg) < 0 ? EV_EXIT_USAGE : 0;
		else if (o >= EV_IOPT_USERS && o <= EV_IOPT_LAST)
			r = ev_impact_opt(&ev_cmd_report, o, optarg, &ro.impact);
		else
			r = ev_option_error(&ev_cmd_report, argv);
	}
	if (!r && strcmp(ro.format, "md") && strcmp(ro.format, "html") && strcmp(ro.format, "json"))
		r = ev_usage_error(&ev_cmd_report, "--format: expected md, html or json");
	else if (!r && optind + 1 != argc)
		r = ev_usage_error(&ev_cmd_report, "expected one incident ID");
	else if (!r && ro.seal && !ro.out)
		r = ev_usage_error(&ev_cmd_report,
		                   "--seal needs -o FILE (the file that is sealed)");
	if (!r)
		r = report_make(&ro, argv[optind]);
	free(ro.pubs.v);
	return r >= 1000 ? r - 1000 : r;
}

const struct ev_command ev_cmd_report = {
        .name = "report",
        .summary = "an incident's report or blameless postmortem (md, html, json)",
        .run = report_run,
        .usage =
                "Usage: evident report INC [--format md|html|json] [--postmortem]\n"
                "                      [-o FILE [--seal]] [--template FILE] [--pub KEY]...\n"
                "                      [impact options] [-c FILE] [--state-dir DIR] [--as NAME]\n"
                "\n"
                "The incident report in the seed's structure (Executive Summary, Timeline,\n"
                "Impact, Root Cause, Resolution, Lessons Learned, Artifacts), or with\n"
                "--postmortem the blameless postmortem (Summary, Impact, Timeline, Root Cause\n"
                "with a five-whys scaffold and contributing factors, Resolution, Follow-up with\n"
                "the action items, overdue ones flagged). Everything comes from the incident's\n"
                "signed ledger and its evidence: each bundle (from every host) is verified now,\n"
                "with the store's trusted keys and the pinned --pub keys, and listed with its\n"
                "host, id, manifest hash and verification status, with its custody entries and\n"
                "the communication history (update_sent entries). What only a person can write\n"
                "(a root cause not recorded, lessons, the five whys) is marked TO DO, never\n"
                "invented. Templates: conf/templates/report/{incident,postmortem}.{md,html}\n"
                "(plain files; --template FILE uses another). HTML is one self-contained,\n"
                "printable file. See docs/reports.md.\n"
                "\n"
                "  --format F           md (default), html or json (the model the templates read)\n"
                "  --json               the same as --format json\n"
                "  --postmortem         the postmortem instead of the incident report\n"
                "  -o, --output FILE    write to FILE (default: standard output)\n"
                "  --seal               seal FILE into the store and record it in the incident\n"
                "  --template FILE      render with this template instead of the shipped one\n"
                "  --pub KEY            a pinned public key of another host's bundles\n"
                "  --affected-users N, --downtime DUR, --revenue-per-user-minute X, --sla PCT,\n"
                "  --period DUR, --total-users N\n"
                "                       impact figures (as 'evident impact'; the downtime and\n"
                "                       users default to what the incident recorded)\n"
                "  -c, --config FILE    the configuration (state_dir, store)\n"
                "  --state-dir DIR      incidents under DIR (default agent.state_dir)\n"
                "  --as NAME            who you are (recorded with --seal)\n"
                "  -h, --help           show this help\n"
                "\n"
                "Exit status: 0 written, 1 written but a bundle or the incident's ledger does\n"
                "not verify, 2 usage or I/O error, template error (FILE:LINE:COL), or the seal\n"
                "failed.\n",
};
