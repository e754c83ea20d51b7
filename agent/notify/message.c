/* Template variables from an incident's ledger, and the audience templates. Everything
 * comes from the folded incident (incident.h) and its entries; nothing is read from live
 * state, so the same ledger gives the same message. */
#include "config.h"

#include "agent/notify/message.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cmd/timeparse.h"
#include "agent/incident/policy.h"
#include "agent/notify/template.h"
#include "agent/replay_rules.h"
#include "util/macro.h"
#include "util/timefmt.h"

static const char *const audiences[] = {"internal", "customer", "executive", NULL};

bool ev_message_audience_ok(const char *a) {
	return a && ev_incident_index(audiences, a) >= 0;
}

static json_t *when(int64_t us, const char *unset) {
	if (us == EV_T_UNSET)
		return json_string(unset);
	char b[EV_RFC3339_MAX];
	ev_format_rfc3339(us, b, sizeof(b));
	return json_string(b);
}

/* Append "  - LINE\n" to a growing string in *acc. */
static void add_line(char **acc, const char *fmt, ...) _printf_(2, 3);
static void add_line(char **acc, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	char *l = ev_vasprintf(fmt, ap);
	va_end(ap);
	char *n = NULL;
	if (l && asprintf(&n, "%s  - %s\n", *acc ? *acc : "", l) >= 0) {
		free(*acc);
		*acc = n;
	}
	free(l);
}

static void set_list(json_t *v, const char *key, char *acc, const char *none) {
	if (acc && *acc)
		acc[strlen(acc) - 1] = 0; /* the last newline: the template has its own */
	json_object_set_new(v, key, json_string(acc && *acc ? acc : none));
	free(acc);
}

static const char *dstr(const json_t *d, const char *k) {
	return json_string_value(json_object_get(d, k));
}

/* Walk the timeline: actions taken, decisions, notes, updates sent, the affected users. */
static void fold_entries(const struct ev_incident *inc, json_t *v) {
	char *actions = NULL, *decisions = NULL, *notes = NULL, *updates = NULL;
	json_int_t users = -1;
	size_t i;
	const json_t *e;
	json_array_foreach(inc->entries, i, e) {
		if (!json_is_true(json_object_get(e, "_valid")))
			continue;
		const char *k = dstr(e, "action"), *t = dstr(e, "time");
		const json_t *d = json_object_get(e, "details");
		if (!k)
			continue;
		if (json_is_integer(json_object_get(d, "affected_users")))
			users = json_integer_value(json_object_get(d, "affected_users"));
		if (!strcmp(k, "action_run"))
			add_line(&actions, "%s: ran %s (exit %s)", t ? t : "?",
			         dstr(d, "action") ?: "?",
			         json_is_integer(json_object_get(d, "exit_status")) ? "recorded"
			                                                            : "-");
		else if (!strcmp(k, "contained") || !strcmp(k, "mitigated") ||
		         !strcmp(k, "acknowledged"))
			add_line(&actions, "%s: %s%s%s", t ? t : "?", k,
			         dstr(d, "note") ? ": " : "", dstr(d, "note") ?: "");
		else if (!strcmp(k, "decision"))
			add_line(&decisions, "%s (why: %s)", dstr(d, "decision") ?: "?",
			         dstr(d, "rationale") ?: "?");
		else if (!strcmp(k, "note") && dstr(d, "text"))
			add_line(&notes, "%s: %s", t ? t : "?", dstr(d, "text"));
		else if (!strcmp(k, "update_sent") && (dstr(d, "text") || dstr(d, "subject")))
			add_line(&updates, "%s: %s", t ? t : "?",
			         dstr(d, "text") ?: dstr(d, "subject"));
	}
	set_list(v, "actions", actions, "  - none recorded yet");
	set_list(v, "decisions", decisions, "  - none recorded yet");
	set_list(v, "notes", notes, "  - none");
	set_list(v, "updates", updates, "  - none yet");
	char b[32];
	snprintf(b, sizeof(b), "%lld", (long long)users);
	json_object_set_new(v, "affected_users", json_string(users >= 0 ? b : "not yet known"));
}

