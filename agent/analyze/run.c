/* Reading inputs into an analysis (run.h) and analyze_incident() (analysis.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/analyze/analysis.h"
#include "agent/analyze/bundle_in.h"
#include "agent/analyze/incident_in.h"
#include "agent/analyze/run.h"
#include "agent/analyze/svg.h"
#include "agent/analyze/tplstore.h"
#include "agent/replay_rules.h"
#include "agent/settings.h"
#include "util/clock.h"
#include "util/macro.h"

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

/* Each record of the wanted services: fn(ud, rec). Stops at the first fn error. */
static int each_record(const struct analyze_input *in, int (*fn)(void *, const struct ev_record *),
                       void *ud, struct ev_errlist *errs) {
	struct collector_reader *rd = NULL;
	struct ev_record rec;
	int r = analyze_open_reader(&in->ro, in->files, in->n_files, &rd, errs);
	if (r < 0)
		return -EIO;
	ev_record_init(&rec);
	while ((r = replay_next_record(rd, &rec)) != 0) {
		if (r == -ENOMEM)
			break;
		if (r > 0 && service_wanted(in, &rec) && (r = fn(ud, &rec)) < 0)
			break;
		r = 0;
	}
	ev_record_free(&rec);
	collector_reader_free(rd);
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

int analyze_incident(const struct ev_config *cfg, const char *id, struct analysis **out,
                     struct ev_errlist *errs) {
	struct analyze_incident_input ii = {0};
	struct analyze_bundles b = {0};
	struct analysis_owned *own = calloc(1, sizeof(*own));
	if (!own)
		return -ENOMEM;
	struct analysis *a = &own->a;
	int r = analyze_incident_read(cfg, NULL, id, ev_now_realtime_us(), &ii, errs);
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
	if (r >= 0 && cfg->agent.state_dir)
		(void)analyze_store_load(own->miner, cfg->agent.state_dir, &bad); /* ids resolve */
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
