/* The incident policy from the configuration's `incidents:` section: the impact types,
 * urgencies and severities (the seed's values), the severity matrix, team routing with
 * contacts, services mapped to what is sealed, containment suggestions and commands,
 * runbooks, and the deadlines. Every list item is "KEY: VALUE..." text; its syntax is
 * checked when the configuration loads (ev_incident_policy_check_item), so the lookups
 * below never meet a malformed item. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/settings.h"

/* NULL-terminated, in the seed's order. */
extern const char *const ev_incident_impacts[];    /* data_breach ... internal_error */
extern const char *const ev_incident_urgencies[];  /* immediate high medium low */
extern const char *const ev_incident_severities[]; /* critical high medium low */
extern const char *const ev_incident_roles[];      /* commander scribe technical_lead ... */

/* Index of v in the NULL-terminated set, or -1. */
int ev_incident_index(const char *const *set, const char *v);
/* "a, b, c or d" into buf (cut at len). */
void ev_incident_choices(const char *const *set, char *buf, size_t len);

/* Check one item of the list incidents.KEY. 0, or -EINVAL with a reason in msg. */
int ev_incident_policy_check_item(const char *key, const char *item, char *msg, size_t len);

/* The value of the item "KEY: VALUE" of list l (VALUE without leading blanks), or NULL. */
const char *ev_incident_list_get(const struct ev_strv *l, const char *key);
/* The words of s (separated by blanks or commas) as a JSON array of strings (new). */
json_t *ev_incident_words(const char *s);

/* Severity index from the matrix: impact and urgency are indexes into the sets above,
 * users the affected users (-1: not given, counts as few). *ret_many (may be NULL) says
 * which half of the row was used. Returns the severity index, or -EINVAL when the matrix
 * has no row for the impact. */
int ev_incident_severity(const struct ev_config *cfg, int impact, int urgency, int64_t users,
                         bool *ret_many);
/* The teams routed for a severity: [{"team":T, "contacts":[first, next, ...]}] (new). */
json_t *ev_incident_routing(const struct ev_config *cfg, int severity);
/* What the named services (JSON array of names) are on this host: {"units":[...],
 * "programs":[...], "files":[...]} (new). An unknown service is returned in *ret_unknown
 * (borrowed from `services`) and NULL. */
json_t *ev_incident_scope(const struct ev_config *cfg, const json_t *services,
                          const char **ret_unknown);
/* Update cadence of a severity in µs (0: none: medium and low). */
uint64_t ev_incident_update_every(const struct ev_config *cfg, int severity);
/* The words of a command line (separated by blanks and tabs; no quoting) as a JSON
 * array of strings (new): the argv of a command run without a shell. */
json_t *ev_argv_words(const char *s);
/* The command of a containment action ("ACTION=CMD ARGS"): its argv words after '=' as a
 * JSON array (new), or NULL when the action is not configured. */
json_t *ev_incident_command(const struct ev_config *cfg, const char *action);
bool ev_incident_needs_second(const struct ev_config *cfg, const char *action);
