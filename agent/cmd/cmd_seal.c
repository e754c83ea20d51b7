/* evident seal: collect evidence for a time window and seal it into the store.
 * In phases: the options; through the running agent when one answers (else, said on
 * stderr, in this process with the evidence the agent would have added); the window and
 * the manifest's trigger; collection (agent/cmd/seal_collect.c: a source that fails is
 * recorded in the manifest and the seal completes; a source with nothing in the window
 * gets a note instead of an empty member); commit; the result, built with jansson.
 * A seal with nothing to collect is refused: an empty bundle is not evidence. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/paths.h"
#include "agent/cmd/cmd_seal_agent.h"
#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "agent/cmd/timeparse.h"
#include "agent/settings.h"
#include "agent/cmd/seal_collect.h"
#include "agent/cmd/seal_config.h"
#include "util/clock.h"
#include "util/timefmt.h"

#define MAX_UNITS 256

struct seal_opts {
	const char *store, *keyp, *incident, *note, *since_s, *until_s, *jdir, *jfile, *actor,
	        *config, *sock, *state_dir;
	bool json, journal, immutable, offline;
	json_t *trigger;
	int level;
	unsigned long long maxb;
	struct ev_strv units, files, copies, cmds;
};

static void seal_opts_done(struct seal_opts *o) {
	json_decref(o->trigger);
	free(o->units.v);
	free(o->files.v);
	free(o->copies.v);
	free(o->cmds.v);
}

/* ev_seal_opt_fn: an evidence option onto the lists (values borrowed from the
 * configuration, which outlives the seal). */
static int apply_opt(void *ud, const char *opt, const char *val) {
	struct seal_opts *o = ud;
	if (strcmp(opt, "--journal") == 0)
		o->journal = true;
	else if (strcmp(opt, "--journal-dir") == 0)
		o->jdir = val, o->journal = true;
	else if (strcmp(opt, "--unit") == 0)
		return ev_strv_push(&o->units, (char *)val);
	else if (strcmp(opt, "--file") == 0)
		return ev_strv_push(&o->files, (char *)val);
	else if (strcmp(opt, "--copy") == 0)
		return ev_strv_push(&o->copies, (char *)val);
	else if (strcmp(opt, "--command") == 0)
		return ev_strv_push(&o->cmds, (char *)val);
	return 0;
}

enum {
	OPT_STORE = 0x2000,
	OPT_KEY,
	OPT_INCIDENT,
	OPT_NOTE,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_JOURNAL,
	OPT_JDIR,
	OPT_JFILE,
	OPT_UNIT,
	OPT_FILE,
	OPT_COPY,
	OPT_COMMAND,
	OPT_LEVEL,
	OPT_ACTOR,
	OPT_NOIMM,
	OPT_CONFIG,
	OPT_MAXB,
	OPT_OFFLINE,
	OPT_SOCKET,
	OPT_TRIGGER,
	OPT_STATE_DIR,
};

static const struct option seal_longopts[] = {
        EV_COMMON_LONGOPTS,
        {"store", required_argument, NULL, OPT_STORE},
        {"key", required_argument, NULL, OPT_KEY},
        {"incident", required_argument, NULL, OPT_INCIDENT},
        {"note", required_argument, NULL, OPT_NOTE},
        {"since", required_argument, NULL, OPT_SINCE},
        {"until", required_argument, NULL, OPT_UNTIL},
        {"journal", no_argument, NULL, OPT_JOURNAL},
        {"journal-dir", required_argument, NULL, OPT_JDIR},
        {"journal-file", required_argument, NULL, OPT_JFILE},
        {"unit", required_argument, NULL, OPT_UNIT},
        {"file", required_argument, NULL, OPT_FILE},
        {"copy", required_argument, NULL, OPT_COPY},
        {"command", required_argument, NULL, OPT_COMMAND},
        {"level", required_argument, NULL, OPT_LEVEL},
        {"actor", required_argument, NULL, OPT_ACTOR},
        {"no-immutable", no_argument, NULL, OPT_NOIMM},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"max-bundle-size", required_argument, NULL, OPT_MAXB},
        {"offline", no_argument, NULL, OPT_OFFLINE},
        {"socket", required_argument, NULL, OPT_SOCKET},
        {"trigger", required_argument, NULL, OPT_TRIGGER},
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {NULL, 0, NULL, 0}};

