/* The rest of Sigma 2.1: keywords over the event text (message and program tag), the
 * UTF-16 modifiers before base64/base64offset, fieldref, expand with placeholders, and
 * the messages of rules that still cannot load. Both matchers must agree on every case. */
#include "tests/unit/correlate/helpers.h"

/* An engine with placeholders (NULL-terminated specs) and one rule; NULL when it does
 * not load (the first error in err). */
static struct th *setup(const char *engine, const char *const *ph, const char *detection, char *err,
                        size_t err_len) {
	struct th *t = calloc(1, sizeof(*t));
#ifndef HAVE_VECTORSCAN
	engine = "pcre2";
#endif
	struct correlate_opts o = {.engine = engine, .allowed_lateness_us = -1};
	CU_ASSERT_EQUAL_FATAL(correlate_engine_new(&o, &t->e, &t->errs), 0);
	t->alerts = json_array();
	for (size_t i = 0; ph && ph[i]; i++)
		CU_ASSERT_EQUAL(correlate_engine_add_placeholder_spec(t->e, ph[i], "cfg", &t->errs),
		                0);
	char yaml[4096];
	snprintf(yaml, sizeof(yaml),
	         "title: t\nid: r1\nlogsource: {product: linux}\ndetection:\n%s\n", detection);
	correlate_engine_add_rules_buffer(t->e, "test.yml", yaml, strlen(yaml), &t->errs);
	correlate_engine_compile(t->e, &t->errs, &t->warns);
	correlate_engine_set_callback(t->e, th_collect, t);
	correlate_parse_time("2024-03-01T10:00:00Z", &t->base);
	if (err)
		snprintf(err, err_len, "%s", th_errors(t));
	return t;
}

/* Matches of one record (program, message, one optional field pair, another optional)
 * under both engines; -1 when the rule does not load. */
static int match_ph(const char *const *ph, const char *det, const char *prog, const char *msg,
                    const char *f1, const char *v1, const char *f2, const char *v2) {
	static const char *engines[2] = {"pcre2", "vectorscan"};
	int res[2];
	for (int k = 0; k < 2; k++) {
		char err[1024];
		struct th *t = setup(engines[k], ph, det, err, sizeof(err));
		if (t->errs.n) {
			fprintf(stderr, "unexpected load error: %s", err);
			th_free(t);
			return -1;
		}
		if (f2)
			th_feed(t, 0, prog, msg, f1, v1, f2, v2, (char *)NULL);
		else if (f1)
			th_feed(t, 0, prog, msg, f1, v1, (char *)NULL);
		else
			th_feed(t, 0, prog, msg, (char *)NULL);
		correlate_engine_finish(t->e);
		res[k] = (int)th_n(t);
		th_free(t);
	}
	CU_ASSERT_EQUAL(res[0], res[1]);
	return res[0];
}
#define MP(det, prog, msg)       match_ph(NULL, det, prog, msg, NULL, NULL, NULL, NULL)
#define MFF(det, f1, v1, f2, v2) match_ph(NULL, det, "p", "x", f1, v1, f2, v2)
#define MPH(ph, det, f, v)       match_ph(ph, det, "p", "x", f, v, NULL, NULL)

static const char *load_err(const char *const *ph, const char *det) {
	static char buf[1024];
	struct th *t = setup("pcre2", ph, det, buf, sizeof(buf));
	CU_ASSERT_EQUAL(correlate_engine_n_rules(t->e), t->errs.n ? 0 : 1);
	th_free(t);
	return buf;
}

TEST(test_correlate_keywords_program) {
	/* SigmaHQ's PwnKit rule: 'pkexec' is in the syslog tag, the rest in the message */
	const char *pk =
	        "  keywords:\n    '|all':\n      - 'pkexec'\n      - 'XAUTHORITY contains "
	        "suspicious content'\n      - '[USER=root] [TTY=/dev/pts/0]'\n  condition: "
	        "keywords";
	const char *msg = "mallory: The value for environment variable XAUTHORITY contains "
	                  "suspicious content [USER=root] [TTY=/dev/pts/0] [CWD=/home/mallory]";
	CU_ASSERT_EQUAL(MP(pk, "pkexec", msg), 1);
	CU_ASSERT_EQUAL(MP(pk, "sudo", msg), 0);
	/* a keyword alone found only in the program tag */
	const char *one = "  kw:\n    - 'pam_unix'\n  condition: kw";
	CU_ASSERT_EQUAL(MP(one, "sshd(pam_unix)", "authentication failure; rhost=1.2.3.4"), 1);
	CU_ASSERT_EQUAL(MP(one, "sshd", "authentication failure; rhost=1.2.3.4"), 0);
	CU_ASSERT_EQUAL(MP(one, "sshd", "pam_unix(sshd:auth): authentication failure"), 1);
	/* not across the two: the program and message are separate texts */
	CU_ASSERT_EQUAL(MP("  kw: 'sshd authentication'\n  condition: kw", "sshd",
	                   "authentication failure"),
	                0);
	/* an explicit `message` field is still only the message */
	CU_ASSERT_EQUAL(MP("  s:\n    message|contains: 'pkexec'\n  condition: s", "pkexec", msg),
	                0);
}

