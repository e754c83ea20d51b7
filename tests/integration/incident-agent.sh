#!/bin/sh
# evident triage through the running agent: the agent checks, classifies with its own
# configuration, seals the service's evidence and opens the incident's signed ledger
# naming the control socket peer; a bad request is refused by the agent itself with
# nothing sealed or written; a re-triage of a closed incident is refused.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
trap 'chattr -R -i "$T_TMP" 2>/dev/null; agent_cleanup' EXIT
incident_config
I_STATE=$A_STATE
sed -i "s|^  state_dir: .*|  state_dir: $A_STATE|; s|^  control_socket: .*|  control_socket: $A_SOCK|" "$I_CONF"
agent_start --config "$I_CONF"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }

run "$EVIDENT" triage --socket "$A_SOCK" --json --incident INC-A --impact service_outage \
	--urgency high --affected-users 1000 --service api-service --as alice
expect_rc 0 "triage through the agent"
A=$T_OUT
[ "$(jfield "$A" "(d['severity'], d['created'], d['update_every'])")" = "('critical', True, '15m')" ] &&
	ok "the agent classifies: critical, opened, updates every 15m" || fail "answer: $A"
B=$(jfield "$A" "d['bundle']")
[ -f "$B" ] && tar -tzf "$B" | grep -q api.log && ! tar -tzf "$B" | grep -q other.log &&
	ok "the agent sealed the service's file only" || fail "bundle $B"
L=$(ledger INC-A)
[ "$(kinds INC-A)" = "opened triaged evidence " ] && ok "the agent wrote opened, triaged, evidence" || fail "kinds: $(kinds INC-A)"
head -1 "$L" | grep -q '"name":"alice"' && head -1 "$L" | grep -q '"via":"control socket"' &&
	head -1 "$L" | grep -q "\"uid\":$(id -u)" && ok "the actor is the socket peer with its --as" || fail "actor: $(head -1 "$L" | cut -c1-300)"
run "$EVIDENT" verify --pub "$T_TMP/keys/k.pub" "$L"
expect_rc 0 "the agent's incident ledger verifies"

# the agent checks on its own: a raw request with an unknown impact
nb=$(ls "$I_STORE/bundles" | wc -l)
ANS=$(raw_request line '{"request":"triage","incident":"INC-B","impact":"outage","urgency":"high"}')
printf '%s' "$ANS" | grep -q '"code":"invalid_argument"' && printf '%s' "$ANS" | grep -q "unknown impact 'outage' (expected data_breach" &&
	ok "the agent refuses an unknown impact, listing the valid ones" || fail "answer: $ANS"
ANS=$(raw_request line '{"request":"triage","incident":"INC-B","impact":"data_breach","urgency":"high","impact_started":"+3h"}')
printf '%s' "$ANS" | grep -q 'is in the future' && ok "the agent refuses a time in the future" || fail "answer: $ANS"
[ ! -e "$A_STATE/incidents/INC-B" ] && [ "$(ls "$I_STORE/bundles" | wc -l)" = "$nb" ] &&
	ok "nothing sealed or written for refused requests" || fail "refused request wrote"

# a closed incident is not re-triaged
inc resolve INC-A --resolution "restarted" >/dev/null && inc close INC-A >/dev/null || fail "resolve/close"
run "$EVIDENT" triage --socket "$A_SOCK" --incident INC-A --impact service_outage --urgency low
expect_rc 2 "re-triage of a closed incident through the agent is refused"
expect_err "closed: reopen it first" "the refusal says to reopen it"
[ "$(ls "$I_STORE/bundles" | wc -l)" = "$nb" ] && ok "nothing sealed for it" || fail "sealed for a closed incident"
agent_stop
[ "$A_RC" -eq 0 ] && ok "the agent stops cleanly" || fail "agent exit $A_RC"
done_testing
