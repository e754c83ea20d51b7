/* The incident policy: lookups in the `incidents:` lists of the configuration. Items are
 * "KEY: WORD WORD..." (contacts separate with commas, severity rows split the few-users
 * and many-users halves with '|'); ev_incident_policy_check_item is the one syntax check,
 * run by the configuration loader, so a lookup trusts what it finds. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "agent/incident/policy.h"

const char *const ev_incident_impacts[] = {
        "data_breach",      "service_outage",  "service_degradation", "security_violation",
        "compliance_issue", "user_complaints", "internal_error",      NULL};
const char *const ev_incident_urgencies[] = {"immediate", "high", "medium", "low", NULL};
const char *const ev_incident_severities[] = {"critical", "high", "medium", "low", NULL};
const char *const ev_incident_roles[] = {"commander",          "scribe",          "technical_lead",
                                         "communication_lead", "operations_lead", NULL};

int ev_incident_index(const char *const *set, const char *v) {
	for (int i = 0; v && set[i]; i++)
		if (strcmp(set[i], v) == 0)
			return i;
	return -1;
}

void ev_incident_choices(const char *const *set, char *buf, size_t len) {
	size_t n = 0, used = 0;
	while (set[n])
		n++;
	buf[0] = 0;
	for (size_t i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s",
		                 i == 0       ? ""
		                 : i + 1 == n ? " or "
		                              : ", ",
		                 set[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* A name of an action, team or service: letters, digits, '.', '_', '-'. */
static bool name_ok(const char *s, size_t n) {
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
		            s[i]))
			return false;
	return true;
}

/* Split "KEY: rest": the key's length, and rest (blanks skipped). false when no ':'. */
static bool split_key(const char *item, size_t *ret_klen, const char **ret_rest) {
	const char *c = strchr(item, ':');
	if (!c)
		return false;
	*ret_klen = (size_t)(c - item);
	c++;
	while (*c == ' ' || *c == '\t')
		c++;
	*ret_rest = c;
	return true;
}

const char *ev_incident_list_get(const struct ev_strv *l, const char *key) {
	size_t kl = strlen(key), n;
	const char *rest;
	for (size_t i = 0; i < l->n; i++)
		if (split_key(l->v[i], &n, &rest) && n == kl && strncmp(l->v[i], key, kl) == 0)
			return rest;
	return NULL;
}

json_t *ev_incident_words(const char *s) {
	json_t *a = json_array();
	while (a && s && *s) {
		size_t skip = strspn(s, " \t,");
		s += skip;
		size_t n = strcspn(s, " \t,");
		if (n)
			json_array_append_new(a, json_stringn(s, n));
		s += n;
	}
	return a;
}

/* The severity row "I H M L | I H M L": 8 indexes into ev_incident_severities. */
static int parse_row(const char *rest, int ret[8]) {
	size_t k = 0;
	const char *s = rest;
	bool bar = false;
	while (*s) {
		s += strspn(s, " \t");
		if (*s == '|') {
			if (k != 4 || bar)
				return -EINVAL;
			bar = true;
			s++;
			continue;
		}
		size_t n = strcspn(s, " \t|");
		if (!n)
			break;
		char w[16];
		if (n >= sizeof(w) || k >= 8)
			return -EINVAL;
		memcpy(w, s, n);
		w[n] = 0;
		int v = ev_incident_index(ev_incident_severities, w);
		if (v < 0)
			return -EINVAL;
		ret[k++] = v;
		s += n;
	}
	return k == 8 && bar ? 0 : -EINVAL;
}

static int check_words(const char *rest, char *msg, size_t len, const char *what) {
	json_t *w = ev_incident_words(rest);
	size_t i;
	json_t *v;
	int r = json_array_size(w) ? 0 : -EINVAL;
	if (r < 0)
		snprintf(msg, len, "expected at least one %s after ':'", what);
	json_array_foreach(w, i, v) {
		const char *s = json_string_value(v);
		if (r == 0 && !name_ok(s, strlen(s))) {
			snprintf(msg, len, "'%s' is not a %s name (letters, digits, '.', '_', '-')",
			         s, what);
			r = -EINVAL;
		}
	}
	json_decref(w);
	return r;
}

static int check_service(const char *rest, char *msg, size_t len) {
	json_t *w = ev_incident_words(rest);
	size_t i;
	json_t *v;
	int r = json_array_size(w) ? 0 : -EINVAL;
	if (r < 0)
		snprintf(msg, len, "expected unit:UNIT, program:PROG or file:PATH after ':'");
	json_array_foreach(w, i, v) {
		const char *s = json_string_value(v);
		if (r == 0 && strncmp(s, "unit:", 5) && strncmp(s, "program:", 8) &&
		    strncmp(s, "file:/", 6)) {
			snprintf(msg, len, "'%s': expected unit:UNIT, program:PROG or file:/PATH",
			         s);
			r = -EINVAL;
		}
	}
	json_decref(w);
	return r;
}

