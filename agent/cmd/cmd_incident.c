/* evident incident: the incident's timeline, from the command line. Each subcommand
 * loads the incident's ledger (verified with the store key's public part, or the keys
 * the store trusts), checks the request against the state (what may follow what, the
 * order of the metric timestamps, a closed incident) and appends one signed entry; a
 * refusal is one line and exit 2, with nothing written. list, show and export only
 * read. Containment (run) and import live in cmd_incident_run.c.
 * Exit: 0 done; 1 a ledger does not verify (show, export); 2 usage error or refusal. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cmd/cmd_incident.h"
#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "agent/cmd/timeparse.h"
#include "agent/incident/policy.h"
#include "agent/incident/triage.h"
#include "agent/notify/outbox.h"
#include "store/ledger.h"
#include "util/clock.h"
#include "util/timefmt.h"

int ictx_record(struct ictx *c, const char *kind, const char *bundle, json_t *payload) {
	const struct ev_ledger_ctx l = {"incident", "incidents", c->state_dir,
	                                c->id,      c->key,      c->as};
	/* channels taking "resolved" or "update" hear of it (queued; the agent delivers) */
	const char *event = !strcmp(kind, "resolved")      ? "resolved"
	                    : !strcmp(kind, "update_sent") ? "update"
	                                                   : NULL;
	json_t *copy = event ? json_deep_copy(payload) : NULL;
	json_t *actor = NULL;
	int r = ev_ledger_record(&l, kind, bundle, payload, &actor);
	if (r >= 0 && event &&
	    (r = ev_notify_queue_event(c->cfg, c->state_dir, event, c->id, copy, actor)) < 0) {
		ev_log_error("incident %s: %s recorded, but not queued for notify.channels: %s",
		             c->id, kind, strerror(-r));
		r = 0;
	}
	json_decref(copy);
	json_decref(actor);
	if (r < 0)
		return EV_EXIT_USAGE;
	char t[EV_RFC3339_MAX];
	ev_format_rfc3339_us(c->at, t, sizeof(t));
	if (c->json)
		printf("{\"incident\":\"%s\",\"recorded\":\"%s\",\"at\":\"%s\"}\n", c->id, kind, t);
	else
		printf("incident %s: %s recorded (%s)\n", c->id, kind, t);
	return EV_EXIT_OK;
}

