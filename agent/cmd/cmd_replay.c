/* evident replay: read log files and journal files offline, print the parsed records as
 * JSON lines (--records, the default without --rules), only count them (--stats), or
 * run them through the rules (--rules, via replay_rules_run). */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/cmd/commands.h"
#include "agent/cmd/timeparse.h"
#include "agent/replay_rules.h"
#include "collector/format.h"
#include "collector/reader.h"
#include "collector/recjson.h"
#include "util/clock.h"
#include "util/strv.h"

enum {
	OPT_RECORDS = 0x2000,
	OPT_FORMAT,
	OPT_TZ,
	OPT_YEAR,
	OPT_JFILE,
	OPT_JDIR,
	OPT_RULES,
	OPT_DECODERS,
	OPT_ENGINE,
	OPT_STATS,
	OPT_CONFIG,
	OPT_MAX_LINE,
	OPT_NOW,
	OPT_PROGRAM,
	OPT_SERVICE,
	OPT_FMTDIR,
};

/* Which format parsed each file (auto-detection's choice), on standard error. */
void replay_print_formats(const struct collector_reader *rd) {
	char buf[512];
	const char *name;
	int k;
	for (size_t i = 0;
	     (k = collector_reader_input_formats(rd, i, &name, buf, sizeof(buf))) >= 0; i++)
		if (k == 1)
			fprintf(stderr, "evident: replay: %s: format %s\n", name, buf);
}

static void summary(const struct collector_reader *rd, double t0, bool tty) {
	struct collector_reader_stats st;
	collector_reader_get_stats(rd, &st);
	double dt = (double)ev_now_monotonic_us() / 1e6 - t0;
	if (tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr,
	        "evident: replay: %" PRIu64 " lines, %" PRIu64 " records, %" PRIu64
	        " unparsed, %" PRIu64 " flagged, %" PRIu64 " bytes in %.3f s (%.0f lines/s)\n",
	        st.lines, st.records, st.unparsed, st.flagged, st.bytes, dt,
	        dt > 0 ? (double)st.lines / dt : 0.0);
	replay_print_formats(rd);
}

static int print_records(struct collector_reader *rd, bool stats_only, bool progress) {
	struct ev_record rec;
	struct collector_buf b = {0};
	int rc = EV_EXIT_OK;
	double t0 = (double)ev_now_monotonic_us() / 1e6, last = t0;
	ev_record_init(&rec);
	for (uint64_t n = 1;; n++) {
		int r = replay_next_record(rd, &rec);
		if (r == 0)
			break;
		if (r < 0) {
			rc = EV_EXIT_USAGE;
			if (r == -ENOMEM)
				break;
			continue;
		}
		if (!stats_only) {
			if (collector_record_to_json(&rec, &b) < 0) {
				ev_log_error("out of memory");
				rc = EV_EXIT_USAGE;
				break;
			}
			if (b.len >= 1 << 16) {
				if (fwrite(b.p, 1, b.len, stdout) != b.len) {
					ev_log_error("write error on standard output");
					rc = EV_EXIT_USAGE;
					break;
				}
				b.len = 0;
			}
		}
		if (progress && (n & 0xffff) == 0) {
			double now = (double)ev_now_monotonic_us() / 1e6;
			if (now - last >= 0.5) {
				struct collector_reader_stats st;
				collector_reader_get_stats(rd, &st);
				fprintf(stderr, "\r\033[Kevident: replay: %" PRIu64 " lines...",
				        st.lines);
				last = now;
			}
		}
	}
	if (b.len && fwrite(b.p, 1, b.len, stdout) != b.len)
		rc = EV_EXIT_USAGE;
	if (fflush(stdout) != 0) {
		ev_log_error("write error on standard output");
		rc = EV_EXIT_USAGE;
	}
	summary(rd, t0, progress);
	if (ev_interrupted()) {
		ev_log_warning("replay: interrupted by signal %d; the records above are complete",
		               ev_interrupted());
		rc = ev_interrupt_status();
	}
	collector_buf_done(&b);
	ev_record_free(&rec);
	return rc;
}

