/* Control request parser: every request form, and every way a peer can get it wrong. */
#include "agent/daemon/control.h"
#include "tests/unit/unit.h"

static int parse(const char *s, struct ev_request *r, const char **code, char **err) {
	return ev_request_parse(s, strlen(s), r, code, err);
}

/* The request must be refused with `want_code` and a message containing `needle`. */
static void expect_refused(const char *s, const char *want_code, const char *needle) {
	struct ev_request r = {0};
	const char *code = NULL;
	char *err = NULL;
	int rc = parse(s, &r, &code, &err);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_PTR_NULL(r.obj);
	CU_ASSERT_PTR_NOT_NULL_FATAL(code);
	if (strcmp(code, want_code) != 0 || !err || !strstr(err, needle))
		fprintf(stderr, "\n  %s -> %s: %s (want %s, '%s')\n", s, code, err ? err : "(null)",
		        want_code, needle);
	CU_ASSERT_STRING_EQUAL(code, want_code);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, needle) : NULL);
	free(err);
}

static void expect_ok(const char *s, enum ev_request_type t) {
	struct ev_request r = {0};
	const char *code = NULL;
	char *err = NULL;
	int rc = parse(s, &r, &code, &err);
	if (rc != 0)
		fprintf(stderr, "\n  %s -> %s: %s\n", s, code, err ? err : "");
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(r.type, t);
	CU_ASSERT_PTR_NOT_NULL(r.obj);
	CU_ASSERT_PTR_NULL(err);
	ev_request_done(&r);
}

TEST(test_control_parse_valid) {
	expect_ok("{\"request\":\"status\"}", EV_REQ_STATUS);
	expect_ok("  {\"request\" : \"reload\"}  ", EV_REQ_RELOAD);
	expect_ok("{\"request\":\"rules\"}", EV_REQ_RULES);
	expect_ok("{\"request\":\"seal\"}", EV_REQ_SEAL);
	expect_ok("{\"request\":\"seal\",\"from\":\"2026-01-01T00:00:00Z\",\"to\":\"2026-01-01T01:"
	          "00:00Z\","
	          "\"sources\":[\"journal\",\"/var/log/"
	          "auth.log\"],\"incident\":\"INC-001\",\"note\":\"n\"}",
	          EV_REQ_SEAL);
	expect_ok("{\"request\":\"seal\",\"lookback\":\"1h30m\"}", EV_REQ_SEAL);
	expect_ok("{\"request\":\"triage\",\"incident\":\"INC-001\",\"impact\":\"service_outage\","
	          "\"urgency\":\"immediate\",\"affected_users\":500,\"service\":\"api-service\"}",
	          EV_REQ_TRIAGE);
	CU_ASSERT_STRING_EQUAL(ev_request_name(EV_REQ_TRIAGE), "triage");
}

TEST(test_control_parse_malformed) {
	expect_refused("", "malformed", "not JSON");
	expect_refused("status", "malformed", "not JSON");
	expect_refused("{\"request\":\"status\"", "malformed", "not JSON");
	expect_refused("{\"request\":\"status\"} {}", "malformed", "not JSON");
	expect_refused("[\"status\"]", "malformed", "JSON object");
	expect_refused("\"status\"", "malformed", "not JSON"); /* a scalar is not a document */
	expect_refused("{}", "malformed", "missing \"request\"");
	expect_refused("{\"request\":7}", "malformed", "missing \"request\"");
	expect_refused("{\"request\":\"status\",\"request\":\"reload\"}", "malformed", "not JSON");
	/* NUL inside the line */
	struct ev_request r = {0};
	const char *code = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(ev_request_parse("{\"request\":\"st\0atus\"}", 21, &r, &code, &err),
	                -EINVAL);
	CU_ASSERT_STRING_EQUAL(code, "malformed");
	free(err);
	/* invalid UTF-8 */
	expect_refused("{\"request\":\"\xff\xfe\"}", "malformed", "not JSON");
}

TEST(test_control_parse_unknown_and_arguments) {
	expect_refused("{\"request\":\"frobnicate\"}", "unknown_request", "'frobnicate'");
	expect_refused("{\"request\":\"stat\\nus\"}", "unknown_request", "'stat?us'");
	expect_refused("{\"request\":\"status\",\"verbose\":true}", "invalid_argument",
	               "unknown key 'verbose'");
	expect_refused("{\"request\":\"seal\",\"incidnet\":\"x\"}", "invalid_argument",
	               "unknown key 'incidnet'");
	expect_refused("{\"request\":\"seal\",\"incident\":5}", "invalid_argument", "'incident'");
	expect_refused("{\"request\":\"seal\",\"incident\":\"\"}", "invalid_argument",
	               "'incident'");
	expect_refused("{\"request\":\"seal\",\"incident\":\"a\\u0001b\"}", "invalid_argument",
	               "control characters");
	expect_refused("{\"request\":\"seal\",\"lookback\":\"soon\"}", "invalid_argument",
	               "duration");
	expect_refused("{\"request\":\"seal\",\"sources\":\"journal\"}", "invalid_argument",
	               "list");
	expect_refused("{\"request\":\"seal\",\"sources\":[\"a\",3]}", "invalid_argument",
	               "item 2");
	expect_refused("{\"request\":\"triage\"}", "invalid_argument", "needs 'incident'");
	expect_refused("{\"request\":\"triage\",\"incident\":\"I\",\"affected_users\":-1}",
	               "invalid_argument", "non-negative");
	/* caps: an identifier of 65 bytes (an incident id's limit), a list of 65 items */
	char buf[1024];
	char id[66];
	memset(id, 'a', 65);
	id[65] = '\0';
	snprintf(buf, sizeof(buf), "{\"request\":\"seal\",\"incident\":\"%s\"}", id);
	expect_refused(buf, "invalid_argument", "at most 64 bytes");
	char list[1024];
	size_t o = (size_t)snprintf(list, sizeof(list), "{\"request\":\"seal\",\"sources\":[");
	for (int i = 0; i < 65; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, i ? ",\"x\"" : "\"x\"");
	snprintf(list + o, sizeof(list) - o, "]}");
	expect_refused(list, "invalid_argument", "at most 64");
}