/* Keys to check the ledger with: the signing key's public part, else the store's. */
static int ictx_open(struct ictx *c, bool write) {
	struct ev_errlist errs = {0};
	int r = ev_config_load(c->config, &c->cfg, &errs);
	if (r >= 0) {
		c->state_dir = c->state_opt ? c->state_opt : c->cfg->agent.state_dir;
		if (c->pubs.n)
			r = ev_store_keyring(c->pubs.v, c->pubs.n, NULL, &c->pub_kr) ? -EINVAL : 0;
		if (r < 0)
			;
		else if (write)
			r = ev_incident_key(c->cfg, &c->key, &c->kr, &errs);
		else if (c->pubs.n)
			r = store_keyring_copy(&c->kr, &c->pub_kr);
		else if (store_trusted_keys(c->cfg->store.path, &c->kr, NULL) < 0 || !c->kr.n) {
			store_keyring_clear(&c->kr);
			if (ev_incident_key(c->cfg, &c->key, &c->kr, &errs) < 0)
				ev_errlist_clear(&errs); /* no keys at all: the report says so */
		}
	}
	if (r < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	if (!c->id)
		return 0;
	char msg[300];
	if (ev_incident_id_check(c->id, msg, sizeof(msg)) < 0)
		return ev_usage_error(&ev_cmd_incident, "%s", msg);
	r = ev_incident_load(c->state_dir, c->id, &c->kr, NULL, &c->inc);
	if (r == -ENOENT)
		return ictx_refuse(c,
		                   "no such incident under %s/incidents ('evident triage' opens "
		                   "one)",
		                   c->state_dir);
	if (r < 0)
		return ictx_refuse(c, "cannot read its ledger: %s", strerror(-r));
	c->loaded = true;
	if (write && c->inc.n_invalid)
		return ictx_refuse(c,
		                   "its ledger does not verify (%zu bad lines; see 'evident "
		                   "verify %s/incidents/%s')",
		                   c->inc.n_invalid, c->state_dir, c->id);
	c->at = c->now;
	if (c->at_s) {
		if (ev_parse_time(c->at_s, c->now, &c->at) < 0)
			return ev_usage_error(&ev_cmd_incident, "--at: '%s' is not a time (%s)",
			                      c->at_s, EV_TIME_FORMS);
		if (c->at > c->now + 60 * 1000000LL)
			return ictx_refuse(c, "--at %s is in the future", c->at_s);
	}
	return 0;
}

static json_t *at_payload(struct ictx *c) {
	json_t *p = json_object();
	if (c->at_s)
		json_object_set_new(p, "at", ev_incident_time_json(c->at));
	return p;
}

/* ack, contain, mitigate, resolve, close: a metric timestamp, in order, on an incident
 * in a state that allows it. */
static int stage(struct ictx *c, const char *kind, enum ev_tstamp ts) {
	const char *st = c->inc.state;
	bool closed = !strcmp(st, "closed"), resolved = !strcmp(st, "resolved");
	if (closed)
		return ictx_refuse(c, "it is closed: cannot record '%s' (reopen it first)", kind);
	if (ts == EV_T_CLOSE && !resolved)
		return ictx_refuse(c, "it is not resolved: resolve it before closing it");
	if (ts != EV_T_CLOSE && resolved)
		return ictx_refuse(c, "it is resolved: cannot record '%s' (reopen it first)", kind);
	if (c->inc.t[ts] != EV_T_UNSET) {
		char b[EV_RFC3339_MAX];
		ev_format_rfc3339(c->inc.t[ts], b, sizeof(b));
		return ictx_refuse(c, "already %s at %s", kind, b);
	}
	char msg[400];
	if (ev_incident_check_time(&c->inc, ts, c->at, msg, sizeof(msg)) < 0)
		return ictx_refuse(c, "%s", msg);
	json_t *p = at_payload(c);
	if (c->reason)
		json_object_set_new(p, "note", json_string(c->reason));
	if (ts == EV_T_RESOLVE) {
		if (c->root_cause)
			json_object_set_new(p, "root_cause", json_string(c->root_cause));
		if (c->resolution)
			json_object_set_new(p, "resolution", json_string(c->resolution));
	}
	if (ts == EV_T_CLOSE && c->report) {
		char *buf = NULL;
		size_t len = 0;
		int r = store_read_file(c->report, 16u << 20, &buf, &len);
		if (r < 0) {
			json_decref(p);
			return ictx_refuse(c, "--report %s: %s", c->report, strerror(-r));
		}
		uint8_t h[STORE_HASH_LEN];
		char hx[STORE_HEX_LEN + 1];
		store_sha256(buf, len, h);
		store_hex(h, STORE_HASH_LEN, hx);
		free(buf);
		json_object_set_new(p, "report", json_string(c->report));
		json_object_set_new(p, "report_sha256", json_string(hx));
	}
	return ictx_record(c, kind, NULL, p);
}

static int need_text(struct ictx *c, const char *what, const char *v) {
	if (v && *v)
		return 0;
	return ev_usage_error(&ev_cmd_incident, "%s is required", what);
}

static int cmd_note(struct ictx *c, bool update) {
	if (c->nargs != 1 || !*c->args[0])
		return ev_usage_error(&ev_cmd_incident, "expected one TEXT after the incident");
	json_t *p = at_payload(c);
	json_object_set_new(p, "text", json_string(c->args[0]));
	return ictx_record(c, update ? "update_sent" : "note", NULL, p);
}

static int cmd_decide(struct ictx *c) {
	int r = need_text(c, "--decision", c->decision);
	if (!r)
		r = need_text(c, "--rationale (the reason, recorded for accountability)",
		              c->rationale);
	if (r)
		return r;
	return ictx_record(
	        c, "decision", NULL,
	        json_pack("{s:s, s:s}", "decision", c->decision, "rationale", c->rationale));
}

static int cmd_assign(struct ictx *c) {
	char set[200];
	ev_incident_choices(ev_incident_roles, set, sizeof(set));
	if (!c->role || ev_incident_index(ev_incident_roles, c->role) < 0)
		return ev_usage_error(&ev_cmd_incident, "--role: %s%s%s (expected %s)",
		                      c->role ? "unknown role '" : "is required",
		                      c->role ? c->role : "", c->role ? "'" : "", set);
	int r = need_text(c, "--person", c->person);
	if (r)
		return r;
	return ictx_record(c, "role", NULL,
	                   json_pack("{s:s, s:s}", "role", c->role, "person", c->person));
}

static int cmd_reopen(struct ictx *c) {
	int r = need_text(c, "--reason", c->reason);
	if (r)
		return r;
	if (strcmp(c->inc.state, "resolved") && strcmp(c->inc.state, "closed"))
		return ictx_refuse(c, "it is %s, not resolved or closed: nothing to reopen",
		                   c->inc.state);
	return ictx_record(c, "reopened", NULL, json_pack("{s:s}", "reason", c->reason));
}

/* correct INC --field t_X --value TIME --reason T: a new entry supersedes the value. */
static int cmd_correct(struct ictx *c) {
	int f = ev_incident_index(ev_tstamp_names, c->field);
	int r = need_text(c, "--reason", c->reason);
	if (r)
		return r;
	if (f < 0 || f == EV_T_DECLARE)
		return ev_usage_error(&ev_cmd_incident,
		                      "--field: expected t_impact, t_detect, t_ack, t_contain, "
		                      "t_mitigate, t_resolve or t_close");
	int64_t v;
	if (!c->value || ev_parse_time(c->value, c->now, &v) < 0)
		return ev_usage_error(&ev_cmd_incident, "--value: expected a time (%s)",
		                      EV_TIME_FORMS);
	if (v > c->now + 60 * 1000000LL)
		return ictx_refuse(c, "--value %s is in the future", c->value);
	char msg[400];
	if (ev_incident_check_time(&c->inc, (enum ev_tstamp)f, v, msg, sizeof(msg)) < 0)
		return ictx_refuse(c, "%s", msg);
	return ictx_record(c, "correction", NULL,
	                   json_pack("{s:s, s:o, s:o, s:s}", "field", c->field, "value",
	                             ev_incident_time_json(v), "previous",
	                             ev_incident_time_json(c->inc.t[f]), "reason", c->reason));
}

/* The incident's summary (new): state, classification, times, roles, evidence, the next
 * deadline and whether it is overdue. */
static json_t *summary(struct ictx *c, const struct ev_incident *inc) {
	json_t *times = json_object();
	for (int i = 0; i < _EV_T_MAX; i++)
		json_object_set_new(times, ev_tstamp_names[i], ev_incident_time_json(inc->t[i]));
	json_t *o = json_pack(
	        "{s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:o, s:O, s:O, s:b, s:I}", "id", inc->id,
	        "state", inc->state, "severity", json_object_get(inc->triage, "severity"), "impact",
	        json_object_get(inc->triage, "impact"), "urgency",
	        json_object_get(inc->triage, "urgency"), "services", inc->services, "times", times,
	        "roles", inc->roles, "evidence", inc->evidence, "verified", inc->n_invalid == 0,
	        "entries", (json_int_t)json_array_size(inc->entries));
	bool done = !strcmp(inc->state, "resolved") || !strcmp(inc->state, "closed");
	int64_t due = EV_T_UNSET;
	const char *what = NULL;
	if (!done && inc->t[EV_T_ACK] == EV_T_UNSET && inc->t[EV_T_DETECT] != EV_T_UNSET) {
		due = inc->t[EV_T_DETECT] + (int64_t)c->cfg->incidents.ack_within;
		what = "acknowledge";
	} else if (!done && inc->severity >= 0 && ev_incident_update_every(c->cfg, inc->severity)) {
		due = inc->t_last_update + (int64_t)ev_incident_update_every(c->cfg, inc->severity);
		what = "update";
	}
	json_object_set_new(o, "next_due",
	                    what ? json_pack("{s:s, s:o, s:b}", "what", what, "at",
	                                     ev_incident_time_json(due), "overdue", c->now > due)
	                         : json_null());
	return o;
}

static void print_entry(const json_t *e) {
	const json_t *d = json_object_get(e, "details"), *a = json_object_get(e, "actor");
	char *ds = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	const char *name = json_string_value(json_object_get(a, "name"));
	printf("  %3" JSON_INTEGER_FORMAT " %s %-15s %s%s%s%s %.300s%s\n",
	       json_integer_value(json_object_get(e, "_line")),
	       json_string_value(json_object_get(e, "time")) ?: "?",
	       json_string_value(json_object_get(e, "action")) ?: "?",
	       json_string_value(json_object_get(a, "user")) ?: "uid", name ? " (as " : "",
	       name ? name : "", name ? ")" : "", ds ? ds : "",
	       json_is_true(json_object_get(e, "_valid")) ? "" : "  [DOES NOT VERIFY]");
	free(ds);
}

static int cmd_show(struct ictx *c, bool export) {
	json_t *o = summary(c, &c->inc);
	if (export || c->json) {
		if (export)
			json_object_set(o, "ledger", c->inc.entries);
		char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", s ? s : "{}");
		free(s);
	} else {
		printf("incident %s: %s, severity %s, impact %s\n", c->inc.id, c->inc.state,
		       json_string_value(json_object_get(o, "severity")) ?: "-",
		       json_string_value(json_object_get(o, "impact")) ?: "-");
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(o, "times"), k, v) if (json_is_string(v))
		        printf("  %-11s %s\n", k, json_string_value(v));
		json_object_foreach(c->inc.roles, k, v)
		        printf("  role        %s: %s\n", k, json_string_value(v));
		size_t i;
		json_array_foreach(c->inc.evidence, i, v)
		        printf("  evidence    %s manifest sha256 %s\n",
		               json_string_value(json_object_get(v, "bundle")) ?: "?",
		               json_string_value(json_object_get(v, "manifest_sha256")) ?: "?");
		json_t *nd = json_object_get(o, "next_due");
		if (json_is_object(nd))
			printf("  next        %s due %s%s\n",
			       json_string_value(json_object_get(nd, "what")),
			       json_string_value(json_object_get(nd, "at")),
			       json_is_true(json_object_get(nd, "overdue")) ? " (OVERDUE)" : "");
		printf("  timeline:\n");
		json_array_foreach(c->inc.entries, i, v) print_entry(v);
	}
	json_decref(o);
	return c->inc.n_invalid ? EV_EXIT_FINDING : EV_EXIT_OK;
}

