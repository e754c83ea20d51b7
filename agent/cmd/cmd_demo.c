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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/cmd/commands.h"
#include "agent/replay_rules.h"
#include "agent/settings.h"
#include "agent/spawn.h"
#include "agent/term.h"
#include "agent/version.h"
#include "util/io.h"
#include "util/timefmt.h"

#define DEMO_MAX_ALERTS 64

/* Write LEN bytes of BUF to PATH (created 0600, truncated); PATH NULL: nothing. */
static int write_file(const char *path, const char *buf, size_t len) {
	if (!path)
		return 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int r = ev_write_all(fd, buf, len);
	close(fd);
	return r;
}

/* Run this binary with ARGV (argv[0] is replaced by its path) through the agent's one way
 * of starting children (agent/spawn.c), its stdout and stderr written to the files OUT and
 * ERR. The clean environment gets the variables a demo step depends on: the data root,
 * the configuration, the time zone, colour and the sanitizers' options. Returns the exit
 * status (128 + signal), 127 when it could not be started. */
static int run_self(char *const argv[], const char *outp, const char *errp) {
	static const char *const pass[] = {
	        "EVIDENT_DATADIR", "EVIDENT_CONFIG", "EVIDENT_QUIET_WARNINGS", "TZ",
	        "NO_COLOR",        "ASAN_OPTIONS",   "UBSAN_OPTIONS",          "LSAN_OPTIONS"};
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return 127;
	exe[n] = 0;
	size_t argc = 0;
	while (argv[argc])
		argc++;
	_cleanup_free_ char **av = calloc(MAX(argc, (size_t)1) + 1, sizeof(*av));
	if (!av)
		return 127;
	av[0] = exe;
	for (size_t i = 1; i < argc; i++)
		av[i] = argv[i];
	char *env[ELEMENTSOF(pass) + 1];
	size_t ne = 0;
	for (size_t i = 0; i < ELEMENTSOF(pass); i++) {
		const char *v = getenv(pass[i]);
		if (v && asprintf(&env[ne], "%s=%s", pass[i], v) >= 0)
			ne++;
	}
	env[ne] = NULL;
	struct ev_spawn sp = {.argv = av, .env = env, .out_cap = 64u << 20, .err_cap = 1u << 20};
	struct ev_spawn_result res = {0};
	int st = 127;
	if (ev_spawn_run(&sp, &res) == 0) {
		st = WIFEXITED(res.status) ? WEXITSTATUS(res.status) : 128 + WTERMSIG(res.status);
		if (write_file(outp, res.out, res.out_len) < 0 ||
		    write_file(errp, res.err, res.err_len) < 0)
			st = st ? st : 127;
		ev_spawn_result_clear(&res);
	}
	for (size_t i = 0; i < ne; i++)
		free(env[i]);
	return st;
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

#define DEMO_PATH (2 * PATH_MAX)

/* One demo run: its options, its files and what it has found so far. */
struct demo {
	const char *data, *workdir;
	bool json;
	char abs_data[PATH_MAX], wd[PATH_MAX];
	char logs[DEMO_PATH], rules[DEMO_PATH], decoders[DEMO_PATH], keys[DEMO_PATH],
	        key[2 * DEMO_PATH], pub[2 * DEMO_PATH], store[DEMO_PATH], alerts[DEMO_PATH],
	        errf[DEMO_PATH], outf[DEMO_PATH];
	int64_t lookback, lookahead;
	json_t *doc;
	size_t n_alerts, n_sealed;
	int ret;
};

/* Options into d. Returns -1 to go on, or the exit code (--help, usage error). */
static int demo_options(int argc, char **argv, struct demo *d) {
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"data", required_argument, NULL, 'd'},
	                                     {"workdir", required_argument, NULL, 'w'},
	                                     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "hd:w:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_demo);
		case 'd':
			d->data = optarg;
			break;
		case 'w':
			d->workdir = optarg;
			break;
		case EV_OPT_JSON:
			d->json = true;
			break;
		default:
			return ev_option_error(&ev_cmd_demo, argv);
		}
	}
	if (optind < argc)
		return ev_usage_error(&ev_cmd_demo, "unexpected argument '%s'", argv[optind]);
	return -1;
}

/* The data root (exported as EVIDENT_DATADIR to the steps), the work directory and the
 * paths in both. Returns -1 to go on, or the exit code. */
