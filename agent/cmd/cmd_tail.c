/* evident tail: follow the configured sources live and print records (human or JSON
 * lines). The same collector_tail the daemon uses, with an sd-event loop of its own;
 * SIGINT/SIGTERM stop it cleanly (checkpoint when --state-dir is given). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "agent/paths.h"
#include "agent/cmd/commands.h"
#include "agent/pipeline.h"
#include "agent/settings.h"
#include "collector/recjson.h"
#include "collector/tail.h"
#include "util/timefmt.h"

enum { OPT_STATE_DIR = 0x2000, OPT_FROM_START, OPT_COUNT };

struct tail_ctx {
	bool json;
	uint64_t n, max;
	sd_event *event;
	struct collector_buf b;
};

/* A string for humans: JSON escapes (control bytes, invalid UTF-8), no quotes. */
static int put_human(struct collector_buf *b, const char *p, size_t n) {
	size_t at = b->len;
	if (collector_json_str(b, p, n, NULL) < 0)
		return -ENOMEM;
	memmove(b->p + at, b->p + at + 1, b->len - at - 2);
	b->len -= 2;
	return 0;
}

static void on_notice(void *userdata, const char *msg) {
	ev_log_warning("%s", msg);
}

static int on_record(void *userdata, struct ev_record *r) {
	struct tail_ctx *c = userdata;
	if (c->max && c->n >= c->max)
		return -ECANCELED; /* not processed: stays for the next run */
	c->b.len = 0;
	if (c->json) {
		if (collector_record_to_json(r, &c->b) < 0)
			return -ENOMEM;
	} else {
		char t[40];
		size_t n = ev_format_rfc3339_us(r->time_us, t, sizeof(t));
		int e = collector_buf_put(&c->b, t, n);
		e |= collector_buf_put(&c->b, " ", 1);
		if (r->host.p) {
			e |= put_human(&c->b, r->host.p, r->host.len);
			e |= collector_buf_put(&c->b, " ", 1);
		}
		if (r->program.p) {
			e |= put_human(&c->b, r->program.p, r->program.len);
			if (r->pid >= 0) {
				char p[32];
				int k = snprintf(p, sizeof(p), "[%lld]", (long long)r->pid);
				e |= collector_buf_put(&c->b, p, (size_t)k);
			}
			e |= collector_buf_put(&c->b, ": ", 2);
		}
		e |= put_human(&c->b, r->message.p, r->message.len);
		e |= collector_buf_put(&c->b, "  <", 3);
		e |= collector_buf_put(&c->b, r->source.p, r->source.len);
		e |= collector_buf_put(&c->b, ">\n", 2);
		if (e)
			return -ENOMEM;
	}
	if (fwrite(c->b.p, 1, c->b.len, stdout) != c->b.len)
		return -EIO;
	if (c->max && ++c->n >= c->max)
		sd_event_exit(c->event, 0);
	return 0;
}

/* After every batch of events: records reach the reader promptly, one write per batch. */
static int on_post(sd_event_source *s, void *userdata) {
	fflush(stdout);
	return 0;
}

struct tail_args {
	const char *config, *state_dir;
	bool from_start;
};

/* The command line into ctx (--json, --count) and ta. Returns -1 to go on, or the exit
 * code. */
static int tail_options(int argc, char **argv, struct tail_ctx *ctx, struct tail_args *ta) {
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"state-dir", required_argument, NULL, OPT_STATE_DIR},
	                                     {"from-start", no_argument, NULL, OPT_FROM_START},
	                                     {"count", required_argument, NULL, OPT_COUNT},
	                                     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "hc:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_tail);
		case EV_OPT_JSON:
			ctx->json = true;
			break;
		case 'c':
			ta->config = optarg;
			break;
		case OPT_STATE_DIR:
			ta->state_dir = optarg;
			break;
		case OPT_FROM_START:
			ta->from_start = true;
			break;
		case OPT_COUNT: {
			char *e;
			errno = 0;
			ctx->max = strtoull(optarg, &e, 10);
			if (*e || !*optarg || optarg[0] == '-' || errno == ERANGE)
				return ev_usage_error(&ev_cmd_tail, "invalid --count '%s'", optarg);
			break;
		}
		default:
			return ev_option_error(&ev_cmd_tail, argv);
		}
	}
	if (optind < argc)
		return ev_usage_error(&ev_cmd_tail, "unexpected argument '%s'", argv[optind]);
	return -1;
}

