#!/bin/sh
# Restarts lose no line: the agent tails a file and alerts on every line; it is killed
# with SIGKILL while lines are being written, restarted, and every line written must
# have produced an alert in one of the two runs (at-least-once after a crash, from the
# last checkpoint). Then a clean SIGTERM/restart repeats nothing. Also the detached mode:
# without --foreground the command returns once the agent is ready.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

LOG="$T_TMP/app.log"
: >"$LOG"
mkdir -p "$T_TMP/rules"
cat >"$T_TMP/rules/every.yml" <<'EOF'
title: every numbered line
id: 2f5a9c1e-3b4d-4e6f-8a7b-9c0d1e2f3a4b
level: low
logsource:
  product: linux
detection:
  sel:
    message|contains: 'LINE-'
  condition: sel
EOF
agent_write_config "$T_TMP/evident.yaml"
sed -i "s|^  journal: false|  journal: false\n  files: [$LOG]\n  checkpoint_interval: 100ms|" "$T_TMP/evident.yaml"
printf 'rules:\n  paths: [%s/rules]\n' "$T_TMP" >>"$T_TMP/evident.yaml"

start_run() { # start_run N: stdout to run-N.out
	"$EVIDENT" agent --foreground --state-dir "$A_STATE" --config "$T_TMP/evident.yaml" \
		>"$T_TMP/run-$1.out" 2>>"$T_TMP/agent.err" &
	A_PID=$!
	wait_for "control socket (run $1)" test -S "$A_SOCK" || { fail "run $1 did not start"; cat "$T_TMP/agent.err"; done_testing; }
}
write_lines() { # write_lines FROM TO
	python3 -c '
import sys
with open(sys.argv[1], "a") as f:
    for i in range(int(sys.argv[2]), int(sys.argv[3]) + 1):
        f.write("Nov 27 02:00:00 host1 app[1]: LINE-%06d payload\n" % i)
        f.flush()
' "$LOG" "$1" "$2"
}
count_alerts() { cat "$T_TMP"/run-*.out | grep -o 'LINE-[0-9]*' | sort -u | wc -l; }

start_run 1
write_lines 1 500
wait_for "first alerts" sh -c "grep -q LINE-000500 '$T_TMP/run-1.out'" || fail "run 1: no alert for line 500"
write_lines 501 1500 &
WRITER=$!
sleep 0.05
kill -KILL "$A_PID"
wait "$A_PID" 2>/dev/null
A_PID=""
wait "$WRITER"
rm -f "$A_SOCK"
ok "agent killed with SIGKILL while lines were written"

start_run 2
write_lines 1501 2000
if wait_for "every line alerted" sh -c "[ \$(cat '$T_TMP'/run-*.out | grep -o 'LINE-[0-9]*' | sort -u | wc -l) -eq 2000 ]"; then
	ok "no line lost across SIGKILL: 2000 of 2000 lines alerted"
else
	fail "lines alerted across SIGKILL: $(count_alerts) of 2000"
fi
dups=$(cat "$T_TMP"/run-*.out | grep -o 'LINE-[0-9]*' | sort | uniq -d | wc -l)
echo "# lines alerted twice after SIGKILL (at-least-once since the last checkpoint): $dups"

agent_stop
[ "$A_RC" -eq 0 ] && ok "run 2: exit 0 on SIGTERM" || fail "run 2: exit $A_RC"
start_run 3
write_lines 2001 2010
wait_for "run 3 alerts" sh -c "grep -q LINE-002010 '$T_TMP/run-3.out'" || fail "run 3: no alert for line 2010"
if [ "$(grep -c 'LINE-' "$T_TMP/run-3.out")" -eq 10 ]; then ok "after a clean stop nothing is repeated (10 new lines, 10 alerts)"
else fail "run 3 alerted $(grep -c 'LINE-' "$T_TMP/run-3.out") lines, expected 10"; fi
agent_stop
[ "$A_RC" -eq 0 ] && ok "run 3: exit 0 on SIGTERM" || fail "run 3: exit $A_RC"

# Detached: returns 0 once ready; the daemon keeps running until SIGTERM.
run "$EVIDENT" agent --state-dir "$A_STATE" --config "$T_TMP/evident.yaml"
expect_rc 0 "detached start returns 0 once ready"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_rc 0 "the detached agent answers"
DPID=$(printf '%s' "$T_OUT" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
if [ -n "$DPID" ] && kill -TERM "$DPID"; then
	T_DEADLINE=10 wait_for "detached agent exit" sh -c "! kill -0 $DPID" && ok "the detached agent stops on SIGTERM" || fail "detached agent still running"
else fail "no pid for the detached agent"; fi
run "$EVIDENT" agent --state-dir "$A_STATE" --config "$T_TMP/nonexistent.yaml"
expect_rc 2 "detached start with an unreadable configuration fails"
done_testing
