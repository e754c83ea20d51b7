/* Detection rules per logsource for `rules check`: per category (else service, else
 * product, else "any"), how many rules can match records on this host (live) and how
 * many are loaded but never see a record (unobservable: a category no source gives, a
 * product other than linux, an unknown service). */
#pragma once
#include <jansson.h>

#include "correlate/engine.h"

/* An array of {kind, name, live, unobservable}, in order of first appearance (new
 * reference; NULL only when out of memory). */
json_t *ev_rules_logsource_counts(const struct correlate_engine *e);
/* The same as text on stdout (nothing when the array is empty). */
void ev_rules_print_logsource_counts(json_t *arr);
