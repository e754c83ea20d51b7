/* Reading inputs into an analysis (run.h) and analyze_incident() (analysis.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/analyze/analysis.h"
#include "agent/analyze/bundle_in.h"
#include "agent/analyze/incident_in.h"
#include "agent/analyze/run.h"
#include "agent/analyze/svg.h"
#include "agent/analyze/tplstore.h"
#include "agent/replay_rules.h"
#include "agent/settings.h"
#include "collector/files.h"
#include "util/clock.h"
#include "util/macro.h"
#include "util/strv.h"

int analyze_open_reader(const struct collector_reader_opts *ro, char **files, size_t n,
                        struct collector_reader **ret, struct ev_errlist *errs) {
	struct collector_reader *rd = NULL;
	int r = collector_reader_new(ro, &rd, errs);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = collector_reader_add_file(rd, files[i], errs);
	if (r < 0) {
		collector_reader_free(rd);
		return r;
	}
	*ret = rd;
	return 0;
}

static bool service_wanted(const struct analyze_input *in, const struct ev_record *rec) {
	if (in->n_services == 0)
		return true;
	struct ev_str s = analyze_record_service(rec);
	for (size_t i = 0; i < in->n_services; i++)
		if (strlen(in->services[i]) == s.len && !memcmp(in->services[i], s.p, s.len))
			return true;
	return false;
}

static int open_source(const struct analyze_source *src, struct collector_reader **ret,
                       struct ev_errlist *errs) {
	if (!src->journal_dir)
		return analyze_open_reader(&src->ro, src->files, src->n_files, ret, errs);
	struct collector_reader *rd = NULL;
	int r = collector_reader_new(&src->ro, &rd, errs);
	if (r >= 0)
		r = collector_reader_add_journal_dir(rd, src->journal_dir, errs);
	if (r < 0)
		collector_reader_free(rd);
	else
		*ret = rd;
	return r;
}

/* Readers, one a group, each with its next record (live[i]: it has one). */
struct merge {
	struct collector_reader *rd[ANALYZE_MAX_SOURCES];
	struct ev_record rec[ANALYZE_MAX_SOURCES];
	bool live[ANALYZE_MAX_SOURCES];
	size_t n;
};

static int merge_fill(struct merge *mg, size_t i) {
	int r;
	while ((r = replay_next_record(mg->rd[i], &mg->rec[i])) < 0 && r != -ENOMEM)
		; /* a read error was said; the reader goes on */
	mg->live[i] = r > 0;
	return r < 0 ? r : 0;
}

static int merge_open(struct merge *mg, const struct analyze_input *in, struct ev_errlist *errs) {
	struct analyze_source one = {.ro = in->ro, .files = in->files, .n_files = in->n_files};
	const struct analyze_source *v = in->n_sources ? in->sources : &one;
	size_t n = in->n_sources ? MIN(in->n_sources, (size_t)ANALYZE_MAX_SOURCES) : 1;
	int r = 0;
	for (size_t i = 0; i < n && r >= 0; i++) {
		if ((r = open_source(&v[i], &mg->rd[i], errs)) < 0)
			break;
		ev_record_init(&mg->rec[i]);
		mg->n++;
		r = merge_fill(mg, i);
	}
	return r < 0 ? (r == -ENOMEM ? r : -EIO) : 0;
}

static void merge_close(struct merge *mg) {
	for (size_t i = 0; i < mg->n; i++) {
		ev_record_free(&mg->rec[i]);
		collector_reader_free(mg->rd[i]);
	}
}

/* Each record of the wanted services, by time across the groups: fn(ud, rec). Stops at
 * the first fn error. */
static int each_record(const struct analyze_input *in, int (*fn)(void *, const struct ev_record *),
                       void *ud, struct ev_errlist *errs) {
	struct merge mg = {0};
	int r = merge_open(&mg, in, errs);
	while (r >= 0) {
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < mg.n; i++)
			if (mg.live[i] &&
			    (best == SIZE_MAX || mg.rec[i].time_us < mg.rec[best].time_us))
				best = i;
		if (best == SIZE_MAX)
			break;
		if (service_wanted(in, &mg.rec[best]) && (r = fn(ud, &mg.rec[best])) < 0)
			break;
		r = merge_fill(&mg, best);
	}
	merge_close(&mg);
	return r < 0 ? r : 0;
}

static int widen(void *ud, const struct ev_record *rec) {
	int64_t *lh = ud;
	lh[0] = MIN(lh[0], rec->time_us);
	lh[1] = MAX(lh[1], rec->time_us);
	return 0;
}

static int add(void *ud, const struct ev_record *rec) {
	return analyze_add(ud, rec);
}

int analyze_read(struct analysis *a, struct miner *m, const struct analyze_input *in,
                 const char *const *trace_fields, struct ev_errlist *errs) {
	int64_t lh[2] = {INT64_MAX, INT64_MIN};
	int r = 0;
	if (in->since_us == ANALYZE_NONE || in->until_us == ANALYZE_NONE)
		r = each_record(in, widen, lh, errs);
	int64_t lo = in->since_us != ANALYZE_NONE ? in->since_us : lh[0] == INT64_MAX ? 0 : lh[0];
	int64_t hi = in->until_us != ANALYZE_NONE ? in->until_us : lh[1] == INT64_MIN ? 0 : lh[1];
	analyze_init(a, m, lo, MAX(lo, hi), trace_fields);
	if (r < 0)
		return r;
	if (hi < lo) {
		ev_errlist_add(errs, NULL, 0, 0, "the window ends before it starts");
		return -EINVAL;
	}
	return each_record(in, add, a, errs);
}

