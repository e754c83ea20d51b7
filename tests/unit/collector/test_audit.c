/* auditd lines and journal entries to records, the event assembler, Sysmon for Linux. */
#include <stdint.h>
#include <string.h>

#include "collector/audit.h"
#include "collector/parse.h"
#include "collector/sysmon.h"
#include "tests/unit/unit.h"

static const char *f(const struct ev_record *r, const char *name) {
	const struct ev_str *s = ev_record_get(r, name);
	return s ? s->p : NULL;
}

/* The feed's gate (collector_maybe_category) against the parsers it gates: a message that
 * collector_sysmon_decode or collector_audit_from_syslog takes must pass it. Returns
 * whether either took it. */
static bool gate_holds(const char *m, size_t len) {
	struct ev_record r;
	ev_record_init(&r);
	ev_record_set(&r, "program", "audisp-syslog", 13);
	ev_record_set(&r, "message", m, len);
	int k = collector_sysmon_decode(&r);
	if (k == 0)
		k = collector_audit_from_syslog(&r);
	ev_record_free(&r);
	CU_ASSERT(k >= 0);
	if (k > 0)
		CU_ASSERT(collector_maybe_category(m, len));
	return k > 0;
}

static int parse(struct ev_record *r, const char *line) {
	ev_record_reset(r);
	int k = collector_audit_parse_line(line, strlen(line), r);
	if (k > 0) /* every audit.log line of these fixtures is also a syslog message */
		CU_ASSERT(gate_holds(line, strlen(line)));
	return k;
}

TEST(test_audit_parse_line) {
	struct ev_record r;
	ev_record_init(&r);
	CU_ASSERT_EQUAL(parse(&r, "type=USER_ACCT msg=audit(1700000001.250:1002): pid=42 uid=0 "
	                          "auid=1000 msg='op=PAM:accounting acct=\"root\" "
	                          "exe=\"/usr/bin/sudo\" hostname=? addr=? res=success'"),
	                1);
	CU_ASSERT_EQUAL(r.time_us, 1700000001250000LL);
	CU_ASSERT_STRING_EQUAL(r.program.p, "auditd");
	CU_ASSERT_PTR_NULL(r.host.p);
	CU_ASSERT_STRING_EQUAL(f(&r, "type"), "USER_ACCT");
	CU_ASSERT_STRING_EQUAL(f(&r, "msg"), "audit(1700000001.250:1002)");
	CU_ASSERT_STRING_EQUAL(f(&r, "op"), "PAM:accounting");
	CU_ASSERT_STRING_EQUAL(f(&r, "acct"), "root");
	CU_ASSERT_STRING_EQUAL(f(&r, "exe"), "/usr/bin/sudo");
	CU_ASSERT_STRING_EQUAL(f(&r, "hostname"), "?");
	CU_ASSERT_STRING_EQUAL(f(&r, "res"), "success");
	/* node=, hex arguments of EXECVE only, enriched fields after 0x1d */
	CU_ASSERT_EQUAL(parse(&r, "node=web1 type=EXECVE msg=audit(1700000002.5:7): argc=2 "
	                          "a0=\"sh\" a1=6C73202D6C61"),
	                1);
	CU_ASSERT_EQUAL(r.time_us, 1700000002500000LL);
	CU_ASSERT_STRING_EQUAL(r.host.p, "web1");
	CU_ASSERT_STRING_EQUAL(f(&r, "a1"), "ls -la");
	CU_ASSERT_EQUAL(parse(&r, "type=SYSCALL msg=audit(1700000003.000:8): arch=c000003e "
	                          "syscall=42 a0=3 a1=AB success=no exe=\"/usr/bin/nc\" "
	                          "key=(null)\x1d"
	                          "ARCH=x86_64 AUID=\"alice\" UID=\"root\""),
	                1);
	CU_ASSERT_STRING_EQUAL(f(&r, "a1"), "AB"); /* a SYSCALL's aN are numbers */
	CU_ASSERT_STRING_EQUAL(f(&r, "SYSCALL"), "connect");
	CU_ASSERT_STRING_EQUAL(f(&r, "UID"), "root");
	CU_ASSERT_STRING_EQUAL(f(&r, "key"), "(null)");
	CU_ASSERT_EQUAL(parse(&r, "type=PROCTITLE msg=audit(1.000:9): proctitle=6C73002D6C6100"),
	                1);
	CU_ASSERT_STRING_EQUAL(f(&r, "proctitle"), "ls -la");
	/* not audit lines */
	CU_ASSERT_EQUAL(parse(&r, "type=X msg=audit(1.0:): a=b"), 0);
	CU_ASSERT_EQUAL(parse(&r, "type=X msg=other"), 0);
	CU_ASSERT_FALSE(collector_audit_looks("ts=1 level=info msg=hello", 25));
	CU_ASSERT_TRUE(collector_audit_looks("type=CWD msg=audit(1.0:1): cwd=\"/\"", 34));
	/* an unterminated quote runs to the end; nothing past len is read */
	CU_ASSERT_EQUAL(parse(&r, "type=CWD msg=audit(1.0:1): cwd=\"/tm"), 1);
	CU_ASSERT_STRING_EQUAL(f(&r, "cwd"), "/tm");
	ev_record_free(&r);
}

