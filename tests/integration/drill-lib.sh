# Helpers for the drill-*.sh tests (sourced after lib.sh and agent-lib.sh): the agent with
# a copy of the shipped rule pack (the backup rule's 6 h timespan cut to 3 s), rules that
# open incidents at levels high and critical, and an "on-call" person in the background
# who acknowledges every drill incident once it is on record (touch $T_TMP/stop-acker to
# stop; $ONCALL is its pid; it stops by itself when $T_TMP is gone). play_drill SCENARIO checks the scorecard of a PASS.
# the on-call loop is killed before the directory goes: a touched stop-acker removed with
# the directory before the loop looked at it left the loop running for ever
trap '[ -n "${ONCALL:-}" ] && kill "$ONCALL" 2>/dev/null && wait "$ONCALL" 2>/dev/null; chattr -R -i "$T_TMP" 2>/dev/null; agent_cleanup' EXIT
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
notify:
  interval: 200ms
  channels:
    - name: pager
      type: command
      command: [/bin/sh, -c, "cat >> $T_TMP/notified; echo >> $T_TMP/notified"]
      events: [critical, high]
EOC
agent_start --config "$CONF"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }

# the on-call person: acknowledges every drill incident once it is on record
oncall() {
	while [ ! -e "$T_TMP/stop-acker" ] && [ -d "$T_TMP" ]; do
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

play_drill() {
	run "$EVIDENT" drill -c "$CONF" --scenario "$1" --speed 60 --wait 15s --json
	expect_rc 0 "drill $1 scores PASS"
	printf '%s\n' "$T_OUT" >"$T_TMP/card.json"
	python3 - "$T_TMP/card.json" <<'EOPY' && ok "$1: every expected step fired, opened a drill incident, sealed verified DRILL evidence, routed, acked in time" || fail "$1 scorecard: $T_OUT"
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
}
