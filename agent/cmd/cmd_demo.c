/* evident demo: the main job, end to end, on the bundled sample data with the embedded
 * default configuration, in a temporary directory:
 *   1. make a signing key,
 *   2. replay the sample logs through the starter rule pack (alerts as JSON lines),
 *   3. seal the evidence window of every alert into the store (one bundle per alert),
 *   4. verify the store (bundles, chain, custody ledger) against the pinned key,
 *   5. show what was found and sealed.
 * Each step runs this same binary as a subcommand, so the demo exercises exactly the
 * commands a user runs. Nothing is written outside the work directory. With --json the
 * steps' text is dropped and one JSON document is printed at the end (see the usage). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/cmd/commands.h"
#include "agent/replay_rules.h"
#include "agent/settings.h"
#include "agent/term.h"
#include "agent/version.h"
#include "util/timefmt.h"

#define DEMO_MAX_ALERTS 64

/* Run `evident ARGV...` with stdout to `out` (NULL: inherit) and stderr to `err`
 * (NULL: inherit). Returns the exit status, or -errno when it could not run. */
static int run_self(char *const argv[], const char *out, const char *err) {
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (out) {
			int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
				_exit(127);
		}
		if (err) {
			int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
				_exit(127);
		}
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The human output: stdout, or nowhere with --json. */
static FILE *out;

static void cat_file(const char *path, const char *indent) {
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[4096];
	while (fgets(line, sizeof(line), f))
		fprintf(out, "%s%s", indent, line);
	fclose(f);
}

/* The JSON a step printed (its --json output), or null. */
static json_t *load_json(const char *path) {
	json_t *j = json_load_file(path, 0, NULL);
	return j ? j : json_null();
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
	/* bundles are 0440 and may carry the immutable flag: removal may fail, and that is
	 * reported below */
	return remove(p) < 0 ? 0 : 0;
}

static int64_t parse_time(const char *s) {
	struct tm tm = {0};
	const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!e)
		return -1;
	return (int64_t)timegm(&tm) * 1000000;
}

static int demo_run(int argc, char **argv) {
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"data", required_argument, NULL, 'd'},
	                                     {"workdir", required_argument, NULL, 'w'},
	                                     {NULL, 0, NULL, 0}};
	const char *data = replay_rules_dataroot();
	const char *workdir = NULL;
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "hd:w:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_demo);
		case 'd':
			data = optarg;
			break;
		case 'w':
			workdir = optarg;
			break;
		case EV_OPT_JSON:
			json = true;
			break;
		default:
			return ev_option_error(&ev_cmd_demo, argv);
		}
	}
	if (optind < argc)
		return ev_usage_error(&ev_cmd_demo, "unexpected argument '%s'", argv[optind]);

	char abs_data[PATH_MAX];
	if (!realpath(data, abs_data)) {
		ev_log_error("demo data %s: %m", data);
		return EV_EXIT_USAGE;
	}
	setenv("EVIDENT_DATADIR", abs_data, 1);

	char tmpl[] = "/tmp/evident-demo-XXXXXX";
	char wd[PATH_MAX];
	if (workdir) {
		if (mkdir(workdir, 0700) < 0 && errno != EEXIST) {
			ev_log_error("cannot create %s: %m", workdir);
			return EV_EXIT_USAGE;
		}
		snprintf(wd, sizeof(wd), "%s", workdir);
	} else {
		if (!mkdtemp(tmpl)) {
			ev_log_error("cannot create a temporary directory: %m");
			return EV_EXIT_USAGE;
		}
		snprintf(wd, sizeof(wd), "%s", tmpl);
	}

