/* The template store: STATE/templates/templates.jsonl, one JSON object per line
 * ({"id":"16 hex","template":"...","absorbed":["id",...]}), append-only. A template that
 * generalised is appended again under its new id with the ids it absorbed, so an id seen
 * yesterday still resolves (miner_resolve) and the store only grows.
 *
 * Loading seeds a miner with every template not absorbed by a later line. Saving appends
 * the templates the miner created or changed (miner_template.stored == false). Bad lines
 * are skipped and counted. */
#pragma once
#include <stddef.h>

#include "correlate/miner.h"

/* Seed m from DIR/templates/templates.jsonl (a missing file is an empty store). Returns
 * the number of templates loaded, or -errno; *ret_bad counts unreadable lines. */
int analyze_store_load(struct miner *m, const char *state_dir, size_t *ret_bad);
/* Append m's unsaved templates (creating DIR/templates 0750 and the file 0640). Returns
 * the number appended, or -errno. */
int analyze_store_save(struct miner *m, const char *state_dir);
