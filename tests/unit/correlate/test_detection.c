/* Detection rules: every modifier, wildcards and escapes, keywords, null/empty values,
 * condition precedence and quantifiers; both matchers must agree on every case. */
#include "tests/unit/correlate/helpers.h"
#include "util/timefmt.h"

/* Does a one-rule detection with `detection` (YAML block, indented 2) match a record
 * with message `msg` and the given field? Asserts that both engines agree. */
static int match_rec(const char *detection, const char *msg, const char *field, const char *value) {
	char yaml[4096];
	snprintf(yaml, sizeof(yaml),
	         "title: t\nid: r1\nlogsource: {product: linux}\ndetection:\n%s\n", detection);
	int res[2];
	static const char *engines[2] = {"pcre2", "vectorscan"};
	for (int k = 0; k < 2; k++) {
		struct th *t = th_new(yaml, engines[k]);
		if (t->errs.n) {
			fprintf(stderr, "unexpected load error: %s", th_errors(t));
			th_free(t);
			return -1;
		}
		if (field)
			th_feed(t, 0, "prog", msg, field, value, (char *)NULL);
		else
			th_feed(t, 0, "prog", msg, (char *)NULL);
		correlate_engine_finish(t->e);
		res[k] = (int)th_n(t);
		th_free(t);
	}
	CU_ASSERT_EQUAL(res[0], res[1]);
	return res[0];
}
#define M(det, msg)   match_rec(det, msg, NULL, NULL)
#define MF(det, f, v) match_rec(det, "x", f, v)

static const char *load_error(const char *yaml) {
	static char buf[1024];
	struct th *t = th_new(yaml, "pcre2");
	snprintf(buf, sizeof(buf), "%s", t->errs.n ? th_errors(t) : "");
	CU_ASSERT_EQUAL(correlate_engine_n_rules(t->e), t->errs.n ? 0 : 1);
	th_free(t);
	return buf;
}

TEST(test_correlate_keywords) {
	const char *d =
	        "  keywords:\n    - 'Failed password'\n    - 'Invalid user'\n  condition: keywords";
	CU_ASSERT_EQUAL(M(d, "sshd: Failed password for root"), 1);
	CU_ASSERT_EQUAL(M(d, "sshd: FAILED PASSWORD for root"), 1); /* case-insensitive */
	CU_ASSERT_EQUAL(M(d, "invalid USER bob"), 1);
	CU_ASSERT_EQUAL(M(d, "Accepted password"), 0);
	/* |all on keywords: every value must occur */
	const char *a = "  keywords:\n    '|all':\n      - 'pkexec'\n      - 'XAUTHORITY'\n  "
	                "condition: keywords";
	CU_ASSERT_EQUAL(M(a, "pkexec: XAUTHORITY bad"), 1);
	CU_ASSERT_EQUAL(M(a, "pkexec: fine"), 0);
	/* a single scalar keyword */
	CU_ASSERT_EQUAL(M("  kw: 'segfault'\n  condition: kw", "a segfault at 0"), 1);
}

TEST(test_correlate_wildcards) {
	const char *d = "  sel:\n    user: 'adm*n'\n  condition: sel";
	CU_ASSERT_EQUAL(MF(d, "user", "admin"), 1);
	CU_ASSERT_EQUAL(MF(d, "user", "ADMXXN"), 1);
	CU_ASSERT_EQUAL(MF(d, "user", "admin2"), 0); /* whole-value match */
	CU_ASSERT_EQUAL(MF(d, "user", "xadmin"), 0);
	const char *q = "  sel:\n    user: 'r?ot'\n  condition: sel";
	CU_ASSERT_EQUAL(MF(q, "user", "root"), 1);
	CU_ASSERT_EQUAL(MF(q, "user", "rot"), 0);
	/* escapes: \* is a literal star, \\ a literal backslash, other backslashes literal */
	const char *e = "  sel:\n    v: 'a\\*b'\n  condition: sel";
	CU_ASSERT_EQUAL(MF(e, "v", "a*b"), 1);
	CU_ASSERT_EQUAL(MF(e, "v", "axb"), 0);
	const char *e2 = "  sel:\n    v: 'C:\\\\Windows\\*'\n  condition: sel";
	CU_ASSERT_EQUAL(MF(e2, "v", "C:\\Windows*"), 1);
	CU_ASSERT_EQUAL(MF(e2, "v", "C:\\Windowsx"), 0);
	const char *e3 = "  sel:\n    v: 'a\\b'\n  condition: sel";
	CU_ASSERT_EQUAL(MF(e3, "v", "a\\b"), 1);
	const char *e4 = "  sel:\n    v: 'what\\?'\n  condition: sel";
	CU_ASSERT_EQUAL(MF(e4, "v", "what?"), 1);
	CU_ASSERT_EQUAL(MF(e4, "v", "whatx"), 0);
	/* regex metacharacters are literal */
	CU_ASSERT_EQUAL(MF("  sel:\n    v: 'a.b(c)'\n  condition: sel", "v", "a.b(c)"), 1);
	CU_ASSERT_EQUAL(MF("  sel:\n    v: 'a.b(c)'\n  condition: sel", "v", "axb(c)"), 0);
	/* a keyword with * inside */
	CU_ASSERT_EQUAL(M("  kw:\n    - 'Trojan*FOUND'\n  condition: kw", "x: Trojan.Foo FOUND"),
	                1);
	CU_ASSERT_EQUAL(M("  kw:\n    - 'Trojan*FOUND'\n  condition: kw", "x: FOUND Trojan"), 0);
}

