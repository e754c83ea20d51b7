#!/bin/sh
# evident drill against the real agent (issue 18), part 1: the SSH, sudo and crash-loop
# scenarios are played into the running agent's pipeline and must score PASS step by
# step (the rule fired in time, a drill incident opened, its evidence sealed and
# verifying and marked DRILL, routed to the expected teams, acknowledged in time by a
# person: a background "on-call" acks each drill incident with `evident incident ack`).
# The alerts on stdout carry "drill":true and drill incidents are left out of
# `evident metrics`. Part 2: drill-agent-more.sh.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/drill-lib.sh"
for s in ssh-brute-force sudo-privilege-escalation service-crash-loop; do
	play_drill "$s"
done
grep '"drill":true' "$T_TMP/agent.out" | grep -q '"drill_id":"ssh-brute-force-' &&
	ok "the agent's alerts carry drill:true and the drill id" || fail "no drill marks in the alerts"
grep -v '"drill":true' "$T_TMP/agent.out" | grep -q '"rule":{' && fail "an alert without the drill mark" || ok "no drill alert left unmarked"
# the notification channels get the drill's alerts marked too (a command channel: the
# alert JSON on its stdin)
wait_for "a notification" grep -q '"rule"' "$T_TMP/notified" || true
grep '"rule"' "$T_TMP/notified" | grep -q '"drill": *true' &&
	! grep '"rule"' "$T_TMP/notified" | grep -v -q '"drill": *true' &&
	ok "every alert notification of a drill carries the drill mark" || fail "notifications: $(head -c 600 "$T_TMP/notified" 2>/dev/null)"
# evident status lists the drills played into the agent, with their records and alerts
run "$EVIDENT" status --socket "$A_SOCK" --json
printf '%s' "$T_OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)["maintenance"]["drills"]
# a drill id: the scenario name (cut at 16 characters) and a random part
names = sorted(x["drill"].rsplit("-", 1)[0] for x in d)
assert names == ["service-crash-lo", "ssh-brute-force", "sudo-privilege-e"], d
assert all(x["injected"] > 0 and x["alerts"] > 0 for x in d), d
assert [x["last_us"] for x in d] == sorted((x["last_us"] for x in d), reverse=True), d' &&
	ok "status --json: the three drills, each with records injected and alerts, latest first" || fail "status --json: $T_OUT"
run "$EVIDENT" status --socket "$A_SOCK"
expect_out '^  drill +service-crash-lo-[0-9a-f]+: [1-9][0-9]* records injected, [1-9][0-9]* alerts \(last ' "status names the drill, its records and alerts"
run "$EVIDENT" metrics -c "$CONF" --json
expect_rc 0 "metrics"
printf '%s' "$T_OUT" | python3 -c 'import json,sys; m=json.load(sys.stdin); assert m["drills_excluded"] >= 4 and m["incidents"] == 0, m' &&
	ok "metrics leave every drill incident out" || fail "metrics: $T_OUT"

agent_stop
[ "$A_RC" -eq 0 ] && ok "the agent stops cleanly" || fail "agent exit $A_RC"
done_testing