static int cmd_list(struct ictx *c) {
	json_t *ids = ev_incident_list_ids(c->state_dir), *all = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		struct ev_incident inc;
		if (ev_incident_load(c->state_dir, json_string_value(v), &c->kr, NULL, &inc) < 0)
			continue;
		json_t *o = summary(c, &inc);
		json_object_del(o, "evidence");
		if (c->json)
			json_array_append(all, o);
		else {
			json_t *nd = json_object_get(o, "next_due");
			printf("%-20s %-12s %-8s %-20s %s%s\n", inc.id, inc.state,
			       json_string_value(json_object_get(o, "severity")) ?: "-",
			       json_string_value(json_object_get(o, "impact")) ?: "-",
			       json_is_object(nd) ? json_string_value(json_object_get(nd, "what"))
			                          : "",
			       json_is_true(json_object_get(nd, "overdue")) ? " OVERDUE" : "");
		}
		json_decref(o);
		ev_incident_done(&inc);
	}
	if (c->json) {
		json_t *o = json_pack("{s:O}", "incidents", all);
		char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		printf("%s\n", s ? s : "{\"incidents\":[]}");
		free(s);
		json_decref(o);
	}
	json_decref(all);
	json_decref(ids);
	return EV_EXIT_OK;
}

struct sub {
	const char *name;
	bool write, needs_id;
};
static const struct sub subs[] = {
        {"list", false, false},   {"show", false, true},   {"export", false, true},
        {"ack", true, true},      {"note", true, true},    {"update", true, true},
        {"decide", true, true},   {"assign", true, true},  {"contain", true, true},
        {"mitigate", true, true}, {"resolve", true, true}, {"reopen", true, true},
        {"close", true, true},    {"correct", true, true}, {"run", true, true},
        {"import", true, true},   {"action", true, true},
};