static int parse_u64(const char *s, uint64_t *ret) {
	char *e;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno || e == s || *e || s[0] == '-')
		return -1;
	*ret = v;
	return 0;
}

/* The command line of one replay. The lists borrow their strings from argv. */
struct replay_args {
	struct collector_reader_opts o;
	struct ev_strv jfiles, jdirs, rules, decoders;
	const char *engine, *config;
	bool stats_only;
	struct ev_errlist errs;
};

/* Every message of errs, then the usage/I-O exit code. */
static int replay_fail(const struct ev_errlist *errs) {
	for (size_t i = 0; i < errs->n; i++) {
		_cleanup_free_ char *m = ev_error_format(&errs->v[i]);
		ev_log_error("%s", m ? m : "error");
	}
	return EV_EXIT_USAGE;
}

static int replay_oom(void) {
	ev_log_error("out of memory");
	return EV_EXIT_USAGE;
}

/* --year, --now, --max-line. Returns -1 to go on, or the exit code. */
static int replay_number_option(struct replay_args *a, int c) {
	uint64_t v;
	switch (c) {
	case OPT_YEAR:
		if (parse_u64(optarg, &v) < 0 || v < 1 || v > 9999)
			return ev_usage_error(&ev_cmd_replay, "invalid --year '%s' (1..9999)",
			                      optarg);
		a->o.year = (int)v;
		break;
	case OPT_NOW: /* reference time for year inference (tests): µs since the epoch, or
	               * any time ev_parse_time() reads */
		if (parse_u64(optarg, &v) == 0 && v <= INT64_MAX)
			a->o.now_us = (int64_t)v;
		else if (ev_parse_time(optarg, (int64_t)time(NULL) * 1000000, &a->o.now_us) < 0)
			return ev_usage_error(&ev_cmd_replay,
			                      "invalid --now '%s' (want µs since "
			                      "the epoch, or " EV_TIME_FORMS ")",
			                      optarg);
		break;
	case OPT_MAX_LINE:
		if (parse_u64(optarg, &v) < 0 || v < 16 || v > (1u << 30))
			return ev_usage_error(&ev_cmd_replay, "invalid --max-line '%s' (16..1GiB)",
			                      optarg);
		a->o.max_line = v;
		break;
	}
	return -1;
}

/* One option. Returns -1 to go on, or the exit code. */
static int replay_option(struct replay_args *a, int c, char **argv) {
	struct ev_strv *list = NULL;
	switch (c) {
	case 'h':
		return ev_print_help(&ev_cmd_replay);
	case EV_OPT_JSON:
	case OPT_RECORDS:
		break;
	case OPT_FORMAT:
		a->o.format = optarg;
		break;
	case OPT_TZ:
		a->o.tz = optarg;
		break;
	case OPT_PROGRAM:
		a->o.program = optarg;
		break;
	case OPT_SERVICE:
		a->o.service = optarg;
		break;
	case OPT_FMTDIR:
		if (collector_formats_default_add_dir(optarg, &a->errs) < 0)
			return replay_fail(&a->errs);
		break;
	case OPT_YEAR:
	case OPT_NOW:
	case OPT_MAX_LINE:
		return replay_number_option(a, c);
	case OPT_JFILE:
		list = &a->jfiles;
		break;
	case OPT_JDIR:
		list = &a->jdirs;
		break;
	case OPT_RULES:
		list = &a->rules;
		break;
	case OPT_DECODERS:
		list = &a->decoders;
		break;
	case OPT_ENGINE:
		if (strcmp(optarg, "auto") && strcmp(optarg, "vectorscan") &&
		    strcmp(optarg, "pcre2"))
			return ev_usage_error(&ev_cmd_replay,
			                      "invalid --engine '%s' (auto, vectorscan, pcre2)",
			                      optarg);
		a->engine = optarg;
		break;
	case OPT_STATS:
		a->stats_only = true;
		break;
	case OPT_CONFIG:
		a->config = optarg;
		break;
	default:
		return ev_option_error(&ev_cmd_replay, argv);
	}
	if (list && ev_strv_push(list, optarg) < 0)
		return replay_oom();
	return -1;
}

