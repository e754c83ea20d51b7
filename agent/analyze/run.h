/* Reading inputs into an analysis: the loop `evident analyze` and analyze_incident()
 * share. */
#pragma once
#include <stddef.h>

#include "agent/analyze/analysis.h"
#include "collector/reader.h"
#include "util/err.h"

struct ev_config;

/* One group of inputs read with the same options (a configured source). */
struct analyze_source {
	struct collector_reader_opts ro;
	char **files; /* files of the group */
	size_t n_files;
	const char *journal_dir; /* a journal directory instead (files unused) */
};

struct analyze_input {
	char **files; /* plain or .gz log files, journal JSON renderings */
	size_t n_files;
	/* Instead of files/ro when n_sources > 0: groups merged by time (a k-way merge of
	 * one reader a group). */
	const struct analyze_source *sources;
	size_t n_sources;
	int64_t since_us, until_us; /* ANALYZE_NONE: the input's first / last time */
	struct collector_reader_opts ro;
	char **services; /* only these services (n_services 0: every service) */
	size_t n_services;
};

/* A reader over files (merged by time). 0, or -errno with a message in errs. */
int analyze_open_reader(const struct collector_reader_opts *ro, char **files, size_t n,
                        struct collector_reader **ret, struct ev_errlist *errs);
/* Start `a` (analyze_init: always, so analyze_done is safe after any return) over the
 * input's window and account every record of the wanted services. 0, -EINVAL (until
 * before since; message in errs), -EIO (an input cannot be opened), -ENOMEM. */
int analyze_read(struct analysis *a, struct miner *m, const struct analyze_input *in,
                 const char *const *trace_fields, struct ev_errlist *errs);

/* The configured sources as groups: each sources.files entry (a glob, or a path with its
 * rotated generations PATH.N*, .gz included) with its format, program, service, time
 * zone and line cap, and the journal (sources.journal_dir, else /var/log/journal, else
 * /run/log/journal) when sources.journal is on. `base` gives the options a source does not
 * set (--format, --tz, --now). Entries that match nothing are skipped. 0 or -ENOMEM;
 * free with analyze_sources_free. */
int analyze_config_sources(const struct ev_config *cfg, const struct collector_reader_opts *base,
                           struct analyze_source **ret, size_t *ret_n);
void analyze_sources_free(struct analyze_source *v, size_t n);