/* The time the message speaks as of: the incident's last entry that is not itself about
 * communication (an approval or a message sent), so that an approved text renders the same
 * until something happens in the incident. `now` when there is none. */
static int64_t as_of(const struct ev_incident *inc, int64_t now) {
	static const char *const comms[] = {"message_approved", "update_sent", "notified", NULL};
	int64_t t = EV_T_UNSET;
	size_t i;
	const json_t *e;
	json_array_foreach(inc->entries, i, e) {
		const char *k = dstr(e, "action"), *ts = dstr(e, "time");
		int64_t x;
		if (k && ts && ev_incident_index(comms, k) < 0 && ev_parse_time(ts, now, &x) == 0 &&
		    x > t)
			t = x;
	}
	return t == EV_T_UNSET ? now : t;
}

json_t *ev_message_vars(const struct ev_config *cfg, const struct ev_incident *inc, int64_t now,
                        const char *text, const char *eta) {
	json_t *v = json_object();
	now = as_of(inc, now);
	const json_t *tr = inc->triage;
	json_object_set_new(v, "id", json_string(inc->id));
	json_object_set_new(v, "state", json_string(inc->state));
	json_object_set_new(v, "severity", json_string(dstr(tr, "severity") ?: "not yet triaged"));
	json_object_set_new(v, "impact", json_string(dstr(tr, "impact") ?: "not yet known"));
	json_object_set_new(v, "urgency", json_string(dstr(tr, "urgency") ?: "not yet known"));
	char *svc = NULL;
	size_t i;
	const json_t *x;
	json_array_foreach(inc->services, i, x) {
		char *n = NULL;
		if (asprintf(&n, "%s%s%s", svc ? svc : "", svc ? ", " : "", json_string_value(x)) >=
		    0) {
			free(svc);
			svc = n;
		}
	}
	json_object_set_new(v, "services", json_string(svc ? svc : "not yet known"));
	free(svc);
	static const char *const tnames[] = {"impact_at",       "detected_at",  "declared_at",
	                                     "acknowledged_at", "contained_at", "mitigated_at",
	                                     "resolved_at",     "closed_at"};
	for (int t = 0; t < _EV_T_MAX; t++)
		json_object_set_new(v, tnames[t], when(inc->t[t], "not yet"));
	json_object_set_new(v, "now", when(now, ""));
	json_object_set_new(
	        v, "since",
	        when(inc->t[EV_T_IMPACT] != EV_T_UNSET ? inc->t[EV_T_IMPACT] : inc->t[EV_T_DETECT],
	             "recently"));
	uint64_t every = inc->severity >= 0 ? ev_incident_update_every(cfg, inc->severity) : 0;
	json_object_set_new(v, "next_update",
	                    every ? when(now + (int64_t)every, "")
	                          : json_string("when there is news"));
	char *roles = NULL;
	const char *k;
	json_object_foreach(inc->roles, k, x) add_line(&roles, "%s: %s", k, json_string_value(x));
	set_list(v, "roles", roles, "  - none assigned yet");
	const char *cmdr = json_string_value(json_object_get(inc->roles, "commander"));
	const char *comm = json_string_value(json_object_get(inc->roles, "communication_lead"));
	json_object_set_new(v, "commander", json_string(cmdr ? cmdr : "not yet assigned"));
	json_object_set_new(v, "communication_lead", json_string(comm ? comm : "not yet assigned"));
	char *ev = NULL;
	json_array_foreach(inc->evidence, i, x)
	        add_line(&ev, "%s (manifest sha256 %s)", dstr(x, "bundle") ?: "?",
	                 dstr(x, "manifest_sha256") ?: "?");
	set_list(v, "evidence", ev, "  - none sealed yet");
	json_object_set_new(v, "root_cause",
	                    json_string(inc->root_cause ? inc->root_cause : "not yet known"));
	json_object_set_new(v, "resolution",
	                    json_string(inc->resolution ? inc->resolution : "not yet"));
	json_object_set_new(v, "text", json_string(text ? text : ""));
	json_object_set_new(v, "eta", json_string(eta ? eta : "not yet known"));
	json_object_set_new(v, "drill", json_string(inc->drill ? "DRILL" : ""));
	int64_t from =
	        inc->t[EV_T_IMPACT] != EV_T_UNSET ? inc->t[EV_T_IMPACT] : inc->t[EV_T_DECLARE];
	int64_t to = inc->t[EV_T_RESOLVE] != EV_T_UNSET ? inc->t[EV_T_RESOLVE] : now;
	char dur[32] = "not yet known";
	if (from != EV_T_UNSET && to >= from)
		snprintf(dur, sizeof(dur), "%lld minutes", (long long)((to - from) / 60000000));
	json_object_set_new(v, "duration", json_string(dur));
	fold_entries(inc, v);
	return v;
}