/* One option with its argument. 0, or the exit status. */
static int opt_value(struct seal_opts *o, int c, const char *arg) {
	switch (c) {
	case OPT_UNIT:
		return ev_strv_push(&o->units, (char *)arg) < 0 ? EV_EXIT_USAGE : 0;
	case OPT_FILE:
		return ev_strv_push(&o->files, (char *)arg) < 0 ? EV_EXIT_USAGE : 0;
	case OPT_COPY:
		return ev_strv_push(&o->copies, (char *)arg) < 0 ? EV_EXIT_USAGE : 0;
	case OPT_COMMAND:
		return ev_strv_push(&o->cmds, (char *)arg) < 0 ? EV_EXIT_USAGE : 0;
	case OPT_TRIGGER:
		json_decref(o->trigger);
		o->trigger = json_loads(arg, JSON_REJECT_DUPLICATES, NULL);
		return json_is_object(o->trigger)
		               ? 0
		               : ev_usage_error(&ev_cmd_seal, "--trigger takes a JSON object");
	case OPT_LEVEL:
		if (strlen(arg) != 1 || arg[0] < '0' || arg[0] > '9')
			return ev_usage_error(&ev_cmd_seal, "--level must be 0..9");
		o->level = arg[0] - '0';
		return 0;
	case OPT_MAXB: {
		char *end = NULL;
		errno = 0;
		o->maxb = strtoull(arg, &end, 10);
		if (errno || end == arg || *end || arg[0] == '-' || arg[0] == '+' || arg[0] == ' ')
			return ev_usage_error(&ev_cmd_seal, "--max-bundle-size takes a number of "
			                                    "bytes (up to 18446744073709551615)");
		return 0;
	}
	}
	return ev_usage_error(&ev_cmd_seal, "invalid option");
}

/* The command line. -1 to go on, else the exit status. */
static int opts_parse(int argc, char **argv, struct seal_opts *o) {
	int c, r;
	while ((c = getopt_long(argc, argv, "h", seal_longopts, NULL)) != -1) {
		const char **str = c == OPT_STORE       ? &o->store
		                   : c == OPT_KEY       ? &o->keyp
		                   : c == OPT_INCIDENT  ? &o->incident
		                   : c == OPT_NOTE      ? &o->note
		                   : c == OPT_SINCE     ? &o->since_s
		                   : c == OPT_UNTIL     ? &o->until_s
		                   : c == OPT_JDIR      ? &o->jdir
		                   : c == OPT_JFILE     ? &o->jfile
		                   : c == OPT_ACTOR     ? &o->actor
		                   : c == OPT_CONFIG    ? &o->config
		                   : c == OPT_SOCKET    ? &o->sock
		                   : c == OPT_STATE_DIR ? &o->state_dir
		                                        : NULL;
		if (str) {
			*str = optarg;
			o->journal |= c == OPT_JDIR || c == OPT_JFILE;
			continue;
		}
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_seal);
		case EV_OPT_JSON:
			o->json = true;
			continue;
		case OPT_JOURNAL:
			o->journal = true;
			continue;
		case OPT_NOIMM:
			o->immutable = false;
			continue;
		case OPT_OFFLINE:
			o->offline = true;
			continue;
		case '?':
			return ev_option_error(&ev_cmd_seal, argv);
		}
		if ((r = opt_value(o, c, optarg)) != 0) {
			if (r == EV_EXIT_USAGE &&
			    (c == OPT_UNIT || c == OPT_FILE || c == OPT_COPY || c == OPT_COMMAND))
				ev_log_error("out of memory");
			return r;
		}
	}
	if (optind < argc)
		return ev_usage_error(&ev_cmd_seal, "unexpected argument '%s'", argv[optind]);
	if (o->jdir && o->jfile)
		return ev_usage_error(&ev_cmd_seal,
		                      "--journal-dir and --journal-file exclude each other");
	if (o->units.n > MAX_UNITS)
		return ev_usage_error(&ev_cmd_seal, "at most %d --unit", MAX_UNITS);
	o->journal |= o->units.n > 0;
	return -1;
}

