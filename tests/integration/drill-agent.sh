#!/bin/sh
# evident drill against the real agent (issue 18): every bundled scenario is played into
# the running agent's pipeline and must score PASS step by step (the rule fired in time,
# a drill incident opened, its evidence sealed and verifying and marked DRILL, routed to
# the expected teams, acknowledged in time by a person: a background "on-call" acks each
# drill incident with `evident incident ack`). The alerts on stdout carry "drill":true,
# drill incidents are left out of `evident metrics`, and a drill nobody acknowledges in
# time fails its scorecard (exit 1). The backup scenario's rule waits 6 h in the shipped
# pack: the agent here runs a copy of the pack whose backup timespan is 3 s.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
trap 'touch "$T_TMP/stop-acker"; chattr -R -i "$T_TMP" 2>/dev/null; agent_cleanup' EXIT
mkdir -p "$T_TMP/keys" "$T_TMP/rules"
"$EVIDENT" keygen --out "$T_TMP/keys" --name k >/dev/null 2>&1 || fail "keygen"
cp "$EV_SRCDIR"/conf/rules/*.yml "$T_TMP/rules/"
sed -i 's/^    timespan: 6h$/    timespan: 3s/' "$T_TMP/rules/backup_not_finished.yml"
grep -q 'timespan: 3s' "$T_TMP/rules/backup_not_finished.yml" || fail "could not shorten the backup rule"
CONF="$T_TMP/evident.yaml"
cat >"$CONF" <<EOC
agent:
  state_dir: $A_STATE
  control_socket: $A_SOCK
  control_group: evident-test-nonexistent
sources:
  journal: false
rules:
  paths: [$T_TMP/rules]
  allowed_lateness: 1s
store:
  path: $T_TMP/store
  key: $T_TMP/keys/k.key
actions:
  open_incident: ["level:high", "level:critical"]
  seal_commands: []
  lookback: 5m
EOC
agent_start --config "$CONF"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }

# the on-call person: acknowledges every drill incident once it is on record
oncall() {
	while [ ! -e "$T_TMP/stop-acker" ]; do
		for d in "$A_STATE"/incidents/D-*; do
			[ -e "$d/ledger.jsonl" ] || continue
			id=${d##*/}
			[ -e "$T_TMP/acked.$id" ] && continue
			"$EVIDENT" incident -c "$CONF" ack "$id" --as oncall-drill >/dev/null 2>&1 && : >"$T_TMP/acked.$id"
		done
		sleep 0.1
	done
}
oncall &
ONCALL=$!

for s in ssh-brute-force sudo-privilege-escalation service-crash-loop backup-never-finishes disk-filling-io-errors; do
	run "$EVIDENT" drill -c "$CONF" --scenario "$s" --speed 60 --wait 15s --json
	expect_rc 0 "drill $s scores PASS"
	printf '%s\n' "$T_OUT" >"$T_TMP/card.json"
	python3 - "$T_TMP/card.json" <<'EOPY' && ok "$s: every expected step fired, opened a drill incident, sealed verified DRILL evidence, routed, acked in time" || fail "$s scorecard: $T_OUT"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["pass"] is True
scored = [s for s in c["steps"] if "pass" in s]
assert scored, c
for s in scored:
    assert s["pass"] and s["fired"] and s["detection_ms"] >= 0, s
    for k in ("incident_opened", "incident_drill", "incident_verifies", "evidence_sealed",
              "bundle_verifies", "bundle_marked_drill", "routed_ok", "acknowledged",
              "acknowledged_in_time"):
        assert s[k] is True, (k, s)
    assert s["incident"].startswith("D-" + c["drill"][:24]), s
    assert s["duration_ms"] >= 0 and s["ack_ms"] >= 0
EOPY
done
grep '"drill":true' "$T_TMP/agent.out" | grep -q '"drill_id":"ssh-brute-force-' &&
	ok "the agent's alerts carry drill:true and the drill id" || fail "no drill marks in the alerts"
grep -v '"drill":true' "$T_TMP/agent.out" | grep -q '"rule":{' && fail "an alert without the drill mark" || ok "no drill alert left unmarked"
run "$EVIDENT" metrics -c "$CONF" --json
expect_rc 0 "metrics"
printf '%s' "$T_OUT" | python3 -c 'import json,sys; m=json.load(sys.stdin); assert m["drills_excluded"] >= 5 and m["incidents"] == 0, m' &&
	ok "metrics leave every drill incident out" || fail "metrics: $T_OUT"

# a site's own scenario (drills.paths), and nobody acknowledges: the scorecard says so
# and the drill fails
mkdir -p "$T_TMP/drills"
cat >"$T_TMP/drills/site-disk.yaml" <<'EOY'
name: site-disk
description: the site's own drill
steps:
  - name: one I/O error
    at: 0s
    records:
      - {program: kernel, message: "Buffer I/O error on dev sdb1, logical block 0, lost async page write"}
    expect: {rule: Kernel disk or filesystem error, within: 30s, incident: true, teams: [devops-incident-responder]}
EOY
printf 'drills:\n  paths: [%s/drills]\n' "$T_TMP" >>"$CONF"
run "$EVIDENT" drill -c "$CONF" --list
expect_out '^site-disk +'"$T_TMP"'/drills/site-disk.yaml' "--list shows the site's scenario"
expect_out '^ssh-brute-force ' "--list shows the shipped ones"
touch "$T_TMP/stop-acker"; wait "$ONCALL" 2>/dev/null
run "$EVIDENT" drill -c "$CONF" --scenario site-disk --wait 15s --ack-within 1s
expect_rc 1 "a drill nobody acknowledges fails"
expect_out 'rule fired +yes +Kernel disk or filesystem error' "the site's scenario fired its rule"
expect_out 'evidence sealed +yes' "its evidence is sealed and verifies"
expect_out 'acknowledged +NO' "the scorecard says it was not acknowledged"
expect_out 'FAIL' "the drill's result is FAIL"

run "$EVIDENT" drill -c "$CONF" --scenario no-such-scenario
expect_rc 2 "an unknown scenario is a usage error"
expect_err "no scenario 'no-such-scenario'" "it says where it looked"
agent_stop
[ "$A_RC" -eq 0 ] && ok "the agent stops cleanly" || fail "agent exit $A_RC"
done_testing