/* The event loop: SIGINT and SIGTERM end it, stdout is flushed after every batch. */
static int tail_loop_new(struct tail_ctx *ctx) {
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	int r;
	if ((r = sd_event_new(&ctx->event)) < 0 ||
	    (r = sd_event_add_signal(ctx->event, NULL, SIGINT, NULL, NULL)) < 0 ||
	    (r = sd_event_add_signal(ctx->event, NULL, SIGTERM, NULL, NULL)) < 0 ||
	    (r = sd_event_add_post(ctx->event, NULL, on_post, NULL)) < 0) {
		ev_log_error("cannot set up the event loop: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* Follow the configured sources until a signal or --count. */
static int tail_follow(const struct ev_config *cfg, const struct tail_args *ta,
                       struct tail_ctx *ctx, struct ev_pipeline_sources *src,
                       struct ev_errlist *errs) {
	if (ev_pipeline_sources(cfg, ta->state_dir, !ta->from_start, src) < 0) {
		ev_log_error("out of memory");
		return EV_EXIT_USAGE;
	}
	struct collector_tail_config tc = src->tc;
	tc.notice = on_notice;
	if (tc.n_files == 0 && !tc.journal) {
		ev_log_error("%s: no sources configured (sources.files is empty and "
		             "sources.journal is false)",
		             cfg->origin);
		return EV_EXIT_USAGE;
	}
	if (tail_loop_new(ctx) < 0)
		return EV_EXIT_USAGE;
	struct collector_tail *t = NULL;
	int r = collector_tail_new(ctx->event, &tc, on_record, ctx, &t, errs);
	if (r < 0) {
		for (size_t i = 0; i < errs->n; i++) {
			char *m = ev_error_format(&errs->v[i]);
			ev_log_error("%s", m ? m : "error");
			free(m);
		}
		if (!errs->n)
			ev_log_error("cannot start the sources: %s", strerror(-r));
		collector_tail_free(t);
		return EV_EXIT_USAGE;
	}
	if (ev_stderr_is_tty())
		ev_log_info("following %zu file pattern%s%s; Ctrl-C stops", tc.n_files,
		            tc.n_files == 1 ? "" : "s", tc.journal ? " and the journal" : "");
	r = sd_event_loop(ctx->event);
	if (r < 0)
		ev_log_error("event loop: %s", strerror(-r));
	collector_tail_free(t); /* checkpoints */
	return r < 0 ? EV_EXIT_USAGE : EV_EXIT_OK;
}

static int tail_run(int argc, char **argv) {
	struct tail_ctx ctx = {0};
	struct tail_args ta = {0};
	int rc = tail_options(argc, argv, &ctx, &ta);
	if (rc >= 0)
		return rc;
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	if (ev_config_load(ta.config, &cfg, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	struct ev_pipeline_sources src = {0};
	rc = tail_follow(cfg, &ta, &ctx, &src, &errs);
	sd_event_unref(ctx.event);
	collector_buf_done(&ctx.b);
	ev_pipeline_sources_done(&src);
	ev_errlist_clear(&errs);
	ev_config_free(cfg);
	return rc;
}

const struct ev_command ev_cmd_tail = {
        .name = "tail",
        .summary = "follow the configured log sources live and print records",
        .run = tail_run,
        .usage = "Usage: evident tail [--config FILE] [--json] [--state-dir DIR] [--from-start]\n"
                 "                    [--count N]\n"
                 "\n"
                 "Follow the files and the journal configured under `sources` and print every\n"
                 "record as it arrives: human-readable, or JSON lines with --json (see\n"
                 "docs/records.md). Use it to check that the sources are right.\n"
                 "\n"
                 "  -c, --config FILE  configuration (default: " EV_CONFIG_DEFAULT_HELP ")\n"
                 "  --json             JSON lines\n"
                 "  --state-dir DIR    keep positions in DIR/positions.json: a later run goes on\n"
                 "                     where this one stopped (default: no positions kept)\n"
                 "  --from-start       without saved positions, read files and the journal from\n"
                 "                     their beginning (default: only new lines)\n"
                 "  --count N          stop after N records\n"
                 "  -h, --help         show this help\n"
                 "\n"
                 "SIGINT or SIGTERM stops; positions are saved first.\n",
};
