/* Seal requests become an `evident seal` command line: window, sources, incident, note
 * and the requester, built from the request and the configuration (never a shell). */
#include "agent/daemon/daemon.h"
#include "tests/unit/unit.h"

/* The argv joined with '|' after argv[0] (the binary path varies). */
static char *joined(const struct ev_seal_job *j) {
	size_t len = 1;
	for (size_t i = 1; j->argv[i]; i++)
		len += strlen(j->argv[i]) + 1;
	char *s = calloc(1, len);
	size_t o = 0;
	for (size_t i = 1; j->argv[i]; i++)
		o += (size_t)snprintf(s + o, len - o, "%s%s", i > 1 ? "|" : "", j->argv[i]);
	return s;
}

static struct ev_config *cfg_with(const char *yaml) {
	struct ev_config *c = NULL;
	struct ev_errlist e = {0};
	const char *p = unit_write_str("seal-cfg.yaml", yaml);
	CU_ASSERT_EQUAL(ev_config_load(p, &c, &e), 0);
	ev_errlist_clear(&e);
	return c;
}

/* What every agent seal appends: --offline and actions.seal_commands (the defaults). */
#define DEFAULT_TAIL                                                                               \
	"|--offline|--command|ps=/bin/ps auxww|--command|sockets=/bin/ss -tanp|--command|"         \
	"logins=/usr/bin/who|--command|mounts=/bin/findmnt -l"

TEST(test_daemon_seal_argv_from_request) {
	struct ev_config *c = cfg_with("sources:\n  journal: true\n  journal_units: [ssh.service]\n"
	                               "  files: [/var/log/auth.log]\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	struct ev_peer peer = {.uid = 0, .gid = 0, .pid = 42};
	snprintf(peer.exe, sizeof(peer.exe), "/usr/bin/curl");
	json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "request", "seal", "lookback", "2h",
	                        "incident", "INC-9", "note", "a; rm -rf / $(x)");
	struct ev_seal_job *j = NULL;
	CU_ASSERT_EQUAL_FATAL(ev_seal_job_new(req, c, "/etc/evident/evident.yaml", &peer, &j), 0);
	char *s = joined(j);
	/* then never back through the agent, and the configured evidence commands */
	CU_ASSERT_STRING_EQUAL(s, "seal|--json|--config|/etc/evident/evident.yaml|--since|-2h|"
	                          "--incident|INC-9|--note|a; rm -rf / $(x)|--actor|"
	                          "control socket: uid 0 pid 42 exe /usr/bin/curl|--journal|--unit|"
	                          "ssh.service|--file|/var/log/auth.log" DEFAULT_TAIL);
	free(s);
	ev_seal_job_free(j);
	json_decref(req);

	/* explicit window and sources; "journal" means the configured journal */
	req = json_pack("{s:s, s:s, s:s, s:[s, s]}", "request", "seal", "from",
	                "2026-01-01T00:00:00Z", "to", "2026-01-01T01:00:00Z", "sources", "journal",
	                "/srv/app.log");
	CU_ASSERT_EQUAL_FATAL(ev_seal_job_new(req, c, NULL, &peer, &j), 0);
	s = joined(j);
	CU_ASSERT_STRING_EQUAL(
	        s, "seal|--json|--since|2026-01-01T00:00:00Z|--until|"
	           "2026-01-01T01:00:00Z|--actor|control socket: uid 0 pid 42 exe "
	           "/usr/bin/curl|--journal|--unit|ssh.service|--file|/srv/app.log" DEFAULT_TAIL);
	CU_ASSERT_EQUAL(j->timeout, EV_SEAL_TIMEOUT_USEC);
	free(s);
	ev_seal_job_free(j);
	json_decref(req);
	ev_config_free(c);
}

TEST(test_daemon_seal_argv_options_and_configured_evidence) {
	/* the options of `evident seal` in a request; actions.seal_* from the configuration;
	 * the trigger of an automatic seal */
	struct ev_config *c = cfg_with("sources:\n  journal: false\n  files: [/var/log/a.log]\n"
	                               "actions:\n  seal_commands: ['w=/usr/bin/w -h']\n"
	                               "  seal_files: [/etc/hostname]\n"
	                               "  seal_journal_units: [cron.service]\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	struct ev_peer peer = {.uid = 0, .gid = 0, .pid = 7};
	json_t *req =
	        json_pack("{s:s, s:[s], s:[s], s:[s], s:i, s:b, s:i, s:{s:s, s:[s]}}", "request",
	                  "seal", "units", "ssh.service", "copies", "/etc/passwd", "commands",
	                  "id=/usr/bin/id", "level", 1, "immutable", 0, "max_bundle_size", 1000,
	                  "trigger", "kind", "rule", "alert_ids", "ab-1");
	struct ev_seal_job *j = NULL;
	CU_ASSERT_EQUAL_FATAL(ev_seal_job_new(req, c, NULL, &peer, &j), 0);
	char *s = joined(j);
	CU_ASSERT_STRING_EQUAL(
	        s, "seal|--json|--actor|rule (unnamed), automatic seal by the "
	           "agent (pid 7)|--journal|--unit|ssh.service|--file|/var/log/a.log|--offline|"
	           "--copy|/etc/passwd|--command|id=/usr/bin/id|--copy|/etc/hostname|"
	           "--command|w=/usr/bin/w -h|--level|1|--no-immutable|"
	           "--max-bundle-size|1000|--trigger|"
	           "{\"alert_ids\":[\"ab-1\"],\"kind\":\"rule\"}");
	free(s);
	ev_seal_job_free(j);
	json_decref(req);
	/* no units in the request: the journal is sealed with actions.seal_journal_units */
	req = json_pack("{s:s, s:[s]}", "request", "seal", "sources", "journal");
	CU_ASSERT_EQUAL_FATAL(ev_seal_job_new(req, c, NULL, &peer, &j), 0);
	s = joined(j);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "|--journal|--unit|cron.service|--offline|"));
	free(s);
	ev_seal_job_free(j);
	json_decref(req);
	ev_config_free(c);
}