TEST(test_correlate_modifiers_utf16) {
	/* base64 of UTF-16 "whoami": LE dwBoAG8AYQBtAGkA, BE AHcAaABvAGEAbQBp, BOM+LE
	 * //53AGgAbwBhAG0AaQA= */
	const char *le = "  s:\n    message|wide|base64|contains: 'whoami'\n  condition: s";
	CU_ASSERT_EQUAL(MP(le, "p", "powershell -enc dwBoAG8AYQBtAGkA"), 1);
	CU_ASSERT_EQUAL(MP(le, "p", "powershell -enc d2hvYW1p"), 0);
	CU_ASSERT_EQUAL(MP("  s:\n    message|utf16le|base64|contains: 'whoami'\n  condition: s",
	                   "p", "x dwBoAG8AYQBtAGkA"),
	                1);
	CU_ASSERT_EQUAL(MP("  s:\n    message|utf16be|base64|contains: 'whoami'\n  condition: s",
	                   "p", "x AHcAaABvAGEAbQBp"),
	                1);
	CU_ASSERT_EQUAL(MP("  s:\n    message|utf16be|base64|contains: 'whoami'\n  condition: s",
	                   "p", "x dwBoAG8AYQBtAGkA"),
	                0);
	CU_ASSERT_EQUAL(MP("  s:\n    message|utf16|base64|contains: 'whoami'\n  condition: s", "p",
	                   "x //53AGgAbwBhAG0AaQA="),
	                1);
	/* base64offset: the encodings of " " + v and "  " + v match too */
	const char *bo = "  s:\n    message|wide|base64offset|contains: 'whoami'\n  condition: s";
	CU_ASSERT_EQUAL(MP(bo, "p", "x dwBoAG8AYQBtAGkA"), 1);
	CU_ASSERT_EQUAL(MP(bo, "p", "x IHcAaABvAGEAbQBpAA=="), 1);
	CU_ASSERT_EQUAL(MP(bo, "p", "x ICB3AGgAbwBhAG0AaQA="), 1);
	CU_ASSERT_EQUAL(MP(bo, "p", "x d2hvYW1p"), 0);
	/* beyond ASCII and the BMP: U+00E9 U+1F600 -> surrogate pair */
	CU_ASSERT_EQUAL(MP("  s:\n    message|wide|base64|contains: \"\xc3\xa9\xf0\x9f\x98\x80\"\n"
	                   "  condition: s",
	                   "p", "x 6QA92ADe"),
	                1);
}

TEST(test_correlate_modifiers_fieldref) {
	/* the rule: FIELD|fieldref MODS: REF; the record: FIELD=VALUE, OTHER=OTHER_VALUE */
	static const struct {
		const char *mods, *ref, *field, *value, *other, *other_value;
		int want;
	} cases[] = {
	        {"", "target_user", "user", "alice", "target_user", "alice", 1},
	        {"", "target_user", "user", "alice", "target_user", "ALICE", 1}, /* caseless */
	        {"", "target_user", "user", "alice", "target_user", "root", 0},
	        {"", "target_user", "user", "alice", "other", "alice", 0}, /* absent reference */
	        {"|cased", "target_user", "user", "alice", "target_user", "ALICE", 0},
	        {"|contains", "user", "cmd", "/home/alice/x", "user", "alice", 1},
	        {"|startswith", "user", "cmd", "/home/alice/x", "user", "alice", 0},
	        {"|endswith", "user", "cmd", "/home/alice", "user", "alice", 1},
	        {"|neq", "target_user", "user", "alice", "target_user", "root", 1},
	        {"", "host", "user", "h1", "other", "x", 1}, /* a standard field as the reference */
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char det[256];
		snprintf(det, sizeof(det), "  s:\n    %s|fieldref%s: %s\n  condition: s",
		         cases[i].field, cases[i].mods, cases[i].ref);
		int got = MFF(det, cases[i].field, cases[i].value, cases[i].other,
		              cases[i].other_value);
		if (got != cases[i].want)
			fprintf(stderr, "fieldref case %zu: %d\n", i, got);
		CU_ASSERT_EQUAL(got, cases[i].want);
	}
}

