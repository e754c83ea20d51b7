#!/bin/sh
# Hostile clocks (issue 10): the wall clock of the running agent is stepped back and
# forward with a small LD_PRELOAD shim that shifts CLOCK_REALTIME by the seconds in a
# file (libfaketime cannot be used: it also shifts the deadlines of sd-event's monotonic
# timerfd timers, so no timer fires while the offset is negative). Each step is logged
# and counted in status; after a step back, events stamped by the new clock are still correlated (not "late" until the clock catches up);
# no alert is lost or duplicated; the timers keep running (monotonic).
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/rules-lib.sh"

clock_shim # SHIM, FT (tests/integration/agent-lib.sh)

RULES="$T_TMP/rules"
mkdir -p "$RULES"
brute_rules >"$RULES/rules.yml"
clock_agent "$RULES" 2s

# failures stamped OFFSET seconds from the real clock (what the stepped host writes)
failures() { # failures OFFSET HOST
	for i in 1 2 3; do
		echo "$(date -u -d "@$(($(date +%s) + $1))" '+%Y-%m-%dT%H:%M:%SZ') $2 sshd[10$i]: Failed password for root from 203.0.113.9 port 400$i ssh2"
	done >>"$LOG"
}
brutes() { grep -c '"rule":{"id":"brute"' "$T_TMP/agent.out" || true; }
brute_for() { grep -q "\"group\":{\"host\":\"$1\"}.*\"rule\":{\"id\":\"brute\"" "$T_TMP/agent.out"; }

# baseline: the clock as it is
failures 0 web0
wait_for "brute force (no step)" brute_for web0 &&
	ok "no step: the brute force fires" || fail "no step: no brute force"

# ---- step back one hour ----
echo "-3600" >"$FT"
if wait_for "step back logged" grep -q 'clock: the wall clock was stepped back by 3[56][0-9][0-9]' "$T_TMP/agent.err"; then
	ok "a step back is logged"; else fail "a step back is not logged"; sed 's/^/  | /' "$T_TMP/agent.err"; fi
failures -3600 web1
if wait_for "brute force after the step back" brute_for web1; then
	ok "after a step back the events stamped by the new clock are correlated"
else fail "after a step back the brute force is lost (events late)"; fi
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"late":0[,}]' "after a step back no event is late"

# ---- step forward again (one hour) ----
echo "0" >"$FT"
if wait_for "step forward logged" grep -q 'clock: the wall clock was stepped forward by 3[56][0-9][0-9]' "$T_TMP/agent.err"; then
	ok "a step forward is logged"; else fail "a step forward is not logged"; fi
failures 0 web2
wait_for "brute force after the step forward" brute_for web2 &&
	ok "after a step forward the brute force fires" || fail "after a step forward no brute force"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"clock_steps":2[,}]' "status counts both steps"
expect_out '"future":0[,}]' "no event counted far-future"
# the timers kept running: the watermark keeps to the (real again) clock
sleep 1.5
[ "$(brutes)" = 3 ] && ok "exactly three brute force alerts (none lost, none duplicated)" ||
	fail "$(brutes) brute force alerts, want 3"
agent_alive && ok "the agent survived both steps" || fail "the agent died"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
