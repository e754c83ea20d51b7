/* evident message: an incident message for one audience, filled from the incident's
 * ledger with the audience's template (agent/notify/message.h); shown, approved
 * (--approve: a `message_approved` entry with the SHA-256 of the exact text), and sent
 * (--send: queued for each channel in the persisted outbox, agent/notify/outbox.h, then
 * tried once at once; what fails stays queued for the agent's worker). Customer messages
 * and everything on a status page leave only when a `message_approved` entry for the same
 * audience and text exists: the refusal writes and sends nothing.
 * Exit: 0 shown, approved, sent or queued; 1 a delivery failed for good; 2 usage error,
 * refusal, a template error (FILE:LINE:COL). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "agent/incident/incident.h"
#include "agent/incident/triage.h"
#include "agent/notify/channel.h"
#include "agent/notify/message.h"
#include "agent/notify/outbox.h"
#include "store/crypto.h"
#include "util/clock.h"
#include "util/strv.h"

struct mctx {
	const char *config, *state_opt, *audience, *as, *text, *eta, *id;
	struct ev_strv channels;
	bool send, approve, json;
	struct ev_config *cfg;
	const char *state_dir;
	struct store_key *key;
	struct store_keyring kr;
	struct ev_incident inc;
	bool loaded;
	struct ev_message msg;
	char sha[STORE_HEX_LEN + 1];
};

static int refuse(struct mctx *c, const char *fmt, ...) _printf_(2, 3);
static int refuse(struct mctx *c, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	char *m = ev_vasprintf(fmt, ap);
	va_end(ap);
	ev_log_error("message %s: %s (nothing written, nothing sent)", c->id, m ? m : fmt);
	free(m);
	return EV_EXIT_USAGE;
}

/* The approval entry for this audience and text (borrowed), or NULL. */
static const json_t *find_approval(const struct mctx *c) {
	const json_t *found = NULL;
	size_t i;
	const json_t *e;
	json_array_foreach(c->inc.entries, i, e) {
		const json_t *d = json_object_get(e, "details");
		if (json_is_true(json_object_get(e, "_valid")) &&
		    !strcmp(json_string_value(json_object_get(e, "action")) ?: "",
		            "message_approved") &&
		    !strcmp(json_string_value(json_object_get(d, "audience")) ?: "", c->audience) &&
		    !strcmp(json_string_value(json_object_get(d, "sha256")) ?: "", c->sha))
			found = e;
	}
	return found;
}

static json_t *approver_of(const json_t *e) {
	const json_t *a = json_object_get(e, "actor");
	return json_pack("{s:O?, s:O?, s:O?, s:O?}", "user", json_object_get(a, "user"), "name",
	                 json_object_get(a, "name"), "uid", json_object_get(a, "uid"), "at",
	                 json_object_get(e, "time"));
}

