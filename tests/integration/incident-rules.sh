#!/bin/sh
# Incidents from rules: an alert selected by actions.open_incident opens an incident
# through the same triage as `evident triage` (urgency from the rule's level, impact from
# its tags, t_detect the alert's time, t_impact its first event, the evidence sealed);
# a later alert of the same rule extends the open incident with an `alert` entry.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed"
LOG="$T_TMP/auth.log"
: >"$LOG"
RULE_ID=5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d
agent_rule_config "$RULE_ID" "Failed password" "  lookahead: 1s
  open_incident: [rule:$RULE_ID]"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
L="$A_STATE/incidents/R-$RULE_ID-1/ledger.jsonl"
printf '%s host sshd[9]: Failed password for root from 203.0.113.5 port 22 ssh2\n' "$(LC_ALL=C date '+%b %e %H:%M:%S')" >>"$LOG"
T_DEADLINE=20 wait_for "the incident's evidence" sh -c "grep -q '\"action\":\"evidence\"' '$L'" ||
	{ fail "no incident opened by the rule"; sed 's/^/  | /' "$T_TMP/agent.err" | tail -20; done_testing; }
K=$(sed 's/^{"action":"\([a-z_]*\)".*/\1/' "$L" | tr '\n' ' ')
[ "$K" = "opened triaged evidence " ] && ok "the alert opened the incident: opened, triaged, evidence" || fail "kinds: $K"
TR=$(grep '"action":"triaged"' "$L")
printf '%s' "$TR" | grep -q '"impact":"security_violation"' && printf '%s' "$TR" | grep -q '"urgency":"high"' &&
	printf '%s' "$TR" | grep -q "\"rules\":\[\"$RULE_ID\"\]" && printf '%s' "$TR" | grep -q '"severity":"high"' &&
	ok "classified from the rule: level high -> urgency high, security_violation, severity high" || fail "triaged: $(printf '%s' "$TR" | cut -c1-600)"
printf '%s' "$TR" | grep -q '"name":"rule '"$RULE_ID"'"' && ok "the actor names the rule" || fail "actor"
head -1 "$L" | grep -q '"detected_at":"@[0-9]*\.[0-9]*"' && ok "t_detect is the alert's time" || fail "opened: $(head -1 "$L" | cut -c1-300)"
printf '%s\n' "$(LC_ALL=C date '+%b %e %H:%M:%S') host sshd[9]: Failed password for admin from 203.0.113.5 port 22 ssh2" >>"$LOG"
T_DEADLINE=20 wait_for "an alert entry" sh -c "grep -q '\"action\":\"alert\"' '$L'" && ok "a second alert extends the open incident" ||
	fail "no alert entry: $(sed 's/^{"action":"\([a-z_]*\)".*/\1/' "$L" | tr '\n' ' ')"
[ "$(ls "$A_STATE/incidents")" = "R-$RULE_ID-1" ] && ok "one incident for the rule" || fail "incidents: $(ls "$A_STATE/incidents")"
run "$EVIDENT" verify --pub "$T_TMP/keys/agent.pub" "$L"
expect_rc 0 "the incident ledger verifies"
agent_stop
done_testing
