#!/bin/sh
# evident drill against the real agent (issue 18), part 2: the backup (its rule's
# timespan cut to 3 s in the agent's copy of the pack) and disk scenarios score PASS; a
# site's own scenario (drills.paths) is listed and played, and when nobody acknowledges
# its incident in time the scorecard says so and the drill fails (exit 1); a broken
# scenario file is refused with every error and its position.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/drill-lib.sh"
for s in backup-never-finishes disk-filling-io-errors; do
	play_drill "$s"
done
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

# a broken scenario file: every error with its position, nothing injected
cat >"$T_TMP/drills/broken.yaml" <<'EOY'
name: other
steps:
  - name: s
    at: soon
    records:
      - {program: x, repeat: 1000}
    expcet: {}
EOY
run "$EVIDENT" drill -c "$CONF" --scenario broken
expect_rc 2 "a broken scenario is refused"
expect_err "broken.yaml:1:7: name 'other' is not the file's name" "the name mismatch, with its position"
expect_err "broken.yaml:4:9: at must be a duration" "the bad duration"
expect_err "repeat must be a number from 1 to 100" "the repeat cap"
expect_err "broken.yaml:7:5: unknown key 'expcet'" "the unknown key"
expect_err "a record needs a message" "the record without a message"
run "$EVIDENT" drill -c "$CONF" --scenario ../evident
expect_rc 2 "a scenario name with a path is refused"

run "$EVIDENT" drill -c "$CONF" --scenario no-such-scenario
expect_rc 2 "an unknown scenario is a usage error"
expect_err "no scenario 'no-such-scenario'" "it says where it looked"
agent_stop
[ "$A_RC" -eq 0 ] && ok "the agent stops cleanly" || fail "agent exit $A_RC"
done_testing
