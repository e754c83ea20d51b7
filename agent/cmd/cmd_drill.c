/* evident drill: a game day. A scenario (agent/maint/drill.h) is played into the running
 * agent's pipeline through the control socket (`drill` requests: the records are marked
 * drill wherever they go, agent/maint/drill_agent.c), step by step at --speed, and each
 * step's expectations are scored from what really happened: did the rule fire and how
 * fast (the agent's drill alerts), was an incident opened (marked drill, so that
 * `evident metrics` leaves it out), was its evidence sealed and does the bundle verify,
 * was it routed to the expected teams, did a person acknowledge it (`evident incident
 * ack`) within the acknowledge deadline, and how long each step took.
 * Exit: 0 every expectation met; 1 one was not; 2 usage error, no agent. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "agent/cmd/commands.h"
#include "agent/daemon/control.h"
#include "agent/incident/incident.h"
#include "agent/maint/drill.h"
#include "agent/maint/restore.h"
#include "util/clock.h"
#include "util/timefmt.h"

#define POLL_NS (100 * 1000000L)

struct dctx {
	const char *config, *sock, *state_opt, *scenario;
	bool json;
	double speed;
	uint64_t wait_us, ack_us;
	struct ev_config *cfg;
	const char *state_dir;
	char id[32];
	unsigned run_n;          /* ${N} */
	struct store_keyring kr; /* the store's trusted keys: ledgers and bundles */
	json_t *claimed;         /* alert ids already scored by a step */
};

static void nap(void) {
	struct timespec ts = {0, POLL_NS};
	nanosleep(&ts, NULL);
}

/* One drill request; the answer (new) or NULL after saying why. */
static json_t *ask(struct dctx *c, json_t *records) {
	json_t *rq = json_pack("{s:s, s:s}", "request", "drill", "drill", c->id);
	if (records)
		json_object_set(rq, "records", records);
	json_t *a = NULL;
	int r = ev_control_client(&ev_cmd_drill, c->sock, c->config, rq, 10 * 1000000ULL,
	                          "a drill plays into the running agent", &a);
	json_decref(rq);
	if (r >= 0)
		return NULL;
	if (!json_is_true(json_object_get(a, "ok"))) {
		ev_log_error("drill %s: the agent refused: %s", c->id,
		             json_string_value(json_object_get(a, "error")) ?: "?");
		json_decref(a);
		return NULL;
	}
	return a;
}

/* The first unclaimed alert of `rule` (title or id) in the agent's answer. */
static json_t *find_alert(struct dctx *c, json_t *answer, const char *rule) {
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(answer, "alerts"), i, a) {
		const char *id = json_string_value(json_object_get(a, "alert_id"));
		const char *t = json_string_value(json_object_get(a, "rule"));
		const char *rid = json_string_value(json_object_get(a, "rule_id"));
		if (id && !json_object_get(c->claimed, id) &&
		    ((t && !strcmp(t, rule)) || (rid && !strcmp(rid, rule)))) {
			json_object_set_new(c->claimed, id, json_true());
			return json_incref(a);
		}
	}
	return NULL;
}

static bool teams_ok(const json_t *want, const json_t *routed, json_t **ret_names) {
	json_t *names = json_array();
	size_t i, k;
	json_t *t, *w;
	json_array_foreach(routed, i, t) json_array_append(names, json_object_get(t, "team"));
	bool ok = true;
	json_array_foreach(want, i, w) {
		bool have = false;
		json_array_foreach(names, k, t) have = have || json_equal(t, w);
		ok = ok && have;
	}
	*ret_names = names;
	return ok;
}

