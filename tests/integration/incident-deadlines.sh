#!/bin/sh
# The agent keeps the incident clocks, driven here by a controllable wall clock (the
# clockshift shim of agent-clock.sh): nothing is due before the acknowledge deadline;
# 6 minutes after detection the first escalation step is written (notifying each routed
# team's first contact) and goes to stdout and the hook; after a restart 17 minutes on,
# the second step and the missed 15-minute update are written and the first step is not
# written again; after an ack no further step comes, only missed updates.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
trap 'chattr -R -i "$T_TMP" 2>/dev/null; agent_cleanup' EXIT
clock_shim
cat >"$T_TMP/hook.sh" <<EOS
#!/bin/sh
cat >>"$T_TMP/hook.out"
EOS
chmod 755 "$T_TMP/hook.sh"
I_CONTACTS='"security-engineer: sec-1, sec-2", "sre-engineer: sre-1, sre-2, sre-3"'
I_ACTIONS="  hook: [$T_TMP/hook.sh]"
incident_config "  check_interval: 1s"
I_STATE=$A_STATE
sed -i "s|^  state_dir: .*|  state_dir: $A_STATE|; s|^  control_socket: .*|  control_socket: $A_SOCK|" "$I_CONF"
"$EVIDENT" config check "$I_CONF" >/dev/null 2>"$T_TMP/cfg.err" || { fail "config: $(cat "$T_TMP/cfg.err")"; done_testing; }
run "$EVIDENT" triage -c "$I_CONF" --offline --incident INC-D --impact data_breach --urgency immediate
expect_rc 0 "a critical incident, detected now"
L=$(ledger INC-D)
start() {
	LD_PRELOAD="$SHIM" EV_CLOCKSHIFT_FILE="$FT" ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0" \
		agent_start --config "$I_CONF"
	wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
}
count() { grep -c "\"action\":\"$1\"" "$L"; }
step_n() { grep '"action":"escalated"' "$L" | grep -Ec "\"step\":$1[,}]"; }
start
sleep 1.5
[ "$(count escalated)" -eq 0 ] && [ "$(count update_due)" -eq 0 ] && ok "nothing due before the acknowledge deadline" || fail "kinds: $(kinds INC-D)"

echo 360 >"$FT"
wait_for "first escalation" sh -c "grep -q '\"action\":\"escalated\"' '$L'" || fail "no escalation after 6 minutes"
E1=$(grep '"action":"escalated"' "$L" | head -1)
printf '%s' "$E1" | grep -q '"deadline":"acknowledge"' && printf '%s' "$E1" | grep -Eq '"step":1[,}]' &&
	printf '%s' "$E1" | grep -q '"notify":\["sec-1","devops-incident-responder","sre-1"\]' &&
	ok "step 1: each routed team's first contact" || fail "escalated: $E1"
printf '%s' "$E1" | grep -q '"name":"evident agent"' && ok "written by the agent" || fail "actor: $E1"
[ "$(count update_due)" -eq 0 ] && ok "no update due at 6 minutes (critical: every 15)" || fail "update_due early"
wait_for "stdout" grep -q '"type":"incident_deadline"' "$T_TMP/agent.out" && ok "the deadline went to the stdout sink" || fail "stdout: $(tail -3 "$T_TMP/agent.out")"
wait_for "hook" grep -q '"incident":"INC-D"' "$T_TMP/hook.out" && ok "the deadline went to the hook" || fail "hook"
agent_stop

# a restart 17 minutes after detection: step 2 and the missed update, step 1 not again
echo 1020 >"$FT"
start
wait_for "second escalation" sh -c "grep '\"action\":\"escalated\"' '$L' | grep -Eq '\"step\":2[,}]'" || fail "no step 2 after the restart"
wait_for "update due" sh -c "grep -q '\"action\":\"update_due\"' '$L'" || fail "no update_due"
grep '"action":"escalated"' "$L" | grep -E '"step":2[,}]' | grep -q '"notify":\["sec-2","devops-incident-responder","sre-2"\]' &&
	ok "step 2 notifies the next contacts" || fail "step 2: $(grep -E '"step":2[,}]' "$L")"
grep '"action":"update_due"' "$L" | grep -q '"every":"15m","key":"[^"]*","last_update":"[^"]*","missed":1' &&
	ok "one missed 15-minute update" || fail "update_due: $(grep update_due "$L")"
sleep 1.5
[ "$(step_n 1)" -eq 1 ] && [ "$(step_n 2)" -eq 1 ] && [ "$(count update_due)" -eq 1 ] &&
	ok "after the restart nothing is written twice" || fail "duplicates: $(kinds INC-D)"

# acknowledged: no step 3 at 35 minutes, but the second missed update
inc ack INC-D >/dev/null || fail "ack"
echo 2100 >"$FT"
wait_for "second missed update" sh -c "[ \$(grep -c '\"action\":\"update_due\"' '$L') -ge 2 ]" || fail "no second update_due"
sleep 1.5
[ "$(step_n 3)" -eq 0 ] && ok "no escalation after the ack" || fail "step 3 after the ack"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"incidents":\{"alerts_coalesced":0,"deadline_entries":3\}' "status counts what this agent run wrote (step 2, two updates due)"
agent_stop
run "$EVIDENT" verify --pub "$T_TMP/keys/k.pub" "$L"
expect_rc 0 "the ledger with the agent's entries verifies"
done_testing
