/* Seal requests become an `evident seal` command line: window, sources, incident, note
 * and the requester, built from the request and the configuration (never a shell). */
#include "agent/daemon.h"
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
	CU_ASSERT_STRING_EQUAL(s, "seal|--json|--config|/etc/evident/evident.yaml|--since|-2h|"
	                          "--incident|INC-9|--note|a; rm -rf / $(x)|--actor|"
	                          "control socket: uid 0 pid 42 exe /usr/bin/curl|--journal|--unit|"
	                          "ssh.service|--file|/var/log/auth.log");
	free(s);
	ev_seal_job_free(j);
	json_decref(req);

	/* explicit window and sources; "journal" means the configured journal */
	req = json_pack("{s:s, s:s, s:s, s:[s, s]}", "request", "seal", "from",
	                "2026-01-01T00:00:00Z", "to", "2026-01-01T01:00:00Z", "sources", "journal",
	                "/srv/app.log");
	CU_ASSERT_EQUAL_FATAL(ev_seal_job_new(req, c, NULL, &peer, &j), 0);
	s = joined(j);
	CU_ASSERT_STRING_EQUAL(s, "seal|--json|--since|2026-01-01T00:00:00Z|--until|"
	                          "2026-01-01T01:00:00Z|--actor|control socket: uid 0 pid 42 exe "
	                          "/usr/bin/curl|--journal|--unit|ssh.service|--file|/srv/app.log");
	CU_ASSERT_EQUAL(j->timeout, EV_SEAL_TIMEOUT_USEC);
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
