/* Incident ledgers: where they live, how an entry is appended (store_ledger_append, the
 * custody ledger's own code: canonical JSON, chained SHA-256, Ed25519, flock, fsync) and
 * how the state is folded from the entries that verify. A ledger with a line that does
 * not verify is still read (its valid entries), and ev_incident.n_invalid says so: the
 * commands refuse to write to it. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/cmd/timeparse.h"
#include "agent/incident/incident.h"
#include "agent/incident/policy.h"
#include "store/ledger.h"
#include "util/clock.h"
#include "util/mkdir.h"
#include "util/timefmt.h"

const char *const ev_tstamp_names[] = {"t_impact",   "t_detect",  "t_declare", "t_ack", "t_contain",
                                       "t_mitigate", "t_resolve", "t_close",   NULL};

int ev_incident_id_check(const char *id, char *msg, size_t len) {
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > EV_INCIDENT_ID_MAX) {
		snprintf(msg, len, "incident id must have 1 to %d characters", EV_INCIDENT_ID_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
		            id[i])) {
			snprintf(msg, len,
			         "incident id '%.64s': '%c' is not allowed (letters, digits, '.', "
			         "'_', "
			         "'-')",
			         id, id[i] >= 32 && id[i] < 127 ? id[i] : '?');
			return -EINVAL;
		}
	if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", id[0]) ||
	    strstr(id, "..")) {
		snprintf(msg, len,
		         "incident id '%s' must start with a letter or digit and hold no '..'", id);
		return -EINVAL;
	}
	return 0;
}

int ev_incident_ledger_path(const char *state_dir, const char *id, char *buf, size_t len) {
	int n = snprintf(buf, len, "%s/incidents/%s/ledger.jsonl", state_dir, id);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

json_t *ev_incident_time_json(int64_t us) {
	if (us == EV_T_UNSET)
		return json_null();
	char b[EV_RFC3339_MAX];
	ev_format_rfc3339_us(us, b, sizeof(b));
	return json_string(b);
}

static int64_t parse_time(const json_t *v) {
	int64_t us;
	const char *s = json_string_value(v);
	return s && ev_parse_time(s, ev_now_realtime_us(), &us) == 0 ? us : EV_T_UNSET;
}

/* When an entry says its moment was: the payload's "at", else the entry's time. */
static int64_t entry_time(const json_t *e) {
	int64_t at = parse_time(json_object_get(json_object_get(e, "details"), "at"));
	return at != EV_T_UNSET ? at : parse_time(json_object_get(e, "time"));
}

static const char *dstr(const json_t *d, const char *k) {
	return json_string_value(json_object_get(d, k));
}

static void fold_triaged(struct ev_incident *inc, json_t *d) {
	inc->triage = d;
	inc->impact = ev_incident_index(ev_incident_impacts, dstr(d, "impact"));
	inc->urgency = ev_incident_index(ev_incident_urgencies, dstr(d, "urgency"));
	inc->severity = ev_incident_index(ev_incident_severities, dstr(d, "severity"));
	inc->services = json_object_get(d, "services");
	int64_t imp = parse_time(json_object_get(d, "impact_started"));
	if (imp != EV_T_UNSET)
		inc->t[EV_T_IMPACT] = imp;
}