static int dispatch(struct ictx *c, const char *name) {
	static const struct {
		const char *name, *kind;
		enum ev_tstamp ts;
	} stages[] = {{"ack", "acknowledged", EV_T_ACK},
	              {"contain", "contained", EV_T_CONTAIN},
	              {"mitigate", "mitigated", EV_T_MITIGATE},
	              {"resolve", "resolved", EV_T_RESOLVE},
	              {"close", "closed", EV_T_CLOSE}};
	for (size_t i = 0; i < ELEMENTSOF(stages); i++)
		if (!strcmp(name, stages[i].name))
			return c->nargs ? ev_usage_error(&ev_cmd_incident,
			                                 "unexpected argument '%s'", c->args[0])
			                : stage(c, stages[i].kind, stages[i].ts);
	if (!strcmp(name, "list"))
		return cmd_list(c);
	if (!strcmp(name, "show") || !strcmp(name, "export"))
		return cmd_show(c, !strcmp(name, "export"));
	if (!strcmp(name, "note") || !strcmp(name, "update"))
		return cmd_note(c, !strcmp(name, "update"));
	if (!strcmp(name, "decide"))
		return cmd_decide(c);
	if (!strcmp(name, "assign"))
		return cmd_assign(c);
	if (!strcmp(name, "reopen"))
		return cmd_reopen(c);
	if (!strcmp(name, "correct"))
		return cmd_correct(c);
	if (!strcmp(name, "run"))
		return ev_incident_cmd_run(c);
	if (!strcmp(name, "action"))
		return ev_incident_cmd_action(c);
	return ev_incident_cmd_import(c);
}