/* The incident of a drill alert: opened (drill), sealed and verified, routed, acked. */
static void score_incident(struct dctx *c, const char *id, const json_t *ex, json_t *s) {
	struct ev_incident inc = {0};
	bool loaded = false, sealed = false;
	uint64_t end = ev_now_monotonic_us() + c->wait_us;
	/* the triage seals on the agent's queue: the incident has its evidence afterwards */
	while (!sealed && ev_now_monotonic_us() < end) {
		if (!c->kr.n) /* a new store has keys once its first bundle is sealed */
			store_trusted_keys(c->cfg->store.path, &c->kr, NULL);
		if (loaded)
			ev_incident_done(&inc);
		loaded = ev_incident_load(c->state_dir, id, &c->kr, NULL, &inc) == 0;
		sealed = loaded && json_array_size(inc.evidence) > 0;
		if (!sealed)
			nap();
	}
	json_object_set_new(s, "incident", json_string(id));
	json_object_set_new(s, "incident_opened", json_boolean(loaded));
	if (!loaded)
		return;
	json_object_set_new(s, "incident_drill", json_boolean(inc.drill));
	json_object_set_new(s, "incident_verifies", json_boolean(inc.n_invalid == 0));
	json_t *ev = json_array_get(inc.evidence, 0);
	const char *bundle = json_string_value(json_object_get(ev, "bundle"));
	char msg[1024] = "";
	struct ev_maint_bundle b = {0};
	bool verifies =
	        bundle && ev_maint_bundle_verify(bundle, &c->kr, false, &b, msg, sizeof(msg)) == 0;
	const char *note = verifies ? json_string_value(json_object_get(b.manifest, "note")) : NULL;
	json_object_set_new(s, "evidence_sealed", json_boolean(sealed));
	json_object_set_new(s, "bundle", bundle ? json_string(bundle) : json_null());
	json_object_set_new(s, "bundle_verifies", json_boolean(verifies));
	json_object_set_new(s, "bundle_marked_drill", json_boolean(note && strstr(note, "DRILL")));
	if (!verifies && msg[0])
		json_object_set_new(s, "bundle_error", json_string(msg));
	ev_maint_bundle_done(&b);
	json_t *names = NULL;
	bool routed = teams_ok(json_object_get(ex, "teams"), json_object_get(inc.triage, "teams"),
	                       &names);
	json_object_set_new(s, "routed_to", names);
	json_object_set_new(s, "routed_ok", json_boolean(routed));
	/* a person acknowledges during the drill: wait for it until the deadline */
	int64_t det = inc.t[EV_T_DETECT], deadline = det + (int64_t)c->ack_us;
	while (inc.t[EV_T_ACK] == EV_T_UNSET && ev_now_realtime_us() <= deadline) {
		nap();
		struct ev_incident again;
		if (ev_incident_load(c->state_dir, id, &c->kr, NULL, &again) == 0) {
			ev_incident_done(&inc);
			inc = again;
		}
	}
	int64_t ack = inc.t[EV_T_ACK];
	json_object_set_new(s, "acknowledged", json_boolean(ack != EV_T_UNSET));
	json_object_set_new(s, "acknowledged_in_time",
	                    json_boolean(ack != EV_T_UNSET && ack <= deadline));
	if (ack != EV_T_UNSET)
		json_object_set_new(s, "ack_ms", json_integer((ack - det) / 1000));
	json_object_set_new(s, "ack_within_s", json_integer((json_int_t)(c->ack_us / 1000000)));
	ev_incident_done(&inc);
}

static bool b(const json_t *s, const char *k) {
	return json_is_true(json_object_get(s, k));
}

/* Score one step's expectations into s. */
static void score(struct dctx *c, const json_t *ex, int64_t start_us, json_t *s) {
	const char *rule = json_string_value(json_object_get(ex, "rule"));
	/* the agent's response is real time: --speed paces the scenario, not the deadline */
	int64_t within = json_integer_value(json_object_get(ex, "within_us"));
	uint64_t end = ev_now_monotonic_us() + (uint64_t)MAX(within, (int64_t)c->wait_us);
	json_t *alert = NULL;
	while (rule && !alert) {
		json_t *a = ask(c, NULL);
		alert = a ? find_alert(c, a, rule) : NULL;
		json_decref(a);
		if (alert || ev_now_monotonic_us() >= end)
			break;
		nap();
	}
	json_object_set_new(s, "rule", rule ? json_string(rule) : json_null());
	json_object_set_new(s, "fired", json_boolean(alert != NULL));
	bool pass = alert != NULL;
	if (alert) {
		int64_t lat = json_integer_value(json_object_get(alert, "detected_us")) - start_us;
		json_object_set_new(s, "alert_id", json_incref(json_object_get(alert, "alert_id")));
		json_object_set_new(s, "detection_ms", json_integer(lat / 1000));
		json_object_set_new(s, "detected_in_time", json_boolean(lat <= within));
		pass = pass && lat <= within;
	}
	const char *inc = json_string_value(json_object_get(alert, "incident"));
	if (json_is_true(json_object_get(ex, "incident"))) {
		if (inc)
			score_incident(c, inc, ex, s);
		else
			json_object_set_new(s, "incident_opened", json_false());
		pass = pass && b(s, "incident_opened") && b(s, "incident_drill") &&
		       b(s, "evidence_sealed") && b(s, "bundle_verifies") && b(s, "routed_ok") &&
		       b(s, "acknowledged_in_time");
	}
	json_decref(alert);
	json_object_set_new(s, "pass", json_boolean(pass));
}

