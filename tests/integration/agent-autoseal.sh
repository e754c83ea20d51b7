#!/bin/sh
# Automatic seals (actions.seal_on): a storm of 1000 alerts of one rule gives one bundle (the
# rest coalesced into it), a later burst a second one, and beyond seal_rate_per_hour the
# alerts are counted, logged and not sealed. The bundles verify and hold the lines.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

LOG="$T_TMP/auth.log"
: >"$LOG"
RULE_ID=6a0e0c2e-7f0b-4d43-9d1c-3c1f1e0b6a01
agent_rule_config "$RULE_ID" "Test failed password" "  lookahead: 2s
  seal_rate_per_hour: 2"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }

burst() { # burst FROM TO: attack lines, one write
	python3 -c '
import sys
with open(sys.argv[1], "a") as f:
    f.write("".join("Nov 27 02:40:00 host1 sshd[%d]: Failed password for root from 10.9.0.%d port 22 ssh2\n" % (i, i % 250) for i in range(int(sys.argv[2]), int(sys.argv[3]) + 1)))
' "$LOG" "$1" "$2"
}
seals_ok() { "$EVIDENT" status --json --socket "$A_SOCK" | grep -q "\"seals\":{\"failed\":0,\"ok\":$1,"; }

burst 1 1000
if wait_for "first automatic seal" seals_ok 1; then ok "a storm of 1000 alerts: one automatic seal"; else fail "no first seal"; sed 's/^/  | /' "$T_TMP/agent.err"; fi
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"automatic_seals":\{"coalesced":999,"not_queued":0,"opened":1,' "999 alerts coalesced into the first seal"

burst 1001 1005
if wait_for "second automatic seal" seals_ok 2; then ok "a later burst: a second seal"; else fail "no second seal"; fi
burst 1006 1010
wait_for "rate limit" grep -q "automatic seals for rule $RULE_ID: rate limit of 2 per hour reached" "$T_TMP/agent.err" &&
	ok "rate limit reached: logged" || fail "rate limit not logged"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"automatic_seals":\{"coalesced":1003,"not_queued":0,"opened":2,"pending":0,"rate_limited":5\}' "the 5 alerts beyond the rate limit are counted"
expect_out '"alerts":1010,' "every alert still counted and sent to the sinks"
[ "$(grep -c '"kind":"match"' "$T_TMP/agent.out")" -eq 1010 ] && ok "1010 alerts on stdout" || fail "alerts on stdout: $(grep -c '"kind":"match"' "$T_TMP/agent.out")"

n=$(ls "$T_TMP/store/bundles" | wc -l)
[ "$n" -eq 2 ] && ok "two bundles in the store" || fail "$n bundles in the store"
run "$EVIDENT" verify "$T_TMP/store"
expect_rc 0 "evident verify passes on the store"
FIRST=$(ls "$T_TMP/store/bundles"/*.tar.gz | head -1)
tar -xzOf "$FIRST" MANIFEST.json | grep -q "automatic seal: rule $RULE_ID, 1000 alerts" && ok "the first bundle names the rule and its 1000 alerts" || fail "first bundle note"
[ "$(tar -xzOf "$FIRST" --wildcards 'evidence/*' | grep -c 'Failed password')" -ge 1000 ] && ok "the first bundle holds the 1000 attack lines" || fail "attack lines missing from the first bundle"

agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