static int approve(struct mctx *c) {
	struct ev_errlist errs = {0};
	json_t *actor = ev_store_actor(c->as);
	int r = ev_incident_append(c->state_dir, c->id, c->key, "message_approved", NULL,
	                           json_pack("{s:s, s:s, s:s}", "audience", c->audience, "sha256",
	                                     c->sha, "subject", c->msg.subject),
	                           actor, &errs);
	json_decref(actor);
	if (r < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	/* reload, so that the approval is found like any other */
	ev_incident_done(&c->inc);
	c->loaded = false;
	r = ev_incident_load(c->state_dir, c->id, &c->kr, NULL, &c->inc);
	if (r < 0)
		return refuse(c, "cannot read its ledger again: %s", strerror(-r));
	c->loaded = true;
	if (!c->json)
		printf("incident %s: %s message approved (sha256 %s)\n", c->id, c->audience,
		       c->sha);
	return 0;
}

/* The channels to send on: --channel, else every channel that takes the audience. */
static int pick_channels(struct mctx *c, json_t **ret) {
	const json_t *all = c->cfg->notify.channels;
	json_t *v = json_array();
	for (size_t i = 0; i < c->channels.n; i++) {
		const json_t *ch = ev_notify_channel_find(all, c->channels.v[i]);
		if (!ch) {
			json_decref(v);
			return refuse(c, "no channel '%s' in notify.channels", c->channels.v[i]);
		}
		if (!ev_notify_channel_takes_audience(ch, c->audience)) {
			json_decref(v);
			return refuse(c,
			              "channel '%s' does not take the %s audience (its audiences)",
			              c->channels.v[i], c->audience);
		}
		json_array_append(v, (json_t *)ch);
	}
	size_t i;
	const json_t *ch;
	if (!c->channels.n)
		json_array_foreach(all, i,
		                   ch) if (ev_notify_channel_takes_audience(ch, c->audience))
		        json_array_append(v, (json_t *)ch);
	if (!json_array_size(v)) {
		json_decref(v);
		return refuse(c, "no channel in notify.channels takes the %s audience",
		              c->audience);
	}
	*ret = v;
	return 0;
}

static int send_all(struct mctx *c, json_t *out) {
	json_t *chs = NULL;
	int r = pick_channels(c, &chs);
	if (r)
		return r;
	const json_t *appr = find_approval(c);
	size_t i;
	const json_t *ch;
	json_array_foreach(chs, i, ch) if (ev_notify_needs_approval(ch, c->audience) && !appr) {
		json_decref(chs);
		return refuse(
		        c,
		        "a %s message on channel '%s' needs a recorded approval of this exact "
		        "text first ('evident message %s --audience %s --approve')",
		        c->audience, json_string_value(json_object_get(ch, "name")), c->id,
		        c->audience);
	}
	struct ev_notify_env env;
	if (ev_notify_env_init(c->cfg, c->state_dir, &env) < 0) {
		json_decref(chs);
		return EV_EXIT_USAGE;
	}
	int ret = EV_EXIT_OK;
	json_t *results = json_array();
	json_array_foreach(chs, i, ch) {
		const char *name = json_string_value(json_object_get(ch, "name"));
		struct ev_errlist errs = {0};
		json_t *item = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "channel", name,
		                         "incident", c->id, "audience", c->audience, "message",
		                         ev_message_to_json(&c->msg), "actor",
		                         ev_store_actor(c->as), "text", c->text ? c->text : "");
		if (appr)
			json_object_set_new(item, "approver", approver_of(appr));
		char id[EV_NOTIFY_ID_MAX] = "";
		r = ev_notify_enqueue(&env, item, id, &errs);
		if (r < 0) {
			ev_errlist_print(&errs, stderr);
			ev_errlist_clear(&errs);
			ret = EV_EXIT_USAGE;
			continue;
		}
		json_t *fin = json_array();
		r = ev_notify_flush(&env, id, true, NULL, NULL, fin);
		const json_t *f = json_array_get(fin, 0);
		const char *res = f ? json_string_value(json_object_get(f, "result")) : "queued";
		json_t *o = json_pack("{s:s, s:s, s:s, s:s?}", "channel", name, "id", id, "result",
		                      r < 0 ? "queued" : res, "detail",
		                      f ? json_string_value(json_object_get(f, "detail")) : NULL);
		if (f && !strcmp(res, "failed"))
			ret = EV_EXIT_FINDING;
		if (!c->json)
			printf("channel %s: %s%s%s\n", name,
			       json_string_value(json_object_get(o, "result")),
			       f ? " - " : " (the agent retries it)",
			       f ? json_string_value(json_object_get(f, "detail")) : "");
		json_array_append_new(results, o);
		json_decref(fin);
	}
	json_object_set_new(out, "sent", results);
	ev_notify_env_done(&env);
	json_decref(chs);
	return ret;
}

