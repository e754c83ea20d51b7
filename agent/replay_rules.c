/* `evident replay --rules`: feed every record of a collector reader through a
 * correlation engine, print each alert as one JSON line on stdout and a summary on
 * stderr. Output is deterministic: same input, same bytes, whichever engine. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cli.h"
#include "agent/feed.h"
#include "agent/paths.h"
#include "agent/pipeline.h"
#include "agent/replay_rules.h"
#include "correlate/engine.h"
#include "util/timefmt.h"

struct ev_config *replay_rules_load_config(const char *path) {
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	int r = ev_config_load(path ? path : EV_CONFIG_EMBEDDED, &cfg, &errs);
	if (r < 0) {
		if (errs.n)
			ev_errlist_print(&errs, stderr);
		else
			ev_log_error("cannot load the configuration %s: %s",
			             path ? path : "<embedded>", strerror(-r));
		cfg = NULL;
	}
	ev_errlist_clear(&errs);
	return cfg;
}

const char *replay_rules_dataroot(void) {
	const char *d = getenv("EVIDENT_DATADIR");
	if (!d || !*d)
		d = ev_running_from_build_tree() ? EV_ABS_SRCDIR "/conf" : EV_PKGDATADIR;
	return d;
}

const char *replay_rules_datadir(const char *sub) {
	static char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s/%s", replay_rules_dataroot(), sub);
	return buf;
}

int replay_rules_add_shipped_decoders(struct correlate_engine *e, struct ev_errlist *warns) {
	const char *dir = replay_rules_datadir("decoders");
	struct ev_errlist quiet = {0};
	int r = correlate_engine_add_decoders(e, dir, &quiet);
	if (r == -ENOMEM) {
		ev_errlist_clear(&quiet);
		return r;
	}
	if (r < 0)
		ev_errlist_add(warns, NULL, 0, 0,
		               "no decoders loaded: cannot read %s (%s); rules that need decoded "
		               "fields never match. Point at the decoders with --decoders DIR "
		               "(rules.decoders in the configuration) or EVIDENT_DATADIR=DIR (the "
		               "directory holding decoders/ and rules/)",
		               dir, strerror(-r));
	else
		ev_errlist_move(warns, &quiet);
	ev_errlist_clear(&quiet);
	return r;
}

struct out {
	bool quiet; /* --stats: alerts are counted, never rendered */
	uint64_t n;
	bool write_failed;
	struct correlate_alert_buf buf; /* reused for every alert */
};

static void on_alert(void *ctx, const struct correlate_alert *a) {
	struct out *o = ctx;
	o->n++;
	if (o->quiet)
		return;
	size_t len;
	const char *j = correlate_alert_render(a, NULL, &o->buf, &len);
	if (!j) {
		o->write_failed = true; /* out of memory */
		return;
	}
	o->buf.p[len] = '\n'; /* the buffer keeps a byte for the NUL */
	if (fwrite(j, 1, len + 1, stdout) != len + 1)
		o->write_failed = true;
}

static void block_to_engine(void *ctx, const char *p, size_t len, uint64_t off) {
	correlate_engine_set_block(ctx, p, len, off);
}

static bool quiet_to_engine(void *ctx, uint64_t off, size_t len) {
	return correlate_engine_line_quiet(ctx, off, len);
}

int replay_next_record(struct collector_reader *rd, struct ev_record *rec) {
	if (ev_interrupted())
		return 0;
	struct ev_errlist errs = {0};
	int r = collector_reader_next(rd, rec, &errs);
	if (r < 0 && !ev_interrupted())
		ev_errlist_print(&errs, stderr);
	if (errs.v || errs.n) /* once per record: no call for the empty list */
		ev_errlist_clear(&errs);
	return r < 0 && ev_interrupted() ? 0 : r;
}

static void print_warnings(const struct ev_errlist *warns) {
	if (getenv("EVIDENT_QUIET_WARNINGS"))
		return;
	for (size_t i = 0; i < warns->n; i++) {
		char *s = ev_error_format(&warns->v[i]);
		if (s)
			fprintf(stderr, "warning: %s\n", s);
		free(s);
	}
	if (warns->dropped)
		fprintf(stderr, "warning: (%zu more warnings not shown)\n", warns->dropped);
}

/* Every record of rd through the feed into e, then the end of input. Returns an exit
 * code (EV_EXIT_OK, or EV_EXIT_USAGE after an unreadable line or running out of memory). */
