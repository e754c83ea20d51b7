/* Postmortem action items in an incident's ledger: `action_item` entries {item: "A1",
 * what, owner, deadline, kind} and `action_item_done` entries {item, note}, written by
 * `evident incident action add|done` and read back here for `action list` and reports.
 * The seed's "Action Items": assigned to a person, with a deadline and a status. */
#pragma once
#include <jansson.h>
#include <stdint.h>

/* The kinds: detect, mitigate, prevent (NULL-terminated). */
extern const char *const ev_action_kinds[];

/* The action items of the ledger entries (an ev_incident's `entries`; only valid ones
 * count) as a new array, in the order they were added: [{item, what, owner, deadline,
 * kind, status: open|done, done_at, note, overdue}] where overdue is an open item whose
 * deadline is before `now` (µs). */
json_t *ev_action_items(const json_t *entries, int64_t now);