static int run_message(struct mctx *c) {
	struct ev_errlist errs = {0};
	int r = ev_config_load(c->config, &c->cfg, &errs);
	if (r >= 0) {
		c->state_dir = c->state_opt ? c->state_opt : c->cfg->agent.state_dir;
		if (c->send || c->approve)
			r = ev_incident_key(c->cfg, &c->key, &c->kr, &errs);
		else if (ev_incident_key(c->cfg, &c->key, &c->kr, &errs) < 0)
			ev_errlist_clear(&errs); /* showing needs no key */
	}
	if (r < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	char why[300];
	if (ev_incident_id_check(c->id, why, sizeof(why)) < 0)
		return ev_usage_error(&ev_cmd_message, "%s", why);
	r = ev_incident_load(c->state_dir, c->id, c->kr.n ? &c->kr : NULL, NULL, &c->inc);
	if (r == -ENOENT)
		return refuse(c, "no such incident under %s/incidents", c->state_dir);
	if (r < 0)
		return refuse(c, "cannot read its ledger: %s", strerror(-r));
	c->loaded = true;
	if ((c->send || c->approve) && c->inc.n_invalid)
		return refuse(c, "its ledger does not verify (evident verify %s/incidents/%s)",
		              c->state_dir, c->id);
	json_t *vars = ev_message_vars(c->cfg, &c->inc, ev_now_realtime_us(), c->text, c->eta);
	r = ev_message_render(c->cfg, c->audience, vars, c->inc.drill, &c->msg, &errs);
	json_decref(vars);
	if (r < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	char *text = NULL;
	if (asprintf(&text, "%s\n\n%s", c->msg.subject, c->msg.body) < 0)
		return EV_EXIT_USAGE;
	uint8_t h[STORE_HASH_LEN];
	store_sha256(text, strlen(text), h);
	store_hex(h, STORE_HASH_LEN, c->sha);
	free(text);
	if (c->approve && (r = approve(c)))
		return r;
	json_t *out = ev_message_to_json(&c->msg);
	json_object_set_new(out, "incident", json_string(c->id));
	json_object_set_new(out, "sha256", json_string(c->sha));
	json_object_set_new(out, "template", json_string(c->msg.template_path));
	json_object_set_new(out, "approved", json_boolean(find_approval(c) != NULL));
	int ret = EV_EXIT_OK;
	if (!c->send && !c->json)
		printf("Subject: %s\n\n%s", c->msg.subject, c->msg.body);
	if (c->send)
		ret = send_all(c, out);
	if (c->json) {
		char *s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", s ? s : "{}");
		free(s);
	}
	json_decref(out);
	return ret;
}

/* The options and the incident ID into c; -1 to go on, else the exit status. */
static int message_parse(int argc, char **argv, struct mctx *c) {
	enum { O_AUD = 0x2000, O_SEND, O_CHANNEL, O_APPROVE, O_AS, O_TEXT, O_ETA, O_STATE };
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"state-dir", required_argument, NULL, O_STATE},
	                                     {"audience", required_argument, NULL, O_AUD},
	                                     {"send", no_argument, NULL, O_SEND},
	                                     {"channel", required_argument, NULL, O_CHANNEL},
	                                     {"approve", no_argument, NULL, O_APPROVE},
	                                     {"as", required_argument, NULL, O_AS},
	                                     {"text", required_argument, NULL, O_TEXT},
	                                     {"eta", required_argument, NULL, O_ETA},
	                                     {NULL, 0, NULL, 0}};
	int o;
	while ((o = getopt_long(argc, argv, "hc:", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			return ev_print_help(&ev_cmd_message);
		case EV_OPT_JSON:
			c->json = true;
			break;
		case 'c':
			c->config = optarg;
			break;
		case O_STATE:
			c->state_opt = optarg;
			break;
		case O_AUD:
			c->audience = optarg;
			break;
		case O_SEND:
			c->send = true;
			break;
		case O_CHANNEL:
			if (ev_strv_push(&c->channels, optarg) < 0)
				return EV_EXIT_USAGE;
			break;
		case O_APPROVE:
			c->approve = true;
			break;
		case O_AS:
			c->as = optarg;
			break;
		case O_TEXT:
			c->text = optarg;
			break;
		case O_ETA:
			c->eta = optarg;
			break;
		default:
			return ev_option_error(&ev_cmd_message, argv);
		}
	}
	if (optind + 1 != argc)
		return ev_usage_error(&ev_cmd_message, "expected one incident ID");
	c->id = argv[optind];
	if (!ev_message_audience_ok(c->audience))
		return ev_usage_error(&ev_cmd_message,
		                      "--audience: expected internal, customer or executive");
	if (c->channels.n && !c->send)
		return ev_usage_error(&ev_cmd_message, "--channel goes with --send");
	return -1;
}

static int message_main(int argc, char **argv) {
	struct mctx c = {0};
	int ret = message_parse(argc, argv, &c);
	if (ret < 0)
		ret = run_message(&c);
	ev_message_done(&c.msg);
	if (c.loaded)
		ev_incident_done(&c.inc);
	store_keyring_clear(&c.kr);
	store_key_free(c.key);
	ev_config_free(c.cfg);
	free(c.channels.v);
	return ret;
}

const struct ev_command ev_cmd_message = {
        .name = "message",
        .summary = "an incident message for an audience: show, approve, send on channels",
        .run = message_main,
        .usage = "Usage: evident message INC --audience internal|customer|executive [--send]\n"
                 "       [--channel NAME]... [--approve] [--text TEXT] [--eta TEXT]\n"
                 "       [-c FILE] [--state-dir DIR] [--as NAME] [--json]\n"
                 "\n"
                 "Fills the audience's template (AUDIENCE.txt in notify.templates_dir, else the\n"
                 "shipped conf/templates/messages/) from the incident's ledger and prints it.\n"
                 "internal: status, actions taken, next steps, ETA, technical details, roles;\n"
                 "customer: plain language, what is known and not; executive: business impact,\n"
                 "timeline, decisions needed. A drill incident's message says DRILL.\n"
                 "--approve records a message_approved entry with the SHA-256 of this exact\n"
                 "text. --send queues it for every channel of notify.channels that takes the\n"
                 "audience (or each --channel) and tries once at once; what fails stays queued\n"
                 "and the agent retries it. Customer messages, and anything on a status page,\n"
                 "leave only with a recorded approval of the same text. Each message sent\n"
                 "becomes an update_sent entry: audience, channel, actor, approver, the\n"
                 "SHA-256 of the bytes sent and the delivery result. See docs/notifications.md.\n"
                 "\n"
                 "  --audience A         internal, customer or executive (required)\n"
                 "  --send               queue and send on the audience's channels\n"
                 "  --channel NAME       only this channel (repeatable; with --send)\n"
                 "  --approve            record your approval of this text\n"
                 "  --text TEXT          the update's own words ({{text}} in templates)\n"
                 "  --eta TEXT           the expected resolution time ({{eta}})\n"
                 "  -c, --config FILE    the configuration (notify, state_dir, store.key)\n"
                 "  --state-dir DIR      incidents under DIR (default agent.state_dir)\n"
                 "  --as NAME            who you are, recorded beside your uid\n"
                 "  --json               machine-readable output\n"
                 "  -h, --help           show this help\n"
                 "\n"
                 "Exit status: 0 shown, approved, sent or queued; 1 a delivery failed for good;\n"
                 "2 usage error, refusal (nothing written or sent) or a template error.\n",
};
