/* Configuration selectors that name rules, checked against the rules actually loaded.
 *
 * actions.seal_on lists level:LEVEL, rule:ID and tag:TAG. The loader checks the shape and
 * the level (agent/settings.c, an error with its position); whether a rule id or a tag
 * exists depends on the rule set, so it is checked here, wherever rules are loaded for a
 * configuration: `evident config check`, the agent's start and every reload. A selector
 * no loaded rule can satisfy is a warning (the rule set may be about to change), with the
 * closest id or tag as a did-you-mean. actions.open_incident uses the same selectors
 * (ev_selectors_match) but is not checked here yet; hook, stdout, journal and syslog take
 * every alert. */
#pragma once
#include "agent/settings.h"
#include "correlate/alert.h"
#include "correlate/engine.h"
#include "util/err.h"

/* Whether the alert is selected by one of `sel`'s level:LEVEL, rule:ID or tag:TAG items
 * (actions.seal_on, actions.open_incident). */
bool ev_selectors_match(const struct ev_strv *sel, const struct correlate_alert *al);

/* Append one warning per rule:ID or tag:TAG of cfg->actions.seal_on that no rule of `e`
 * has, as "ORIGIN: actions.seal_on: ...". Returns the number of warnings added. */
size_t ev_selectors_check(const struct ev_config *cfg, const struct correlate_engine *e,
                          struct ev_errlist *warns);
