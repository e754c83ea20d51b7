/* evident analyze: group log lines into templates (correlate/miner.h) and analyse a
 * window: error patterns, new and surging templates, per service the first error and
 * the error rate, the order services started failing, trace-id paths, a timeline, and an
 * SVG chart (agent/analyze/). `--assign` prints, per input line, its template. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/analyze/analysis.h"
#include "agent/analyze/bundle_in.h"
#include "agent/analyze/incident_in.h"
#include "agent/analyze/run.h"
#include "agent/analyze/svg.h"
#include "agent/analyze/tplstore.h"
#include "agent/cmd/commands.h"
#include "agent/cmd/timeparse.h"
#include "agent/replay_rules.h"
#include "agent/term.h"
#include "collector/reader.h"
#include "correlate/miner.h"
#include "util/clock.h"
#include "util/macro.h"
#include "util/strv.h"
#include "util/timefmt.h"
#include "agent/settings.h"

enum {
	OPT_ASSIGN = 0x2000,
	OPT_SVG,
	OPT_STATE,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_SERVICE,
	OPT_TRACE,
	OPT_MARK,
	OPT_TZ,
	OPT_FORMAT,
	OPT_NOW,
	OPT_CONFIG,
	OPT_BUNDLE,
	OPT_PUB,
	OPT_INCIDENT,
};

static void print_errs(struct ev_errlist *errs) {
	for (size_t i = 0; i < errs->n; i++) {
		_cleanup_free_ char *m = ev_error_format(&errs->v[i]);
		ev_log_error("%s", m ? m : "error");
	}
	ev_errlist_clear(errs);
}

struct an_opts {
	bool assign, json;
	bool configured; /* no input given: the configured sources over --since/--until */
	const char *svg, *state, *config, *incident;
	int64_t since_us, until_us; /* ANALYZE_NONE: from the input */
	struct ev_strv services, traces, marks;
	struct collector_reader_opts ro;
	char **files;
	int n_files;
	struct ev_strv bundles, pubs;
	struct analyze_bundles in;         /* the bundles' verified members */
	struct analyze_incident_input inc; /* --incident */
};

static int open_reader(const struct an_opts *o, char **files, int n,
                       struct collector_reader **ret) {
	struct ev_errlist errs = {0};
	int r = analyze_open_reader(&o->ro, files, (size_t)n, ret, &errs);
	print_errs(&errs);
	return r;
}

static int load_store(const struct an_opts *o, struct miner *m) {
	size_t bad = 0;
	if (!o->state)
		return 0;
	int r = analyze_store_load(m, o->state, &bad);
	if (r < 0)
		ev_log_error("cannot read the template store in %s: %s", o->state, strerror(-r));
	else if (bad)
		ev_log_warning("template store in %s: %zu unreadable lines skipped", o->state, bad);
	return r;
}

static int save_store(const struct an_opts *o, struct miner *m) {
	if (!o->state)
		return 0;
	int r = analyze_store_save(m, o->state);
	if (r < 0)
		ev_log_error("cannot write the template store in %s: %s", o->state, strerror(-r));
	return r;
}

/* --assign: every line of every file, in order (files one after the other), with the
 * template it ended in. */
