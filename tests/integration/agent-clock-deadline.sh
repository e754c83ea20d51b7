#!/bin/sh
# A forward step of the wall clock must not fire event-time deadlines early (issue 10,
# hostile clocks): an absence rule ("started and not finished" within 8 s) is armed, the
# wall clock of the running agent jumps one hour ahead, and the deadline still fires once,
# after 8 s of real (monotonic) time, not at the next tick. The watermark advances on its
# own by the monotonic clock; only event times move it further.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

clock_shim # SHIM, FT (tests/integration/agent-lib.sh)

RULES="$T_TMP/rules"
mkdir -p "$RULES"
cat >"$RULES/absence.yml" <<'EOR'
title: Job started
id: started
level: low
logsource:
  product: linux
detection:
  sel:
    message|contains: 'job started'
  condition: sel
---
title: Job finished
id: finished
level: low
logsource:
  product: linux
detection:
  sel:
    message|contains: 'job finished'
  condition: sel
---
title: Job did not finish
id: unfinished
level: high
correlation:
  type: temporal
  rules: [started, finished]
  group-by: [host]
  timespan: 8s
  condition: started and not finished
EOR
clock_agent "$RULES" 3s
unfinished() { grep -c '"rule":{"id":"unfinished"' "$T_TMP/agent.out" || true; }

echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') web1 backup[7]: job started" >>"$LOG"
armed=$(date +%s)
wait_for "the start is read" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"matches\":1[,}]'" ||
	fail "the start event was not read"
echo "3600" >"$FT"
if wait_for "step forward logged" grep -q 'clock: the wall clock was stepped forward by 3[56][0-9][0-9]' "$T_TMP/agent.err"; then
	ok "the step forward is logged"; else fail "the step forward is not logged"; sed "s/^/  | /" "$T_TMP/agent.err"; fi
# a few ticks after the step, well before the 8 s deadline (+1 s lateness)
sleep 2
if [ $(($(date +%s) - armed)) -lt 7 ]; then
	[ "$(unfinished)" = 0 ] && ok "the deadline did not fire at the step" ||
		fail "the absence deadline fired early, at the clock step ($(($(date +%s) - armed)) s after it was armed)"
else
	skip_part "the machine is too slow to check the deadline before it is due"
fi
T_DEADLINE=20 wait_for "the deadline" sh -c "grep -q '\"rule\":{\"id\":\"unfinished\"' '$T_TMP/agent.out'" ||
	fail "the absence deadline never fired"
took=$(($(date +%s) - armed))
[ "$took" -ge 8 ] && ok "the deadline fired after $took s of real time (timespan 8 s)" ||
	fail "the deadline fired after $took s, before its 8 s"
sleep 1.5
[ "$(unfinished)" = 1 ] && ok "exactly one absence alert" || fail "$(unfinished) absence alerts, want 1"
agent_alive && ok "the agent survived the step" || fail "the agent died"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
