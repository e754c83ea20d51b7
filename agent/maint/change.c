/* Change ledgers (change.h): where they live, append through the incident ledgers' code,
 * and the state folded from the entries that verify (a ledger with a bad line is still
 * read, and n_invalid says so: the commands refuse to write to it). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/maint/change.h"
#include "store/ledger.h"

int ev_change_append(const char *state_dir, const char *id, const struct store_key *key,
                     const char *action, const char *bundle, json_t *details, const json_t *actor,
                     struct ev_errlist *errs) {
	return ev_ledger_append_in(state_dir, "changes", id, key, action, bundle, details, actor,
	                           errs);
}

json_t *ev_change_list_ids(const char *state_dir) {
	return ev_ledger_list_in(state_dir, "changes");
}

static void fold(struct ev_change *c, json_t *e) {
	const char *a = json_string_value(json_object_get(e, "action"));
	json_t *d = json_object_get(e, "details");
	if (!a || !json_is_object(d))
		return;
	if (!strcmp(a, "started")) {
		c->start = d;
		c->service = json_string_value(json_object_get(d, "service"));
		c->started_us = json_integer_value(json_object_get(d, "started_us"));
		c->until_us = json_integer_value(json_object_get(d, "until_us"));
		c->state = "open";
	} else if (!strcmp(a, "finished")) {
		c->finish = d;
		const char *res = json_string_value(json_object_get(d, "result"));
		c->state = res && !strcmp(res, "pass") ? "passed" : "regressed";
	} else if (!strcmp(a, "rolled_back")) {
		c->back = d;
		const char *res = json_string_value(json_object_get(d, "result"));
		c->state = res && !strcmp(res, "healthy") ? "rolled_back" : "rollback_failed";
	}
}

int ev_change_load(const char *state_dir, const char *id, struct store_keyring *kr,
                   struct store_report *rep, struct ev_change *ret) {
	struct ev_change c = {.state = "new"};
	int r = ev_ledger_read_in(state_dir, "changes", id, kr, rep, &c.entries);
	if (r < 0)
		return r;
	snprintf(c.id, sizeof(c.id), "%s", id);
	size_t i;
	json_t *e;
	json_array_foreach(c.entries, i, e) {
		bool valid = json_is_true(json_object_get(e, "_valid"));
		if (valid || !kr)
			fold(&c, e);
		if (!valid && kr)
			c.n_invalid++;
	}
	*ret = c;
	return 0;
}

void ev_change_done(struct ev_change *c) {
	json_decref(c->entries);
	*c = (struct ev_change){0};
}

bool ev_change_window_open(const struct ev_change *c, int64_t now_us) {
	if (!c->start || now_us > c->until_us)
		return false;
	return !strcmp(c->state, "open") || !strcmp(c->state, "regressed") ||
	       !strcmp(c->state, "rollback_failed");
}