static int run_assign(const struct an_opts *o, struct miner *m) {
	uint32_t *idx = NULL;
	size_t n = 0, alloc = 0;
	int rc = EV_EXIT_OK;
	struct ev_record rec;
	ev_record_init(&rec);
	for (int f = 0; f < o->n_files && rc == EV_EXIT_OK; f++) {
		struct collector_reader *rd = NULL;
		if (open_reader(o, o->files + f, 1, &rd) < 0) {
			rc = EV_EXIT_USAGE;
			break;
		}
		int r;
		while ((r = replay_next_record(rd, &rec)) != 0) {
			if (r == -ENOMEM ||
			    (r >= 0 && (r = miner_add(m, rec.message.p ? rec.message.p : "",
			                              rec.message.len)) < 0)) {
				rc = EV_EXIT_USAGE;
				break;
			}
			if (r < 0)
				continue;
			if (n == alloc) {
				alloc = alloc ? alloc * 2 : 4096;
				uint32_t *v = realloc(idx, alloc * sizeof(*v));
				if (!v) {
					rc = EV_EXIT_USAGE;
					break;
				}
				idx = v;
			}
			idx[n++] = (uint32_t)r;
		}
		collector_reader_free(rd);
	}
	for (size_t i = 0; rc == EV_EXIT_OK && i < n; i++) {
		const struct miner_template *t = miner_template(m, idx[i]);
		if (o->json) {
			json_t *j = json_pack("{s:I,s:s,s:s}", "line", (json_int_t)(i + 1), "id",
			                      "", "template", t->text);
			char id[17];
			snprintf(id, sizeof(id), "%016" PRIx64, t->id);
			json_object_set_new(j, "id", json_string(id));
			json_dumpf(j, stdout, JSON_COMPACT | JSON_SORT_KEYS);
			fputc('\n', stdout);
			json_decref(j);
		} else
			printf("%016" PRIx64 "\t%s\n", t->id, t->text);
	}
	free(idx);
	ev_record_free(&rec);
	if (rc == EV_EXIT_OK && save_store(o, m) < 0)
		rc = EV_EXIT_USAGE;
	if (fflush(stdout) != 0)
		rc = EV_EXIT_USAGE;
	return rc;
}

static void fmt_time(int64_t us, char *buf, size_t len) {
	if (us == ANALYZE_NONE)
		snprintf(buf, len, "-");
	else
		ev_format_rfc3339(us, buf, len);
}