static int feed_all(struct collector_reader *rd, struct correlate_engine *e,
                    const struct replay_rules_opts *o) {
	int rc = EV_EXIT_OK, r;
	/* one Vectorscan scan per read buffer, not per message (correlate_engine_set_block) */
	collector_reader_set_block_fn(rd, block_to_engine, e);
	struct ev_record rec;
	ev_record_init(&rec);
	struct ev_feed feed;
	bool fed = ev_feed_init(&feed, o->cfg ? (int64_t)o->cfg->rules.allowed_lateness : -1) >= 0;
	if (fed && o->cfg && o->cfg->analyze.template_fields)
		fed = ev_feed_enable_templates(&feed) >= 0;
	else if (correlate_engine_can_quiet(e)) /* lines no rule can match are read for
	                                         * their time only (templates need every message) */
		collector_reader_set_quiet_fn(rd, quiet_to_engine, e);
	if (!fed) {
		ev_log_error("replay: out of memory");
		rc = EV_EXIT_USAGE;
	}
	uint64_t n = 0;
	while (fed && (r = replay_next_record(rd, &rec)) != 0) {
		if (r < 0) {
			rc = EV_EXIT_USAGE;
			if (r != -EIO && r != -EINVAL)
				break;
			continue;
		}
		if (ev_feed_record(&feed, e, &rec) < 0) {
			ev_log_error("replay: out of memory");
			rc = EV_EXIT_USAGE;
			break;
		}
		if (o->progress && (++n & 0xfffff) == 0)
			fprintf(stderr, "\r\033[Kevident: replay: %" PRIu64 " records...", n);
	}
	ev_record_free(&rec);
	collector_reader_set_block_fn(rd, NULL, NULL);
	collector_reader_set_quiet_fn(rd, NULL, NULL);
	if (fed && ev_feed_expire(&feed, e, INT64_MAX) < 0) {
		ev_log_error("replay: out of memory");
		rc = EV_EXIT_USAGE;
	}
	ev_feed_done(&feed);
	correlate_engine_finish(e);
	if (o->progress && n >= 0x100000)
		fprintf(stderr, "\r\033[K");
	return rc;
}

/* The summary on stderr: counts, formats, far-future records, an interruption, matches
 * per rule. Returns the interruption's exit code, or rc. */
static int print_summary(struct collector_reader *rd, const struct correlate_engine *e, int rc) {
	struct collector_reader_stats rs;
	collector_reader_get_stats(rd, &rs);
	struct correlate_stats cs;
	correlate_engine_get_stats(e, &cs);
	fprintf(stderr,
	        "evident: replay: %" PRIu64 " lines, %" PRIu64 " records, %" PRIu64
	        " unparsed, %zu rules (%s%s), %" PRIu64 " matches, %" PRIu64 " alerts, %" PRIu64
	        " late events, %" PRIu64 " evicted groups, %" PRIu64 " far-future events, %" PRIu64
	        " values dropped, %" PRIu64 " event times dropped, %" PRIu64
	        " captures dropped, %" PRIu64 " samples without source, %" PRIu64
	        " lines read for their time only\n",
	        rs.lines, rs.records, rs.unparsed, cs.rules,
	        cs.vectorscan ? "vectorscan+pcre2" : "pcre2", cs.jit ? " JIT" : " interpreter",
	        cs.matches, cs.alerts, cs.late, cs.evicted, cs.future, cs.values_dropped,
	        cs.times_dropped, cs.captures_dropped, cs.sources_capped, cs.quiet_records);
	replay_print_formats(rd);
	if (cs.future) {
		char t[48];
		ev_format_rfc3339_us(cs.last_future_us, t, sizeof(t));
		fprintf(stderr,
		        "evident: replay: warning: %" PRIu64
		        " record%s dated more than rules.max_future "
		        "ahead of the input (last: %s) did not move the watermark and were not "
		        "correlated; their alerts carry \"time_suspect\":\"future\"\n",
		        cs.future, cs.future == 1 ? "" : "s", t);
	}
	if (ev_interrupted()) {
		ev_log_warning("replay: interrupted by signal %d after %" PRIu64
		               " lines; the alerts above are complete (windows still open were "
		               "closed as at the end of input)",
		               ev_interrupted(), rs.lines);
		rc = ev_interrupt_status();
	}
	struct correlate_rule_stats rst;
	for (size_t i = 0; correlate_engine_rule_stats(e, i, &rst); i++)
		if (rst.matches)
			fprintf(stderr, "evident: replay:   %8" PRIu64 "  %s\n", rst.matches,
			        rst.title  ? rst.title
			        : rst.name ? rst.name
			        : rst.id   ? rst.id
			                   : "?");
	return rc;
}

int replay_rules_run(struct collector_reader *rd, const struct replay_rules_opts *o) {
	struct ev_errlist errs = {0}, warns = {0};
	struct ev_pipeline_rules pr = {.rule_paths = o->rule_paths,
	                               .n_rule_paths = o->n_rule_paths,
	                               .decoder_paths = o->decoder_paths,
	                               .n_decoder_paths = o->n_decoder_paths,
	                               .engine = o->engine,
	                               .service_field = o->service_field};
	struct ev_pipeline_info info;
	int rc = EV_EXIT_OK;
	struct correlate_engine *e = ev_pipeline_engine(o->cfg, &pr, &errs, &warns, &info);
	if (!e) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	print_warnings(&warns);
	if (ev_errlist_count(&errs)) {
		ev_errlist_print(&errs, stderr);
		fprintf(stderr, "evident: replay: %zu rule error%s, nothing replayed\n",
		        ev_errlist_count(&errs), ev_errlist_count(&errs) == 1 ? "" : "s");
		rc = info.io ? EV_EXIT_USAGE : EV_EXIT_FINDING;
	} else {
		struct out out = {.quiet = o->stats_only};
		correlate_engine_set_callback(e, on_alert, &out);
		rc = feed_all(rd, e, o);
		correlate_alert_buf_done(&out.buf);
		fflush(stdout);
		if (out.write_failed || ferror(stdout)) {
			ev_log_error("replay: cannot write alerts to stdout");
			rc = EV_EXIT_USAGE;
		}
		rc = print_summary(rd, e, rc);
	}
	ev_errlist_clear(&errs);
	ev_errlist_clear(&warns);
	correlate_engine_free(e);
	return rc;
}