/* What analyze_incident() returns: the analysis first, then what it owns. */
struct analysis_owned {
	struct analysis a;
	struct miner *miner;
	const char **fields;
	json_t *inputs;
};

/* The bundles of the incident, verified; their members into in->files. */
static int incident_bundles(const struct analyze_incident_input *ii, struct analyze_bundles *b) {
	size_t i;
	json_t *e;
	json_array_foreach(ii->bundles, i, e) {
		int r = analyze_bundles_add(
		        b, json_string_value(json_object_get(e, "bundle")), NULL, 0,
		        json_string_value(json_object_get(e, "manifest_sha256")));
		if (r < 0)
			return r;
	}
	return 0;
}

int analyze_incident(const struct ev_config *cfg, const char *state_dir, const char *id,
                     struct analysis **out, struct ev_errlist *errs) {
	struct analyze_incident_input ii = {0};
	struct analyze_bundles b = {0};
	struct analysis_owned *own = calloc(1, sizeof(*own));
	if (!own)
		return -ENOMEM;
	struct analysis *a = &own->a;
	if (!state_dir)
		state_dir = cfg->agent.state_dir;
	int r = analyze_incident_read(cfg, state_dir, id, ev_now_realtime_us(), &ii, errs);
	if (r < 0) {
		free(own);
		return r;
	}
	const struct ev_strv *tf = &cfg->analyze.trace_fields;
	own->fields = calloc(tf->n + 1, sizeof(char *));
	own->miner = miner_new();
	r = own->fields && own->miner ? incident_bundles(&ii, &b) : -ENOMEM;
	for (size_t i = 0; own->fields && i < tf->n; i++)
		own->fields[i] = tf->v[i];
	size_t bad;
	if (r >= 0 && state_dir)
		(void)analyze_store_load(own->miner, state_dir, &bad); /* ids resolve */
	struct analyze_input in = {.files = b.files,
	                           .n_files = b.n_files,
	                           .since_us = ii.since_us,
	                           .until_us = ii.until_us};
	if (r >= 0)
		r = analyze_read(a, own->miner, &in, own->fields, errs);
	else
		analyze_init(a, own->miner, 0, 0, NULL);
	if (r >= 0)
		r = analyze_incident_markers(a, &ii);
	own->inputs = json_incref(b.notes);
	analyze_bundles_done(&b);
	analyze_incident_input_done(&ii);
	if (r < 0) {
		analyze_free(a);
		return r;
	}
	*out = a;
	return 0;
}

void analyze_free(struct analysis *a) {
	if (!a)
		return;
	struct analysis_owned *own = (struct analysis_owned *)a;
	analyze_done(a);
	miner_free(own->miner);
	free(own->fields);
	json_decref(own->inputs);
	free(own);
}

json_t *analyze_inputs(const struct analysis *a) {
	return ((const struct analysis_owned *)a)->inputs;
}

char *analyze_svg_string(const struct analysis *a, size_t *ret_len) {
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	int r = analyze_svg_write(a, f);
	if (fclose(f) != 0 || r < 0) {
		free(buf);
		return NULL;
	}
	if (ret_len)
		*ret_len = len;
	return buf;
}

json_t *analyze_timeline_json(const struct analysis *a) {
	json_t *j = analyze_to_json(a);
	json_t *t = json_incref(json_object_get(j, "timeline"));
	json_decref(j);
	return t;
}

/* The files of one sources.files entry (collector/files.h); none when nothing matches. */
static int source_files(const char *pattern, struct analyze_source *src) {
	struct ev_errlist errs = {0};
	char **v = NULL;
	int n = collector_files_expand(pattern, &v, &errs);
	ev_errlist_clear(&errs); /* a source without files is left out */
	if (n < 0)
		return n == -ENOMEM ? n : 0;
	src->files = v;
	src->n_files = (size_t)n;
	return 0;
}

static const char *journal_dir(const struct ev_config *cfg) {
	if (cfg->sources.journal_dir)
		return cfg->sources.journal_dir;
	return access("/var/log/journal", R_OK) == 0 ? "/var/log/journal" : "/run/log/journal";
}

int analyze_config_sources(const struct ev_config *cfg, const struct collector_reader_opts *base,
                           struct analyze_source **ret, size_t *ret_n) {
	size_t n = 0, cap = MIN(cfg->sources.n_files + 1, (size_t)ANALYZE_MAX_SOURCES);
	struct analyze_source *v = calloc(cap, sizeof(*v));
	int r = v ? 0 : -ENOMEM;
	for (size_t i = 0; r >= 0 && i < cfg->sources.n_files && n < cap; i++) {
		const struct ev_cfg_file_source *f = &cfg->sources.files[i];
		struct analyze_source *s = &v[n];
		s->ro = *base;
		s->ro.format = base->format ? base->format : f->format;
		s->ro.tz = base->tz ? base->tz : f->tz;
		s->ro.program = f->program;
		s->ro.service = f->service;
		s->ro.max_line = f->max_line;
		r = source_files(f->path, s);
		if (s->n_files) {
			n++;
		} else {
			free(s->files);
			s->files = NULL;
		}
	}
	if (r >= 0 && cfg->sources.journal && n < cap)
		v[n++] = (struct analyze_source){.ro = *base, .journal_dir = journal_dir(cfg)};
	if (r < 0) {
		analyze_sources_free(v, n + 1 <= cap ? n + 1 : n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

void analyze_sources_free(struct analyze_source *v, size_t n) {
	for (size_t i = 0; v && i < n; i++)
		ev_strv_free_n(v[i].files, v[i].n_files);
	free(v);
}