/* The options of every subcommand (value options from O_AS to O_VALUE are plain strings). */
enum {
	O_AS = 0x2000,
	O_AT,
	O_ROLE,
	O_PERSON,
	O_DECISION,
	O_RATIONALE,
	O_ROOT,
	O_RESOL,
	O_REPORT,
	O_REASON,
	O_FIELD,
	O_VALUE,
	O_APPROVE,
	O_STATE,
	O_PUB,
	O_HOST,
	O_SINCE,
	O_UNTIL,
	O_OWNER,
	O_DEADLINE,
	O_KIND
};

/* One option into c. Returns -1 to go on, or what parse() returns. */
static int incident_option(struct ictx *c, int o, char **argv) {
	const char **dst[] = {[O_AS - O_AS] = &c->as,
	                      [O_AT - O_AS] = &c->at_s,
	                      [O_ROLE - O_AS] = &c->role,
	                      [O_PERSON - O_AS] = &c->person,
	                      [O_DECISION - O_AS] = &c->decision,
	                      [O_RATIONALE - O_AS] = &c->rationale,
	                      [O_ROOT - O_AS] = &c->root_cause,
	                      [O_RESOL - O_AS] = &c->resolution,
	                      [O_REPORT - O_AS] = &c->report,
	                      [O_REASON - O_AS] = &c->reason,
	                      [O_FIELD - O_AS] = &c->field,
	                      [O_VALUE - O_AS] = &c->value};
	switch (o) {
	case 'h':
		return ev_print_help(&ev_cmd_incident) + 1000;
	case EV_OPT_JSON:
		c->json = true;
		break;
	case 'c':
		c->config = optarg;
		break;
	case O_STATE:
		c->state_opt = optarg;
		break;
	case O_APPROVE:
		c->approve = true;
		break;
	case O_PUB:
		if (ev_strv_push(&c->pubs, optarg) < 0)
			return EV_EXIT_USAGE;
		break;
	case O_HOST:
		if (ev_strv_push(&c->hosts, optarg) < 0)
			return EV_EXIT_USAGE;
		break;
	case O_SINCE:
		c->since_s = optarg;
		break;
	case O_UNTIL:
		c->until_s = optarg;
		break;
	case O_OWNER:
		c->owner = optarg;
		break;
	case O_DEADLINE:
		c->deadline = optarg;
		break;
	case O_KIND:
		c->kind = optarg;
		break;
	default:
		if (o >= O_AS && o <= O_VALUE) {
			*dst[o - O_AS] = optarg;
			break;
		}
		return ev_option_error(&ev_cmd_incident, argv);
	}
	return -1;
}