static void sparkline(const struct analyze_service *s) {
	static const char *const bars[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	uint32_t mx = 0;
	for (size_t b = 0; b < ANALYZE_BINS; b++)
		mx = MAX(mx, s->bins[b]);
	for (size_t b = 0; b < ANALYZE_BINS; b++)
		fputs(bars[mx ? (s->bins[b] * 8 + mx - 1) / mx : 0], stdout);
}

static void print_templates(const struct analysis *a, const char *title, int which) {
	bool any = false;
	for (size_t i = 0; i < a->n_ts; i++) {
		const struct analyze_tstat *t = &a->ts[i];
		bool sel = which == 0   ? t->errors > 0
		           : which == 1 ? analyze_template_new(a, i)
		                        : t->in >= 3 && t->prior > 0 &&
		                                  analyze_template_surge(a, i) >= 2.0;
		if (!sel)
			continue;
		if (!any)
			printf("\n%s:\n", title);
		any = true;
		char f[64], l[64];
		fmt_time(t->first_us, f, sizeof(f));
		fmt_time(t->last_us, l, sizeof(l));
		printf("  %016" PRIx64 "  %6" PRIu64 " lines %6" PRIu64 " errors  %s .. %s",
		       miner_template(a->miner, i)->id, t->in, t->errors, f, l);
		if (which == 2)
			printf("  x%.1f", analyze_template_surge(a, i));
		printf("\n      ");
		for (size_t k = 0; k < a->n_svc; k++)
			if (t->services & (1ull << k))
				printf("[%s] ", a->svc[k].name);
		ev_term_put_text(stdout, miner_template(a->miner, i)->text);
		putchar('\n');
	}
}

static void print_human(const struct analysis *a) {
	char s[64], u[64];
	fmt_time(a->since_us, s, sizeof(s));
	fmt_time(a->until_us, u, sizeof(u));
	printf("Window %s .. %s: %" PRIu64 " lines, %zu templates\n", s, u, a->lines,
	       miner_count(a->miner));
	print_templates(a, "Error patterns", 0);
	print_templates(a, "New templates", 1);
	print_templates(a, "Surging templates (against the span before)", 2);
	printf("\nServices (errors over the window, %d bins):\n", ANALYZE_BINS);
	for (size_t i = 0; i < a->n_svc; i++) {
		fmt_time(a->svc[i].first_error_us, s, sizeof(s));
		printf("  %-16s %6" PRIu64 " errors  first %-20s |", a->svc[i].name,
		       a->svc[i].errors, s);
		sparkline(&a->svc[i]);
		printf("|\n");
	}
	size_t order[ANALYZE_MAX_SERVICES];
	size_t n = analyze_failure_order(a, order, ELEMENTSOF(order));
	if (n) {
		printf("\nFailure order:");
		for (size_t k = 0; k < n; k++) {
			const struct analyze_service *v = &a->svc[order[k]];
			if (k)
				printf(" -> (+%.3f s) %s",
				       (double)(v->first_error_us -
				                a->svc[order[k - 1]].first_error_us) /
				               1e6,
				       v->name);
			else
				printf(" %s", v->name);
		}
		putchar('\n');
	}
	json_t *j = analyze_to_json(a);
	json_t *paths = json_object_get(j, "trace_paths"), *e;
	size_t i;
	if (json_array_size(paths))
		printf("\nTrace paths:\n");
	json_array_foreach(paths, i, e)
	        printf("  %s: %" JSON_INTEGER_FORMAT " ids (%" JSON_INTEGER_FORMAT
	               " with errors), e.g. %s\n",
	               json_string_value(json_object_get(e, "path")),
	               json_integer_value(json_object_get(e, "traces")),
	               json_integer_value(json_object_get(e, "with_errors")),
	               json_string_value(json_object_get(e, "example")));
	json_t *tl = json_object_get(j, "timeline");
	if (json_array_size(tl))
		printf("\nTimeline:\n");
	json_array_foreach(tl, i, e) {
		printf("  %s  %-13s %s%s%s", json_string_value(json_object_get(e, "time")),
		       json_string_value(json_object_get(e, "kind")),
		       json_object_get(e, "service") ? "[" : "",
		       json_object_get(e, "service")
		               ? json_string_value(json_object_get(e, "service"))
		               : "",
		       json_object_get(e, "service") ? "] " : "");
		ev_term_put_text(stdout, json_string_value(json_object_get(e, "text")));
		if (json_object_get(e, "host")) {
			fputs("  (host ", stdout);
			ev_term_put_text(stdout, json_string_value(json_object_get(e, "host")));
			putchar(')');
		}
		putchar('\n');
	}
	json_decref(j);
}

/* What the bundles gave: members analysed (one line a bundle) and what was left out. */
static void print_notes(const struct an_opts *o, FILE *f) {
	size_t i, n_ok = 0;
	json_t *e;
	const char *last = NULL;
	json_array_foreach(o->in.notes, i, e) {
		const char *b = json_string_value(json_object_get(e, "bundle"));
		const char *m = json_string_value(json_object_get(e, "member"));
		if (json_is_true(json_object_get(e, "analysed"))) {
			if (!last || strcmp(last, b))
				fprintf(f, "Bundle %s: verified\n", b);
			fprintf(f, "  analysed %s\n", m);
			n_ok++;
		} else {
			fprintf(f, "Bundle %s%s%s: NOT analysed: ", b, m ? " member " : "",
			        m ? m : "");
			ev_term_put_text(f, json_string_value(json_object_get(e, "reason")));
			fputc('\n', f);
		}
		last = b;
	}
	if (json_array_size(o->in.notes) && f == stdout)
		fputc('\n', f);
}

static int add_marks(const struct an_opts *o, struct analysis *a) {
	for (size_t i = 0; i < o->marks.n; i++) {
		const char *m = o->marks.v[i], *at = strchr(m, '@');
		_cleanup_free_ char *kind = at ? strndup(m, (size_t)(at - m)) : NULL;
		int64_t t;
		if (!kind || !*kind || ev_parse_time(at + 1, (int64_t)time(NULL) * 1000000, &t) < 0)
			return ev_usage_error(&ev_cmd_analyze,
			                      "invalid --mark '%s' (want KIND@TIME)", m);
		if (analyze_add_marker(a, t, kind, at + 1) < 0)
			return EV_EXIT_USAGE;
	}
	return EV_EXIT_OK;
}

/* --incident: its window (unless given), its bundles, its ledger on the timeline. */
static int incident_input(struct an_opts *o, const struct ev_config *cfg) {
	struct ev_errlist errs = {0};
	int r = analyze_incident_read(cfg, o->state, o->incident, ev_now_realtime_us(), &o->inc,
	                              &errs);
	print_errs(&errs);
	if (r < 0)
		return EV_EXIT_USAGE;
	if (o->inc.n_invalid)
		ev_log_warning("incident %s: %zu ledger lines do not verify and are left out",
		               o->incident, o->inc.n_invalid);
	o->since_us = o->since_us == ANALYZE_NONE ? o->inc.since_us : o->since_us;
	o->until_us = o->until_us == ANALYZE_NONE ? o->inc.until_us : o->until_us;
	size_t i;
	json_t *e;
	json_array_foreach(o->inc.bundles, i, e) {
		if (analyze_bundles_add(&o->in, json_string_value(json_object_get(e, "bundle")),
		                        o->pubs.v, o->pubs.n,
		                        json_string_value(json_object_get(e, "manifest_sha256"))) <
		    0)
			return EV_EXIT_USAGE;
	}
	return EV_EXIT_OK;
}

static void print_json(const struct an_opts *o, const struct analysis *a, int *rc) {
	json_t *j = analyze_to_json(a);
	if (j && o->in.notes)
		json_object_set(j, "bundles", o->in.notes);
	if (j && o->incident)
		json_object_set_new(j, "incident", json_string(o->incident));
	if (!j || json_dumpf(j, stdout, JSON_COMPACT | JSON_SORT_KEYS) < 0)
		*rc = EV_EXIT_USAGE;
	fputc('\n', stdout);
	json_decref(j);
}

static int run_analyze(const struct an_opts *o, const struct ev_config *cfg, struct miner *m) {
	struct analysis a;
	const struct ev_strv *trv = o->traces.n ? &o->traces : &cfg->analyze.trace_fields;
	_cleanup_free_ const char **tr = calloc(trv->n + 1, sizeof(char *));
	if (!tr)
		return EV_EXIT_USAGE;
	for (size_t i = 0; i < trv->n; i++)
		tr[i] = trv->v[i];
	struct analyze_input in = {.files = o->files,
	                           .n_files = (size_t)o->n_files,
	                           .since_us = o->since_us,
	                           .until_us = o->until_us,
	                           .ro = o->ro,
	                           .services = o->services.v,
	                           .n_services = o->services.n};
	struct ev_errlist errs = {0};
	struct analyze_source *src = NULL;
	int r = o->configured ? analyze_config_sources(cfg, &o->ro, &src, &in.n_sources) : 0;
	in.sources = src;
	if (r >= 0)
		r = analyze_read(&a, m, &in, tr, &errs);
	else
		analyze_init(&a, m, 0, 0, NULL);
	analyze_sources_free(src, in.n_sources);
	print_errs(&errs);
	int rc = r == -EINVAL ? ev_usage_error(&ev_cmd_analyze, "--until is before --since")
	         : r < 0      ? EV_EXIT_USAGE
	                      : add_marks(o, &a);
	if (rc == EV_EXIT_OK && analyze_incident_markers(&a, &o->inc) < 0)
		rc = EV_EXIT_USAGE;
	if (rc == EV_EXIT_OK && o->svg) {
		FILE *f = fopen(o->svg, "we");
		int w = f ? analyze_svg_write(&a, f) : -errno;
		if (f && fclose(f) != 0 && w >= 0)
			w = -EIO;
		if (w < 0) {
			errno = -w;
			ev_log_error("cannot write %s: %m", o->svg);
			rc = EV_EXIT_USAGE;
		}
	}
	if (rc == EV_EXIT_OK && o->json)
		print_json(o, &a, &rc);
	else if (rc == EV_EXIT_OK) {
		print_notes(o, stdout);
		print_human(&a);
	}
	if (rc == EV_EXIT_OK && save_store(o, m) < 0)
		rc = EV_EXIT_USAGE;
	analyze_done(&a);
	return rc;
}

static int parse_when(const char *opt, const char *v, int64_t *ret) {
	if (ev_parse_time(v, (int64_t)time(NULL) * 1000000, ret) < 0)
		return ev_usage_error(&ev_cmd_analyze, "invalid %s '%s' (want " EV_TIME_FORMS ")",
		                      opt, v);
	return 0;
}

static bool is_bundle_name(const char *p) {
	size_t n = strlen(p);
	return n > 7 && !strcmp(p + n - 7, ".tar.gz");
}

/* The files to read: the FILE arguments, and the verified members of every bundle (given
 * with --bundle or as an argument ending in .tar.gz). What was left out is in o->in.notes. */
static int gather_inputs(struct an_opts *o, char **args, int n) {
	o->files = calloc((size_t)n + 1, sizeof(char *));
	if (!o->files)
		return EV_EXIT_USAGE;
	for (int i = 0; i < n; i++)
		if (!is_bundle_name(args[i]))
			o->files[o->n_files++] = args[i];
		else if (analyze_bundles_add(&o->in, args[i], o->pubs.v, o->pubs.n, NULL) < 0)
			return EV_EXIT_USAGE;
	for (size_t i = 0; i < o->bundles.n; i++)
		if (analyze_bundles_add(&o->in, o->bundles.v[i], o->pubs.v, o->pubs.n, NULL) < 0)
			return EV_EXIT_USAGE;
	if (o->in.n_files) {
		char **v = realloc(o->files, ((size_t)o->n_files + o->in.n_files) * sizeof(*v));
		if (!v)
			return EV_EXIT_USAGE;
		o->files = v;
		for (size_t i = 0; i < o->in.n_files; i++)
			o->files[o->n_files++] = o->in.files[i];
	}
	if (o->n_files == 0 && !o->in.refused && !o->incident && !o->configured)
		return ev_usage_error(&ev_cmd_analyze, "no input (the bundles hold no log member)");
	return EV_EXIT_OK;
}

/* One option. Returns -1 to go on, or the exit code. */
static int analyze_option(struct an_opts *o, int c, char **argv) {
	int rc = EV_EXIT_OK;
	switch (c) {
	case 'h':
		return ev_print_help(&ev_cmd_analyze);
	case EV_OPT_JSON:
		o->json = true;
		break;
	case OPT_ASSIGN:
		o->assign = true;
		break;
	case OPT_SVG:
		o->svg = optarg;
		break;
	case OPT_STATE:
		o->state = optarg;
		break;
	case OPT_CONFIG:
		o->config = optarg;
		break;
	case OPT_INCIDENT:
		o->incident = optarg;
		break;
	case OPT_TZ:
		o->ro.tz = optarg;
		break;
	case OPT_FORMAT:
		o->ro.format = optarg;
		break;
	case OPT_SINCE:
		rc = parse_when("--since", optarg, &o->since_us);
		break;
	case OPT_UNTIL:
		rc = parse_when("--until", optarg, &o->until_us);
		break;
	case OPT_NOW:
		rc = parse_when("--now", optarg, &o->ro.now_us);
		break;
	case OPT_SERVICE:
	case OPT_TRACE:
	case OPT_MARK:
	case OPT_BUNDLE:
	case OPT_PUB:
		if (ev_strv_push(c == OPT_SERVICE  ? &o->services
		                 : c == OPT_TRACE  ? &o->traces
		                 : c == OPT_BUNDLE ? &o->bundles
		                 : c == OPT_PUB    ? &o->pubs
		                                   : &o->marks,
		                 optarg) < 0)
			rc = EV_EXIT_USAGE;
		break;
	default:
		return ev_option_error(&ev_cmd_analyze, argv);
	}
	return rc == EV_EXIT_OK ? -1 : rc;
}

/* The command line, and what it must not combine. Returns -1 to go on, or the exit code. */
static int analyze_options(int argc, char **argv, struct an_opts *o) {
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"assign", no_argument, NULL, OPT_ASSIGN},
	                                     {"svg", required_argument, NULL, OPT_SVG},
	                                     {"state", required_argument, NULL, OPT_STATE},
	                                     {"since", required_argument, NULL, OPT_SINCE},
	                                     {"until", required_argument, NULL, OPT_UNTIL},
	                                     {"service", required_argument, NULL, OPT_SERVICE},
	                                     {"trace-field", required_argument, NULL, OPT_TRACE},
	                                     {"mark", required_argument, NULL, OPT_MARK},
	                                     {"tz", required_argument, NULL, OPT_TZ},
	                                     {"format", required_argument, NULL, OPT_FORMAT},
	                                     {"now", required_argument, NULL, OPT_NOW},
	                                     {"config", required_argument, NULL, OPT_CONFIG},
	                                     {"bundle", required_argument, NULL, OPT_BUNDLE},
	                                     {"pub", required_argument, NULL, OPT_PUB},
	                                     {"incident", required_argument, NULL, OPT_INCIDENT},
	                                     {NULL, 0, NULL, 0}};
	int c, rc;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if ((rc = analyze_option(o, c, argv)) >= 0)
			return rc;
	o->configured = optind >= argc && !o->bundles.n && !o->incident;
	if (o->configured && o->since_us == ANALYZE_NONE)
		return ev_usage_error(&ev_cmd_analyze,
		                      "no input (give FILE..., BUNDLE..., --incident "
		                      "INC, or --since for the configured sources)");
	if (o->configured && o->until_us == ANALYZE_NONE)
		o->until_us = ev_now_realtime_us();
	if (o->assign && o->configured)
		return ev_usage_error(&ev_cmd_analyze, "--assign needs FILE... or BUNDLE...");
	if (o->assign && (o->svg || o->services.n || o->marks.n || o->incident))
		return ev_usage_error(&ev_cmd_analyze,
		                      "--assign takes only --json, --state and input options");
	return -1;
}

