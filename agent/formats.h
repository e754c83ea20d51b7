/* The shipped format library (the files of conf/formats, embedded at build time) and the
 * loader the agent gives the collector (collector_formats_set_loader). */
#pragma once
#include <stddef.h>

#include "collector/format.h"

struct ev_embedded_file {
	const char *name; /* path in the source tree, e.g. "conf/formats/web.yaml" */
	const char *data; /* NUL-terminated */
	size_t len;
};

extern const struct ev_embedded_file ev_format_files[];
extern const size_t ev_n_format_files;

/* Load every embedded format file into lib (the collector's loader). Returns 0, or the
 * first error (messages in errs). */
int ev_formats_load_embedded(struct collector_formats *lib, struct ev_errlist *errs);
