/* Alert sinks: address parsing, the RFC 5424 message, a real UDP datagram to a listener on
 * 127.0.0.1, and the hook (stdin, exit status, time limit) as real child processes. */
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/daemon/forward.h"
#include "agent/daemon/sinks.h"
#include "agent/settings.h"
#include "tests/unit/unit.h"
#include "util/clock.h"

TEST(test_sinks_parse_address) {
	bool tcp = false;
	char *h = NULL, *p = NULL;
	CU_ASSERT_EQUAL_FATAL(ev_sink_parse_address("udp://127.0.0.1:514", &tcp, &h, &p), 0);
	CU_ASSERT(!tcp);
	CU_ASSERT_STRING_EQUAL(h, "127.0.0.1");
	CU_ASSERT_STRING_EQUAL(p, "514");
	free(h);
	free(p);
	CU_ASSERT_EQUAL_FATAL(ev_sink_parse_address("tcp://[::1]:6514", &tcp, &h, &p), 0);
	CU_ASSERT(tcp);
	CU_ASSERT_STRING_EQUAL(h, "::1");
	free(h);
	free(p);
	const char *bad[] = {"127.0.0.1:514", "udp://127.0.0.1", "udp://:514",
	                     "udp://h:0",     "udp://h:65536",   "udp://h:5x",
	                     "tcp://::1:514", "http://h:1",      "udp://h:"};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		CU_ASSERT_EQUAL(ev_sink_parse_address(bad[i], &tcp, &h, &p), -EINVAL);
}

TEST(test_sinks_rfc5424_format) {
	const char *a =
	        "{\"count\":5,\"group\":\"10.0.0.1\",\"level\":\"high\",\"rule\":\"ssh-brute\"}";
	/* 2026-01-02T03:04:05.000006Z */
	char *m = ev_sink_format_rfc5424("high", a, 1767323045000006LL, "host a", 42);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* authpriv (10) * 8 + err (3) = 83 */
	CU_ASSERT_STRING_EQUAL(
	        m,
	        "<83>1 2026-01-02T03:04:05.000006Z hosta evident 42 alert - "
	        "{\"count\":5,\"group\":\"10.0.0.1\",\"level\":\"high\",\"rule\":\"ssh-brute\"}");
	free(m);
	m = ev_sink_format_rfc5424("critical", a, 0, "", 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(strncmp(m, "<82>1 1970-01-01T00:00:00.000000Z - evident 1 alert - {", 55) == 0);
	free(m);
}

TEST(test_sinks_forward_sd_escape) {
	/* RFC 5424 6.3.3: '"', '\\' and ']' are escaped in PARAM-VALUE, nothing else */
	char b[64];
	size_t o = 0;
	const char v[] = "a\"b\\c]d=e f";
	ev_forward_sd_escape(b, sizeof(b), &o, v, strlen(v));
	CU_ASSERT_STRING_EQUAL(b, "a\\\"b\\\\c\\]d=e f");
	CU_ASSERT_EQUAL(o, strlen(b));
	/* cut when full, never an escape half written, always terminated */
	char s[6];
	o = 0;
	ev_forward_sd_escape(s, sizeof(s), &o, "ab]]]]", 6);
	CU_ASSERT_STRING_EQUAL(s, "ab\\]");
	char *m = ev_sink_format_rfc5424_sd("low", "sealed", "[evident@32473 bundle=\"x\"]", "{}",
	                                    0, "h", 7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m, "<85>1 1970-01-01T00:00:00.000000Z h evident 7 sealed "
	                          "[evident@32473 bundle=\"x\"] {}");
	free(m);
}

TEST(test_sinks_udp_to_loopback_listener) {
	int ls = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(ls >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	CU_ASSERT_EQUAL_FATAL(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t sl = sizeof(sa);
	getsockname(ls, (struct sockaddr *)&sa, &sl);
	char addr[64];
	snprintf(addr, sizeof(addr), "udp://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));

	struct ev_config cfg = {.origin = (char *)"test"};
	cfg.actions.syslog = addr;
	struct ev_sinks *s = NULL;
	struct ev_errlist errs = {0};
	CU_ASSERT_EQUAL_FATAL(ev_sinks_new(&cfg, NULL, NULL, &s, &errs), 0);
	struct correlate_alert a = {.rule_id = "r1", .level = "low", .kind = "match"};
	ev_sinks_emit(s, &a, "run-1");
	struct pollfd p = {.fd = ls, .events = POLLIN};
	CU_ASSERT_EQUAL_FATAL(poll(&p, 1, 5000), 1);
	char buf[2048];
	ssize_t n = recv(ls, buf, sizeof(buf) - 1, 0);
	CU_ASSERT_FATAL(n > 0);
	buf[n] = '\0';
	CU_ASSERT(strncmp(buf, "<85>1 ", 6) == 0); /* authpriv + notice */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " evident "));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " alert - {\"alert_id\":\"run-1\",\"count\":0,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	        buf, "\"rule\":{\"id\":\"r1\",\"level\":\"low\",\"tags\":[],\"title\":null}"));
	struct ev_sinks_stats st;
	ev_sinks_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.alerts, 1);
	CU_ASSERT_EQUAL(st.syslog_sent, 1);
	ev_sinks_free(s);
	close(ls);

	/* a bad address is a configuration error, not a crash */
	cfg.actions.syslog = (char *)"udp://127.0.0.1";
	CU_ASSERT_EQUAL(ev_sinks_new(&cfg, NULL, NULL, &s, &errs), -EINVAL);
	CU_ASSERT_EQUAL(errs.n, 1);
	ev_errlist_clear(&errs);
	/* a hook must be an absolute path: no PATH lookup, no shell */
	cfg.actions.syslog = NULL;
	char *hook[] = {(char *)"tee", NULL};
	cfg.actions.hook = (struct ev_strv){.v = hook, .n = 1};
	CU_ASSERT_EQUAL(ev_sinks_new(&cfg, NULL, NULL, &s, &errs), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(errs.n ? strstr(errs.v[0].msg, "absolute path") : NULL);
	ev_errlist_clear(&errs);
}

