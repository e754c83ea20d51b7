#!/bin/sh
# The syslog TCP output buffer (docs/operations.md, EV_SINK_TCP_BUFFER_CAP 1 MiB,
# issue 10): a collector on loopback that accepts the connection and never reads makes
# the agent's buffer fill; past 1 MiB alerts are dropped, counted in status
# (sinks.syslog_dropped) and logged once while the buffer stays full (not once per
# alert: a flood of lines must not flood the log); the agent keeps its other sinks.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

# a TCP listener with a small receive buffer that never reads
python3 - "$T_TMP/port" <<'EOPY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(("127.0.0.1", 0))
s.listen(1)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(120)
c, _ = s.accept()
time.sleep(120)
EOPY
A_LISTENER=$!
i=0
while [ ! -s "$T_TMP/port" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(cat "$T_TMP/port")
[ -n "$PORT" ] || skip "the loopback listener did not start"

LOG="$T_TMP/app.log"
: >"$LOG"
mkdir -p "$T_TMP/rules"
agent_write_rule "$T_TMP/rules/failed.yml" flood
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]|" "$T_TMP/evident.yaml"
printf 'rules:\n  paths: [%s/rules]\nactions:\n  stdout: true\n  syslog: tcp://127.0.0.1:%s\n' "$T_TMP" "$PORT" >>"$T_TMP/evident.yaml"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }

# 30,000 alerts of about 700 bytes each: some 20 MB, far past the buffer and the kernel's
python3 -c '
import time
t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
for i in range(30000):
    print("%s web1 sshd[1]: Failed password for root from 203.0.113.9 port %d ssh2 %s" % (t, i, "p" * 200))' \
	>>"$LOG"
T_DEADLINE=120 wait_for "30,000 alerts on stdout" sh -c "[ \$(grep -c '\"rule\":{\"id\":\"flood\"' '$T_TMP/agent.out') -ge 30000 ]" &&
	ok "every alert reached stdout" || fail "$(grep -c '"rule":{"id":"flood"' "$T_TMP/agent.out") alerts on stdout, want 30,000"
run "$EVIDENT" status --json --socket "$A_SOCK"
d=$(printf '%s' "$T_OUT" | sed -n 's/.*"syslog_dropped":\([0-9]*\).*/\1/p')
s=$(printf '%s' "$T_OUT" | sed -n 's/.*"syslog_sent":\([0-9]*\).*/\1/p')
[ "${d:-0}" -gt 0 ] && ok "status counts $d alerts dropped at the full buffer" || fail "no syslog_dropped in status: $(printf '%s' "$T_OUT" | grep -o '"sinks":{[^}]*}')"
[ $((${d:-0} + ${s:-0})) -eq 30000 ] && ok "sent ($s) and dropped ($d) add up to 30,000" ||
	fail "sent $s + dropped $d != 30,000"
grep -q "syslog tcp://127.0.0.1:$PORT: output buffer full (1048576 bytes), alert dropped" "$T_TMP/agent.err" &&
	ok "the drop is logged" || fail "the drop is not logged"
n=$(grep -c 'output buffer full' "$T_TMP/agent.err")
[ "$n" -le 10 ] && ok "logged $n time(s), not once per dropped alert" || fail "the drop is logged $n times: a flood"
agent_alive && ok "the agent is running" || fail "the agent died"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