/* The whole command line. Returns -1 to go on, or the exit code. */
static int replay_options(int argc, char **argv, struct replay_args *a) {
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"records", no_argument, NULL, OPT_RECORDS},
	                                     {"format", required_argument, NULL, OPT_FORMAT},
	                                     {"tz", required_argument, NULL, OPT_TZ},
	                                     {"year", required_argument, NULL, OPT_YEAR},
	                                     {"journal-file", required_argument, NULL, OPT_JFILE},
	                                     {"journal-dir", required_argument, NULL, OPT_JDIR},
	                                     {"rules", required_argument, NULL, OPT_RULES},
	                                     {"decoders", required_argument, NULL, OPT_DECODERS},
	                                     {"engine", required_argument, NULL, OPT_ENGINE},
	                                     {"stats", no_argument, NULL, OPT_STATS},
	                                     {"config", required_argument, NULL, OPT_CONFIG},
	                                     {"max-line", required_argument, NULL, OPT_MAX_LINE},
	                                     {"now", required_argument, NULL, OPT_NOW},
	                                     {"program", required_argument, NULL, OPT_PROGRAM},
	                                     {"service", required_argument, NULL, OPT_SERVICE},
	                                     {"formats-dir", required_argument, NULL, OPT_FMTDIR},
	                                     {NULL, 0, NULL, 0}};
	int c, r;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if ((r = replay_option(a, c, argv)) >= 0)
			return r;
	if (optind >= argc && a->jfiles.n == 0 && a->jdirs.n == 0)
		return ev_usage_error(
		        &ev_cmd_replay,
		        "no input (give FILE..., '-', --journal-file or --journal-dir)");
	return -1;
}

/* The reader over every input: files (argv from optind), journal files, journal
 * directories. Returns -1 with *ret_rd set, or the exit code. */
static int replay_open(struct replay_args *a, int argc, char **argv,
                       struct collector_reader **ret_rd) {
	struct collector_reader *rd = NULL;
	int r = collector_reader_new(&a->o, &rd, &a->errs);
	if (r == -EINVAL)
		return ev_usage_error(&ev_cmd_replay, "%s",
		                      a->errs.n ? a->errs.v[0].msg : "invalid option");
	if (r < 0)
		return replay_oom();
	*ret_rd = rd; /* freed by the caller, also on failure below */
	for (int i = optind; i < argc; i++)
		if (collector_reader_add_file(rd, argv[i], &a->errs) < 0)
			return replay_fail(&a->errs);
	for (size_t i = 0; i < a->jfiles.n; i++)
		if (collector_reader_add_journal_file(rd, a->jfiles.v[i], &a->errs) < 0)
			return replay_fail(&a->errs);
	for (size_t i = 0; i < a->jdirs.n; i++)
		if (collector_reader_add_journal_dir(rd, a->jdirs.v[i], &a->errs) < 0)
			return replay_fail(&a->errs);
	return -1;
}

/* --rules: the records through the rules (agent/replay_rules.c). */
static int replay_with_rules(const struct replay_args *a, struct collector_reader *rd) {
	struct ev_config *cfg = replay_rules_load_config(a->config);
	if (!cfg)
		return EV_EXIT_USAGE;
	struct replay_rules_opts ro = {
	        .cfg = cfg,
	        .rule_paths = a->rules.v,
	        .n_rule_paths = a->rules.n,
	        .decoder_paths = a->decoders.n ? a->decoders.v : NULL,
	        .n_decoder_paths = a->decoders.n,
	        .engine = a->engine,
	        .progress = ev_stderr_is_tty(),
	        .stats_only = a->stats_only,
	        .service_field = a->o.service != NULL,
	};
	ev_catch_interrupts();
	int rc = replay_rules_run(rd, &ro);
	ev_config_free(cfg);
	return rc;
}