TEST(test_control_parse_drill) {
	expect_ok("{\"request\":\"drill\",\"drill\":\"ssh-1a2b3c\"}", EV_REQ_DRILL);
	expect_ok("{\"request\":\"drill\",\"drill\":\"d\",\"records\":[{\"program\":\"sshd\","
	          "\"message\":\"Failed password\",\"pid\":7,\"src_ip\":\"203.0.113.9\"}]}",
	          EV_REQ_DRILL);
	CU_ASSERT_STRING_EQUAL(ev_request_name(EV_REQ_DRILL), "drill");
	expect_refused("{\"request\":\"drill\"}", "invalid_argument", "needs 'drill'");
	expect_refused("{\"request\":\"drill\",\"drill\":\"d\",\"records\":{}}", "invalid_argument",
	               "list of at most 256 objects");
	expect_refused("{\"request\":\"drill\",\"drill\":\"d\",\"records\":[\"line\"]}",
	               "invalid_argument", "item 1 must be an object");
	expect_refused("{\"request\":\"drill\",\"drill\":\"d\",\"records\":[{\"a b\":\"x\"}]}",
	               "invalid_argument", "field names");
	expect_refused("{\"request\":\"drill\",\"drill\":\"d\",\"records\":[{\"m\":[1]}]}",
	               "invalid_argument", "field names");
	expect_refused("{\"request\":\"drill\",\"drill\":\"d\",\"records\":[{\"m\":\"a\\u0007\"}]}",
	               "invalid_argument", "control characters");
	/* the cap: 257 records */
	size_t cap = 16 + 257 * 16 + 64, o;
	char *big = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	o = (size_t)snprintf(big, cap, "{\"request\":\"drill\",\"drill\":\"d\",\"records\":[");
	for (int i = 0; i < 257; i++)
		o += (size_t)snprintf(big + o, cap - o, i ? ",{\"m\":\"x\"}" : "{\"m\":\"x\"}");
	snprintf(big + o, cap - o, "]}");
	expect_refused(big, "invalid_argument", "at most 256");
	free(big);
}

TEST(test_control_parse_too_long) {
	size_t n = EV_CONTROL_LINE_MAX + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	struct ev_request r = {0};
	const char *code = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(ev_request_parse(big, n, &r, &code, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(code, "too_long");
	free(err);
	free(big);
}

TEST(test_control_error_answer) {
	json_t *a = ev_control_error("busy", "queue full (%d)", 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	char *s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	CU_ASSERT_STRING_EQUAL(s, "{\"code\":\"busy\",\"error\":\"queue full (64)\",\"ok\":false}");
	free(s);
	json_decref(a);
	struct ev_peer p = {.uid = 65534, .gid = 65534, .pid = 42};
	json_t *j = ev_peer_json(&p);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	CU_ASSERT_STRING_EQUAL(s, "{\"exe\":null,\"gid\":65534,\"pid\":42,\"uid\":65534}");
	free(s);
	json_decref(j);
}

TEST(test_control_request_seal_options) {
	/* the options of `evident seal`, as a request */
	expect_ok("{\"request\":\"seal\",\"units\":[\"ssh.service\"],\"copies\":[\"/etc/passwd\"],"
	          "\"commands\":[\"id=/usr/bin/id\"],\"level\":9,\"immutable\":false,"
	          "\"max_bundle_size\":1048576}",
	          EV_REQ_SEAL);
	expect_refused("{\"request\":\"seal\",\"level\":10}", "invalid_argument", "at most 9");
	expect_refused("{\"request\":\"seal\",\"immutable\":\"no\"}", "invalid_argument",
	               "true or false");
	expect_refused("{\"request\":\"seal\",\"commands\":\"ps\"}", "invalid_argument", "list");
	/* the trigger is the agent's own (automatic seals), never a peer's */
	expect_refused("{\"request\":\"seal\",\"trigger\":{\"kind\":\"rule\"}}", "invalid_argument",
	               "trigger");
}