/* One valid entry into the state. */
static void fold(struct ev_incident *inc, json_t *e) {
	const char *k = json_string_value(json_object_get(e, "action"));
	json_t *d = json_object_get(e, "details");
	int64_t t = entry_time(e);
	static const struct {
		const char *kind;
		enum ev_tstamp ts;
	} stamps[] = {{"acknowledged", EV_T_ACK},
	              {"contained", EV_T_CONTAIN},
	              {"mitigated", EV_T_MITIGATE},
	              {"resolved", EV_T_RESOLVE},
	              {"closed", EV_T_CLOSE}};
	static const char *const human[] = {"acknowledged",
	                                    "note",
	                                    "decision",
	                                    "role",
	                                    "update_sent",
	                                    "action_proposed",
	                                    "action_approved",
	                                    "contained",
	                                    "mitigated",
	                                    "resolved",
	                                    NULL};
	if (!k)
		return;
	if (ev_incident_index(human, k) >= 0 &&
	    (inc->t_first_human == EV_T_UNSET || t < inc->t_first_human))
		inc->t_first_human = t;
	for (size_t i = 0; i < ELEMENTSOF(stamps); i++)
		if (!strcmp(k, stamps[i].kind))
			inc->t[stamps[i].ts] = t;
	if (!strcmp(k, "opened")) {
		inc->t[EV_T_DECLARE] = parse_time(json_object_get(e, "time"));
		int64_t det = parse_time(json_object_get(d, "detected_at"));
		inc->t[EV_T_DETECT] = det != EV_T_UNSET ? det : inc->t[EV_T_DECLARE];
		inc->t_last_update = inc->t[EV_T_DECLARE];
		inc->drill = json_is_true(json_object_get(d, "drill"));
	} else if (!strcmp(k, "triaged"))
		fold_triaged(inc, d);
	else if (!strcmp(k, "resolved")) {
		inc->root_cause = dstr(d, "root_cause");
		inc->resolution = dstr(d, "resolution");
	} else if (!strcmp(k, "closed"))
		inc->report = dstr(d, "report");
	else if (!strcmp(k, "reopened")) {
		inc->t[EV_T_RESOLVE] = inc->t[EV_T_CLOSE] = EV_T_UNSET;
		inc->report = NULL;
	} else if (!strcmp(k, "role") && dstr(d, "role") && dstr(d, "person"))
		json_object_set(inc->roles, dstr(d, "role"), json_object_get(d, "person"));
	else if (!strcmp(k, "evidence"))
		json_array_append(inc->evidence, d);
	else if (!strcmp(k, "update_sent") &&
	         (!dstr(d, "result") || !strcmp(dstr(d, "result"), "delivered")))
		inc->t_last_update = t; /* a delivery that failed is no update */
	else if (!strcmp(k, "correction")) {
		int f = ev_incident_index(ev_tstamp_names, dstr(d, "field"));
		int64_t v = parse_time(json_object_get(d, "value"));
		if (f >= 0 && v != EV_T_UNSET)
			inc->t[f] = v;
	}
}

static const char *state_of(const struct ev_incident *inc) {
	static const struct {
		enum ev_tstamp t;
		const char *name;
	} order[] = {{EV_T_CLOSE, "closed"},
	             {EV_T_RESOLVE, "resolved"},
	             {EV_T_MITIGATE, "mitigated"},
	             {EV_T_CONTAIN, "contained"},
	             {EV_T_ACK, "acknowledged"}};
	for (size_t i = 0; i < ELEMENTSOF(order); i++)
		if (inc->t[order[i].t] != EV_T_UNSET)
			return order[i].name;
	return "open";
}

int ev_ledger_read_in(const char *state_dir, const char *sub, const char *id,
                      struct store_keyring *kr, struct store_report *rep, json_t **ret_entries) {
	char p[4096], *buf = NULL, msg[200];
	size_t len = 0;
	if (ev_incident_id_check(id, msg, sizeof(msg)) < 0)
		return -EINVAL;
	int n = snprintf(p, sizeof(p), "%s/%s/%s/ledger.jsonl", state_dir, sub, id);
	if (n < 0 || (size_t)n >= sizeof(p))
		return -ENAMETOOLONG;
	int r = store_read_file(p, STORE_LEDGER_CAP, &buf, &len);
	if (r < 0)
		return r;
	struct store_report own = {0};
	struct store_keyring none = {0};
	r = store_ledger_verify_mem_as(buf, len, p + strlen(state_dir) + 1, STORE_INCIDENT_BROKEN,
	                               kr ? kr : &none, rep ? rep : &own, ret_entries);
	free(buf);
	store_report_clear(&own);
	return r;
}