static void sleep_until(int64_t t_us) {
	for (int64_t now; (now = ev_now_realtime_us()) < t_us;) {
		int64_t d = MIN(t_us - now, (int64_t)1000000);
		struct timespec ts = {d / 1000000, (d % 1000000) * 1000};
		nanosleep(&ts, NULL);
	}
}

/* ${DRILL} (the drill id) and ${N} (a number 1..254 of this run) in a record's strings:
 * a scenario that uses them in its group-by values (an address, a user, a unit) can run
 * again at once, without meeting the suppression its previous run left. */
static json_t *subst(struct dctx *c, const json_t *records) {
	char num[8];
	snprintf(num, sizeof(num), "%u", c->run_n);
	json_t *out = json_deep_copy(records);
	size_t i;
	json_t *r;
	json_array_foreach(out, i, r) {
		const char *k;
		json_t *v;
		json_object_foreach(r, k, v) {
			const char *in = json_string_value(v);
			if (!in || !strstr(in, "${"))
				continue;
			char buf[8192];
			size_t o = 0;
			for (const char *p = in; *p && o < sizeof(buf) - 1;) {
				const char *rep = !strncmp(p, "${DRILL}", 8) ? c->id
				                  : !strncmp(p, "${N}", 4)   ? num
				                                             : NULL;
				if (rep) {
					o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s", rep);
					p += rep == c->id ? 8 : 4;
				} else
					buf[o++] = *p++;
			}
			buf[MIN(o, sizeof(buf) - 1)] = 0;
			json_string_set(v, buf);
		}
	}
	return out;
}

static json_t *play(struct dctx *c, const json_t *sc) {
	json_t *steps = json_array();
	int64_t t0 = ev_now_realtime_us();
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(sc, "steps"), i, st) {
		int64_t at = json_integer_value(json_object_get(st, "at_us"));
		sleep_until(t0 + (int64_t)((double)at / c->speed));
		int64_t start = ev_now_realtime_us();
		json_t *s =
		        json_pack("{s:i, s:O, s:f}", "step", (int)i + 1, "name",
		                  json_object_get(st, "name"), "at_s", (double)(start - t0) / 1e6);
		json_t *recs = subst(c, json_object_get(st, "records"));
		json_t *a = json_array_size(recs) ? ask(c, recs) : json_object();
		json_decref(recs);
		json_object_set_new(
		        s, "injected",
		        json_integer(json_integer_value(json_object_get(a, "injected"))));
		if (!a)
			json_object_set_new(s, "pass", json_false());
		else if (json_object_get(st, "expect"))
			score(c, json_object_get(st, "expect"), start, s);
		json_decref(a);
		json_object_set_new(s, "duration_ms",
		                    json_integer((ev_now_realtime_us() - start) / 1000));
		json_array_append_new(steps, s);
	}
	return steps;
}

