/* The files of one configured file source (sources.files, seal --file, the file: patterns
 * of incidents.services): a glob's matches, or a plain path with its rotated generations.
 * Used by `evident seal`, `evident analyze` and `evident maintenance` alike, so that a
 * pattern names the same files everywhere. Nothing is opened or read here. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* Whether `pattern` is a glob (holds *, ? or [) rather than a plain path. */
bool collector_files_is_glob(const char *pattern);

/* The files of `pattern`. A glob gives its matches. A plain path gives itself when it
 * exists, and then its rotated generations PATH.[0-9]* (PATH.1, PATH.2.gz, ...).
 * Order: by name with the rotation suffix (".N", ".N.gz") set apart, and for one name
 * the oldest generation first: PATH.3.gz, PATH.2.gz, PATH.1, PATH.
 * Returns the count (> 0) with *ret set to a NULL-terminated vector (free with
 * ev_strv_free), or -ENOENT (a glob without a match, a plain path that does not exist),
 * -EIO (a directory could not be read), -ENOMEM, with "no file matches" or why in errs
 * (file: the pattern). When only the rotated generations of an existing path cannot be
 * listed, the path is returned and errs says so. */
int collector_files_expand(const char *pattern, char ***ret, struct ev_errlist *errs);