int ev_incident_policy_check_item(const char *key, const char *item, char *msg, size_t len) {
	size_t kl = 0;
	const char *rest = NULL;
	char set[200];
	if (!strcmp(key, "escalation")) {
		uint64_t us;
		if (ev_parse_duration(item, &us) == 0 && us > 0)
			return 0;
		snprintf(msg, len, "expected a duration (5m, 1h30m)");
		return -EINVAL;
	}
	if (!strcmp(key, "second_approver")) {
		if (name_ok(item, strlen(item)))
			return 0;
		snprintf(msg, len, "not an action name (letters, digits, '.', '_', '-')");
		return -EINVAL;
	}
	if (!strcmp(key, "commands")) {
		const char *eq = strchr(item, '=');
		if (!eq || !name_ok(item, (size_t)(eq - item)) || eq[1] != '/') {
			snprintf(msg, len, "expected ACTION=/absolute/path ARGS...");
			return -EINVAL;
		}
		return 0;
	}
	if (!split_key(item, &kl, &rest) || !name_ok(item, kl)) {
		snprintf(msg, len, "expected 'NAME: VALUE...'");
		return -EINVAL;
	}
	char k[65];
	memcpy(k, item, kl);
	k[kl] = 0;
	bool per_impact =
	        !strcmp(key, "severity") || !strcmp(key, "containment") || !strcmp(key, "runbooks");
	if (per_impact && ev_incident_index(ev_incident_impacts, k) < 0) {
		ev_incident_choices(ev_incident_impacts, set, sizeof(set));
		snprintf(msg, len, "unknown impact type '%s' (expected %s)", k, set);
		return -EINVAL;
	}
	if (!strcmp(key, "teams") && ev_incident_index(ev_incident_severities, k) < 0) {
		snprintf(msg, len, "unknown severity '%s' (expected critical, high, medium or low)",
		         k);
		return -EINVAL;
	}
	int row[8];
	if (!strcmp(key, "severity") && parse_row(rest, row) < 0) {
		snprintf(msg, len,
		         "expected four severities (urgency immediate, high, medium, low), '|', "
		         "and four more for many affected users; each critical, high, medium or "
		         "low");
		return -EINVAL;
	}
	if (!strcmp(key, "services"))
		return check_service(rest, msg, len);
	if (!strcmp(key, "teams") || !strcmp(key, "containment") || !strcmp(key, "runbooks"))
		return check_words(rest, msg, len,
		                   !strcmp(key, "teams")      ? "team"
		                   : !strcmp(key, "runbooks") ? "runbook"
		                                              : "action");
	if (!strcmp(key, "contacts") && !*rest) {
		snprintf(msg, len, "expected at least one contact after ':'");
		return -EINVAL;
	}
	return 0;
}

int ev_incident_severity(const struct ev_config *cfg, int impact, int urgency, int64_t users,
                         bool *ret_many) {
	if (impact < 0 || urgency < 0 || !ev_incident_impacts[impact] ||
	    !ev_incident_urgencies[urgency])
		return -EINVAL;
	const char *rest =
	        ev_incident_list_get(&cfg->incidents.severity, ev_incident_impacts[impact]);
	int row[8];
	if (!rest || parse_row(rest, row) < 0)
		return -EINVAL;
	int64_t base = cfg->incidents.user_base;
	bool many = users >= cfg->incidents.many_users ||
	            (base > 0 && users > 0 && users * 100 >= base * cfg->incidents.many_share);
	if (ret_many)
		*ret_many = many;
	return row[(many ? 4 : 0) + urgency];
}

json_t *ev_incident_routing(const struct ev_config *cfg, int severity) {
	json_t *out = json_array();
	const char *teams = severity >= 0 && ev_incident_severities[severity]
	                            ? ev_incident_list_get(&cfg->incidents.teams,
	                                                   ev_incident_severities[severity])
	                            : NULL;
	json_t *w = ev_incident_words(teams);
	size_t i;
	json_t *t;
	json_array_foreach(w, i, t) {
		const char *c =
		        ev_incident_list_get(&cfg->incidents.contacts, json_string_value(t));
		json_array_append_new(
		        out, json_pack("{s:O, s:o}", "team", t, "contacts", ev_incident_words(c)));
	}
	json_decref(w);
	return out;
}

json_t *ev_incident_scope(const struct ev_config *cfg, const json_t *services,
                          const char **ret_unknown) {
	json_t *o = json_pack("{s:[], s:[], s:[]}", "units", "programs", "files");
	size_t i, k;
	json_t *s, *w;
	json_array_foreach(services, i, s) {
		const char *def =
		        ev_incident_list_get(&cfg->incidents.services, json_string_value(s));
		if (!def) {
			*ret_unknown = json_string_value(s);
			json_decref(o);
			return NULL;
		}
		json_t *words = ev_incident_words(def);
		json_array_foreach(words, k, w) {
			const char *v = json_string_value(w);
			const char *colon = strchr(v, ':');
			const char *field = !strncmp(v, "unit:", 5)      ? "units"
			                    : !strncmp(v, "program:", 8) ? "programs"
			                                                 : "files";
			json_array_append_new(json_object_get(o, field), json_string(colon + 1));
		}
		json_decref(words);
	}
	return o;
}

uint64_t ev_incident_update_every(const struct ev_config *cfg, int severity) {
	return severity == 0   ? cfg->incidents.update_critical
	       : severity == 1 ? cfg->incidents.update_high
	                       : 0;
}

json_t *ev_argv_words(const char *s) {
	json_t *a = json_array();
	while (a && *s) {
		s += strspn(s, " \t");
		size_t n = strcspn(s, " \t");
		if (n)
			json_array_append_new(a, json_stringn(s, n));
		s += n;
	}
	return a;
}

json_t *ev_incident_command(const struct ev_config *cfg, const char *action) {
	size_t al = strlen(action);
	for (size_t i = 0; i < cfg->incidents.commands.n; i++) {
		const char *it = cfg->incidents.commands.v[i];
		if (strncmp(it, action, al) == 0 && it[al] == '=')
			return ev_argv_words(it + al + 1);
	}
	return NULL;
}

bool ev_incident_needs_second(const struct ev_config *cfg, const char *action) {
	for (size_t i = 0; i < cfg->incidents.second_approver.n; i++)
		if (strcmp(cfg->incidents.second_approver.v[i], action) == 0)
			return true;
	return false;
}
