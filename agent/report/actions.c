/* Action items folded from an incident's ledger (actions.h). */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "agent/cmd/timeparse.h"
#include "agent/report/actions.h"

const char *const ev_action_kinds[] = {"detect", "mitigate", "prevent", NULL};

static json_t *find(json_t *items, const char *id) {
	size_t i;
	json_t *v;
	json_array_foreach(items, i,
	                   v) if (id && !strcmp(json_string_value(json_object_get(v, "item")) ?: "",
	                                        id)) return v;
	return NULL;
}

json_t *ev_action_items(const json_t *entries, int64_t now) {
	json_t *items = json_array();
	size_t i;
	const json_t *e;
	json_array_foreach(entries, i, e) {
		if (!json_is_true(json_object_get(e, "_valid")))
			continue;
		const char *k = json_string_value(json_object_get(e, "action"));
		const json_t *d = json_object_get(e, "details");
		if (k && !strcmp(k, "action_item")) {
			json_t *o = json_pack(
			        "{s:O?, s:O?, s:O?, s:O?, s:O?, s:s, s:n, s:n, s:b}", "item",
			        json_object_get(d, "item"), "what", json_object_get(d, "what"),
			        "owner", json_object_get(d, "owner"), "deadline",
			        json_object_get(d, "deadline"), "kind", json_object_get(d, "kind"),
			        "status", "open", "done_at", "note", "overdue", false);
			if (o)
				json_array_append_new(items, o);
		} else if (k && !strcmp(k, "action_item_done")) {
			json_t *o = find(items, json_string_value(json_object_get(d, "item")));
			if (!o)
				continue;
			json_object_set_new(o, "status", json_string("done"));
			json_object_set(o, "done_at", json_object_get(e, "time"));
			json_object_set(o, "note", json_object_get(d, "note"));
		}
	}
	json_t *v;
	json_array_foreach(items, i, v) {
		int64_t dl;
		const char *s = json_string_value(json_object_get(v, "deadline"));
		bool open = !strcmp(json_string_value(json_object_get(v, "status")), "open");
		if (open && s && ev_parse_time(s, now, &dl) == 0 && dl < now)
			json_object_set_new(v, "overdue", json_true());
	}
	return items;
}