static int parse(int argc, char **argv, struct ictx *c) {
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"state-dir", required_argument, NULL, O_STATE},
	                                     {"as", required_argument, NULL, O_AS},
	                                     {"at", required_argument, NULL, O_AT},
	                                     {"role", required_argument, NULL, O_ROLE},
	                                     {"person", required_argument, NULL, O_PERSON},
	                                     {"decision", required_argument, NULL, O_DECISION},
	                                     {"rationale", required_argument, NULL, O_RATIONALE},
	                                     {"root-cause", required_argument, NULL, O_ROOT},
	                                     {"resolution", required_argument, NULL, O_RESOL},
	                                     {"report", required_argument, NULL, O_REPORT},
	                                     {"reason", required_argument, NULL, O_REASON},
	                                     {"note", required_argument, NULL, O_REASON},
	                                     {"field", required_argument, NULL, O_FIELD},
	                                     {"value", required_argument, NULL, O_VALUE},
	                                     {"approve", no_argument, NULL, O_APPROVE},
	                                     {"pub", required_argument, NULL, O_PUB},
	                                     {"host", required_argument, NULL, O_HOST},
	                                     {"since", required_argument, NULL, O_SINCE},
	                                     {"until", required_argument, NULL, O_UNTIL},
	                                     {"owner", required_argument, NULL, O_OWNER},
	                                     {"deadline", required_argument, NULL, O_DEADLINE},
	                                     {"kind", required_argument, NULL, O_KIND},
	                                     {NULL, 0, NULL, 0}};
	int o, r;
	/* '+': stop at the first word; the subcommand's options come after it */
	while ((o = getopt_long(argc, argv, "+hc:", opts, NULL)) != -1 || optind < argc) {
		if (o == -1) { /* a word: collected, and option parsing goes on after it */
			char **na = realloc(c->args, (size_t)(c->nargs + 1) * sizeof(char *));
			if (!na)
				return EV_EXIT_USAGE;
			c->args = na;
			c->args[c->nargs++] = argv[optind++];
			continue;
		}
		if ((r = incident_option(c, o, argv)) >= 0)
			return r;
	}
	return 0;
}

static int incident_run(int argc, char **argv) {
	struct ictx c = {.now = ev_now_realtime_us()};
	int ret = parse(argc, argv, &c);
	if (ret)
		goto out;
	/* action VERB INC ...: the verb is taken out so that INC is the id, as elsewhere */
	if (c.nargs >= 1 && !strcmp(c.args[0], "action")) {
		static const char *const verbs[] = {"add", "done", "list", NULL};
		if (c.nargs < 2 || ev_incident_index(verbs, c.args[1]) < 0) {
			ret = ev_usage_error(&ev_cmd_incident,
			                     "action: expected add, done or list");
			goto out;
		}
		c.verb = c.args[1];
		memmove(&c.args[1], &c.args[2], (size_t)(c.nargs - 2) * sizeof(char *));
		c.nargs--;
	}
	const struct sub *s = NULL;
	for (size_t i = 0; c.nargs && i < ELEMENTSOF(subs); i++)
		if (!strcmp(c.args[0], subs[i].name))
			s = &subs[i];
	if (!s) {
		ret = ev_usage_error(&ev_cmd_incident,
		                     c.nargs ? "unknown subcommand '%s'"
		                             : "expected a subcommand%s",
		                     c.nargs ? c.args[0] : "");
		goto out;
	}
	if (s->needs_id && c.nargs < 2) {
		ret = ev_usage_error(&ev_cmd_incident, "%s: expected an incident ID", s->name);
		goto out;
	}
	c.id = s->needs_id ? c.args[1] : NULL;
	ret = ictx_open(&c, s->write && !(c.verb && !strcmp(c.verb, "list")));
	if (ret)
		goto out;
	int skip = s->needs_id ? 2 : 1;
	c.args += skip;
	c.nargs -= skip;
	if (!strcmp(s->name, "list") && c.nargs)
		ret = ev_usage_error(&ev_cmd_incident, "list: unexpected argument '%s'", c.args[0]);
	else
		ret = dispatch(&c, s->name);
	c.args -= skip;
out:
	if (c.loaded)
		ev_incident_done(&c.inc);
	store_keyring_clear(&c.kr);
	store_keyring_clear(&c.pub_kr);
	store_key_free(c.key);
	ev_config_free(c.cfg);
	free(c.args);
	free(c.pubs.v);
	free(c.hosts.v);
	return ret >= 1000 ? ret - 1000 : ret;
}