static int bad_time(void) {
	return ev_usage_error(&ev_cmd_seal, "--since/--until: want " EV_TIME_FORMS);
}

/* Through the running agent unless told otherwise, or unless an option names something
 * only this process can honour (its own store, key, actor, journal files, a trigger, a
 * state directory). Returns the exit status, or -1 to seal in this process: then, as the
 * agent would have, the configured sources when none is named, and the configured
 * evidence of every agent seal (actions.seal_files, seal_commands). */
static int seal_agent_phase(struct seal_opts *o, const struct ev_config *cfg) {
	if (o->offline || o->store || o->keyp || o->actor || o->jdir || o->jfile || o->trigger ||
	    o->state_dir)
		return -1;
	const char *s = o->sock ? o->sock : cfg->agent.control_socket;
	struct ev_seal_request q = {.since_s = o->since_s,
	                            .until_s = o->until_s,
	                            .incident = o->incident,
	                            .note = o->note,
	                            .journal = o->journal,
	                            .immutable = o->immutable,
	                            .level = o->level,
	                            .maxb = o->maxb,
	                            .units = &o->units,
	                            .files = &o->files,
	                            .copies = &o->copies,
	                            .cmds = &o->cmds};
	int64_t now = ev_now_realtime_us(), t;
	if ((o->since_s && ev_parse_time(o->since_s, now, &t) < 0) ||
	    (o->until_s && ev_parse_time(o->until_s, now, &t) < 0))
		return bad_time();
	int r = s ? ev_seal_via_agent(s, &q, o->json) : -ENOTCONN;
	if (r != -ENOTCONN)
		return r;
	fprintf(stderr,
	        "evident: no agent answers on %s; sealing in-process with the configured "
	        "evidence\n",
	        s ? s : "(no control socket configured)");
	r = 0;
	if (!o->files.n && !o->journal)
		r = ev_seal_config_sources(cfg, NULL, apply_opt, o);
	if (r == 0)
		r = ev_seal_config_extras(cfg, apply_opt, o);
	if (r < 0) {
		ev_log_error("out of memory");
		return EV_EXIT_USAGE;
	}
	return -1;
}

/* The window, checked. -1 to go on, else the exit status. */
static int seal_window(const struct seal_opts *o, const struct ev_config *cfg, int64_t *since,
                       int64_t *until) {
	int64_t now = ev_now_realtime_us();
	*since = now - (int64_t)cfg->actions.lookback;
	*until = now;
	if ((o->since_s && ev_parse_time(o->since_s, now, since) < 0) ||
	    (o->until_s && ev_parse_time(o->until_s, now, until) < 0))
		return bad_time();
	if (*since > *until)
		return ev_usage_error(&ev_cmd_seal, "--since is after --until");
	return -1;
}

/* The manifest's top-level fields: trigger (manual, or the agent's rule and alerts from
 * --trigger), window, note. NULL on OOM. */
static json_t *seal_fields(const struct seal_opts *o, json_t *act, int64_t since, int64_t until) {
	char sb[40], ub[40];
	ev_format_rfc3339_us(since, sb, sizeof(sb));
	ev_format_rfc3339_us(until, ub, sizeof(ub));
	json_t *fields = json_pack(
	        "{s:{s:s, s:s?, s:O}, s:{s:s, s:s, s:I, s:I}, s:s?}", "trigger", "kind", "manual",
	        "incident", o->incident, "requester", act, "window", "since", sb, "until", ub,
	        "since_us", (json_int_t)since, "until_us", (json_int_t)until, "note", o->note);
	if (o->trigger && fields) {
		json_t *tr = json_object_get(fields, "trigger");
		const char *k;
		json_t *v;
		json_object_foreach(o->trigger, k, v) {
			if (strcmp(k, "requester") != 0 && strcmp(k, "incident") != 0)
				json_object_set(tr, k, v);
		}
	}
	return fields;
}

