/* Communications: templates (placeholders, errors with positions), notify.channels
 * checks, approvals per channel and audience, drill rendering on every payload, the
 * RFC 2047 subject and CRLF body of an email, the token file's permission check. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/notify/channel.h"
#include "agent/notify/deliver.h"
#include "agent/notify/template.h"
#include "tests/unit/unit.h"
#include "util/ytree.h"

static int render(const char *t, char **out, struct ev_errlist *errs) {
	json_t *v = json_pack("{s:s, s:s, s:n}", "id", "INC-1", "state", "open", "none");
	int r = ev_template_render("t.txt", t, strlen(t), v, out, errs);
	json_decref(v);
	return r;
}

TEST(test_agent_notify_template_fills) {
	struct ev_errlist errs = {0};
	char *out = NULL;
	CU_ASSERT_EQUAL_FATAL(render("a {{id}} b {{ state }}{{none}} {x} }}", &out, &errs), 0);
	CU_ASSERT_STRING_EQUAL(out, "a INC-1 b open {x} }}");
	free(out);
	ev_errlist_clear(&errs);
}

TEST(test_agent_notify_template_errors_have_positions) {
	struct ev_errlist errs = {0};
	char *out = NULL;
	CU_ASSERT_EQUAL(render("line\n  {{stat}} and {{id\n", &out, &errs), -EINVAL);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL_FATAL(errs.n, 2);
	char *m = ev_error_format(&errs.v[0]);
	CU_ASSERT_STRING_EQUAL(m, "t.txt:2:3: unknown placeholder 'stat' (did you mean 'state'?)");
	free(m);
	m = ev_error_format(&errs.v[1]);
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "t.txt:2:16: '{{' is not closed"));
	free(m);
	ev_errlist_clear(&errs);
}

static int load(const char *yaml, json_t **ret, struct ev_errlist *errs) {
	struct ytree_docs d = {0};
	CU_ASSERT_EQUAL_FATAL(ytree_parse_buffer("c.yaml", yaml, strlen(yaml), &d, errs), 0);
	int r = ev_notify_channels_load(d.v[0].root, "c.yaml", ret, errs);
	ytree_docs_free(&d);
	return r;
}

TEST(test_agent_notify_channels_checked) {
	struct ev_errlist errs = {0};
	json_t *ch = NULL;
	CU_ASSERT_EQUAL_FATAL(
	        load("- name: a\n  type: webhook\n  url: https://h/x\n"
	             "  audiences: [internal, customer]\n  events: [high, update_due]\n"
	             "- name: p\n  type: statuspage\n  dir: /tmp/p\n",
	             &ch, &errs),
	        0);
	const json_t *a = ev_notify_channel_find(ch, "a"), *p = ev_notify_channel_find(ch, "p");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "payload")), "slack");
	CU_ASSERT_TRUE(json_is_true(json_object_get(a, "tls_verify")));
	CU_ASSERT_TRUE(ev_notify_channel_takes_event(a, "high"));
	CU_ASSERT_FALSE(ev_notify_channel_takes_event(a, "low"));
	CU_ASSERT_FALSE(ev_notify_needs_approval(a, "internal"));
	CU_ASSERT_TRUE(ev_notify_needs_approval(a, "customer"));
	CU_ASSERT_TRUE(ev_notify_needs_approval(p, "internal"));
	json_decref(ch);
	ch = NULL;
	CU_ASSERT_EQUAL(
	        load("- name: a\n  type: webhook\n  url: ftp://x\n  dir: /x\n  tokn_file: f\n"
	             "- name: a\n  type: email\n  url: smtp://h\n  audiences: [boss]\n",
	             &ch, &errs),
	        -EINVAL);
	CU_ASSERT_PTR_NULL(ch);
	char all[2048] = "";
	for (size_t i = 0; i < errs.n; i++) {
		char *m = ev_error_format(&errs.v[i]);
		strncat(all, m, sizeof(all) - strlen(all) - 2);
		strncat(all, "\n", sizeof(all) - strlen(all) - 1);
		free(m);
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(all, "c.yaml:4:3: notify.channels: 'dir' does not apply"));
	CU_ASSERT_PTR_NOT_NULL(strstr(all, "c.yaml:5:3: notify.channels: unknown key 'tokn_file' "
	                                   "(did you mean 'token_file'?)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(all, "url must be http:// or https://"));
	CU_ASSERT_PTR_NOT_NULL(strstr(all, "unknown audiences 'boss'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(all, "needs 'from'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(all, "two channels are named 'a'"));
	ev_errlist_clear(&errs);
}

static json_t *drill_item(void) {
	return json_pack("{s:s, s:s, s:s, s:I, s:{s:s, s:s, s:b}}", "id", "0001-ab", "incident",
	                 "INC-D", "audience", "internal", "created_us",
	                 (json_int_t)1700000000000000, "message", "subject", "[DRILL] Übung läuft",
	                 "body", "*** DRILL ***\nline two\n", "drill", 1);
}

TEST(test_agent_notify_drill_on_every_payload) {
	json_t *item = drill_item();
	const char *chans[] = {"{\"type\":\"webhook\",\"payload\":\"slack\"}",
	                       "{\"type\":\"webhook\",\"payload\":\"json\"}",
	                       "{\"type\":\"statuspage\"}",
	                       "{\"type\":\"email\",\"from\":\"a@b\",\"to\":{\"*\":[\"c@d\"]}}"};
	for (size_t i = 0; i < 4; i++) {
		json_t *ch = json_loads(chans[i], 0, NULL);
		char *b = NULL;
		size_t len = 0;
		CU_ASSERT_EQUAL_FATAL(ev_notify_payload(ch, item, "h", &b, &len), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(b, "DRILL"));
		if (i == 0)
			CU_ASSERT_PTR_NOT_NULL(strstr(b, "*DRILL* - this is an exercise"));
		if (i == 1 || i == 2)
			CU_ASSERT_PTR_NOT_NULL(strstr(b, "\"drill\":true"));
		if (i == 3) {
			CU_ASSERT_PTR_NOT_NULL(strstr(b, "X-Evident-Drill: yes\r\n"));
			CU_ASSERT_PTR_NOT_NULL(strstr(b, "Subject: =?UTF-8?B?"));
			CU_ASSERT_PTR_NOT_NULL(strstr(b, "Message-ID: <0001-ab@h>\r\n"));
			CU_ASSERT_PTR_NOT_NULL(
			        strstr(b, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
			CU_ASSERT_PTR_NOT_NULL(strstr(b, "\r\n\r\n*** DRILL ***\r\nline two\r\n"));
		}
		free(b);
		json_decref(ch);
	}
	json_decref(item);
}

TEST(test_agent_notify_token_file_mode) {
	char p[512];
	snprintf(p, sizeof(p), "%s/token", unit_tmpdir());
	FILE *f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("abc\n", f);
	fclose(f);
	char *tok = NULL, *why = NULL;
	chmod(p, 0644);
	CU_ASSERT_EQUAL(ev_notify_read_token(p, &tok, &why), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(why && strstr(why, "mode 0644"));
	free(why);
	why = NULL;
	chmod(p, 0640);
	CU_ASSERT_EQUAL_FATAL(ev_notify_read_token(p, &tok, &why), 0);
	CU_ASSERT_STRING_EQUAL(tok, "abc");
	free(tok);
	unlink(p);
}