const struct ev_command ev_cmd_incident = {
        .name = "incident",
        .summary = "an incident's signed timeline: list, show, ack, note, contain, run...",
        .run = incident_run,
        .usage =
                "Usage: evident incident list [--json]\n"
                "       evident incident show|export INC [--json]\n"
                "       evident incident ack|contain|mitigate INC [--at TIME] [--note TEXT]\n"
                "       evident incident resolve INC [--root-cause T] [--resolution T] [--at "
                "TIME]\n"
                "       evident incident close INC [--report FILE] [--at TIME]\n"
                "       evident incident reopen INC --reason TEXT\n"
                "       evident incident note|update INC TEXT\n"
                "       evident incident decide INC --decision TEXT --rationale TEXT\n"
                "       evident incident assign INC --role ROLE --person NAME\n"
                "       evident incident correct INC --field t_X --value TIME --reason TEXT\n"
                "       evident incident run INC ACTION [ARG=VALUE]... --rationale T [--approve]\n"
                "       evident incident import INC BUNDLE|STORE --pub KEY...\n"
                "       evident incident import INC s3://BUCKET/PREFIX --pub KEY... [--host H]...\n"
                "                                   [--since TIME] [--until TIME]\n"
                "       evident incident action add INC TEXT --owner NAME --deadline TIME\n"
                "                                   --kind detect|mitigate|prevent\n"
                "       evident incident action done INC ITEM [--note TEXT]\n"
                "       evident incident action list INC [--json]\n"
                "  common: [-c FILE] [--state-dir DIR] [--as NAME] [--json]\n"
                "\n"
                "Each incident is a signed, append-only ledger "
                "STATE_DIR/incidents/INC/ledger.jsonl\n"
                "(opened by 'evident triage'; the custody ledger's format, checked by 'evident\n"
                "verify'). Every subcommand but list, show and export appends one entry signed\n"
                "with store.key, naming your uid and user and --as NAME. Entries are never\n"
                "edited: 'correct' supersedes a timestamp and keeps the original.\n"
                "The metric timestamps (t_impact, t_detect, t_declare, t_ack, t_contain,\n"
                "t_mitigate, t_resolve, t_close) keep their order: --at TIME (a moment in the\n"
                "past, for a step recorded late) before an earlier step is refused, as is an\n"
                "ack on a closed incident. show prints the timeline, the roles, the evidence\n"
                "and the next deadline (acknowledge, or the update cadence) and whether it is\n"
                "overdue; export --json writes the incident with its whole ledger.\n"
                "Roles: commander, scribe, technical_lead, communication_lead, operations_lead.\n"
                "run: a command of incidents.commands with its {ARG}s filled; without\n"
                "--approve it is proposed; with it, a snapshot is sealed first, the approval\n"
                "is recorded with the command's SHA-256, the command runs without a shell\n"
                "under incidents.action_timeout and its exit status and output hash are\n"
                "recorded. Actions in incidents.second_approver need a proposal by another\n"
                "person (another uid, or another --as on a shared account).\n"
                "import: bundles sealed on other hosts, verified against the pinned --pub\n"
                "keys (refused otherwise), join the incident; each import is also recorded in\n"
                "this host's custody ledger. See docs/incidents.md.\n"
                "import from s3://BUCKET/PREFIX: the original version of every bundle of\n"
                "every host's prefix below it (HOST/CHAIN/bundles/...; --host: only these)\n"
                "is downloaded to STATE_DIR/incidents/INC/imported/, verified against the\n"
                "pinned keys and imported when its evidence window meets --since..--until\n"
                "(default: the incident's t_impact or t_detect until now). See docs/fleet.md.\n"
                "action: the postmortem's action items (A1, A2...), each with an owner, a\n"
                "deadline and a kind; list flags open items past their deadline OVERDUE.\n"
                "\n"
                "  -c, --config FILE    the configuration (state_dir, store.key, incidents)\n"
                "  --state-dir DIR      incidents under DIR (default agent.state_dir)\n"
                "  --as NAME            who you are, recorded beside your uid\n"
                "  --at TIME            when the step happened (default now; not the future)\n"
                "  --pub KEY            a pinned public key (import; show/export: verify with)\n"
                "  --host H             import s3://: only this host (repeatable)\n"
                "  --since TIME         import s3://: window start\n"
                "  --until TIME         import s3://: window end (default now)\n"
                "  --owner NAME         who owns an action item (action add)\n"
                "  --deadline TIME      when an action item is due (action add)\n"
                "  --kind KIND          detect, mitigate or prevent (action add)\n"
                "  --json               machine-readable output\n"
                "  -h, --help           show this help\n"
                "\n"
                "Exit status: 0 done, 1 a ledger that does not verify (show, export) or a\n"
                "containment command that failed, 2 usage error or refusal (one line;\n"
                "nothing written).\n",
};