static int demo_setup(struct demo *d) {
	if (!realpath(d->data, d->abs_data)) {
		ev_log_error("demo data %s: %m", d->data);
		return EV_EXIT_USAGE;
	}
	setenv("EVIDENT_DATADIR", d->abs_data, 1);

	char tmpl[] = "/tmp/evident-demo-XXXXXX";
	if (d->workdir) {
		if (mkdir(d->workdir, 0700) < 0 && errno != EEXIST) {
			ev_log_error("cannot create %s: %m", d->workdir);
			return EV_EXIT_USAGE;
		}
		snprintf(d->wd, sizeof(d->wd), "%s", d->workdir);
	} else {
		if (!mkdtemp(tmpl)) {
			ev_log_error("cannot create a temporary directory: %m");
			return EV_EXIT_USAGE;
		}
		snprintf(d->wd, sizeof(d->wd), "%s", tmpl);
	}
	snprintf(d->logs, sizeof(d->logs), "%s/demo/auth.log", d->abs_data);
	snprintf(d->rules, sizeof(d->rules), "%s/rules", d->abs_data);
	snprintf(d->decoders, sizeof(d->decoders), "%s/decoders", d->abs_data);
	snprintf(d->keys, sizeof(d->keys), "%s/keys", d->wd);
	snprintf(d->key, sizeof(d->key), "%s/evident.key", d->keys);
	snprintf(d->pub, sizeof(d->pub), "%s/evident.pub", d->keys);
	snprintf(d->store, sizeof(d->store), "%s/store", d->wd);
	snprintf(d->alerts, sizeof(d->alerts), "%s/alerts.jsonl", d->wd);
	snprintf(d->errf, sizeof(d->errf), "%s/step.err", d->wd);
	snprintf(d->outf, sizeof(d->outf), "%s/step.out", d->wd);
	return -1;
}