static void print_step(const json_t *s) {
	printf("  step %lld \"%s\" at %.2f s, %lld records, took %.2f s: %s\n",
	       (long long)json_integer_value(json_object_get(s, "step")),
	       json_string_value(json_object_get(s, "name")),
	       json_real_value(json_object_get(s, "at_s")),
	       (long long)json_integer_value(json_object_get(s, "injected")),
	       (double)json_integer_value(json_object_get(s, "duration_ms")) / 1000.0,
	       !json_object_get(s, "pass") ? "no expectation"
	       : b(s, "pass")              ? "PASS"
	                                   : "FAIL");
	if (!json_object_get(s, "rule"))
		return;
	printf("    rule fired       %-3s %s", b(s, "fired") ? "yes" : "NO",
	       json_string_value(json_object_get(s, "rule")));
	if (b(s, "fired"))
		printf(", detected in %lld ms",
		       (long long)json_integer_value(json_object_get(s, "detection_ms")));
	printf("\n");
	if (!json_object_get(s, "incident_opened"))
		return;
	printf("    incident opened  %-3s %s%s\n", b(s, "incident_opened") ? "yes" : "NO",
	       json_string_value(json_object_get(s, "incident")) ?: "",
	       b(s, "incident_drill") ? " (marked drill)" : "");
	if (!b(s, "incident_opened"))
		return;
	printf("    evidence sealed  %-3s %s%s\n", b(s, "bundle_verifies") ? "yes" : "NO",
	       json_string_value(json_object_get(s, "bundle")) ?: "",
	       b(s, "bundle_verifies") ? " (verifies)" : " (does not verify)");
	char teams[512] = "";
	size_t i, o = 0;
	json_t *t;
	json_array_foreach(json_object_get(s, "routed_to"), i, t) if (o < sizeof(teams)) o +=
	        (size_t)snprintf(teams + o, sizeof(teams) - o, "%s%s", i ? ", " : "",
	                         json_string_value(t));
	printf("    routed           %-3s %s\n", b(s, "routed_ok") ? "yes" : "NO", teams);
	if (b(s, "acknowledged"))
		printf("    acknowledged     %-3s after %.1f s (deadline %lld s)\n",
		       b(s, "acknowledged_in_time") ? "yes" : "LATE",
		       (double)json_integer_value(json_object_get(s, "ack_ms")) / 1000.0,
		       (long long)json_integer_value(json_object_get(s, "ack_within_s")));
	else
		printf("    acknowledged     NO  (deadline %lld s)\n",
		       (long long)json_integer_value(json_object_get(s, "ack_within_s")));
}

static int list(struct dctx *c) {
	json_t *l = ev_drill_list(c->cfg);
	if (c->json) {
		json_t *o = json_pack("{s:O}", "scenarios", l);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		printf("%s\n", s ? s : "[]");
		free(s);
	} else {
		size_t i;
		json_t *e;
		json_array_foreach(l, i, e)
		        printf("%-28s %s\n", json_string_value(json_object_get(e, "name")),
		               json_string_value(json_object_get(e, "path")));
	}
	json_decref(l);
	return EV_EXIT_OK;
}