TEST(test_correlate_modifiers_string) {
	CU_ASSERT_EQUAL(MF("  s:\n    v|contains: 'dmi'\n  condition: s", "v", "ADMIN"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    v|contains: 'dmx'\n  condition: s", "v", "ADMIN"), 0);
	CU_ASSERT_EQUAL(MF("  s:\n    v|startswith: 'ad'\n  condition: s", "v", "admin"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    v|startswith: 'dm'\n  condition: s", "v", "admin"), 0);
	CU_ASSERT_EQUAL(MF("  s:\n    v|endswith: 'min'\n  condition: s", "v", "admin"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    v|endswith: 'adm'\n  condition: s", "v", "admin"), 0);
	/* cased */
	CU_ASSERT_EQUAL(MF("  s:\n    v|cased: 'Admin'\n  condition: s", "v", "Admin"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    v|cased: 'Admin'\n  condition: s", "v", "admin"), 0);
	CU_ASSERT_EQUAL(MF("  s:\n    v|contains|cased: 'dM'\n  condition: s", "v", "adMin"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    v|contains|cased: 'dM'\n  condition: s", "v", "admin"), 0);
	/* value lists are OR, |all makes them AND */
	CU_ASSERT_EQUAL(
	        MF("  s:\n    v|contains:\n      - 'a'\n      - 'z'\n  condition: s", "v", "xa"),
	        1);
	CU_ASSERT_EQUAL(MF("  s:\n    v|contains|all:\n      - 'a'\n      - 'z'\n  condition: s",
	                   "v", "xa"),
	                0);
	CU_ASSERT_EQUAL(MF("  s:\n    v|contains|all:\n      - 'a'\n      - 'z'\n  condition: s",
	                   "v", "zxa"),
	                1);
	/* neq */
	CU_ASSERT_EQUAL(MF("  s:\n    v|neq: 'root'\n  condition: s", "v", "bob"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    v|neq: 'root'\n  condition: s", "v", "ROOT"), 0);
	/* windash: - and / and the unicode dashes */
	const char *w = "  s:\n    v|windash|contains: ' -f '\n  condition: s";
	CU_ASSERT_EQUAL(MF(w, "v", "cmd -f x"), 1);
	CU_ASSERT_EQUAL(MF(w, "v", "cmd /f x"), 1);
	CU_ASSERT_EQUAL(MF(w, "v",
	                   "cmd \xe2\x80\x93"
	                   "f x"),
	                1);
	CU_ASSERT_EQUAL(MF(w, "v", "cmd +f x"), 0);
}

TEST(test_correlate_modifiers_re) {
	CU_ASSERT_EQUAL(MF("  s:\n    v|re: '^ro+t$'\n  condition: s", "v", "rooot"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    v|re: '^ro+t$'\n  condition: s", "v", "ROOT"),
	                0); /* re is case-sensitive */
	CU_ASSERT_EQUAL(MF("  s:\n    v|re|i: '^ro+t$'\n  condition: s", "v", "ROOT"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    v|re: '^b'\n  condition: s", "v", "a\nb"), 0);
	CU_ASSERT_EQUAL(MF("  s:\n    v|re|m: '^b'\n  condition: s", "v", "a\nb"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    v|re: 'a.b'\n  condition: s", "v", "a\nb"), 0);
	CU_ASSERT_EQUAL(MF("  s:\n    v|re|s: 'a.b'\n  condition: s", "v", "a\nb"), 1);
	/* message regex with a backreference: Vectorscan can only prefilter it */
	CU_ASSERT_EQUAL(M("  s:\n    message|re: '(ab)x\\1'\n  condition: s", "zz abxab"), 1);
	CU_ASSERT_EQUAL(M("  s:\n    message|re: '(ab)x\\1'\n  condition: s", "zz abxac"), 0);
	/* named captures become fields of the match */
	char yaml[] = "title: t\nid: r1\ndetection:\n  s:\n    message|re: 'user (?<who>\\w+) "
	              "from'\n  condition: s\n";
	struct th *t = th_new(yaml, "pcre2");
	correlate_engine_set_clock(t->e, t->base); /* the daemon's way: alerts at once */
	th_feed(t, 0, "p", "bad user mallory from x", (char *)NULL);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	CU_ASSERT_STRING_EQUAL(
	        json_string_value(json_object_get(json_object_get(th_get(t, 0), "fields"), "who")),
	        "mallory");
	th_free(t);
}

/* Message `re` values reach Vectorscan as their longest required literal when they have
 * one (correlate/prefilter.c): optional and repeated bytes, groups, classes, alternation,
 * inline options and escapes must never make that literal demand more than the regex. */
TEST(test_correlate_re_required_literal) {
#define RE(re, msg) M("  s:\n    message|re: '" re "'\n  condition: s", msg)
	CU_ASSERT_EQUAL(RE("abcdx?yz", "zz abcdyz"), 1);      /* x optional */
	CU_ASSERT_EQUAL(RE("abcdx*yz", "zz abcdyz"), 1);      /* x repeated or absent */
	CU_ASSERT_EQUAL(RE("abcdx{0,3}yzzz", "abcdyzzz"), 1); /* bounded repeat */
	CU_ASSERT_EQUAL(RE("abcdx{2}yzzz", "abcdxxyzzz"), 1);
	CU_ASSERT_EQUAL(RE("abcdx{2,}yzzz", "abcdxxxyzzz"), 1);
	CU_ASSERT_EQUAL(RE("abcd{x}yzzz", "abcd{x}yzzz"), 1); /* a literal brace */
	CU_ASSERT_EQUAL(RE("abcdx+yzzz", "abcdxxxyzzz"), 1);  /* x+ then yzzz */
	CU_ASSERT_EQUAL(RE("abcdx+yzzz", "abcdyzzz"), 0);
	CU_ASSERT_EQUAL(RE("wxyz|abcd", "zz abcd"), 1); /* top-level alternation */
	CU_ASSERT_EQUAL(RE("(?i)abcdef", "ABCDEF"), 1); /* inline option */
	CU_ASSERT_EQUAL(RE("abc(?i)defgh", "abcDEFGH"), 1);
	CU_ASSERT_EQUAL(RE("\\Qa.b*c\\E", "a.b*c"), 1); /* quoted literal */
	CU_ASSERT_EQUAL(RE("\\x41BCDEF", "ABCDEF"), 1); /* hex escape */
	CU_ASSERT_EQUAL(RE("user \\d+ from [a-z]+ host", "user 42 from ab host"), 1);
	CU_ASSERT_EQUAL(RE("user \\d+ from [a-z]+ host", "user 42 from AB host"), 0);
	CU_ASSERT_EQUAL(RE("[[:alpha:]]+ failed login", "x failed login"), 1);
	CU_ASSERT_EQUAL(RE("(abcd)?efgh", "efgh"), 1);
	CU_ASSERT_EQUAL(RE("pre\\.fix\\[1\\]", "a pre.fix[1]"), 1); /* escaped punctuation */
	CU_ASSERT_EQUAL(RE("pre\\.fix\\[1\\]", "a preXfix[1]"), 0);
	CU_ASSERT_EQUAL(RE("^Failed password for (?:invalid user )?\\S+ from",
	                   "Failed password for root from"),
	                1);
	CU_ASSERT_EQUAL(RE("colou?r is", "the color is"), 1);
#undef RE
}

TEST(test_correlate_modifiers_other) {
	CU_ASSERT_EQUAL(MF("  s:\n    ip|cidr: '10.0.0.0/8'\n  condition: s", "ip", "10.1.2.3"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    ip|cidr: '10.0.0.0/8'\n  condition: s", "ip", "11.1.2.3"), 0);
	CU_ASSERT_EQUAL(
	        MF("  s:\n    ip|cidr: '192.168.1.0/25'\n  condition: s", "ip", "192.168.1.127"),
	        1);
	CU_ASSERT_EQUAL(
	        MF("  s:\n    ip|cidr: '192.168.1.0/25'\n  condition: s", "ip", "192.168.1.128"),
	        0);
	CU_ASSERT_EQUAL(
	        MF("  s:\n    ip|cidr: '2001:db8::/32'\n  condition: s", "ip", "2001:db8:1::5"), 1);
	CU_ASSERT_EQUAL(
	        MF("  s:\n    ip|cidr: '2001:db8::/32'\n  condition: s", "ip", "2001:db9::5"), 0);
	CU_ASSERT_EQUAL(MF("  s:\n    ip|cidr: '2001:db8::/32'\n  condition: s", "ip", "10.0.0.1"),
	                0);
	CU_ASSERT_EQUAL(MF("  s:\n    n|gt: 5\n  condition: s", "n", "6"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    n|gt: 5\n  condition: s", "n", "5"), 0);
	CU_ASSERT_EQUAL(MF("  s:\n    n|gte: 5\n  condition: s", "n", "5"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    n|lt: 5\n  condition: s", "n", "4.5"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    n|lte: 5\n  condition: s", "n", "6"), 0);
	CU_ASSERT_EQUAL(MF("  s:\n    n|lt: 5\n  condition: s", "n", "abc"), 0);
	CU_ASSERT_EQUAL(MF("  s:\n    uid|exists: true\n  condition: s", "uid", "0"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    uid|exists: true\n  condition: s", "other", "0"), 0);
	CU_ASSERT_EQUAL(MF("  s:\n    uid|exists: false\n  condition: s", "other", "0"), 1);
	/* null: absent or empty; '' : present and empty */
	CU_ASSERT_EQUAL(MF("  s:\n    uid: null\n  condition: s", "other", "0"), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    uid: null\n  condition: s", "uid", ""), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    uid: null\n  condition: s", "uid", "0"), 0);
	CU_ASSERT_EQUAL(MF("  s:\n    uid: ''\n  condition: s", "uid", ""), 1);
	CU_ASSERT_EQUAL(MF("  s:\n    uid: ''\n  condition: s", "other", ""), 0);
	/* base64: "whoami" -> d2hvYW1p ; base64offset covers the three alignments */
	CU_ASSERT_EQUAL(M("  s:\n    message|base64|contains: 'whoami'\n  condition: s",
	                  "echo d2hvYW1p | base64 -d"),
	                1);
	CU_ASSERT_EQUAL(
	        M("  s:\n    message|base64|contains: 'whoami'\n  condition: s", "echo D2HVYW1P"),
	        0); /* cased */
	const char *bo = "  s:\n    message|base64offset|contains: 'whoami'\n  condition: s";
	CU_ASSERT_EQUAL(M(bo, "x d2hvYW1p"), 1);     /* base64('whoami') */
	CU_ASSERT_EQUAL(M(bo, "x IHdob2FtaQ=="), 1); /* base64(' whoami') */
	CU_ASSERT_EQUAL(M(bo, "x ICB3aG9hbWk="), 1); /* base64('  whoami') */
	CU_ASSERT_EQUAL(M(bo, "x d2hvYW1x"), 0);
	/* numbers as plain values compare as strings */
	CU_ASSERT_EQUAL(MF("  s:\n    status: 500\n  condition: s", "status", "500"), 1);
}

TEST(test_correlate_conditions) {
	const char *base = "  a:\n    v|contains: 'A'\n  b:\n    v|contains: 'B'\n  c:\n    "
	                   "v|contains: 'C'\n  _x:\n    v|contains: 'X'\n";
	char d[1024];
#define COND(c, val) (snprintf(d, sizeof(d), "%s  condition: %s", base, c), MF(d, "v", val))
	/* and binds tighter than or: a or b and c == a or (b and c) */
	CU_ASSERT_EQUAL(COND("a or b and c", "a"), 1);
	CU_ASSERT_EQUAL(COND("a or b and c", "b"), 0);
	CU_ASSERT_EQUAL(COND("(a or b) and c", "a"), 0);
	CU_ASSERT_EQUAL(COND("(a or b) and c", "ac"), 1);
	/* not binds tighter than and */
	CU_ASSERT_EQUAL(COND("not a and b", "b"), 1);
	CU_ASSERT_EQUAL(COND("not a and b", "ab"), 0);
	CU_ASSERT_EQUAL(COND("not (a and b)", "ab"), 0);
	CU_ASSERT_EQUAL(COND("not (a and b)", "a"), 1);
	/* quantifiers; them excludes names starting with _ */
	CU_ASSERT_EQUAL(COND("1 of them", "x"), 0);
	CU_ASSERT_EQUAL(COND("1 of them", "c"), 1);
	CU_ASSERT_EQUAL(COND("all of them", "abc"), 1);
	CU_ASSERT_EQUAL(COND("all of them", "ab"), 0);
	CU_ASSERT_EQUAL(COND("all of _*", "x"), 1);
	CU_ASSERT_EQUAL(COND("1 of a* and not _x", "ax"), 0);
	CU_ASSERT_EQUAL(COND("1 of a* and not _x", "a"), 1);
	/* a list of conditions is an OR */
	snprintf(d, sizeof(d), "%s  condition:\n    - a and b\n    - c", base);
	CU_ASSERT_EQUAL(MF(d, "v", "c"), 1);
	CU_ASSERT_EQUAL(MF(d, "v", "a"), 0);
	/* lists of maps are OR, maps are AND */
	const char *lm = "  s:\n    - v: 'a'\n      w: 'b'\n    - v: 'c'\n  condition: s";
	CU_ASSERT_EQUAL(match_rec(lm, "m", "v", "c"), 1);
	CU_ASSERT_EQUAL(match_rec(lm, "m", "v", "a"), 0); /* w missing */
}

TEST(test_correlate_load_errors) {
	const char *e;
	e = load_error("title: t\ndetection:\n  s:\n    v|contans: x\n  condition: s\n");
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(e, "test.yml:4:5: unknown modifier 'contans' (did you mean 'contains'?)"));
	e = load_error("title: t\ndetection:\n  s:\n    v: x\n  condition: s and nope\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "test.yml:5:20: condition: unknown identifier 'nope'"));
	e = load_error("title: t\ndetection:\n  s:\n    v: x\n  condition: s | count() > 5\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "aggregation"));
	e = load_error("title: t\ndetection:\n  s:\n    v: x\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "no 'condition'"));
	e = load_error("title: t\ndetection:\n  s:\n    v|re: '(unclosed'\n  condition: s\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "invalid regular expression"));
	e = load_error("title: t\ndetection:\n  s:\n    v|cidr: '10.0.0.0/33'\n  condition: s\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "test.yml:4:13: invalid CIDR"));
	e = load_error(
	        "title: t\ndetection:\n  s:\n    v|contains|startswith: x\n  condition: s\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "only one of contains"));
	e = load_error("title: t\nlevel: urgent\ndetection:\n  s:\n    v: x\n  condition: s\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "test.yml:2:8: unknown level 'urgent'"));
	e = load_error("title: t\ncorrelation:\n  type: value_sum\n  rules: [a]\n  timespan: 1h\n");
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(e, "test.yml:3:9: correlation type 'value_sum' is not supported"));
	e = load_error("title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1 "
	               "hour\n  condition: {gte: 1}\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "invalid timespan"));
	e = load_error("title: t\ndetection:\n  s:\n    v|i: x\n  condition: s\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "apply only to 're'"));
	e = load_error("title: t\ndetection:\n  s:\n    v|gt: abc\n  condition: s\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "not a number"));
	e = load_error("title: t\ndetection:\n  s:\n    message|base64offset|contains: ''\n  "
	               "condition: s\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "test.yml:4:36: value '' gives nothing to match"));
	e = load_error("title: t\ndetection:\n  s:\n    v|exists: maybe\n  condition: s\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "'exists' needs true or false"));
	e = load_error("title: t\ndetection:\n  s:\n    v|re|contains: x\n  condition: s\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "'re' cannot be combined"));
	e = load_error("title: t\ndetection:\n  s: []\n  condition: s\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "empty selection"));
	e = load_error("title: t\ndetection:\n  s:\n    v: x\n  condition: 2 of them\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "unsupported quantifier '2'"));
	e = load_error("title: t\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: "
	               "1h\n  condition: {gte: 2}\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "needs 'field'"));
	/* one bad rule in a file does not stop the good one */
	const char *two = "title: bad\ndetection:\n  s:\n    v|nope: x\n  condition: "
	                  "s\n---\ntitle: good\ndetection:\n  s:\n    v: x\n  condition: s\n";
	struct th *t = th_new(two, "pcre2");
	CU_ASSERT_EQUAL(t->errs.n, 1);
	CU_ASSERT_EQUAL(correlate_engine_n_rules(t->e), 1);
	th_free(t);
}

TEST(test_correlate_logsource) {
	const char *y = "title: t\nlogsource: {product: linux, service: sshd}\ndetection:\n  k: "
	                "['boom']\n  condition: k\n";
	struct th *t = th_new(y, "pcre2");
	th_feed(t, 0, "sshd", "boom", (char *)NULL);
	th_feed(t, 1, "sudo", "boom", (char *)NULL);
	struct ev_record r;
	ev_record_init(&r);
	ev_record_set(&r, "unit", "ssh.service", 11);
	ev_record_set(&r, "message", "boom", 4);
	correlate_engine_feed(t->e, &r);
	ev_record_free(&r);
	CU_ASSERT_EQUAL(th_n(t), 2);
	th_free(t);
	/* auth covers the auth facilities too */
	t = th_new("title: t\nlogsource: {product: linux, service: auth}\ndetection:\n  k: "
	           "['boom']\n  condition: k\n",
	           "pcre2");
	ev_record_init(&r);
	r.facility = 10;
	ev_record_set(&r, "program", "whatever", 8);
	ev_record_set(&r, "message", "boom", 4);
	correlate_engine_feed(t->e, &r);
	r.facility = 3;
	correlate_engine_feed(t->e, &r);
	ev_record_free(&r);
	CU_ASSERT_EQUAL(th_n(t), 1);
	th_free(t);
	/* windows rules load but never match, with a warning */
	t = th_new("title: t\nlogsource: {product: windows}\ndetection:\n  k: ['boom']\n  "
	           "condition: k\n",
	           "pcre2");
	CU_ASSERT_EQUAL(t->errs.n, 0);
	CU_ASSERT_EQUAL(t->warns.n, 1);
	th_feed(t, 0, "x", "boom", (char *)NULL);
	CU_ASSERT_EQUAL(th_n(t), 0);
	th_free(t);
}

TEST(test_correlate_alert_json) {
	struct th *t = th_new("title: T\nid: abc\nlevel: high\ntags: [attack.t1110]\ndetection:\n  "
	                      "k: ['boom']\n  condition: k\n",
	                      "pcre2");
	correlate_engine_set_clock(t->e, t->base); /* the daemon's way: alerts at once */
	th_feed(t, 1, "prog", "a boom \xff here", "user", "bob", (char *)NULL);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	char *s = json_dumps(th_get(t, 0), JSON_SORT_KEYS | JSON_COMPACT);
	CU_ASSERT_STRING_EQUAL(s, "{\"count\":1,\"events\":[{\"message\":\"a boom \xef\xbf\xbd "
	                          "here\",\"source\":\"test\","
	                          "\"time\":\"2024-03-01T10:00:00.000001Z\"}],\"fields\":{\"host\":"
	                          "\"h1\",\"program\":\"prog\","
	                          "\"user\":\"bob\"},\"first\":\"2024-03-01T10:00:00.000001Z\","
	                          "\"group\":{},\"kind\":\"match\","
	                          "\"last\":\"2024-03-01T10:00:00.000001Z\",\"rule\":{\"id\":"
	                          "\"abc\",\"level\":\"high\","
	                          "\"tags\":[\"attack.t1110\"],\"title\":\"T\"},\"time\":\"2024-03-"
	                          "01T10:00:00.000001Z\"}");
	free(s);
	th_free(t);
	int64_t us;
	CU_ASSERT_EQUAL(correlate_parse_time("2024-03-01T10:00:00.5+01:00", &us), 0);
	char b[40];
	ev_format_rfc3339_us(us, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "2024-03-01T09:00:00.500000Z");
	CU_ASSERT_EQUAL(correlate_parse_time("2024-03-01 nope", &us), -EINVAL);
}

/* A PCRE2 engine with the decoders of `dec` (written to `file`; n_dec of them load) and
 * the rules `rules`, alerts collected. */
static struct th *dec_engine(const char *file, const char *dec, int n_dec, const char *rules) {
	const char *path = unit_write_str(file, dec);
	struct th *t = calloc(1, sizeof(*t));
	struct correlate_opts o = {.engine = "pcre2", .allowed_lateness_us = -1};
	CU_ASSERT_EQUAL_FATAL(correlate_engine_new(&o, &t->e, &t->errs), 0);
	t->alerts = json_array();
	CU_ASSERT_EQUAL(correlate_engine_add_decoders(t->e, path, &t->errs), n_dec);
	correlate_engine_add_rules_buffer(t->e, "t.yml", rules, strlen(rules), &t->errs);
	CU_ASSERT_EQUAL(correlate_engine_compile(t->e, &t->errs, &t->warns), 0);
	correlate_engine_set_callback(t->e, th_collect, t);
	return t;
}

TEST(test_correlate_decoders) {
	const char *dec = "decoder: demo\nprograms: [demo]\npatterns:\n  - '^login (?<who>\\w+) "
	                  "from (?<addr>\\S+)'\n"
	                  "fields:\n  SourceIP: addr\n";
	const char *y = "title: t\ndetection:\n  s:\n    SourceIP|cidr: 10.0.0.0/8\n    who: "
	                "root\n  condition: s\n";
	struct th *t = dec_engine("demo-decoder.yml", dec, 1, y);
	th_feed(t, 0, "demo", "login root from 10.1.1.1", (char *)NULL);
	th_feed(t, 1, "demo", "login root from 192.168.1.1", (char *)NULL);
	th_feed(t, 2, "other", "login root from 10.1.1.1",
	        (char *)NULL); /* decoder is for program demo */
	CU_ASSERT_EQUAL_FATAL(th_n(t), 1);
	json_t *f = json_object_get(th_get(t, 0), "fields");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "addr")), "10.1.1.1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "who")), "root");
	th_free(t);

	/* errors are positioned */
	const char *bad = "decoder: bad\nprograms: [x]\npatterns:\n  - '(unclosed'\nextra: 1\n";
	const char *path = unit_write_str("bad-decoder.yml", bad);
	struct ev_errlist errs = {0};
	struct correlate_engine *e = NULL;
	struct correlate_opts o = {.engine = "pcre2", .allowed_lateness_us = -1};
	CU_ASSERT_EQUAL_FATAL(correlate_engine_new(&o, &e, &errs), 0);
	CU_ASSERT_EQUAL(correlate_engine_add_decoders(e, path, &errs), 0);
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	CU_ASSERT_EQUAL(errs.v[0].line, 5);
	CU_ASSERT_PTR_NOT_NULL(strstr(errs.v[0].msg, "unknown decoder key 'extra'"));
	ev_errlist_clear(&errs);
	bad = "decoder: bad\nprograms: [x]\npatterns:\n  - '(unclosed'\n";
	path = unit_write_str("bad-decoder2.yml", bad);
	CU_ASSERT_EQUAL(correlate_engine_add_decoders(e, path, &errs), 0);
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	CU_ASSERT_EQUAL(errs.v[0].line, 4);
	CU_ASSERT_EQUAL(errs.v[0].col, 5);
	CU_ASSERT_PTR_NOT_NULL(strstr(errs.v[0].msg, "invalid pattern"));
	ev_errlist_clear(&errs);
	correlate_engine_free(e);
}

/* The value of decoded field `name` in alert i's fields, or NULL. */
static const char *dec_field(struct th *t, size_t i, const char *name) {
	return json_string_value(json_object_get(json_object_get(th_get(t, i), "fields"), name));
}

static void dec_field_is(struct th *t, size_t i, const char *name, const char *want) {
	const char *got = dec_field(t, i, name);
	CU_ASSERT_PTR_NOT_NULL(got);
	if (got)
		CU_ASSERT_STRING_EQUAL(got, want);
}

/* Decoders skip a pattern when the message's first byte cannot start a match (anchored
 * patterns) and remember per program which decoders apply: the fields out and the
 * precedence (first decoder, first pattern that matches) stay those of trying every
 * pattern in turn. */
TEST(test_correlate_decoder_first_byte) {
	const char *dec = "decoder: one\nprograms: [demo, demo2]\npatterns:\n"
	                  "  - '(?i)^failed (?<a>\\S+)'\n"
	                  "  - '^(?:Started|stopped) (?<b>\\S+)'\n"
	                  "  - '^(?<c>\\d+) items'\n"
	                  "  - 'code=(?<d>\\d+)'\n"
	                  "  - '^A(?<first>\\S*)'\n"
	                  "  - '^(?<second>A\\S*)'\n"
	                  "---\n"
	                  "decoder: two\nprograms: [demo2]\npatterns:\n"
	                  "  - '^zzz (?<z>\\S+)'\n"
	                  "  - '^(?<any>.*)$'\n";
	const char *y = "title: t\ndetection:\n  s:\n    program:\n      - demo\n      - demo2\n"
	                "  condition: s\n";
	struct th *t = dec_engine("first-byte-decoder.yml", dec, 2, y);
	th_feed(t, 0, "demo", "FAILED x1", (char *)NULL);  /* caseless first unit */
	th_feed(t, 1, "demo", "fAiled x2", (char *)NULL);  /* ... either case */
	th_feed(t, 2, "demo", "stopped y", (char *)NULL);  /* an alternation's bitmap */
	th_feed(t, 3, "demo", "42 items", (char *)NULL);   /* a class */
	th_feed(t, 4, "demo", "x code=7", (char *)NULL);   /* unanchored: anywhere */
	th_feed(t, 5, "demo", "Abc", (char *)NULL);        /* the first pattern wins */
	th_feed(t, 6, "demo", "zzz q", (char *)NULL);      /* decoder two is not demo's */
	th_feed(t, 7, "demo2", "zzz q", (char *)NULL);     /* ... it is demo2's */
	th_feed(t, 8, "demo2", "stopped w", (char *)NULL); /* decoder one before two */
	th_feed(t, 9, "demo", "zzz r", (char *)NULL);      /* demo again (remembered) */
	th_feed(t, 10, "demo2", "", (char *)NULL);         /* empty: only `any` can match */
	th_feed(t, 11, "demo", "", (char *)NULL);
	CU_ASSERT_EQUAL_FATAL(th_n(t), 12);
	dec_field_is(t, 0, "a", "x1");
	dec_field_is(t, 1, "a", "x2");
	dec_field_is(t, 2, "b", "y");
	dec_field_is(t, 3, "c", "42");
	dec_field_is(t, 4, "d", "7");
	dec_field_is(t, 5, "first", "bc");
	CU_ASSERT_PTR_NULL(dec_field(t, 5, "second"));
	CU_ASSERT_PTR_NULL(dec_field(t, 6, "z"));
	CU_ASSERT_PTR_NULL(dec_field(t, 6, "any"));
	dec_field_is(t, 7, "z", "q");
	dec_field_is(t, 8, "b", "w");
	CU_ASSERT_PTR_NULL(dec_field(t, 8, "any"));
	CU_ASSERT_PTR_NULL(dec_field(t, 9, "z"));
	dec_field_is(t, 10, "any", "");
	CU_ASSERT_PTR_NULL(dec_field(t, 11, "any"));
	th_free(t);
}

TEST(test_correlate_logsource_spec) {
	struct ev_errlist errs = {0}, warns = {0};
	struct correlate_engine *e = NULL;
	struct correlate_opts o = {.engine = "pcre2", .allowed_lateness_us = -1};
	CU_ASSERT_EQUAL_FATAL(correlate_engine_new(&o, &e, &errs), 0);
	CU_ASSERT_EQUAL(
	        correlate_engine_add_logsource_spec(
	                e, "myapp: myapp worker unit:myapp.service facility:16", "cfg", &errs),
	        0);
	CU_ASSERT_EQUAL(correlate_engine_add_logsource_spec(e, "nocolon", "cfg", &errs), -EINVAL);
	CU_ASSERT_EQUAL(correlate_engine_add_logsource_spec(e, "x: facility:99", "cfg", &errs),
	                -EINVAL);
	CU_ASSERT_EQUAL(correlate_engine_add_logsource_spec(e, "x: bogus:1", "cfg", &errs),
	                -EINVAL);
	CU_ASSERT_EQUAL(errs.n, 3);
	ev_errlist_clear(&errs);
	const char *y = "title: t\nlogsource: {product: linux, service: myapp}\ndetection:\n  k: "
	                "['boom']\n  condition: k\n";
	correlate_engine_add_rules_buffer(e, "t.yml", y, strlen(y), &errs);
	CU_ASSERT_EQUAL(correlate_engine_compile(e, &errs, &warns), 0);
	CU_ASSERT_EQUAL(warns.n, 0);
	struct th t = {.e = e, .alerts = json_array()};
	correlate_engine_set_callback(e, th_collect, &t);
	th_feed(&t, 0, "worker", "boom", (char *)NULL);
	th_feed(&t, 1, "other", "boom", (char *)NULL);
	struct ev_record r;
	ev_record_init(&r);
	ev_record_set(&r, "unit", "myapp.service", 13);
	ev_record_set(&r, "message", "boom", 4);
	correlate_engine_feed(e, &r);
	r.facility = 16;
	ev_record_set(&r, "unit", "x", 1);
	correlate_engine_feed(e, &r);
	ev_record_free(&r);
	CU_ASSERT_EQUAL(th_n(&t), 3);
	json_decref(t.alerts);
	ev_errlist_clear(&errs);
	ev_errlist_clear(&warns);
	correlate_engine_free(e);
}