TEST(test_daemon_seal_run_reports_the_child_failure) {
	/* A job whose program fails: its exit status and stderr come back, nothing else. */
	struct ev_seal_job j = {.timeout = 5000000};
	char *argv[] = {(char *)"/bin/sh", (char *)"-c", (char *)"echo 'no key here' >&2; exit 2",
	                NULL};
	j.argv = argv;
	char *msg = NULL;
	json_t *res = NULL;
	CU_ASSERT_EQUAL(ev_seal_job_run(&j, NULL, &msg, &res), -EIO);
	CU_ASSERT_PTR_NULL(res);
	CU_ASSERT_STRING_EQUAL(msg, "evident seal failed (exit 2): no key here");
	free(msg);
	/* messages over ERR_CAP (64 KiB): the reason keeps the first 65,536 bytes */
	char *loud[] = {(char *)"/bin/sh", (char *)"-c",
	                (char *)"head -c 200000 /dev/zero | tr '\\000' e >&2; exit 2", NULL};
	j.argv = loud;
	msg = NULL;
	CU_ASSERT_EQUAL(ev_seal_job_run(&j, NULL, &msg, &res), -EIO);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	const char *pre = "evident seal failed (exit 2): ";
	CU_ASSERT_EQUAL(strncmp(msg, pre, strlen(pre)), 0);
	CU_ASSERT_EQUAL(strlen(msg), strlen(pre) + 65536);
	CU_ASSERT_EQUAL(strspn(msg + strlen(pre), "e"), 65536);
	free(msg);
	j.argv = argv;
	/* success: the JSON on stdout is the result */
	char *ok[] = {(char *)"/bin/echo", (char *)"{\"bundle\":\"b.tar.gz\"}", NULL};
	j.argv = ok;
	msg = NULL;
	CU_ASSERT_EQUAL(ev_seal_job_run(&j, NULL, &msg, &res), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(res, "bundle")), "b.tar.gz");
	json_decref(res);
	free(msg);
	/* the time limit kills it */
	char *slow[] = {(char *)"/bin/sleep", (char *)"30", NULL};
	j.argv = slow;
	j.timeout = 200000;
	msg = NULL;
	CU_ASSERT_EQUAL(ev_seal_job_run(&j, NULL, &msg, &res), -ETIME);
	free(msg);
}

TEST(test_daemon_seal_trigger_fits_one_argument) {
	/* a trigger too large for one argument: summaries left out, then alert ids cut */
	struct ev_config *c = cfg_with("sources:\n  journal: false\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	struct ev_peer peer = {.uid = 0, .gid = 0, .pid = 7};
	json_t *ids = json_array(), *alerts = json_array();
	char big[2000];
	memset(big, 'g', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	for (int i = 0; i < 20; i++)
		json_array_append_new(alerts, json_pack("{s:s}", "group", big));
	for (int i = 0; i < 9000; i++) {
		char id[32];
		snprintf(id, sizeof(id), "0123abcd-%d", i);
		json_array_append_new(ids, json_string(id));
	}
	json_t *req = json_pack("{s:s, s:{s:s, s:I, s:o, s:o, s:b}}", "request", "seal", "trigger",
	                        "kind", "rule", "alert_count", (json_int_t)9000, "alert_ids", ids,
	                        "alerts", alerts, "alert_ids_truncated", 0);
	struct ev_seal_job *j = NULL;
	CU_ASSERT_EQUAL_FATAL(ev_seal_job_new(req, c, NULL, &peer, &j), 0);
	const char *t = NULL;
	for (size_t i = 0; j->argv[i]; i++)
		if (strcmp(j->argv[i], "--trigger") == 0)
			t = j->argv[i + 1];
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT(strlen(t) <= 96 * 1024);
	json_t *o = json_loads(t, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_PTR_NULL(json_object_get(o, "alerts"));
	CU_ASSERT(json_is_true(json_object_get(o, "alerts_omitted")));
	CU_ASSERT(json_is_true(json_object_get(o, "alert_ids_truncated")));
	CU_ASSERT(json_array_size(json_object_get(o, "alert_ids")) > 1000);
	CU_ASSERT(json_array_size(json_object_get(o, "alert_ids")) < 9000);
	CU_ASSERT_STRING_EQUAL(
	        json_string_value(json_array_get(json_object_get(o, "alert_ids"), 0)),
	        "0123abcd-0");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "alert_count")), 9000);
	json_decref(o);
	ev_seal_job_free(j);
	json_decref(req);
	ev_config_free(c);
}