static int run_drill(struct dctx *c) {
	struct ev_errlist errs = {0};
	json_t *sc = NULL;
	if (ev_drill_load(c->cfg, c->scenario, &sc, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	uint8_t rnd[3] = {0};
	if (getrandom(rnd, sizeof(rnd), 0) < 0)
		memcpy(rnd, &(int){getpid()}, sizeof(rnd));
	snprintf(c->id, sizeof(c->id), "%.16s-%02x%02x%02x", c->scenario, rnd[0], rnd[1], rnd[2]);
	c->run_n = 1u + (unsigned)((rnd[0] ^ rnd[1] ^ rnd[2]) % 254);
	json_t *hello = ask(c, NULL); /* is the agent there? */
	if (!hello) {
		json_decref(sc);
		return EV_EXIT_USAGE;
	}
	json_decref(hello);
	if (!c->json)
		printf("drill %s: scenario %s (%s), speed %g: DRILL records injected into the "
		       "agent\n",
		       c->id, c->scenario, json_string_value(json_object_get(sc, "description")),
		       c->speed);
	fflush(stdout);
	json_t *steps = play(c, sc);
	bool pass = true;
	size_t i;
	json_t *s;
	json_array_foreach(steps, i, s) pass =
	        pass && (!json_object_get(s, "pass") || b(s, "pass"));
	json_t *card = json_pack("{s:s, s:s, s:f, s:b, s:o}", "drill", c->id, "scenario",
	                         c->scenario, "speed", c->speed, "pass", pass, "steps", steps);
	if (c->json) {
		char *j = json_dumps(card, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", j ? j : "{}");
		free(j);
	} else {
		json_array_foreach(steps, i, s) print_step(s);
		printf("drill %s: %s\n", c->id, pass ? "PASS" : "FAIL");
	}
	json_decref(card);
	json_decref(sc);
	return pass ? EV_EXIT_OK : EV_EXIT_FINDING;
}

enum { OPT_SCENARIO = 0x2000, OPT_SPEED, OPT_SOCKET, OPT_STATE, OPT_LIST, OPT_WAIT, OPT_ACK };

static int drill_run(int argc, char **argv) {
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"scenario", required_argument, NULL, OPT_SCENARIO},
	                                     {"speed", required_argument, NULL, OPT_SPEED},
	                                     {"socket", required_argument, NULL, OPT_SOCKET},
	                                     {"state-dir", required_argument, NULL, OPT_STATE},
	                                     {"list", no_argument, NULL, OPT_LIST},
	                                     {"wait", required_argument, NULL, OPT_WAIT},
	                                     {"ack-within", required_argument, NULL, OPT_ACK},
	                                     {NULL, 0, NULL, 0}};
	struct dctx c = {.speed = 1, .wait_us = 30 * 1000000ULL};
	bool do_list = false;
	int o;
	char *end;
	while ((o = getopt_long(argc, argv, "hc:", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			return ev_print_help(&ev_cmd_drill);
		case EV_OPT_JSON:
			c.json = true;
			break;
		case 'c':
			c.config = optarg;
			break;
		case OPT_SCENARIO:
			c.scenario = optarg;
			break;
		case OPT_SPEED:
			c.speed = strtod(optarg, &end);
			if (*end || !(c.speed >= 0.01 && c.speed <= 100000))
				return ev_usage_error(
				        &ev_cmd_drill,
				        "--speed: '%s' is not a factor from 0.01 to 100000",
				        optarg);
			break;
		case OPT_SOCKET:
			c.sock = optarg;
			break;
		case OPT_STATE:
			c.state_opt = optarg;
			break;
		case OPT_LIST:
			do_list = true;
			break;
		case OPT_WAIT:
		case OPT_ACK:
			if (ev_parse_duration(optarg, o == OPT_WAIT ? &c.wait_us : &c.ack_us) < 0)
				return ev_usage_error(&ev_cmd_drill, "--%s: '%s' is not a duration",
				                      o == OPT_WAIT ? "wait" : "ack-within",
				                      optarg);
			break;
		default:
			return ev_option_error(&ev_cmd_drill, argv);
		}
	}
	if (optind < argc)
		return ev_usage_error(&ev_cmd_drill, "unexpected argument '%s'", argv[optind]);
	if (!do_list && !c.scenario)
		return ev_usage_error(&ev_cmd_drill,
		                      "which scenario? (--scenario NAME, or --list)");
	struct ev_errlist errs = {0};
	if (ev_config_load(c.config, &c.cfg, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	c.state_dir = c.state_opt ? c.state_opt : c.cfg->agent.state_dir;
	if (!c.ack_us)
		c.ack_us = c.cfg->incidents.ack_within;
	c.claimed = json_object();
	int ret = do_list ? list(&c) : run_drill(&c);
	json_decref(c.claimed);
	store_keyring_clear(&c.kr);
	ev_config_free(c.cfg);
	return ret;
}

const struct ev_command ev_cmd_drill = {
        .name = "drill",
        .summary = "game day: play a scenario into the running agent and score the response",
        .run = drill_run,
        .usage = "Usage: evident drill --scenario NAME [--speed N] [--json]\n"
                 "                     [--wait DURATION] [--ack-within DURATION]\n"
                 "                     [-c FILE] [--socket PATH] [--state-dir DIR]\n"
                 "       evident drill --list [--json]\n"
                 "\n"
                 "Plays the scenario NAME (NAME.yaml in drills.paths, else the shipped ones)\n"
                 "into the running agent: each step's records enter its pipeline at the step's\n"
                 "time (divided by --speed), marked drill everywhere they go (alerts carry\n"
                 "\"drill\":true, incidents are drills that `evident metrics` leaves out, bundle\n"
                 "notes and journal messages say DRILL). Then each step's expectations are\n"
                 "scored: the rule fired, its detection latency, the incident opened, its\n"
                 "evidence sealed and verifying, routed to the expected teams, acknowledged by\n"
                 "a person (evident incident ack ID) before the deadline, and how long each step\n"
                 "took. See docs/maintenance.md.\n"
                 "\n"
                 "  --scenario NAME       the scenario to play\n"
                 "  --speed N             play the steps N times faster (default 1); the\n"
                 "                        detection and acknowledge deadlines are real time\n"
                 "  --wait DURATION       wait at least this long for each expected alert and\n"
                 "                        sealed incident (default 30s)\n"
                 "  --ack-within DURATION the acknowledge deadline (default incidents.ack_within)\n"
                 "  --list                the scenarios available\n"
                 "  --json                the scorecard as one JSON object\n"
                 "  -c, --config FILE     the agent's configuration (control socket, state)\n"
                 "  --socket PATH         the agent's control socket\n"
                 "  --state-dir DIR       the agent's state directory (its incidents)\n"
                 "  -h, --help            show this help\n"
                 "\n"
                 "Exit status: 0 every expectation met, 1 one was not, 2 usage error or no\n"
                 "agent running.\n",
};