int ev_incident_load(const char *state_dir, const char *id, struct store_keyring *kr,
                     struct store_report *rep, struct ev_incident *ret) {
	json_t *entries = NULL;
	int r = ev_ledger_read_in(state_dir, "incidents", id, kr, rep, &entries);
	if (r < 0)
		return r;
	struct ev_incident inc = {.impact = -1, .urgency = -1, .severity = -1};
	snprintf(inc.id, sizeof(inc.id), "%s", id);
	for (size_t i = 0; i < _EV_T_MAX; i++)
		inc.t[i] = EV_T_UNSET;
	inc.t_first_human = inc.t_last_update = EV_T_UNSET;
	inc.roles = json_object();
	inc.evidence = json_array();
	inc.entries = entries;
	if (r < 0 || !inc.roles || !inc.evidence) {
		ev_incident_done(&inc);
		return r < 0 ? r : -ENOMEM;
	}
	size_t i;
	json_t *e;
	json_array_foreach(inc.entries, i, e) {
		/* without keys the signature cannot be checked: the chain and form still are */
		if (json_is_true(json_object_get(e, "_valid")) || !kr)
			fold(&inc, e);
		if (!json_is_true(json_object_get(e, "_valid")) && kr)
			inc.n_invalid++;
	}
	inc.state = state_of(&inc);
	*ret = inc;
	return 0;
}

void ev_incident_done(struct ev_incident *inc) {
	json_decref(inc->entries);
	json_decref(inc->roles);
	json_decref(inc->evidence);
	inc->entries = inc->roles = inc->evidence = NULL;
}

int ev_incident_append(const char *state_dir, const char *id, const struct store_key *key,
                       const char *kind, const char *bundle, json_t *payload, const json_t *actor,
                       struct ev_errlist *errs) {
	return ev_ledger_append_in(state_dir, "incidents", id, key, kind, bundle, payload, actor,
	                           errs);
}

int ev_ledger_append_in(const char *state_dir, const char *sub, const char *id,
                        const struct store_key *key, const char *kind, const char *bundle,
                        json_t *payload, const json_t *actor, struct ev_errlist *errs) {
	char p[4096], msg[200] = "";
	int n = snprintf(p, sizeof(p), "%s/%s/%s/ledger.jsonl", state_dir, sub, id);
	if (ev_incident_id_check(id, msg, sizeof(msg)) < 0 || n < 0 || (size_t)n >= sizeof(p)) {
		json_decref(payload);
		ev_errlist_add(errs, id, 0, 0, "%s", msg[0] ? msg : "path too long");
		return -EINVAL;
	}
	char *slash = strrchr(p, '/');
	*slash = 0;
	int r = ev_mkdir_p(p, 0750, 0750);
	*slash = '/';
	if (r < 0) {
		json_decref(payload);
		ev_errlist_add(errs, p, 0, 0, "cannot create the ledger's directory: %s",
		               strerror(-r));
		return r;
	}
	return store_ledger_append(p, key, kind, bundle, payload, actor, errs);
}

int ev_incident_check_time(const struct ev_incident *inc, enum ev_tstamp which, int64_t at,
                           char *msg, size_t len) {
	/* what must come no later than `which`, and what no earlier */
	for (int k = 0; k < _EV_T_MAX; k++) {
		if (k == (int)which || inc->t[k] == EV_T_UNSET)
			continue;
		bool before = k < (int)which;
		/* t_declare and the response stages are not ordered against each other except
		 * through t_detect */
		if ((k == EV_T_DECLARE && which > EV_T_DECLARE) ||
		    (which == EV_T_DECLARE && k > EV_T_DECLARE))
			continue;
		if ((before && inc->t[k] > at) || (!before && inc->t[k] < at)) {
			char a[EV_RFC3339_MAX], b[EV_RFC3339_MAX];
			ev_format_rfc3339(at, a, sizeof(a));
			ev_format_rfc3339(inc->t[k], b, sizeof(b));
			snprintf(msg, len,
			         "%s %s would be %s %s %s (timestamps keep their order: "
			         "t_impact, t_detect, t_ack, t_contain, t_mitigate, t_resolve, "
			         "t_close)",
			         ev_tstamp_names[which], a, before ? "before" : "after",
			         ev_tstamp_names[k], b);
			return -EINVAL;
		}
	}
	return 0;
}

static int cmp_str(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *ev_incident_list_ids(const char *state_dir) {
	return ev_ledger_list_in(state_dir, "incidents");
}

json_t *ev_ledger_list_in(const char *state_dir, const char *sub) {
	char p[4096];
	json_t *out = json_array();
	snprintf(p, sizeof(p), "%s/%s", state_dir, sub);
	DIR *d = opendir(p);
	if (!d || !out)
		return out;
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	char msg[200];
	while ((de = readdir(d)) && n < 100000) {
		if (ev_incident_id_check(de->d_name, msg, sizeof(msg)) < 0)
			continue;
		char **nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n] = strdup(de->d_name);
		if (v[n])
			n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(out, json_string(v[i]));
		free(v[i]);
	}
	free(v);
	return out;
}