static int replay_run(int argc, char **argv) {
	struct replay_args a = {0};
	struct collector_reader *rd = NULL;
	int rc = replay_options(argc, argv, &a);
	if (rc < 0)
		rc = replay_open(&a, argc, argv, &rd);
	if (rc < 0 && a.rules.n)
		rc = replay_with_rules(&a, rd);
	else if (rc < 0) {
		ev_catch_interrupts();
		rc = print_records(rd, a.stats_only, ev_stderr_is_tty());
	}
	collector_reader_free(rd);
	ev_errlist_clear(&a.errs);
	free(a.jfiles.v);
	free(a.jdirs.v);
	free(a.rules.v);
	free(a.decoders.v);
	return rc;
}

const struct ev_command ev_cmd_replay = {
        .name = "replay",
        .summary = "parse log and journal files offline: print records, or run rules",
        .run = replay_run,
        .usage =
                "Usage: evident replay [--records|--stats] [--format FMT] [--tz ZONE] [--year "
                "YYYY]\n"
                "                      [--journal-file F]... [--journal-dir D]... [FILE...|-]\n"
                "       evident replay --rules PATH [--rules PATH]... [--decoders PATH]...\n"
                "                      [--engine auto|vectorscan|pcre2] [--config FILE] [options]\n"
                "                      FILE...\n"
                "\n"
                "Read log files (plain or .gz, '-' for standard input) and journal files, parse\n"
                "every line into a record and merge all inputs by event time. Without --rules,\n"
                "print each record as one JSON object per line (see docs/records.md); with\n"
                "--rules, match the records against the rules and print the alerts.\n"
                "A summary (lines, records, unparsed, flagged, and per file the formats that\n"
                "parsed its lines) goes to standard error.\n"
                "\n"
                "  --records          print records as JSON lines (the default without --rules)\n"
                "  --stats            parse only; print nothing but the summary\n"
                "  --format FMT       auto (default), rfc3164, rfc5424, iso, json, logfmt, audit,\n"
                "                     or a format of the library ('evident formats' lists them)\n"
                "  --formats-dir DIR  add the format files of DIR to the library\n"
                "  --program NAME     program of the lines that carry none\n"
                "  --service NAME     the field 'service' of every file record\n"
                "  --tz ZONE          zone for times without one (default: local time)\n"
                "  --year YYYY        year of RFC 3164 times (default: inferred, New Year aware)\n"
                "  --max-line BYTES   longer lines are split into flagged parts (default 65536)\n"
                "  --journal-file F   read a journal file (repeatable)\n"
                "  --journal-dir D    read a journal directory (repeatable)\n"
                "  --rules PATH       Sigma rule file or directory (repeatable)\n"
                "  --decoders PATH    decoder file or directory (repeatable)\n"
                "  --engine E         auto, vectorscan or pcre2 (default: rules.engine)\n"
                "  --config FILE      take rules.engine, rules.allowed_lateness, "
                "rules.max_groups,\n"
                "                     rules.max_values, rules.max_future, rules.logsources\n"
                "                     and rules.placeholders\n"
                "                     from FILE (default: the embedded configuration)\n"
                "  --json             accepted; records are always JSON\n"
                "  -h, --help         show this help\n"
                "\n"
                "SIGINT or SIGTERM ends the replay after the record at hand: the output\n"
                "holds only whole lines, the summary is printed, and the exit status is\n"
                "128 + the signal (130 for SIGINT, 143 for SIGTERM).\n"
                "\n"
                "Exit status: 0 success, 1 rule errors, 2 usage or I/O error, 130/143\n"
                "interrupted.\n",
};