/* Every source in turn; stops only when the bundle itself fails. */
static int seal_collect_all(const struct seal_opts *o, struct seal_collect *c) {
	int r = 0;
	for (size_t i = 0; r >= 0 && i < o->copies.n; i++)
		r = ev_seal_copy(c, o->copies.v[i]);
	for (size_t i = 0; r >= 0 && i < o->cmds.n; i++)
		r = ev_seal_command(c, o->cmds.v[i]);
	for (size_t i = 0; r >= 0 && i < o->files.n; i++)
		r = ev_seal_files(c, o->files.v[i]);
	if (r >= 0 && o->journal)
		r = ev_seal_journal(c, o->jdir, o->jfile, &o->units);
	return r;
}

/* Notes printed with the result at most (the manifest has them all): the agent reads
 * the result of its seal child through a bounded pipe (daemon_seal.c), and a glob over
 * thousands of quiet files must not cut it. */
#define NOTES_SHOWN 200

static int print_result(const struct seal_opts *o, const struct store_seal_result *res,
                        json_t *notes) {
	size_t n_notes = json_array_size(notes);
	json_t *shown = n_notes > NOTES_SHOWN ? json_array() : json_incref(notes);
	for (size_t i = 0; shown && n_notes > NOTES_SHOWN && i < NOTES_SHOWN; i++)
		json_array_append(shown, json_array_get(notes, i));
	json_t *j =
	        json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:b, s:b, s:o*}", "bundle", res->path,
	                  "bundle_id", res->bundle_id, "sequence", (json_int_t)res->sequence,
	                  "manifest_sha256", res->manifest_sha256, "bundle_sha256",
	                  res->bundle_sha256, "members", (json_int_t)res->n_members, "immutable",
	                  res->immutable, "chain_reset", res->chain_reset, "notes", shown);
	if (j && n_notes > NOTES_SHOWN &&
	    json_object_set_new(j, "notes_omitted",
	                        json_integer((json_int_t)(n_notes - NOTES_SHOWN))) < 0)
		j = (json_decref(j), NULL);
	if (!j) {
		ev_log_error("out of memory");
		return -ENOMEM;
	}
	ev_seal_print_result(o->json, j);
	json_decref(j);
	if (!o->json && res->chain_reset)
		fprintf(stderr,
		        "evident: chain state was lost (%s); a signed chain_reset entry was "
		        "recorded\n",
		        res->reset_reason);
	if (!o->json && res->recovered)
		fprintf(stderr,
		        "evident: an earlier seal failed after placing its bundle; the "
		        "chain head was brought forward and its custody entries recovered\n");
	if (!o->json && res->stale_removed)
		fprintf(stderr, "evident: removed %u temporary file%s left by a killed seal\n",
		        res->stale_removed, res->stale_removed == 1 ? "" : "s");
	if (!o->json && o->immutable && !res->immutable)
		fprintf(stderr, "evident: immutable flag not set (%s); recorded\n",
		        res->immutable_note);
	return 0;
}

/* store.encrypt.recipients: every one must load, or nothing is sealed (never in the clear
 * instead). NULL after saying why. */
static struct store_recipient *load_recipients(const struct ev_config *cfg) {
	size_t n = cfg->store.encrypt.recipients.n;
	struct store_recipient *r = calloc(n, sizeof(*r));
	struct ev_errlist errs = {0};
	for (size_t i = 0; r && i < n; i++)
		if (store_recipient_parse(cfg->store.encrypt.recipients.v[i], cfg->origin, &r[i],
		                          &errs) < 0) {
			free(r);
			r = NULL;
		}
	ev_errlist_print(&errs, stderr);
	ev_errlist_clear(&errs);
	if (!r)
		ev_log_error("store.encrypt.recipients: nothing was sealed");
	return r;
}