static bool has_ledger(const char *dir) {
	char p[4096];
	struct stat st;
	snprintf(p, sizeof(p), "%s/ledger.jsonl", dir);
	return lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

bool ev_incident_is_target(const char *target) {
	struct stat st;
	size_t n = strlen(target);
	if (lstat(target, &st) < 0)
		return false;
	if (S_ISREG(st.st_mode))
		return n >= 12 && !strcmp(target + n - 12, "ledger.jsonl");
	if (!S_ISDIR(st.st_mode))
		return false;
	if (has_ledger(target))
		return true;
	while (n > 1 && target[n - 1] == '/')
		n--;
	return n >= 9 && !strncmp(target + n - 9, "incidents", 9);
}

/* The key the first entry (opened) announces, when it matches the entry's key id. */
static void first_key(const char *buf, size_t len, struct store_keyring *kr,
                      struct store_report *rep, const char *name) {
	const char *nl = memchr(buf, '\n', len);
	json_t *o = json_loadb(buf, nl ? (size_t)(nl - buf) : len, 0, NULL);
	const char *pem = dstr(json_object_get(o, "details"), "public_key");
	struct store_key *k = NULL;
	if (pem && store_key_public_from_pem(pem, strlen(pem), &k) == 0) {
		if (!strcmp(store_key_id(k), dstr(o, "key_id") ?: "")) {
			store_keyring_add(kr, k, false);
			store_report_warn(rep,
			                  "%s: key %s taken from the ledger's first entry "
			                  "(unpinned: use --pub to pin it)",
			                  name, store_key_id(k));
		} else
			store_key_free(k);
	}
	json_decref(o);
}

static int verify_one(const char *path, const char *name, const struct store_keyring *kr,
                      struct store_report *rep) {
	char *buf = NULL;
	size_t len = 0;
	int r = store_read_file(path, STORE_LEDGER_CAP, &buf, &len);
	if (r < 0) {
		store_report_add(rep, STORE_INCIDENT_BROKEN, name, "cannot read: %s", strerror(-r));
		return 0;
	}
	struct store_keyring work = {0};
	r = store_keyring_copy(&work, kr);
	if (r == 0 && !work.n)
		first_key(buf, len, &work, rep, name);
	if (r == 0 && len == 0)
		store_report_add(rep, STORE_INCIDENT_BROKEN, name,
		                 "empty ledger (no opened entry)");
	if (r == 0)
		r = store_ledger_verify_mem_as(buf, len, name, STORE_INCIDENT_BROKEN, &work, rep,
		                               NULL);
	store_keyring_clear(&work);
	free(buf);
	return r;
}

int ev_incident_verify(const char *target, const struct store_keyring *kr, struct store_report *rep,
                       size_t *ret_n) {
	char p[4096];
	struct stat st;
	*ret_n = 0;
	if (lstat(target, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*ret_n = 1;
		return verify_one(target, target, kr, rep);
	}
	if (has_ledger(target)) {
		snprintf(p, sizeof(p), "%s/ledger.jsonl", target);
		*ret_n = 1;
		return verify_one(p, p, kr, rep);
	}
	char *parent = strdup(target);
	if (!parent)
		return -ENOMEM;
	char *slash = strrchr(parent, '/');
	if (slash && slash[1] == 0)
		*slash = 0;
	slash = strrchr(parent, '/');
	if (slash)
		*slash = 0;
	json_t *ids = ev_incident_list_ids(slash ? parent : ".");
	free(parent);
	size_t i;
	json_t *v;
	int r = 0;
	json_array_foreach(ids, i, v) {
		snprintf(p, sizeof(p), "%s/%s/ledger.jsonl", target, json_string_value(v));
		if (lstat(p, &st) < 0)
			continue;
		(*ret_n)++;
		if ((r = verify_one(p, p, kr, rep)) < 0)
			break;
	}
	json_decref(ids);
	return r;
}