/* Configuration, inputs (incident, files, bundles), the template store, then the
 * analysis or --assign. */
static int analyze_with(struct an_opts *o, char **args, int n_args, struct ev_config **cfg,
                        struct miner **m) {
	*cfg = replay_rules_load_config(o->config);
	if (!*cfg)
		return EV_EXIT_USAGE;
	int rc;
	if (o->incident && (rc = incident_input(o, *cfg)) != EV_EXIT_OK)
		return rc;
	rc = gather_inputs(o, args, n_args);
	if (rc != EV_EXIT_OK)
		return rc;
	*m = miner_new();
	if (!*m || load_store(o, *m) < 0)
		return EV_EXIT_USAGE;
	if (o->assign)
		print_notes(o, stderr);
	rc = o->assign ? run_assign(o, *m) : run_analyze(o, *cfg, *m);
	if (rc == EV_EXIT_OK && o->in.refused)
		rc = EV_EXIT_FINDING;
	return rc;
}

static int analyze_run(int argc, char **argv) {
	struct an_opts o = {.since_us = ANALYZE_NONE, .until_us = ANALYZE_NONE};
	struct miner *m = NULL;
	struct ev_config *cfg = NULL;
	int rc = analyze_options(argc, argv, &o);
	if (rc < 0)
		rc = analyze_with(&o, argv + optind, argc - optind, &cfg, &m);
	ev_config_free(cfg);
	analyze_incident_input_done(&o.inc);
	analyze_bundles_done(&o.in);
	free(o.files);
	free(o.bundles.v);
	free(o.pubs.v);
	miner_free(m);
	free(o.services.v);
	free(o.traces.v);
	free(o.marks.v);
	return rc;
}

