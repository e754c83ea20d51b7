#!/bin/sh
# Containment: automation suggests, a person approves. `evident incident run` seals a
# snapshot first, records the approval naming the command line's SHA-256, runs the command
# without a shell and records its exit status and output hash; an action that needs a
# second approver refuses to run without a proposal and refuses self-approval.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read JSON"
cat >"$T_TMP/block.sh" <<'EOS'
#!/bin/sh
echo "$1" >>"${0%/*}/blocked.txt"
echo "blocked $1"
EOS
cat >"$T_TMP/isolate.sh" <<'EOS'
#!/bin/sh
echo "$1" >>"${0%/*}/isolated.txt"
echo "isolated $1"
exit 3
EOS
chmod 755 "$T_TMP/block.sh" "$T_TMP/isolate.sh"
incident_config "  commands: [\"block-address=$T_TMP/block.sh {address}\", \"isolate-host=$T_TMP/isolate.sh {host}\"]
  second_approver: [isolate-host]"
run "$EVIDENT" triage -c "$I_CONF" --offline --incident INC-9 --impact security_violation --urgency high
expect_rc 0 "triage"
L=$(ledger INC-9)
sha() { sha256sum | cut -c1-64; }
entry() { grep "\"action\":\"$1\"" "$L" | tail -1; }

run inc run INC-9 block-address address=10.0.0.9 --approve
expect_rc 2 "run without --rationale is refused"
run inc run INC-9 block-address address=-f --approve --rationale x
expect_rc 2 "a value starting with '-' is refused"
run inc run INC-9 block-address --approve --rationale x
expect_rc 2 "a missing parameter is refused"
run inc run INC-9 block-address address=1.2.3.4 port=22 --approve --rationale x
expect_rc 2 "an unknown parameter is refused"
run inc run INC-9 drop-tables --approve --rationale x
expect_rc 2 "an action that is not configured is refused"
[ ! -e "$T_TMP/blocked.txt" ] && [ "$(kinds INC-9)" = "opened triaged evidence " ] &&
	ok "nothing ran and nothing was written for refused runs" || fail "kinds: $(kinds INC-9)"

# one approver: snapshot, approval, run
run inc run INC-9 block-address address=10.0.0.9 --approve --rationale "scanner hitting the login" --as alice
expect_rc 0 "block-address approved and run"
[ "$(cat "$T_TMP/blocked.txt" 2>/dev/null)" = 10.0.0.9 ] && ok "the command ran with the value" || fail "blocked.txt"
[ "$(kinds INC-9)" = "opened triaged evidence evidence action_approved action_run " ] &&
	ok "snapshot (evidence) before the approval before the run" || fail "kinds: $(kinds INC-9)"
H=$(printf '%s\0%s\0' "$T_TMP/block.sh" 10.0.0.9 | sha)
entry action_approved | grep -q "\"command_sha256\":\"$H\"" && ok "the approval names the command line's hash" || fail "approval: $(entry action_approved | cut -c1-400)"
entry action_approved | grep -q '"rationale":"scanner hitting the login"' && ok "the approval keeps the rationale" || fail "rationale"
O=$(printf 'blocked 10.0.0.9\n' | sha)
entry action_run | grep -q "\"exit_status\":0" && entry action_run | grep -q "\"stdout_sha256\":\"$O\"" &&
	ok "action_run: exit status 0 and the output's hash" || fail "action_run: $(entry action_run | cut -c1-500)"
SNAP=$(entry evidence | sed -n 's/.*"details":{"bundle":"\([^"]*\)".*/\1/p')
[ -f "$SNAP" ] && entry evidence | grep -q 'snapshot before containment action block-address' &&
	ok "the snapshot bundle was sealed" || fail "snapshot: $(entry evidence | cut -c1-300)"

# two approvers: no proposal, self-approval, another person
run inc run INC-9 isolate-host host=web1 --approve --rationale "contain" --as alice
expect_rc 2 "a second-approver action without a proposal is refused"
expect_err "needs a second approver" "the refusal says why"
run inc run INC-9 isolate-host host=web1 --rationale "lateral movement from web1" --as alice
expect_rc 0 "alice proposes isolate-host"
entry action_proposed | grep -q '"second_approver":true' && ok "the proposal is recorded" || fail "proposal"
cp "$L" "$T_TMP/saved"
run inc run INC-9 isolate-host host=web1 --approve --rationale "ok" --as alice
expect_rc 2 "alice approving her own proposal is refused"
expect_err "self-approval refused" "says self-approval"
run inc run INC-9 isolate-host host=web1 --approve --rationale "ok"
expect_rc 2 "the same uid without a name is the same person"
cmp -s "$L" "$T_TMP/saved" && [ ! -e "$T_TMP/isolated.txt" ] && ok "refused approvals ran and wrote nothing" || fail "refusal wrote or ran"
run inc run INC-9 isolate-host host=web2 --approve --rationale "ok" --as bob
expect_rc 2 "approving a different command line than proposed is refused"
run inc run INC-9 isolate-host host=web1 --approve --rationale "confirmed with the owner" --as bob
expect_rc 1 "bob approves; the command exits 3 (exit 1)"
[ "$(cat "$T_TMP/isolated.txt" 2>/dev/null)" = web1 ] && ok "isolate-host ran once" || fail "isolated.txt"
entry action_approved | grep -q '"name":"bob"' && entry action_approved | grep -q '"proposal_entry":[0-9]' &&
	ok "the approval names bob and the proposal" || fail "approval: $(entry action_approved | cut -c1-300)"
entry action_run | grep -q '"exit_status":3' && ok "action_run records exit status 3" || fail "exit status"
run inc run INC-9 isolate-host host=web1 --approve --rationale "again" --as carol
expect_rc 2 "an approved proposal cannot be approved again"
run "$EVIDENT" verify "$I_STATE/incidents"
expect_rc 0 "the incident ledger verifies"
done_testing
