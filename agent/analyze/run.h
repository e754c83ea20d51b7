/* Reading inputs into an analysis: the loop `evident analyze` and analyze_incident()
 * share. */
#pragma once
#include <stddef.h>

#include "agent/analyze/analysis.h"
#include "collector/reader.h"
#include "util/err.h"

struct analyze_input {
	char **files; /* plain or .gz log files, journal JSON renderings */
	size_t n_files;
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
