/* actions.seal_on's rule: and tag: selectors against the loaded rules (see
 * agent/selectors.h). Matching is exact, as daemon_autoseal.c matches alerts. */
#include "config.h"

#include "agent/selectors.h"

#include <stdbool.h>
#include <string.h>

#include "util/strdist.h"

/* Whether any rule has `want` as its id (tags false) or among its tags (tags true); every
 * candidate is offered to the suggestion. *ret_named: the id of a rule whose name or
 * title is `want` (ids are what alerts carry and seal_on matches). */
static bool rules_have(const struct correlate_engine *e, const char *want, bool tags,
                       struct ev_suggest *sg, const char **ret_named) {
	bool found = false;
	struct correlate_rule_stats st;
	for (size_t i = 0; correlate_engine_rule_stats(e, i, &st); i++) {
		if (!tags) {
			found = found || (st.id && !strcmp(st.id, want));
			ev_suggest_add(sg, st.id);
			if (st.id && ((st.name && !strcmp(st.name, want)) ||
			              (st.title && !strcmp(st.title, want))))
				*ret_named = st.id;
			continue;
		}
		for (size_t k = 0; k < st.n_tags; k++) {
			found = found || !strcmp(st.tags[k], want);
			ev_suggest_add(sg, st.tags[k]);
		}
	}
	return found;
}

size_t ev_selectors_check(const struct ev_config *cfg, const struct correlate_engine *e,
                          struct ev_errlist *warns) {
	size_t n = 0;
	for (size_t i = 0; i < cfg->actions.seal_on.n; i++) {
		const char *sel = cfg->actions.seal_on.v[i];
		bool tag = !strncmp(sel, "tag:", 4);
		if (!tag && strncmp(sel, "rule:", 5) != 0)
			continue; /* level:, checked when the configuration was loaded */
		const char *want = sel + (tag ? 4 : 5), *named = NULL;
		struct ev_suggest sg = ev_suggest_init(want);
		if (rules_have(e, want, tag, &sg, &named))
			continue;
		const char *best = ev_suggest_best(&sg), *what = tag ? "tag" : "id";
		n++;
		if (named)
			ev_errlist_add(
			        warns, cfg->origin, 0, 0,
			        "actions.seal_on: '%s' is a rule's name, and seal_on matches "
			        "rule ids: write rule:%s",
			        want, named);
		else if (best)
			ev_errlist_add(warns, cfg->origin, 0, 0,
			               "actions.seal_on: no loaded rule has the %s '%s' (did you "
			               "mean '%s'?): it seals nothing",
			               what, want, best);
		else
			ev_errlist_add(warns, cfg->origin, 0, 0,
			               "actions.seal_on: no loaded rule has the %s '%s': it seals "
			               "nothing",
			               what, want);
	}
	return n;
}

bool ev_selectors_match(const struct ev_strv *sel, const struct correlate_alert *al) {
	for (size_t i = 0; i < sel->n; i++) {
		const char *p = sel->v[i];
		if (strncmp(p, "level:", 6) == 0 && al->level && strcmp(p + 6, al->level) == 0)
			return true;
		if (strncmp(p, "rule:", 5) == 0 && al->rule_id && strcmp(p + 5, al->rule_id) == 0)
			return true;
		if (strncmp(p, "tag:", 4) == 0)
			for (size_t k = 0; k < al->n_tags; k++)
				if (al->tags[k] && strcmp(p + 4, al->tags[k]) == 0)
					return true;
	}
	return false;
}
