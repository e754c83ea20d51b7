/* evident incident action add|done|list: the postmortem's action items, as signed entries
 * in the incident's ledger (agent/report/actions.h reads them back).
 *
 * add INC TEXT --owner NAME --deadline TIME --kind detect|mitigate|prevent: an
 * `action_item` entry numbered A1, A2, ... in the order they were added (an owner and a
 * deadline are required: the seed's "assign to specific people, set clear deadlines").
 * done INC ITEM [--note TEXT]: an `action_item_done` entry; an unknown or already done
 * item is refused. list INC: the items, with status, and open items past their deadline
 * flagged OVERDUE. */
#include "config.h"

#include <string.h>

#include "agent/cmd/cmd_incident.h"
#include "agent/cmd/timeparse.h"
#include "agent/incident/policy.h"
#include "agent/report/actions.h"

static int action_add(struct ictx *c) {
	if (c->nargs != 1 || !*c->args[0])
		return ev_usage_error(&ev_cmd_incident,
		                      "action add: expected one TEXT (what to do)");
	if (!c->owner || !*c->owner)
		return ev_usage_error(&ev_cmd_incident, "action add: --owner NAME is required");
	int64_t dl;
	if (!c->deadline || ev_parse_time(c->deadline, c->now, &dl) < 0)
		return ev_usage_error(&ev_cmd_incident,
		                      "action add: --deadline: expected a time (%s)",
		                      EV_TIME_FORMS);
	if (!c->kind || ev_incident_index(ev_action_kinds, c->kind) < 0)
		return ev_usage_error(&ev_cmd_incident,
		                      "action add: --kind: expected detect, mitigate or prevent");
	json_t *items = ev_action_items(c->inc.entries, c->now);
	char id[32];
	snprintf(id, sizeof(id), "A%zu", json_array_size(items) + 1);
	json_decref(items);
	return ictx_record(c, "action_item", NULL,
	                   json_pack("{s:s, s:s, s:s, s:o, s:s}", "item", id, "what", c->args[0],
	                             "owner", c->owner, "deadline", ev_incident_time_json(dl),
	                             "kind", c->kind));
}

static int action_done(struct ictx *c) {
	if (c->nargs != 1)
		return ev_usage_error(&ev_cmd_incident,
		                      "action done: expected one ITEM (A1, A2...)");
	json_t *items = ev_action_items(c->inc.entries, c->now), *found = NULL, *v;
	size_t i;
	json_array_foreach(items, i, v) if (!strcmp(json_string_value(json_object_get(v, "item")),
	                                            c->args[0])) found = v;
	const char *st = found ? json_string_value(json_object_get(found, "status")) : NULL;
	bool done = st && !strcmp(st, "done");
	json_decref(items);
	if (!st)
		return ictx_refuse(c, "no action item '%s' ('evident incident action list %s')",
		                   c->args[0], c->id);
	if (done)
		return ictx_refuse(c, "action item %s is already done", c->args[0]);
	json_t *p = json_pack("{s:s}", "item", c->args[0]);
	if (c->reason)
		json_object_set_new(p, "note", json_string(c->reason));
	return ictx_record(c, "action_item_done", NULL, p);
}

static int action_list(struct ictx *c) {
	if (c->nargs)
		return ev_usage_error(&ev_cmd_incident, "action list: unexpected argument '%s'",
		                      c->args[0]);
	json_t *items = ev_action_items(c->inc.entries, c->now);
	if (c->json) {
		json_t *o = json_pack("{s:s, s:O}", "incident", c->id, "action_items", items);
		char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(o);
	} else {
		size_t i;
		json_t *v;
		if (!json_array_size(items))
			printf("incident %s: no action items\n", c->id);
		json_array_foreach(items, i, v) {
			printf("%-4s %-8s %-5s %-20s %-20s %s%s\n",
			       json_string_value(json_object_get(v, "item")),
			       json_string_value(json_object_get(v, "kind")),
			       json_string_value(json_object_get(v, "status")),
			       json_string_value(json_object_get(v, "deadline")),
			       json_string_value(json_object_get(v, "owner")),
			       json_string_value(json_object_get(v, "what")),
			       json_is_true(json_object_get(v, "overdue")) ? "  OVERDUE" : "");
		}
	}
	json_decref(items);
	return c->inc.n_invalid ? EV_EXIT_FINDING : EV_EXIT_OK;
}

int ev_incident_cmd_action(struct ictx *c) {
	if (!c->verb || !strcmp(c->verb, "list"))
		return action_list(c);
	if (!strcmp(c->verb, "add"))
		return action_add(c);
	return action_done(c);
}
