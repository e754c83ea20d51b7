#!/bin/sh
# Change windows in the running agent (issue 18): while a change of a service is open,
# the agent marks that service's alerts "maintenance": CHG-ID (they still reach the
# sinks) and opens no incident for them; another service's alerts are untouched; once the
# change is rolled back (or passes) its service's alerts open incidents again.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/maint-lib.sh"
trap 'chattr -R -i "$T_TMP" 2>/dev/null; [ -n "${M_PID:-}" ] && kill "$M_PID" 2>/dev/null; agent_cleanup' EXIT
mkdir -p "$T_TMP/rules"
cat >"$T_TMP/rules/svc.yml" <<'EOR'
title: Service configuration error
id: 7a1c0de0-0000-4000-8000-00000000a001
level: high
logsource:
  product: linux
detection:
  sel:
    message|contains: 'is invalid'
  condition: sel
EOR
: >"$T_TMP/other.log"
service_start
maint_config "rules:
  paths: [$T_TMP/rules]
  allowed_lateness: 1s"
sed -i "s|^  state_dir: .*|  state_dir: $A_STATE|; s|^  control_socket: .*|  control_socket: $A_SOCK|" "$M_CONF"
sed -i "s|^  files: \[$M_LOG\]|  files: [$M_LOG, $T_TMP/other.log]|" "$M_CONF"
sed -i 's|^  seal_commands: \[\]|  seal_commands: []\n  open_incident: ["level:high"]|' "$M_CONF"
M_STATE=$A_STATE
agent_start --config "$M_CONF"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }
M="$EVIDENT maintenance -c $M_CONF --no-immutable"
run $M start CHG-W --service svc --copy "$M_SVC/app.conf" --check "http=python3 $T_TMP/check.py $M_PORT"
expect_rc 0 "start the change"
sleep 1.2 # the agent re-reads the open windows at most once a second
# evident status shows the open window (text and JSON)
run "$EVIDENT" status --socket "$A_SOCK"
expect_out '^  maintenance +CHG-W \(service svc\) open since [0-9TZ:.-]+, until [0-9TZ:.-]+$' "status names the open window, its service and its end"
run "$EVIDENT" status --socket "$A_SOCK" --json
printf '%s' "$T_OUT" | python3 -c 'import json,sys; w=json.load(sys.stdin)["maintenance"]["windows"]; assert [x["change"] for x in w] == ["CHG-W"] and w[0]["service"] == "svc" and w[0]["until_us"] > w[0]["started_us"] > 0, w' &&
	ok "status --json: maintenance.windows [CHG-W] with its service and times" || fail "status --json: $T_OUT"
printf 'mode = broken\n' >"$M_SVC/app.conf"; kill -HUP "$M_PID"
wait_for "the service's alert" grep -q '"maintenance":"CHG-W"' "$T_TMP/agent.out" &&
	ok "the service's alert is marked maintenance: CHG-W, not dropped" || fail "no marked alert: $(cat "$T_TMP/agent.out")"
printf '%s host other[1]: ERROR configuration /etc/other.conf is invalid\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$T_TMP/other.log"
wait_for "the other service's alert" grep -q 'other.conf is invalid' "$T_TMP/agent.out" || fail "no alert for the other file"
grep 'other.conf is invalid' "$T_TMP/agent.out" | grep -q maintenance && fail "another service's alert is marked" ||
	ok "another service's alert is not marked"
T_DEADLINE=15 wait_for "the other alert's incident" sh -c "ls '$A_STATE/incidents' | grep -q ." || fail "no incident for the other alert"
sleep 1
n=$(ls "$A_STATE/incidents" | wc -l)
[ "$n" -eq 1 ] && ok "the service's alerts in the window opened no incident (only the other one did)" ||
	fail "incidents: $(ls "$A_STATE/incidents")"
L=$(ls -d "$A_STATE"/incidents/*/ledger.jsonl | head -1)
[ "$(grep -c '"action":"alert"' "$L")" -eq 0 ] && ok "nor joined the open incident of the rule" || fail "ledger: $(cat "$L")"
run $M rollback CHG-W
expect_rc 0 "rollback closes the window (healthy)"
sleep 1.2
run "$EVIDENT" status --socket "$A_SOCK"
expect_out '^  maintenance +no open window$' "status: no open window after the rollback"
printf 'mode = broken\n' >"$M_SVC/app.conf"; kill -HUP "$M_PID"
T_DEADLINE=15 wait_for "the incident to take the alert once the window is closed" grep -q '"action":"alert"' "$L" &&
	ok "after the window the service's alert goes to the rule's incident again" || fail "ledger: $(cat "$L")"
n=$(grep -c '"maintenance":"CHG-W"' "$T_TMP/agent.out")
grep 'is invalid' "$T_TMP/agent.out" | tail -1 | grep -q maintenance && fail "an alert after the window is still marked" ||
	ok "the alerts after the window are not marked ($n marked during it)"
agent_stop
[ "$A_RC" -eq 0 ] && ok "the agent stops cleanly" || fail "agent exit $A_RC"
done_testing