/* Open the seal, collect, commit, print. The exit status. */
static int seal_store_phase(const struct seal_opts *o, const struct ev_config *cfg,
                            struct store_key *key, int64_t since, int64_t until) {
	struct ev_errlist errs = {0};
	json_t *act = ev_store_actor(o->actor);
	json_t *fields = seal_fields(o, act, since, until), *notes = json_array();
	char ver[64];
	snprintf(ver, sizeof(ver), "evident %s", PACKAGE_VERSION);
	struct store_seal_params sp = {
	        .store_dir = o->store,
	        .key = key,
	        .tool_version = ver,
	        .actor = act,
	        .fields = json_incref(fields), /* kept: the notes go in after collection */
	        .level = o->level,
	        .max_member_size = cfg->store.max_member_size,
	        .max_bundle_size = o->maxb,
	        .immutable = o->immutable,
	};
	_cleanup_free_ struct store_recipient *rcp = NULL;
	if (cfg->store.encrypt.recipients.n) {
		rcp = load_recipients(cfg);
		if (!rcp) {
			json_decref(sp.fields);
			json_decref(fields);
			json_decref(notes);
			json_decref(act);
			return EV_EXIT_USAGE;
		}
		sp.recipients = rcp;
		sp.n_recipients = cfg->store.encrypt.recipients.n;
		sp.cipher = cfg->store.encrypt.cipher;
	}
	struct store_seal *s = NULL;
	struct store_seal_result res = {0};
	_cleanup_free_ const char **srcs = calloc(cfg->sources.n_files + 1, sizeof(*srcs));
	for (size_t i = 0; srcs && i < cfg->sources.n_files; i++)
		srcs[i] = cfg->sources.files[i].path;
	int r = fields && notes && srcs ? store_seal_begin(&sp, &s, &errs) : -ENOMEM;
	if (r >= 0) {
		struct seal_collect c = {.w = store_seal_writer(s),
		                         .since = since,
		                         .until = until,
		                         .state_dir =
		                                 o->state_dir ? o->state_dir : cfg->agent.state_dir,
		                         .sources = srcs,
		                         .n_sources = cfg->sources.n_files,
		                         .follow_symlinks = cfg->sources.follow_symlinks,
		                         .slack_us = (int64_t)cfg->rules.allowed_lateness,
		                         .cmd_timeout = cfg->store.command_timeout,
		                         .cmd_cap = cfg->store.command_output_cap,
		                         .progress = !o->json && ev_stderr_is_tty(),
		                         .notes = notes};
		r = seal_collect_all(o, &c);
		if (r >= 0 && json_array_size(notes))
			r = json_object_set(fields, "notes", notes) == 0 ? 0 : -ENOMEM;
		if (c.progress && ev_seal_collected() >= (64u << 20))
			fprintf(stderr, "\n");
		if (r < 0) {
			ev_errlist_add(&errs, o->store, 0, 0,
			               "sealing failed: %s; nothing was sealed, the chain head is "
			               "unchanged",
			               strerror(-r));
			store_seal_abort(s);
		} else
			r = store_seal_commit(s, &res, &errs);
	}
	if (r >= 0 || res.path[0])
		print_result(o, &res, notes);
	if (errs.n)
		ev_errlist_print(&errs, stderr);
	ev_errlist_clear(&errs);
	json_decref(fields);
	json_decref(notes);
	json_decref(act);
	return r < 0 ? EV_EXIT_USAGE : EV_EXIT_OK;
}

static int seal_run(int argc, char **argv) {
	struct seal_opts o = {.immutable = true, .level = -1};
	struct ev_config *cfg = NULL;
	struct store_key *key = NULL;
	struct ev_errlist errs = {0};
	int64_t since, until;
	int ret = opts_parse(argc, argv, &o);
	if (ret >= 0)
		goto out;
	ret = EV_EXIT_USAGE;
	if (ev_config_load(o.config, &cfg, &errs) < 0)
		goto out;
	if ((ret = seal_agent_phase(&o, cfg)) >= 0)
		goto out;
	if ((ret = seal_window(&o, cfg, &since, &until)) >= 0)
		goto out;
	ret = EV_EXIT_USAGE;
	if (!o.files.n && !o.journal && !o.copies.n && !o.cmds.n) {
		ev_log_error(
		        "nothing to seal: no --file, --journal, --unit, --copy or --command, and "
		        "the configuration names no source (sources.files, sources.journal) "
		        "and no actions.seal_files or seal_commands");
		goto out;
	}
	if (!o.store)
		o.store = cfg->store.path;
	if (!o.keyp)
		o.keyp = cfg->store.key;
	if (o.level < 0)
		o.level = (int)cfg->store.compression_level;
	if (store_key_load_private(o.keyp, &key, &errs) < 0)
		goto out;
	signal(SIGXFSZ, SIG_IGN); /* a file size limit is an I/O error (EFBIG), not a kill */
	ret = seal_store_phase(&o, cfg, key, since, until);
out:
	if (errs.n)
		ev_errlist_print(&errs, stderr);
	ev_errlist_clear(&errs);
	store_key_free(key);
	ev_config_free(cfg);
	seal_opts_done(&o);
	return ret;
}