/* Step 1: the evidence window of the embedded configuration. */
static int demo_config(struct demo *d) {
	fprintf(out, "\n-- 1. configuration: the embedded default --\n");
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	if (ev_config_load(EV_CONFIG_EMBEDDED, &cfg, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		ev_log_error("the embedded configuration does not load");
		return -EINVAL;
	}
	d->lookback = (int64_t)cfg->actions.lookback;
	d->lookahead = (int64_t)cfg->actions.lookahead;
	char lb[32], la[32];
	ev_format_duration((uint64_t)d->lookback, lb, sizeof(lb));
	ev_format_duration((uint64_t)d->lookahead, la, sizeof(la));
	fprintf(out, "   evidence window: %s before an alert's first event, %s after its last\n",
	        lb, la);
	ev_config_free(cfg);
	return 0;
}

/* Step 2: a fresh signing key; its id goes into the document. */
static int demo_keygen(struct demo *d) {
	fprintf(out, "\n-- 2. a signing key --\n");
	char *a[] = {"evident", "keygen", "--out", d->keys, NULL};
	mkdir(d->keys, 0700);
	int r = run_self(a, d->outf, d->errf);
	if (r != 0) {
		cat_file(d->errf, "   ");
		ev_log_error("keygen failed (exit %d)", r);
		return -EIO;
	}
	fprintf(out, "   key id ");
	cat_file(d->outf, "");
	char kid[128] = "";
	FILE *kf = fopen(d->outf, "re");
	if (kf && fgets(kid, sizeof(kid), kf))
		kid[strcspn(kid, "\n")] = 0;
	if (kf)
		fclose(kf);
	json_object_set_new(d->doc, "key_id", json_string(kid));
	return 0;
}

/* Step 3: the sample logs through the rules, alerts into d->alerts. */
static int demo_replay(struct demo *d) {
	fprintf(out, "\n-- 3. replay %s through the rules in %s --\n", d->logs, d->rules);
	char *a[] = {"evident",    "replay",    "--rules", d->rules,
	             "--decoders", d->decoders, d->logs,   NULL};
	int r = run_self(a, d->alerts, d->errf);
	cat_file(d->errf, "   ");
	if (r != 0) {
		ev_log_error("replay failed (exit %d)", r);
		return -EIO;
	}
	return 0;
}

/* Seal the evidence window of one alert (first - lookback .. last + lookahead). */
static void demo_seal_alert(struct demo *d, const char *title, const char *t, int64_t first,
                            int64_t last) {
	char since[64], until[64], note[512];
	ev_format_rfc3339(first - d->lookback, since, sizeof(since));
	ev_format_rfc3339(last + d->lookahead + 999999, until, sizeof(until));
	snprintf(note, sizeof(note), "demo: alert '%s' at %s", title ? title : "?", t ? t : "?");
	char *s[] = {"evident", "seal",  "--store", d->store,       "--key",          d->key,
	             "--file",  d->logs, "--since", since,          "--until",        until,
	             "--note",  note,    "--actor", "evident demo", "--no-immutable", "--json",
	             NULL};
	if (!d->json)
		s[ELEMENTSOF(s) - 2] = NULL; /* the human output of seal */
	int r = run_self(s, d->outf, d->errf);
	if (r == 0) {
		d->n_sealed++;
		cat_file(d->outf, "         ");
		json_array_append_new(json_object_get(d->doc, "seals"), load_json(d->outf));
	} else {
		cat_file(d->errf, "         ");
		ev_log_error("seal failed (exit %d)", r);
		d->ret = EV_EXIT_FINDING;
	}
}

/* One alert line: shown, kept in the document, and its evidence sealed. */
static void demo_alert(struct demo *d, json_t *a) {
	d->n_alerts++;
	const char *title = json_string_value(json_object_get(json_object_get(a, "rule"), "title"));
	const char *level = json_string_value(json_object_get(json_object_get(a, "rule"), "level"));
	const char *kind = json_string_value(json_object_get(a, "kind"));
	const char *t = json_string_value(json_object_get(a, "time"));
	const char *first = json_string_value(json_object_get(a, "first"));
	const char *last = json_string_value(json_object_get(a, "last"));
	char *group = json_dumps(json_object_get(a, "group"), JSON_COMPACT | JSON_SORT_KEYS);
	fprintf(out, "   ALERT %s [%s%s%s] %s (%s) group %s count %lld\n", t ? t : "?",
	        ev_term_on(out, ev_term_level_color(level)), level ? level : "?", ev_term_off(out),
	        title ? title : "?", kind ? kind : "?", group ? group : "{}",
	        (long long)json_integer_value(json_object_get(a, "count")));
	json_array_append(json_object_get(d->doc, "alerts"), a);
	free(group);
	int64_t f = first ? parse_time(first) : -1, l = last ? parse_time(last) : -1;
	if (f >= 0 && l >= 0)
		demo_seal_alert(d, title, t, f, l);
}

/* Step 4: every alert (up to DEMO_MAX_ALERTS), its evidence sealed into the store. */
static void demo_alerts(struct demo *d) {
	json_error_t jerr;
	FILE *af = fopen(d->alerts, "re");
	char line[65536];
	fprintf(out, "\n-- 4. alerts, and the evidence of each sealed into %s --\n", d->store);
	while (af && fgets(line, sizeof(line), af) && d->n_alerts < DEMO_MAX_ALERTS) {
		json_t *a = json_loads(line, 0, &jerr);
		if (!a)
			continue;
		demo_alert(d, a);
		json_decref(a);
	}
	if (af)
		fclose(af);
	if (d->n_alerts == 0)
		fprintf(out, "   (no alerts)\n");
}

/* Step 5: verify the store against the pinned key (when anything was sealed). */
static void demo_verify(struct demo *d) {
	if (!d->n_sealed)
		return;
	fprintf(out, "\n-- 5. verify the store against the pinned key --\n");
	char *v[] = {"evident", "verify",       "--pub",  d->pub,   "--key", d->key,
	             "--actor", "evident demo", d->store, "--json", NULL};
	if (!d->json)
		v[ELEMENTSOF(v) - 2] = NULL;
	int r = run_self(v, d->outf, d->errf);
	cat_file(d->outf, "   ");
	cat_file(d->errf, "   ");
	json_object_set_new(d->doc, "verify", load_json(d->outf));
	if (r != 0) {
		ev_log_error("verification failed (exit %d)", r);
		d->ret = EV_EXIT_FINDING;
	}
}

static void demo_summary(const struct demo *d) {
	fprintf(out, "\n== %zu alert%s, %zu bundle%s sealed, store %s%s%s ==\n", d->n_alerts,
	        d->n_alerts == 1 ? "" : "s", d->n_sealed, d->n_sealed == 1 ? "" : "s",
	        ev_term_on(out, d->ret == EV_EXIT_OK ? EV_COLOR_GREEN : EV_COLOR_RED),
	        d->ret == EV_EXIT_OK ? "verified" : "NOT verified", ev_term_off(out));
	if (d->workdir)
		fprintf(out, "kept: %s (alerts.jsonl, store/, keys/)\n", d->wd);
}

/* The end of every run past the setup: the temporary directory removed, and with --json
 * the one document printed. */
static void demo_finish(struct demo *d) {
	if (!d->workdir)
		nftw(d->wd, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	if (d->json) {
		json_object_set_new(d->doc, "ok", json_boolean(d->ret == EV_EXIT_OK));
		char *s = json_dumps(d->doc, JSON_SORT_KEYS | JSON_COMPACT);
		printf("%s\n", s ? s : "{}");
		free(s);
		fclose(out);
	}
	json_decref(d->doc);
}

static int demo_run(int argc, char **argv) {
	struct demo d = {.data = replay_rules_dataroot(), .ret = EV_EXIT_OK};
	int r = demo_options(argc, argv, &d);
	if (r < 0)
		r = demo_setup(&d);
	if (r >= 0)
		return r;

	out = d.json ? fopen("/dev/null", "we") : stdout;
	if (!out) {
		ev_log_error("cannot open /dev/null: %m");
		return EV_EXIT_USAGE;
	}
	d.doc = json_pack("{s:s?, s:o, s:o}", "workdir", d.workdir ? d.wd : NULL, "alerts",
	                  json_array(), "seals", json_array());
	fprintf(out, "== evident demo (work directory %s) ==\n", d.wd);
	ev_version_print(out, false);

	if (demo_config(&d) < 0 || demo_keygen(&d) < 0 || demo_replay(&d) < 0)
		d.ret = EV_EXIT_FINDING;
	else {
		demo_alerts(&d);
		demo_verify(&d);
		demo_summary(&d);
	}
	demo_finish(&d);
	return d.ret;
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
