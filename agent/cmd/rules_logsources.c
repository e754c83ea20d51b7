/* `rules check`: detection rules counted per logsource, live or unobservable (see
 * rules_logsources.h). */
#include "config.h"

#include "agent/cmd/rules_logsources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Detection rules per logsource (category, else service, else product, else "any"):
 * how many can see records here (live) and how many are loaded but never observe
 * anything (their category, service or product is not available on this host). */
json_t *ev_rules_logsource_counts(const struct correlate_engine *e) {
	json_t *by = json_object();
	for (size_t i = 0; e && i < correlate_engine_n_rules(e); i++) {
		char *s = correlate_engine_rule_json(e, i);
		json_t *j = s ? json_loads(s, 0, NULL) : NULL;
		free(s);
		if (!j || strcmp(json_string_value(json_object_get(j, "kind")), "match")) {
			json_decref(j);
			continue;
		}
		json_t *ls = json_object_get(j, "logsource");
		const char *cat = json_string_value(json_object_get(ls, "category")),
		           *svc = json_string_value(json_object_get(ls, "service")),
		           *prod = json_string_value(json_object_get(ls, "product"));
		const char *kind = cat    ? "category"
		                   : svc  ? "service"
		                   : prod ? "product"
		                          : "any",
		           *name = cat    ? cat
		                   : svc  ? svc
		                   : prod ? prod
		                          : "record";
		char key[160];
		snprintf(key, sizeof(key), "%s %s", kind, name);
		json_t *c = json_object_get(by, key);
		if (!c) {
			c = json_pack("{s:s, s:s, s:i, s:i}", "kind", kind, "name", name, "live", 0,
			              "unobservable", 0);
			json_object_set_new(by, key, c);
		}
		const char *f = json_is_true(json_object_get(j, "live")) ? "live" : "unobservable";
		json_object_set_new(c, f,
		                    json_integer(json_integer_value(json_object_get(c, f)) + 1));
		json_decref(j);
	}
	json_t *arr = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(by, k, v) json_array_append(arr, v);
	json_decref(by);
	return arr;
}

void ev_rules_print_logsource_counts(json_t *arr) {
	if (json_array_size(arr))
		printf("detection rules by logsource (live: can match here; unobservable: loaded, "
		       "never sees a record on this host):\n");
	size_t i;
	json_t *c;
	json_array_foreach(arr, i, c) {
		char name[200];
		snprintf(name, sizeof(name), "%s %s", json_string_value(json_object_get(c, "kind")),
		         json_string_value(json_object_get(c, "name")));
		printf("  %-36s %5" JSON_INTEGER_FORMAT " live %5" JSON_INTEGER_FORMAT
		       " unobservable\n",
		       name, json_integer_value(json_object_get(c, "live")),
		       json_integer_value(json_object_get(c, "unobservable")));
	}
}