TEST(test_correlate_modifiers_expand) {
	const char *const ph[] = {"admins: root toor", "dirs: /tmp /dev/shm", NULL};
	const char *d = "  s:\n    user|expand: '%admins%'\n  condition: s";
	CU_ASSERT_EQUAL(MPH(ph, d, "user", "root"), 1);
	CU_ASSERT_EQUAL(MPH(ph, d, "user", "TOOR"), 1);
	CU_ASSERT_EQUAL(MPH(ph, d, "user", "rootkit"), 0);
	/* inside a longer value, with other modifiers, two placeholders */
	const char *c = "  s:\n    path|expand|startswith: '%dirs%/.'\n  condition: s";
	CU_ASSERT_EQUAL(MPH(ph, c, "path", "/dev/shm/.x"), 1);
	CU_ASSERT_EQUAL(MPH(ph, c, "path", "/var/tmp/.x"), 0);
	const char *two = "  s:\n    v|expand: '%admins%@%dirs%'\n  condition: s";
	CU_ASSERT_EQUAL(MPH(ph, two, "v", "toor@/tmp"), 1);
	CU_ASSERT_EQUAL(MPH(ph, two, "v", "toor@/var"), 0);
	/* a later definition replaces an earlier one */
	const char *const ph2[] = {"admins: root", "admins: backup", NULL};
	CU_ASSERT_EQUAL(MPH(ph2, d, "user", "root"), 0);
	CU_ASSERT_EQUAL(MPH(ph2, d, "user", "backup"), 1);
	/* bad specs */
	struct correlate_engine *e = NULL;
	struct ev_errlist errs = {0};
	CU_ASSERT_EQUAL_FATAL(correlate_engine_new(NULL, &e, &errs), 0);
	CU_ASSERT_EQUAL(correlate_engine_add_placeholder_spec(e, "nocolon", "o", &errs), -EINVAL);
	CU_ASSERT_EQUAL(correlate_engine_add_placeholder_spec(e, "x:", "o", &errs), -EINVAL);
	CU_ASSERT_EQUAL(correlate_engine_add_placeholder_spec(e, "%x%: a", "o", &errs), -EINVAL);
	CU_ASSERT_EQUAL(errs.n, 3);
	ev_errlist_clear(&errs);
	correlate_engine_free(e);
}

TEST(test_correlate_modifiers_refused) {
	const char *const ph[] = {"admins: root", NULL};
	CU_ASSERT_PTR_NOT_NULL(strstr(load_err(ph, "  s:\n    u|expand: '%nope%'\n  condition: s"),
	                              "placeholder '%nope%' is not defined"));
	CU_ASSERT_PTR_NOT_NULL(strstr(load_err(NULL, "  s:\n    u|expand: 'plain'\n  condition: s"),
	                              "'expand' needs a %placeholder%"));
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(load_err(NULL, "  s:\n    m|wide|contains: 'x'\n  condition: s"),
	               "need base64 or base64offset"));
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(load_err(NULL, "  s:\n    m|wide|utf16be|base64: 'x'\n  condition: s"),
	               "only one of wide, utf16le, utf16be, utf16"));
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(load_err(NULL, "  s:\n    u|fieldref|re: 'x'\n  condition: s"),
	               "'fieldref' combines only with"));
	CU_ASSERT_PTR_NOT_NULL(strstr(load_err(NULL, "  s:\n    u|fieldref: ''\n  condition: s"),
	                              "'fieldref' needs the name of a field"));
	CU_ASSERT_PTR_NOT_NULL(strstr(load_err(NULL, "  s:\n    t|minute: 5\n  condition: s"),
	                              "modifier 'minute' is not supported"));
	/* the rule's position is in the message */
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(load_err(NULL, "  s:\n    t|hour: 5\n  condition: s"), "test.yml:6:5: "));
}

TEST(test_correlate_logsource_legacy_tag) {
	/* Linux 2.6-era PAM lines are tagged "sshd(pam_unix)", "su(pam_unix)" */
	char yaml[512];
	snprintf(yaml, sizeof(yaml),
	         "title: t\nlogsource: {product: linux, service: %s}\n"
	         "detection:\n  k: ['authentication failure']\n  condition: k\n",
	         "sshd");
	static const struct {
		const char *prog;
		int want;
	} cases[] = {{"sshd(pam_unix)", 1}, {"sshd", 1},   {"sshdx", 0},
	             {"sshd(", 0},          {"sshd()", 0}, {"xsshd(pam_unix)", 0},
	             {"su(pam_unix)", 0}};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		static const char *engines[2] = {"pcre2", "vectorscan"};
		for (int k = 0; k < 2; k++) {
			struct th *t = th_new(yaml, engines[k]);
			CU_ASSERT_EQUAL(t->errs.n, 0);
			th_feed(t, 0, cases[i].prog,
			        "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= "
			        "rhost=218.188.2.4",
			        (char *)NULL);
			correlate_engine_finish(t->e);
			if ((int)th_n(t) != cases[i].want)
				fprintf(stderr, "program '%s': %zu alerts\n", cases[i].prog,
				        th_n(t));
			CU_ASSERT_EQUAL((int)th_n(t), cases[i].want);
			th_free(t);
		}
	}
}

TEST(test_correlate_load_trailing_separator) {
	/* a file that ends with `---` has an empty last document, not a broken rule */
	static const char y[] = "title: a\nlogsource: {product: linux}\ndetection: {k: [x], "
	                        "condition: k}\n---\n";
	struct th *t = th_new_opts(y, "pcre2", -1, 0);
	CU_ASSERT_EQUAL(t->errs.n, 0);
	CU_ASSERT_EQUAL(correlate_engine_n_rules(t->e), 1);
	th_free(t);
	/* a document that is a list is refused, and the message reads well */
	static const char l[] = "- a\n- b\n";
	t = th_new_opts(l, "pcre2", -1, 0);
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(th_errors(t), "test.yml:1:1: a rule must be a mapping, not a list"));
	th_free(t);
}