TEST(test_audit_auto_format) {
	struct collector_parser p;
	CU_ASSERT_EQUAL_FATAL(collector_parser_init(&p, "auto", "UTC", 0, 0, NULL), 0);
	struct ev_record r;
	ev_record_init(&r);
	const char *l = "type=CWD msg=audit(1700000000.100:5): cwd=\"/root\"";
	CU_ASSERT_EQUAL(collector_parse_line(&p, l, strlen(l), 1, &r), 0);
	CU_ASSERT_EQUAL(r.flags & (EV_REC_NO_TIME | EV_REC_UNPARSED), 0);
	CU_ASSERT_EQUAL(r.time_us, 1700000000100000LL);
	CU_ASSERT_STRING_EQUAL(f(&r, "cwd"), "/root");
	ev_record_free(&r);
	collector_parser_done(&p);
}

static void push_line(struct collector_audit *a, const char *line) {
	struct ev_record r;
	ev_record_init(&r);
	CU_ASSERT_EQUAL(collector_audit_parse_line(line, strlen(line), &r), 1);
	CU_ASSERT(gate_holds(line, strlen(line)));
	CU_ASSERT_EQUAL(collector_audit_push(a, &r), 1);
	ev_record_free(&r);
}

TEST(test_audit_assemble) {
	struct collector_audit *a = collector_audit_new(2000000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	struct ev_record o;
	ev_record_init(&o);
	push_line(a, "type=SYSCALL msg=audit(100.000:1): arch=c000003e syscall=59 success=yes "
	             "ppid=1 pid=10 auid=1000 uid=0 exe=\"/usr/bin/bash\"");
	push_line(a, "type=EXECVE msg=audit(100.000:1): argc=1 a0=\"bash\"");
	CU_ASSERT_EQUAL(collector_audit_pop(a, &o), 0); /* open until PROCTITLE */
	push_line(a, "type=PROCTITLE msg=audit(100.000:1): proctitle=62617368");
	CU_ASSERT_EQUAL_FATAL(collector_audit_pop(a, &o), 1);
	CU_ASSERT_EQUAL(o.flags & EV_REC_CATEGORIES, EV_REC_PROCESS_CREATION);
	CU_ASSERT_STRING_EQUAL(f(&o, "User"), "root");
	CU_ASSERT_EQUAL(collector_audit_pop(a, &o), 0);
	/* the child: ParentImage from pid 10's execve, CWD, hex argument */
	push_line(a, "type=SYSCALL msg=audit(101.000:2): arch=c000003e syscall=59 success=yes "
	             "ppid=10 pid=11 auid=1000 uid=1000 exe=\"/usr/bin/curl\"");
	push_line(a, "type=EXECVE msg=audit(101.000:2): argc=2 a0=\"curl\" a1=6120622E7368");
	push_line(a, "type=CWD msg=audit(101.000:2): cwd=\"/tmp\"");
	/* an event of another serial interleaved: stays open separately */
	push_line(a, "type=SYSCALL msg=audit(101.000:3): arch=c000003e syscall=42 success=no "
	             "ppid=1 pid=12 uid=0 exe=\"/usr/bin/nc\"");
	push_line(a, "type=SOCKADDR msg=audit(101.000:3): "
	             "saddr=0A00115C0000000020010DB800000000000000000000000900000000");
	push_line(a, "type=EOE msg=audit(101.000:3): ");
	CU_ASSERT_EQUAL_FATAL(collector_audit_pop(a, &o), 1);
	CU_ASSERT_EQUAL(o.flags & EV_REC_CATEGORIES, EV_REC_NETWORK_CONNECTION);
	CU_ASSERT_STRING_EQUAL(f(&o, "DestinationIp"), "2001:db8::9");
	CU_ASSERT_STRING_EQUAL(f(&o, "DestinationPort"), "4444");
	CU_ASSERT_STRING_EQUAL(f(&o, "Image"), "/usr/bin/nc");
	CU_ASSERT_EQUAL(collector_audit_pop(a, &o), 0);
	/* serial 2 is partial: not closed within the lateness, closed past it */
	push_line(a, "type=CWD msg=audit(102.999:4): cwd=\"/\"");
	CU_ASSERT_EQUAL(collector_audit_pop(a, &o), 0);
	push_line(a, "type=CWD msg=audit(103.001:5): cwd=\"/\"");
	CU_ASSERT_EQUAL_FATAL(collector_audit_pop(a, &o), 1);
	CU_ASSERT_EQUAL(o.time_us, 101000000);
	CU_ASSERT_STRING_EQUAL(f(&o, "Image"), "/usr/bin/curl");
	CU_ASSERT_STRING_EQUAL(f(&o, "CommandLine"), "curl a b.sh");
	CU_ASSERT_STRING_EQUAL(f(&o, "ParentImage"), "/usr/bin/bash");
	CU_ASSERT_STRING_EQUAL(f(&o, "ParentCommandLine"), "bash");
	CU_ASSERT_STRING_EQUAL(f(&o, "CurrentDirectory"), "/tmp");
	CU_ASSERT_STRING_EQUAL(f(&o, "User"), "1000");
	CU_ASSERT_STRING_EQUAL(f(&o, "LogonId"), "1000");
	/* a file created relative to the CWD; the end of the input closes everything */
	push_line(a, "type=SYSCALL msg=audit(104.000:6): arch=c000003e syscall=257 success=yes "
	             "ppid=1 pid=13 uid=0 exe=\"/usr/bin/vi\"");
	push_line(a, "type=CWD msg=audit(104.000:6): cwd=\"/etc/cron.d\"");
	push_line(a, "type=PATH msg=audit(104.000:6): item=0 name=\"/etc/cron.d\" nametype=PARENT");
	push_line(a, "type=PATH msg=audit(104.000:6): item=1 name=6A6F62 nametype=CREATE");
	CU_ASSERT_EQUAL(collector_audit_expire(a, INT64_MAX), 0);
	CU_ASSERT_EQUAL_FATAL(collector_audit_pop(a, &o), 1);
	CU_ASSERT_EQUAL(o.flags & EV_REC_CATEGORIES, EV_REC_FILE_EVENT);
	CU_ASSERT_STRING_EQUAL(f(&o, "TargetFilename"), "/etc/cron.d/job");
	CU_ASSERT_EQUAL(collector_audit_pop(a, &o), 0);
	/* other records are not taken */
	struct ev_record n;
	ev_record_init(&n);
	ev_record_set(&n, "program", "sshd", 4);
	CU_ASSERT_EQUAL(collector_audit_push(a, &n), 0);
	ev_record_free(&n);
	struct collector_audit_stats st;
	collector_audit_get_stats(a, &st);
	CU_ASSERT_EQUAL(st.derived, 4);
	ev_record_free(&o);
	collector_audit_free(a);
}

TEST(test_audit_caps) {
	struct collector_audit *a = collector_audit_new(INT64_MAX / 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	char line[160];
	for (int i = 0; i < AUDIT_OPEN_MAX + 10; i++) {
		snprintf(line, sizeof(line), "type=CWD msg=audit(100.000:%d): cwd=\"/\"", i);
		push_line(a, line);
	}
	for (int i = 0; i < AUDIT_EVENT_RECORDS_MAX + 5; i++)
		push_line(a, "type=PATH msg=audit(100.000:1000): name=\"/x\" nametype=CREATE");
	struct collector_audit_stats st;
	collector_audit_get_stats(a, &st);
	CU_ASSERT_EQUAL(st.closed_early, 11); /* the PATH event closed one more */
	CU_ASSERT_EQUAL(st.records_dropped, 5);
	collector_audit_free(a); /* open events freed */
}

/* A reset assembler is a new one: nothing waiting, nothing open, no process known. */
TEST(test_audit_reset) {
	struct collector_audit *a = collector_audit_new(2000000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	struct ev_record o;
	ev_record_init(&o);
	static const char *bash[] = {
	        "type=SYSCALL msg=audit(100.000:1): arch=c000003e syscall=59 success=yes "
	        "ppid=1 pid=10 auid=1000 uid=0 exe=\"/usr/bin/bash\"",
	        "type=EXECVE msg=audit(100.000:1): argc=1 a0=\"bash\"",
	        "type=PROCTITLE msg=audit(100.000:1): proctitle=62617368"};
	static const char *child[] = {
	        "type=SYSCALL msg=audit(101.000:2): arch=c000003e syscall=59 success=yes "
	        "ppid=10 pid=11 auid=1000 uid=1000 exe=\"/usr/bin/curl\"",
	        "type=EXECVE msg=audit(101.000:2): argc=1 a0=\"curl\"",
	        "type=PROCTITLE msg=audit(101.000:2): proctitle=6375726C"};
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < 3; i++)
			push_line(a, bash[i]); /* closed: one record waiting */
		push_line(a, "type=CWD msg=audit(100.500:9): cwd=\"/\""); /* stays open */
		collector_audit_reset(a);
		struct collector_audit_stats st;
		collector_audit_get_stats(a, &st);
		CU_ASSERT_EQUAL(st.derived, 0);
		CU_ASSERT_EQUAL(collector_audit_pop(a, &o), 0);
		CU_ASSERT_EQUAL(collector_audit_expire(a, INT64_MAX), 0);
		CU_ASSERT_EQUAL(collector_audit_pop(a, &o), 0);
		/* pid 10's execve is forgotten: its child has no parent image */
		for (size_t i = 0; i < 3; i++)
			push_line(a, child[i]);
		CU_ASSERT_EQUAL_FATAL(collector_audit_pop(a, &o), 1);
		CU_ASSERT_STRING_EQUAL(f(&o, "Image"), "/usr/bin/curl");
		CU_ASSERT_PTR_NULL(f(&o, "ParentImage"));
		collector_audit_reset(a);
	}
	ev_record_free(&o);
	collector_audit_free(a);
}

TEST(test_audit_journal) {
	struct ev_record r;
	ev_record_init(&r);
	ev_record_add_field(&r, "_TRANSPORT", 10, "audit", 5);
	ev_record_add_field(&r, "_AUDIT_TYPE_NAME", 16, "EXECVE", 6);
	ev_record_add_field(&r, "_AUDIT_ID", 9, "77", 2);
	ev_record_add_field(&r, "_SOURCE_REALTIME_TIMESTAMP", 26, "1700000000123000", 16);
	ev_record_set(&r, "message", "EXECVE argc=2 a0=\"id\" a1=2D75", 29);
	ev_record_set(&r, "program", "id", 2);
	CU_ASSERT_EQUAL(collector_audit_from_journal(&r), 1);
	CU_ASSERT_STRING_EQUAL(r.program.p, "auditd");
	CU_ASSERT_EQUAL(r.time_us, 1700000000123000LL);
	CU_ASSERT_STRING_EQUAL(f(&r, "type"), "EXECVE");
	CU_ASSERT_STRING_EQUAL(f(&r, "msg"), "audit(1700000000.123:77)");
	CU_ASSERT_STRING_EQUAL(f(&r, "a1"), "-u");
	ev_record_reset(&r);
	ev_record_add_field(&r, "_TRANSPORT", 10, "syslog", 6);
	CU_ASSERT_EQUAL(collector_audit_from_journal(&r), 0);
	ev_record_free(&r);
}

TEST(test_sysmon_decode) {
	struct ev_record r;
	ev_record_init(&r);
	const char *m = "<Event><System><Provider Name=\"Linux-Sysmon\" Guid=\"{x}\"/>"
	                "<EventID>1</EventID><Computer>web1</Computer></System><EventData>"
	                "<Data Name=\"RuleName\">-</Data><Data Name=\"Image\">/usr/bin/id</Data>"
	                "<Data Name=\"CommandLine\">id &amp;&amp; echo &lt;x&gt;</Data>"
	                "<Data Name=\"ParentUser\"/></EventData></Event>";
	ev_record_set(&r, "message", m, strlen(m));
	CU_ASSERT_EQUAL(collector_sysmon_decode(&r), 1);
	CU_ASSERT(gate_holds(m, strlen(m)));
	CU_ASSERT_EQUAL(r.flags & EV_REC_CATEGORIES, EV_REC_PROCESS_CREATION);
	CU_ASSERT_STRING_EQUAL(f(&r, "Image"), "/usr/bin/id");
	CU_ASSERT_STRING_EQUAL(f(&r, "CommandLine"), "id && echo <x>");
	CU_ASSERT_STRING_EQUAL(f(&r, "ParentUser"), "");
	CU_ASSERT_STRING_EQUAL(f(&r, "Computer"), "web1");
	/* cut short: fields up to the cut, nothing read past the end */
	ev_record_reset(&r);
	ev_record_set(&r, "message", m, 200);
	CU_ASSERT_EQUAL(collector_sysmon_decode(&r), 1);
	CU_ASSERT(gate_holds(m, 200));
	ev_record_reset(&r);
	ev_record_set(&r, "message", "<Event><System><Provider Name=\"Other\"/>", 39);
	CU_ASSERT_EQUAL(collector_sysmon_decode(&r), 0);
	CU_ASSERT_EQUAL(r.flags, 0);
	ev_record_free(&r);
}

TEST(test_audit_from_syslog) {
	struct ev_record r;
	ev_record_init(&r);
	/* audisp-syslog: the audit line is the syslog message */
	const char *m = "node=n1 type=EXECVE msg=audit(1700000000.100:9): argc=1 a0=\"id\"";
	ev_record_set(&r, "program", "audisp-syslog", 13);
	ev_record_set(&r, "host", "web1", 4);
	ev_record_set(&r, "message", m, strlen(m));
	CU_ASSERT_EQUAL(collector_audit_from_syslog(&r), 1);
	CU_ASSERT(gate_holds(m, strlen(m)));
	CU_ASSERT_STRING_EQUAL(r.program.p, "auditd");
	CU_ASSERT_STRING_EQUAL(r.host.p, "web1");
	CU_ASSERT_EQUAL(r.time_us, 1700000000100000LL);
	CU_ASSERT_STRING_EQUAL(f(&r, "a0"), "id");
	CU_ASSERT_STRING_EQUAL(r.message.p, m);
	/* the kernel's own line when auditd is not running */
	ev_record_reset(&r);
	m = "audit: type=1327 audit(1700000000.200:10): proctitle=6964";
	ev_record_set(&r, "program", "kernel", 6);
	ev_record_set(&r, "message", m, strlen(m));
	CU_ASSERT_EQUAL(collector_audit_from_syslog(&r), 1);
	CU_ASSERT(gate_holds(m, strlen(m)));
	CU_ASSERT_STRING_EQUAL(f(&r, "type"), "PROCTITLE");
	CU_ASSERT_STRING_EQUAL(f(&r, "msg"), "audit(1700000000.200:10)");
	CU_ASSERT_STRING_EQUAL(f(&r, "proctitle"), "id");
	/* anything else is left alone */
	ev_record_reset(&r);
	ev_record_set(&r, "program", "kernel", 6);
	ev_record_set(&r, "message", "audit: backlog limit exceeded", 29);
	CU_ASSERT_EQUAL(collector_audit_from_syslog(&r), 0);
	CU_ASSERT_EQUAL(r.n_fields, 0);
	CU_ASSERT_STRING_EQUAL(r.program.p, "kernel");
	ev_record_free(&r);
}

TEST(test_audit_long_argument) {
	struct collector_audit *a = collector_audit_new(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	push_line(a, "type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=59 success=yes "
	             "ppid=1 pid=5 uid=0 exe=\"/usr/bin/echo\"");
	/* the kernel splits a long argument into hex parts; a1_len is a decimal length */
	push_line(a, "type=EXECVE msg=audit(1.000:1): argc=3 a0=\"echo\" a1_len=4 a1[0]=4142 "
	             "a1[1]=4344 a2=\"x\"");
	CU_ASSERT_EQUAL(collector_audit_expire(a, INT64_MAX), 0);
	struct ev_record o;
	ev_record_init(&o);
	CU_ASSERT_EQUAL_FATAL(collector_audit_pop(a, &o), 1);
	CU_ASSERT_STRING_EQUAL(f(&o, "CommandLine"), "echo ABCD x");
	ev_record_free(&o);
	collector_audit_free(a);
}

/* collector_maybe_category is true for every message the Sysmon and audit parsers take in
 * the fixtures above (parse() and push_line() check theirs), at every cut of each, and
 * false for the everyday lines the feed sees. */
TEST(test_collector_maybe_category) {
	static const char *const taken[] = {
	        "<Event><System><Provider Name=\"Linux-Sysmon\" Guid=\"{x}\"/><EventID>1</EventID>"
	        "<Computer>web1</Computer></System><EventData><Data Name=\"Image\">/usr/bin/id"
	        "</Data></EventData></Event>",
	        "   <Event><System><Provider Name=\"Linux-Sysmon\"/><EventID>3</EventID></System>"
	        "</Event>",
	        "node=n1 type=EXECVE msg=audit(1700000000.100:9): argc=1 a0=\"id\"",
	        "type=SYSCALL msg=audit(100.000:1): arch=c000003e syscall=59 success=yes pid=10",
	        "audit: type=1327 audit(1700000000.200:10): proctitle=6964",
	};
	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
		size_t n = strlen(taken[i]);
		CU_ASSERT(gate_holds(taken[i], n));
		for (size_t cut = 0; cut < n; cut++)
			gate_holds(taken[i], cut);
	}
	static const char *const plain[] = {
	        "Failed password for root from 10.0.0.1 port 22 ssh2",
	        "authentication failure; logname=bob",
	        "tty=pts/0 ruser=root",
	        "new session 4 of user root",
	        "<13>not sysmon",
	        "  indented line",
	        "Event <Event> later in the line",
	        "audit: backlog limit exceeded",
	        "",
	};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		CU_ASSERT(!gate_holds(plain[i], strlen(plain[i])));
		CU_ASSERT(!collector_maybe_category(plain[i], strlen(plain[i])));
	}
	CU_ASSERT(!collector_maybe_category(NULL, 0));
}