#define DEMO_PATH (2 * PATH_MAX)
	char logs[DEMO_PATH], rules[DEMO_PATH], decoders[DEMO_PATH], keys[DEMO_PATH],
	        key[2 * DEMO_PATH], pub[2 * DEMO_PATH], store[DEMO_PATH], alerts[DEMO_PATH],
	        errf[DEMO_PATH], outf[DEMO_PATH];
	snprintf(logs, sizeof(logs), "%s/demo/auth.log", abs_data);
	snprintf(rules, sizeof(rules), "%s/rules", abs_data);
	snprintf(decoders, sizeof(decoders), "%s/decoders", abs_data);
	snprintf(keys, sizeof(keys), "%s/keys", wd);
	snprintf(key, sizeof(key), "%s/evident.key", keys);
	snprintf(pub, sizeof(pub), "%s/evident.pub", keys);
	snprintf(store, sizeof(store), "%s/store", wd);
	snprintf(alerts, sizeof(alerts), "%s/alerts.jsonl", wd);
	snprintf(errf, sizeof(errf), "%s/step.err", wd);
	snprintf(outf, sizeof(outf), "%s/step.out", wd);

	out = json ? fopen("/dev/null", "we") : stdout;
	if (!out) {
		ev_log_error("cannot open /dev/null: %m");
		return EV_EXIT_USAGE;
	}
	json_t *doc = json_pack("{s:s?, s:o, s:o}", "workdir", workdir ? wd : NULL, "alerts",
	                        json_array(), "seals", json_array());
	int ret = EV_EXIT_OK, r;
	fprintf(out, "== evident demo (work directory %s) ==\n", wd);
	ev_version_print(out, false);

	fprintf(out, "\n-- 1. configuration: the embedded default --\n");
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	if (ev_config_load(EV_CONFIG_EMBEDDED, &cfg, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		ev_log_error("the embedded configuration does not load");
		ret = EV_EXIT_FINDING;
		goto out;
	}
	int64_t lookback = (int64_t)cfg->actions.lookback,
	        lookahead = (int64_t)cfg->actions.lookahead;
	char lb[32], la[32];
	ev_format_duration((uint64_t)lookback, lb, sizeof(lb));
	ev_format_duration((uint64_t)lookahead, la, sizeof(la));
	fprintf(out, "   evidence window: %s before an alert's first event, %s after its last\n",
	        lb, la);
	ev_config_free(cfg);

	fprintf(out, "\n-- 2. a signing key --\n");
	{
		char *a[] = {"evident", "keygen", "--out", keys, NULL};
		mkdir(keys, 0700);
		r = run_self(a, outf, errf);
		if (r != 0) {
			cat_file(errf, "   ");
			ev_log_error("keygen failed (exit %d)", r);
			ret = EV_EXIT_FINDING;
			goto out;
		}
		fprintf(out, "   key id ");
		cat_file(outf, "");
		char kid[128] = "";
		FILE *kf = fopen(outf, "re");
		if (kf && fgets(kid, sizeof(kid), kf))
			kid[strcspn(kid, "\n")] = 0;
		if (kf)
			fclose(kf);
		json_object_set_new(doc, "key_id", json_string(kid));
	}

	fprintf(out, "\n-- 3. replay %s through the rules in %s --\n", logs, rules);
	{
		char *a[] = {"evident",    "replay", "--rules", rules,
		             "--decoders", decoders, logs,      NULL};
		r = run_self(a, alerts, errf);
		cat_file(errf, "   ");
		if (r != 0) {
			ev_log_error("replay failed (exit %d)", r);
			ret = EV_EXIT_FINDING;
			goto out;
		}
	}

	/* Read the alerts. */
	json_error_t jerr;
	FILE *af = fopen(alerts, "re");
	size_t n_alerts = 0, n_sealed = 0;
	char line[65536];
	fprintf(out, "\n-- 4. alerts, and the evidence of each sealed into %s --\n", store);
	while (af && fgets(line, sizeof(line), af) && n_alerts < DEMO_MAX_ALERTS) {
		json_t *a = json_loads(line, 0, &jerr);
		if (!a)
			continue;
		n_alerts++;
		const char *title =
		        json_string_value(json_object_get(json_object_get(a, "rule"), "title"));
		const char *level =
		        json_string_value(json_object_get(json_object_get(a, "rule"), "level"));
		const char *kind = json_string_value(json_object_get(a, "kind"));
		const char *t = json_string_value(json_object_get(a, "time"));
		const char *first = json_string_value(json_object_get(a, "first"));
		const char *last = json_string_value(json_object_get(a, "last"));
		char *group =
		        json_dumps(json_object_get(a, "group"), JSON_COMPACT | JSON_SORT_KEYS);
		fprintf(out, "   ALERT %s [%s%s%s] %s (%s) group %s count %lld\n", t ? t : "?",
		        ev_term_on(out, ev_term_level_color(level)), level ? level : "?",
		        ev_term_off(out), title ? title : "?", kind ? kind : "?",
		        group ? group : "{}",
		        (long long)json_integer_value(json_object_get(a, "count")));
		json_array_append(json_object_get(doc, "alerts"), a);
		free(group);
		int64_t f = first ? parse_time(first) : -1, l = last ? parse_time(last) : -1;
		if (f >= 0 && l >= 0) {
			char since[64], until[64], note[512];
			ev_format_rfc3339(f - lookback, since, sizeof(since));
			ev_format_rfc3339(l + lookahead + 999999, until, sizeof(until));
			snprintf(note, sizeof(note), "demo: alert '%s' at %s", title ? title : "?",
			         t ? t : "?");
			char *s[] = {"evident",        "seal",   "--store", store,
			             "--key",          key,      "--file",  logs,
			             "--since",        since,    "--until", until,
			             "--note",         note,     "--actor", "evident demo",
			             "--no-immutable", "--json", NULL};
			if (!json)
				s[ELEMENTSOF(s) - 2] = NULL; /* the human output of seal */
			r = run_self(s, outf, errf);
			if (r == 0) {
				n_sealed++;
				cat_file(outf, "         ");
				json_array_append_new(json_object_get(doc, "seals"),
				                      load_json(outf));
			} else {
				cat_file(errf, "         ");
				ev_log_error("seal failed (exit %d)", r);
				ret = EV_EXIT_FINDING;
			}
		}
		json_decref(a);
	}
	if (af)
		fclose(af);
	if (n_alerts == 0)
		fprintf(out, "   (no alerts)\n");

	if (n_sealed) {
		fprintf(out, "\n-- 5. verify the store against the pinned key --\n");
		char *v[] = {"evident", "verify",       "--pub", pub,      "--key", key,
		             "--actor", "evident demo", store,   "--json", NULL};
		if (!json)
			v[ELEMENTSOF(v) - 2] = NULL;
		r = run_self(v, outf, errf);
		cat_file(outf, "   ");
		cat_file(errf, "   ");
		json_object_set_new(doc, "verify", load_json(outf));
		if (r != 0) {
			ev_log_error("verification failed (exit %d)", r);
			ret = EV_EXIT_FINDING;
		}
	}

	fprintf(out, "\n== %zu alert%s, %zu bundle%s sealed, store %s%s%s ==\n", n_alerts,
	        n_alerts == 1 ? "" : "s", n_sealed, n_sealed == 1 ? "" : "s",
	        ev_term_on(out, ret == EV_EXIT_OK ? EV_COLOR_GREEN : EV_COLOR_RED),
	        ret == EV_EXIT_OK ? "verified" : "NOT verified", ev_term_off(out));
	if (workdir)
		fprintf(out, "kept: %s (alerts.jsonl, store/, keys/)\n", wd);
out:
	if (!workdir)
		nftw(wd, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	if (json) {
		json_object_set_new(doc, "ok", json_boolean(ret == EV_EXIT_OK));
		char *s = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);
		printf("%s\n", s ? s : "{}");
		free(s);
		fclose(out);
	}
	json_decref(doc);
	return ret;
}

const struct ev_command ev_cmd_demo = {
        .name = "demo",
        .summary = "run the main job end to end on the bundled sample data",
        .run = demo_run,
        .usage = "Usage: evident demo [--data DIR] [--workdir DIR] [--json]\n"
                 "\n"
                 "Replay the bundled sample logs through the bundled rules with the embedded\n"
                 "default configuration, seal the evidence of every alert into a fresh store\n"
                 "with a fresh key, verify the store, and show the result. Writes only to a\n"
                 "temporary directory (removed afterwards) or to --workdir (kept).\n"
                 "\n"
                 "  --data DIR     data root holding demo/, rules/ and decoders/\n"
                 "                 (default: " EV_PKGDATADIR ", or the source tree's conf/\n"
                 "                 for a binary run from its build tree)\n"
                 "  --workdir DIR  keep the keys, alerts and store in DIR\n"
                 "  --json         no step-by-step text; one JSON document at the end: ok,\n"
                 "                 key_id, alerts, seals (each seal's --json), verify (the\n"
                 "                 store's verify --json), workdir (with --workdir)\n"
                 "  -h, --help     show this help\n",
};
