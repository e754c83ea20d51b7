#!/bin/sh
# evident agent under a stand-in service manager: READY=1 after start-up, WATCHDOG=1 at
# the interval of WATCHDOG_USEC, STATUS=, status over the control socket, STOPPING=1 and
# exit 0 on SIGTERM, the socket removed. Also: `evident status` exits 2 with no agent.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

agent_write_config "$T_TMP/evident.yaml"

run "$EVIDENT" status --socket "$A_SOCK"
expect_rc 2 "status with no agent running"
expect_err "not running" "status says the agent is not running"

notify_listen
# 400 ms watchdog: sd-event pings at half of it.
NOTIFY_SOCKET="$A_NOTIFY" WATCHDOG_USEC=400000 agent_start --config "$T_TMP/evident.yaml"
if wait_for "READY=1" notify_has "READY=1"; then ok "READY=1 after start-up"; else fail "no READY=1"; cat "$T_TMP/agent.err"; fi
if test -S "$A_SOCK"; then ok "control socket exists when READY=1 arrives"; else fail "no control socket at READY"; fi
if notify_has "STATUS=running:.*"; then ok "STATUS= sent"; else fail "no STATUS="; fi
if grep -q "^MAINPID=$A_PID\$" "$A_NOTIFY_LOG"; then ok "MAINPID is the agent"; else fail "MAINPID missing"; fi

# Watchdog: at least 4 pings within ~2 s (one every 200 ms is expected).
if wait_for "4 watchdog pings" notify_at_least "WATCHDOG=1" 4; then
	ok "WATCHDOG=1 at the interval ($(notify_count WATCHDOG=1) pings)"
else
	fail "WATCHDOG=1: only $(notify_count WATCHDOG=1) pings"
fi

run "$EVIDENT" status --json --socket "$A_SOCK"
expect_rc 0 "status --json"
expect_out '"ok":true' "status answers ok"
expect_out "\"pid\":$A_PID[,}]" "status carries the agent's pid"
expect_out '"queue":\{[^}]*"capacity":64' "status shows the queue capacity"
expect_out '"collector":\{"state":"no sources"' "status says there are no sources"

run "$EVIDENT" status --socket "$A_SOCK"
expect_rc 0 "status (human)"
expect_out '^evident agent .*pid '"$A_PID" "human status header"
expect_out 'queue +0/64' "human status queue line"

agent_stop
if [ "$A_RC" -eq 0 ]; then ok "SIGTERM: exit 0"; else fail "SIGTERM: exit $A_RC"; cat "$T_TMP/agent.err"; fi
if notify_has "STOPPING=1"; then ok "STOPPING=1 on SIGTERM"; else fail "no STOPPING=1"; fi
if [ ! -e "$A_SOCK" ]; then ok "socket removed on exit"; else fail "socket left behind"; fi
if grep -q '"event":"request"' "$A_STATE/control-audit.jsonl"; then ok "requests in the audit log"; else fail "audit log lacks requests"; fi

# Without a configuration file: the embedded defaults, overridden where tests need it.
agent_start --socket "$A_SOCK"
if wait_for "socket (embedded config)" test -S "$A_SOCK"; then ok "runs with the embedded configuration"; else fail "embedded configuration start"; cat "$T_TMP/agent.err"; fi
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"config":"<embedded>"' "status shows the embedded configuration"
agent_stop
[ "$A_RC" -eq 0 ] && ok "embedded: exit 0 on SIGTERM" || fail "embedded: exit $A_RC"

# A configuration with errors does not start (exit 2, every error reported).
printf 'agent:\n  stat_dir: /x\nactions:\n  queue_size: 0\n' >"$T_TMP/bad.yaml"
run "$EVIDENT" agent --foreground --state-dir "$A_STATE" --socket "$A_SOCK" --config "$T_TMP/bad.yaml"
expect_rc 2 "bad configuration refuses to start"
expect_err "bad.yaml:2:3: unknown key 'stat_dir'" "first error located"
expect_err "bad.yaml:4:15: 'queue_size'" "second error located"
done_testing