const struct ev_command ev_cmd_seal = {
        .name = "seal",
        .summary = "seal evidence for a time window into a signed, chained bundle",
        .run = seal_run,
        .usage = "Usage: evident seal [--store DIR] [--key FILE] [--incident ID] [--note TEXT]\n"
                 "                    [--since T] [--until T] [--journal | --journal-dir D |\n"
                 "                    --journal-file F] [--unit U]... [--file PATH|GLOB]...\n"
                 "                    [--copy PATH]... [--command NAME=CMD]... [--json]\n"
                 "                    [--offline | --socket PATH]\n"
                 "\n"
                 "Collect the evidence of a time window and seal it into a new bundle in the\n"
                 "store: journal entries (export format and JSON lines), file excerpts cut by\n"
                 "byte range (rotated and .gz generations of a plain PATH included), whole\n"
                 "files, and command output (run without a shell, with the configured time\n"
                 "limit and output cap; exit status and stderr recorded). A source that fails\n"
                 "is recorded in the manifest and the seal completes. Prints the bundle path,\n"
                 "id, sequence and manifest hash.\n"
                 "\n"
                 "When the agent answers on its control socket, it seals (a seal request with\n"
                 "these options; the agent adds its actions.seal_commands and seal_files, and\n"
                 "without --file/--journal/--unit it seals its configured sources) and the\n"
                 "custody ledger names you as the requester. When no agent runs, the seal is\n"
                 "made in this process (said on stderr) with the evidence the agent would\n"
                 "add: its configured sources when none is named, actions.seal_files and\n"
                 "seal_commands. --store, --key, --actor, --journal-dir, --journal-file and\n"
                 "--state-dir imply --offline. A seal with nothing to collect is refused. Files\n"
                 "are read only when they are regular files (a FIFO or a symbolic link is\n"
                 "recorded as refused); a file with no line in the window gets a note in the\n"
                 "manifest and in the output (\"note PATH: no lines in the window\").\n"
                 "\n"
                 "  --store DIR         evidence store (default: store.path)\n"
                 "  --key FILE          Ed25519 private key, mode 0600 (default: store.key)\n"
                 "  --since T, --until T  window: '2026-11-29 14:00:00' (local time),\n"
                 "                      2026-11-29T14:00:00Z, today, yesterday, now, -1h30m,\n"
                 "                      '2h ago', @EPOCH; default: the last actions.lookback\n"
                 "                      until now\n"
                 "  --incident ID       incident id recorded in the trigger\n"
                 "  --note TEXT         free text recorded in the manifest\n"
                 "  --actor NAME        who is sealing (recorded in the custody entry)\n"
                 "  --level N           gzip level 0..9 (default: store.compression_level)\n"
                 "  --no-immutable      do not set the immutable flag on the bundle\n"
                 "  --max-bundle-size N refuse bundles larger than N bytes\n"
                 "  --config FILE       configuration (default: " EV_CONFIG_DEFAULT_HELP ")\n"
                 "  --offline           seal in this process, not through the agent\n"
                 "  --state-dir DIR     the agent's state (default: agent.state_dir): file\n"
                 "                      excerpts are cut with its time index, widened by\n"
                 "                      rules.allowed_lateness; without one, files are scanned\n"
                 "  --socket PATH       the agent's control socket (default:\n"
                 "                      agent.control_socket)\n"
                 "  --trigger JSON      keys added to the manifest's trigger (the agent's\n"
                 "                      automatic seals: rule and alerts); implies --offline\n"
                 "  --json              machine-readable output\n"
                 "  -h, --help          show this help\n",
};
