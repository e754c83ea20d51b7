#!/bin/sh
# Restarts lose no line: the agent tails a file and alerts on every line; it is killed
# with SIGKILL while lines are being written, restarted, and every line written must
# have produced an alert in one of the two runs (at-least-once after a crash, from the
# last checkpoint: the restart repeats exactly the lines after the checkpoint it left).
# The checkpoint follows the agent within its interval, and a kill -9 after it caught up
# repeats nothing; nor does a clean SIGTERM/restart. Also the detached mode:
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
L=$(printf 'Nov 27 02:00:00 host1 app[1]: LINE-%06d payload\n' 1 | wc -c) # every line is L bytes
# write_lines FROM TO [RATE]: append the numbered lines, at RATE lines/s in batches of
# RATE/100 every 10 ms (as fast as possible without RATE)
write_lines() {
	python3 -c '
import sys, time
a, b = int(sys.argv[2]), int(sys.argv[3])
rate = int(sys.argv[4]) if len(sys.argv) > 4 else 0
batch = max(1, rate // 100) if rate else b - a + 1
t0 = time.monotonic()
with open(sys.argv[1], "a") as f:
    for i in range(a, b + 1):
        f.write("Nov 27 02:00:00 host1 app[1]: LINE-%06d payload\n" % i)
        if (i - a + 1) % batch == 0:
            f.flush()
            if rate:
                time.sleep(max(0, t0 + (i - a + 1) / rate - time.monotonic()))
' "$LOG" "$@"
}
alerted() { grep -o 'LINE-[0-9]*' "$@" | sed 's/LINE-0*//'; } # line numbers alerted, in order
run_alerted_exactly() { # run_alerted_exactly N FROM TO DESCRIPTION: run N alerted FROM..TO, each once
	wait_for "run $1: line $3" grep -q "$(printf 'LINE-%06d' "$3")" "$T_TMP/run-$1.out" || fail "run $1: no alert for line $3"
	if [ "$(alerted "$T_TMP/run-$1.out" | tr '\n' ' ')" = "$(seq "$2" "$3" | tr '\n' ' ')" ]; then
		ok "$4 (run $1 alerted exactly lines $2..$3)"
	else fail "$4: run $1 alerted $(alerted "$T_TMP/run-$1.out" | head -3 | tr '\n' ' ')..., expected exactly $2..$3"; fi
}
RATE=1000 # lines/s while the agent is killed
INTERVAL_MS=100 # sources.checkpoint_interval (above)

start_run 1
write_lines 1 500
wait_for "first alerts" grep -q LINE-000500 "$T_TMP/run-1.out" || fail "run 1: no alert for line 500"
write_lines 501 2500 "$RATE" &
WRITER=$!
# kill once the agent is a quarter into the 2 s of writing
wait_for "alerts past line 1000" grep -q LINE-001000 "$T_TMP/run-1.out" || fail "run 1: no alert for line 1000"
kill -0 "$WRITER" 2>/dev/null && ok "the writer is still writing when the agent is killed" || fail "the writer finished before the kill"
kill -KILL "$A_PID"
wait "$A_PID" 2>/dev/null
A_PID=""
wait "$WRITER"
rm -f "$A_SOCK"

# What run 1 alerted: 1..K in order, each once; the checkpoint it left: C whole lines.
K=$(alerted "$T_TMP/run-1.out" | tail -n 1)
if [ "$(alerted "$T_TMP/run-1.out" | tr '\n' ' ')" = "$(seq 1 "$K" | tr '\n' ' ')" ]; then ok "run 1 alerted lines 1..$K in order, each once"
else fail "run 1 alerts are not 1..$K in order"; fi
[ "$K" -gt 500 ] && [ "$K" -lt 2500 ] && ok "killed in the middle: run 1 got to line $K of 2500" ||
	fail "run 1 got to line $K: the kill was not in the middle of the writing"
OFF=$(sed -n 's/.*"offset":\([0-9]*\).*/\1/p' "$A_STATE/positions.json")
C=$((OFF / L))
[ -n "$OFF" ] && [ $((OFF % L)) -eq 0 ] && [ "$C" -ge 500 ] && [ "$C" -le "$K" ] &&
	ok "the last checkpoint before the kill: line $C (offset $OFF)" || fail "checkpoint offset '$OFF' (line $C, run 1 at $K)"

start_run 2
# The watcher: for each line named, ms from its alert to a checkpoint past it.
python3 -c '
import re, sys, time
alerts, positions, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
def read(path):
    try:
        return open(path).read()
    except OSError:
        return ""
def saved():
    m = re.search(r"\"offset\":(\d+),", read(positions))
    return int(m.group(1)) if m else 0
end = time.monotonic() + 30
out = []
for line in map(int, sys.argv[4:]):
    while "LINE-%06d" % line not in read(alerts) and time.monotonic() < end:
        time.sleep(0.002)
    t0 = time.monotonic()
    while saved() < line * size and time.monotonic() < end:
        time.sleep(0.002)
    out.append(str(int((time.monotonic() - t0) * 1000)) if saved() >= line * size else "never")
print(" ".join(out))
' "$T_TMP/run-2.out" "$A_STATE/positions.json" "$L" $(seq 2992 3000) >"$T_TMP/catchup" &
WATCH=$!
write_lines 2501 2992 "$RATE"
for i in $(seq 2993 3000); do
	sleep 0.15
	printf 'Nov 27 02:00:00 host1 app[1]: LINE-%06d payload\n' "$i" >>"$LOG"
done
if wait_for "every line alerted" sh -c "[ \$(cat '$T_TMP'/run-*.out | grep -o 'LINE-[0-9]*' | sort -u | wc -l) -eq 3000 ]"; then
	ok "no line lost across SIGKILL: 3000 of 3000 lines alerted"
else
	fail "lines alerted across SIGKILL: $(cat "$T_TMP"/run-*.out | grep -o 'LINE-[0-9]*' | sort -u | wc -l) of 3000"
fi
# At least once, and only from the checkpoint: run 2 repeats exactly lines C+1..K.
alerted "$T_TMP/run-1.out" | sort >"$T_TMP/r1"
alerted "$T_TMP/run-2.out" | sort >"$T_TMP/r2"
comm -12 "$T_TMP/r1" "$T_TMP/r2" | sort -n >"$T_TMP/dups"
DUPS=$(grep -c . "$T_TMP/dups")
if [ "$DUPS" -eq $((K - C)) ] && { [ "$DUPS" -eq 0 ] || [ "$(head -n 1 "$T_TMP/dups")" -eq $((C + 1)) ]; }; then
	ok "run 2 repeated exactly the $DUPS lines after the checkpoint ($((C + 1))..$K)"
else fail "run 2 repeated $DUPS lines, expected $((K - C)) (lines $((C + 1))..$K)"; fi
[ "$(sort -n "$T_TMP/r2" | uniq -d | wc -l)" -eq 0 ] && ok "run 2 alerted no line twice" || fail "run 2 alerted a line twice"
wait "$WATCH"
CATCHUP=$(cat "$T_TMP/catchup")

# The checkpoint follows the agent: run 2's last 9 lines came one by one, 150 ms apart;
# from the alert of each (watched from before it was written) the saved position must
# pass it (a position that never catches up loses the guarantee below). How long that
# took is a measurement, printed, not a pass/fail limit: timing belongs in benchmarks, and
# a loaded CI machine stretches it. Killed then, the restart repeats nothing.
n=0
for ms in $CATCHUP; do
	[ "$ms" != never ] && n=$((n + 1))
done
echo "# checkpoint latency after each of the last 9 lines (interval ${INTERVAL_MS} ms): $CATCHUP ms"
[ "$n" -eq 9 ] && ok "the checkpoint caught up with each of the last 9 lines" ||
	fail "the checkpoint did not catch up with every one of the last 9 lines: $CATCHUP"
kill -KILL "$A_PID"
wait "$A_PID" 2>/dev/null
A_PID=""
rm -f "$A_SOCK"
write_lines 3001 3500
start_run 3
run_alerted_exactly 3 3001 3500 "kill -9 once the checkpoint caught up: run 3 repeated nothing"

agent_stop
[ "$A_RC" -eq 0 ] && ok "run 3: exit 0 on SIGTERM" || fail "run 3: exit $A_RC"
start_run 4
write_lines 3501 3510
run_alerted_exactly 4 3501 3510 "after a clean stop nothing is repeated"
agent_stop
[ "$A_RC" -eq 0 ] && ok "run 4: exit 0 on SIGTERM" || fail "run 4: exit $A_RC"

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