static uint64_t mono_ms(void) {
	return (uint64_t)(ev_now_monotonic_us() / 1000);
}

TEST(test_sinks_hook_stdin_status_timeout) {
	char out[4096];
	snprintf(out, sizeof(out), "%s/hook-input", unit_tmpdir());
	/* the alert arrives on stdin, byte for byte */
	char *tee[] = {(char *)"/usr/bin/tee", out, NULL};
	const char *in = "{\"rule\":\"r1\"}\n";
	int r = ev_sink_run_hook(tee, in, strlen(in), 5000000, NULL);
	CU_ASSERT_FATAL(r >= 0);
	CU_ASSERT(WIFEXITED(r) && WEXITSTATUS(r) == 0);
	FILE *f = fopen(out, "re");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	char got[64] = {0};
	CU_ASSERT_PTR_NOT_NULL(fgets(got, sizeof(got), f));
	fclose(f);
	CU_ASSERT_STRING_EQUAL(got, in);
	/* exit status reported */
	char *fls[] = {(char *)"/bin/false", NULL};
	r = ev_sink_run_hook(fls, in, strlen(in), 5000000, NULL);
	CU_ASSERT(r >= 0 && WIFEXITED(r) && WEXITSTATUS(r) == 1);
	/* no shell: metacharacters are one literal argument */
	char *echo[] = {(char *)"/bin/echo", (char *)"$(touch /tmp/evident-hook-injected)", NULL};
	r = ev_sink_run_hook(echo, "", 0, 5000000, NULL);
	CU_ASSERT(r >= 0 && WIFEXITED(r) && WEXITSTATUS(r) == 0);
	CU_ASSERT_NOT_EQUAL(access("/tmp/evident-hook-injected", F_OK), 0);
	/* time limit: a hook that never ends is killed at the deadline */
	char *slp[] = {(char *)"/bin/sleep", (char *)"30", NULL};
	uint64_t t0 = mono_ms();
	r = ev_sink_run_hook(slp, in, strlen(in), 200000, NULL);
	uint64_t took = mono_ms() - t0;
	CU_ASSERT_EQUAL(r, -ETIME);
	CU_ASSERT(took < 5000);
	/* a hook that does not read a large input does not hang the worker either */
	size_t big = 1 << 20;
	char *blob = malloc(big);
	memset(blob, 'x', big);
	r = ev_sink_run_hook(slp, blob, big, 200000, NULL);
	CU_ASSERT_EQUAL(r, -ETIME);
	free(blob);
	/* a missing program */
	char *none[] = {(char *)"/nonexistent/hook", NULL};
	CU_ASSERT_EQUAL(ev_sink_run_hook(none, in, strlen(in), 200000, NULL), -ENOENT);
}

TEST(test_sinks_forward_message_cap) {
	/* A message over MSG_CAP (64 KiB) is dropped and counted, never queued; one at the cap
	 * is queued (the receiver, port 9 of loopback, is down: it waits on disk). */
	struct ev_config *c = NULL;
	struct ev_errlist e = {0};
	const char *p = unit_write_str("fwd-cfg.yaml", "actions:\n  forward:\n    address: "
	                                               "127.0.0.1:9\n    verify: false\n");
	CU_ASSERT_EQUAL_FATAL(ev_config_load(p, &c, &e), 0);
	struct ev_forward *f = NULL;
	CU_ASSERT_EQUAL_FATAL(ev_forward_new(c, unit_tmpdir(), &f, &e), 0);
	ev_errlist_clear(&e);
	struct ev_forward_stats st0, st;
	ev_forward_get_stats(f, &st0); /* the counters are per process */
	size_t n = 64 * 1024 + 1;
	char *big = malloc(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'm', n);
	ev_forward_submit(f, big, n);
	ev_forward_get_stats(f, &st);
	CU_ASSERT_EQUAL(st.dropped, st0.dropped + 1);
	CU_ASSERT_EQUAL(st.queued, st0.queued);
	ev_forward_submit(f, big, n - 1);
	uint64_t t0 = mono_ms();
	do {
		ev_forward_get_stats(f, &st);
		if (st.queued > st0.queued)
			break;
		usleep(10000);
	} while (mono_ms() - t0 < 5000);
	CU_ASSERT_EQUAL(st.dropped, st0.dropped + 1);
	CU_ASSERT_EQUAL(st.queued, st0.queued + 1);
	free(big);
	ev_forward_free(f);
	ev_config_free(c);
}