const struct ev_command ev_cmd_analyze = {
        .name = "analyze",
        .summary = "group log lines into templates; error patterns, propagation, timeline, SVG",
        .run = analyze_run,
        .usage = "Usage: evident analyze [--since TIME] [--until TIME] [--service S]...\n"
                 "                       [--trace-field F]... [--mark KIND@TIME]... [--svg FILE]\n"
                 "                       [--state DIR] [--config FILE] [--json] [input options]\n"
                 "                       [--incident INC] [--bundle B]... [--pub KEY]...\n"
                 "                       [FILE|BUNDLE.tar.gz]...\n"
                 "       evident analyze --since TIME [--until TIME] [--service S]... [...]\n"
                 "       evident analyze --assign [--json] [--state DIR] [input options] "
                 "FILE|BUNDLE...\n"
                 "\n"
                 "Group every line's message (after its header is parsed) into templates with\n"
                 "stable ids, and analyse the window: error patterns (count, first and last\n"
                 "time, services, severity), templates new in the window, templates surging\n"
                 "against the span before it, per service the first error and the error rate\n"
                 "(with a sparkline), the order in which services started failing, the paths\n"
                 "trace ids took across services, and a timeline. With --assign, print for\n"
                 "every input line, in order, the id and template it was grouped into.\n"
                 "\n"
                 "Input: log files; sealed bundles (an argument ending in .tar.gz, or --bundle),\n"
                 "verified first, of which only the verified log members are read; an incident\n"
                 "(--incident: its window, every bundle its ledger records, from every host,\n"
                 "and its ledger on the timeline); with none of these, the configured sources\n"
                 "(sources.files with rotated generations, the journal) over --since/--until.\n"
                 "\n"
                 "  --assign           per input line: id and template (JSON: one object a line)\n"
                 "  --since TIME       window start (default: the input's first time)\n"
                 "  --until TIME       window end (default: the input's last time; now for\n"
                 "                     the configured sources; t_resolve or now for --incident)\n"
                 "  --service S        only lines of service S (repeatable)\n"
                 "  --bundle B         a sealed bundle to read (repeatable)\n"
                 "  --pub KEY          verify bundles with this public key (repeatable;\n"
                 "                     default: the keys of the store a bundle sits in)\n"
                 "  --incident INC     the incident INC (under --state DIR, else agent.state_dir)\n"
                 "  --trace-field F    field naming a trace or request id (repeatable;\n"
                 "                     default: analyze.trace_fields)\n"
                 "  --config FILE      the configuration (analyze.trace_fields, sources,\n"
                 "                     agent.state_dir; default: the embedded one)\n"
                 "  --mark KIND@TIME   an alert or incident time for the timeline and chart\n"
                 "  --svg FILE         write the error-rate chart as a self-contained SVG\n"
                 "  --state DIR        template store: DIR/templates/templates.jsonl is read\n"
                 "                     first and new or generalised templates are appended\n"
                 "  --format FMT       line format (default auto; see evident replay)\n"
                 "  --tz ZONE          zone for times without one (default: local time)\n"
                 "  --now TIME         reference time for year inference\n"
                 "  --json             print JSON (with \"bundles\": what each bundle gave)\n"
                 "  -h, --help         show this help\n"
                 "\n"
                 "Exit status: 0 success, 1 a bundle or member was left out (it does not\n"
                 "verify, is encrypted or cannot be read; the output says which and why),\n"
                 "2 usage or I/O error.\n",
};