static char *template_path(const struct ev_config *cfg, const char *audience) {
	char *p = NULL;
	if (cfg->notify.templates_dir &&
	    asprintf(&p, "%s/%s.txt", cfg->notify.templates_dir, audience) >= 0) {
		if (access(p, F_OK) == 0)
			return p;
		free(p);
		p = NULL;
	}
	if (asprintf(&p, "%s/%s.txt", replay_rules_datadir("templates/messages"), audience) < 0)
		return NULL;
	return p;
}

int ev_message_render(const struct ev_config *cfg, const char *audience, const json_t *vars,
                      bool drill, struct ev_message *ret, struct ev_errlist *errs) {
	struct ev_message m = {.drill = drill};
	char *text = NULL;
	m.template_path = template_path(cfg, audience);
	if (!m.template_path)
		return -ENOMEM;
	int r = ev_template_render_file(m.template_path, vars, &text, errs);
	if (r < 0) {
		free(m.template_path);
		return r;
	}
	const char *body = text;
	const char *subj = "";
	size_t slen = 0;
	if (!strncmp(text, "Subject:", 8)) {
		subj = text + 8 + strspn(text + 8, " ");
		slen = strcspn(subj, "\n");
		body = subj + slen + (subj[slen] == '\n');
		body += strspn(body, "\n");
	} else {
		ev_errlist_add(errs, m.template_path, 1, 1,
		               "a message template starts with a 'Subject: ...' line");
		free(text);
		free(m.template_path);
		return -EINVAL;
	}
	if (asprintf(&m.subject, "%s%.*s", drill ? "[DRILL] " : "", (int)slen, subj) < 0 ||
	    asprintf(&m.body, "%s%s", drill ? EV_MESSAGE_DRILL_BANNER "\n\n" : "", body) < 0 ||
	    !(m.audience = strdup(audience))) {
		free(text);
		ev_message_done(&m);
		return -ENOMEM;
	}
	free(text);
	*ret = m;
	return 0;
}

void ev_message_done(struct ev_message *m) {
	free(m->audience);
	free(m->subject);
	free(m->body);
	free(m->template_path);
	*m = (struct ev_message){0};
}

json_t *ev_message_to_json(const struct ev_message *m) {
	return json_pack("{s:s, s:s, s:s, s:b}", "audience", m->audience, "subject", m->subject,
	                 "body", m->body, "drill", m->drill);
}

int ev_message_from_json(const json_t *o, struct ev_message *ret) {
	const char *a = dstr(o, "audience"), *s = dstr(o, "subject"), *b = dstr(o, "body");
	if (!a || !s || !b)
		return -EINVAL;
	struct ev_message m = {.drill = json_is_true(json_object_get(o, "drill"))};
	m.audience = strdup(a);
	m.subject = strdup(s);
	m.body = strdup(b);
	if (!m.audience || !m.subject || !m.body) {
		ev_message_done(&m);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}
