#!/bin/sh
# `evident seal` through the running agent: the agent seals (the custody ledger names the
# requesting process), with the configured evidence commands and files (actions.seal_*);
# --offline seals in-process while the agent runs; without an agent the seal is made
# in-process and stderr says so. Automatic seals: the manifest's trigger lists the rule
# and its alert ids, and a {"type":"sealed"} line on stdout tells which bundle holds
# which alerts.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

LOG="$T_TMP/auth.log"
printf 'Nov 27 02:40:00 host1 sshd[1]: Accepted password for alice from 10.1.1.1 port 22 ssh2\n' >"$LOG"
echo "copied whole" >"$T_TMP/copy-me.txt"
RULE_ID=0b7c4d1e-2f3a-4b5c-8d6e-7f8091a2b3c4
agent_rule_config "$RULE_ID" "Test failed password" "  lookahead: 1s
  seal_files: [$T_TMP/copy-me.txt]"
# The group of gid 65534 (nogroup) is the control group, so that uid 65534 with gid 65534
# is a member; with gid 65000 it is not.
CGROUP=$(getent group 65534 | cut -d: -f1)
NOPRIV=$(need_setpriv)
[ -n "$CGROUP" ] || NOPRIV="${NOPRIV:-no group with gid 65534}"
sed -i -e "s|^  control_group: evident-test-nonexistent|  control_group: ${CGROUP:-evident-test-nonexistent}|" "$T_TMP/evident.yaml"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }
LEDGER="$T_TMP/store/custody.jsonl"

# --- a seal requested through the agent ---
"$EVIDENT" seal --socket "$A_SOCK" --json --no-immutable --file "$LOG" --note "by hand" \
	--command 'id=/usr/bin/id' >"$T_TMP/seal1.out" 2>"$T_TMP/seal1.err" &
SP=$!
wait $SP
RC=$?
[ "$RC" -eq 0 ] && ok "seal through the agent: exit 0" || { fail "seal through the agent: exit $RC"; sed 's/^/  | /' "$T_TMP/seal1.err" "$T_TMP/agent.err"; }
grep -q '"bundle":"[^"]*\.tar\.gz","bundle_id":"[^"]*","sequence":1,"manifest_sha256":"[0-9a-f]\{64\}"' "$T_TMP/seal1.out" &&
	ok "the agent answers with bundle path, id, sequence and manifest hash" || { fail "answer: $(cat "$T_TMP/seal1.out")"; }
grep -q 'sealing in-process' "$T_TMP/seal1.err" && fail "sealed in-process although the agent runs" || ok "not sealed in-process"
B1=$(sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p' "$T_TMP/seal1.out")
grep '"action":"sealed"' "$LEDGER" 2>/dev/null | grep -q "control socket: uid $(id -u) pid $SP exe [^\"]*evident" &&
	ok "the custody ledger names the requesting process (uid, pid, executable)" ||
	{ fail "ledger lacks the requester (pid $SP)"; sed 's/^/  | /' "$LEDGER"; }
grep -q "seal (work [0-9]*): sealed $B1" "$T_TMP/agent.err" && ok "the agent logged the seal" || fail "agent did not log the seal"
if [ -n "$B1" ] && [ -f "$B1" ]; then
	tar -tzf "$B1" >"$T_TMP/members1"
	for m in evidence/commands/ps evidence/commands/sockets evidence/commands/logins evidence/commands/mounts; do
		grep -qx "$m" "$T_TMP/members1" && ok "configured evidence command: $m" || fail "member $m missing"
	done
	grep -qx "evidence/commands/id" "$T_TMP/members1" && ok "the requested --command ran (root peer)" || fail "requested command missing"
	grep -q "^evidence/files/.*copy-me.txt$" "$T_TMP/members1" && ok "actions.seal_files copied" || fail "seal_files copy missing"
	# its one line is days before the window: a note in the manifest, no empty member
	tar -xzOf "$B1" MANIFEST.json | grep -q '"notes":\[{"note":"no lines in the window","source":{"asked":"'"$LOG"'"' &&
		! grep -q "^evidence/excerpts/.*auth.log$" "$T_TMP/members1" &&
		ok "the requested --file excerpted (nothing in the window: a note)" || fail "excerpt note missing"
	tar -xzOf "$B1" evidence/commands/ps | grep -q 'PID' && ok "ps output in the bundle" || fail "ps output empty"
	tar -xzOf "$B1" evidence/commands/mounts | grep -q '/proc' && ok "findmnt output in the bundle" || fail "findmnt output empty"
	tar -xzOf "$B1" MANIFEST.json | grep -q '"note":"by hand"' && ok "the note went through" || fail "note missing"
else fail "no bundle at '$B1'"; fi

# --- --offline while the agent runs: this process seals ---
run "$EVIDENT" seal --offline --config "$T_TMP/evident.yaml" --json --no-immutable --copy "$T_TMP/copy-me.txt"
expect_rc 0 "--offline seals while the agent runs"
expect_out '"sequence":2,' "the offline seal is the next in the chain"
[ "$(grep '"action":"sealed"' "$LEDGER" | tail -1 | grep -c 'control socket')" -eq 0 ] &&
	ok "the offline seal's ledger entry is not the agent's" || fail "offline seal went through the agent"

# --- a bad request: the agent's answer is the error ---
run "$EVIDENT" seal --socket "$A_SOCK" --level 9 --max-bundle-size 10 --no-immutable --file "$LOG"
expect_rc 2 "a seal the agent cannot make: exit 2"
expect_err 'the agent did not seal \(failed\)' "the agent's failure is reported"

# --- a member of the control group who is not root: no commands, no copies, only
# sources the agent reads; each refused, the request in the signed custody ledger with
# the peer as actor, the refusal in the audit file. Not a member: refused at connect,
# the refusal in the custody ledger. ---
if [ -n "$NOPRIV" ]; then
	skip_part "the non-root checks: $NOPRIV"
else
	chmod 755 "$T_TMP" "$T_TMP/run"
	nseq=$(grep -c '"action":"sealed"' "$LEDGER")
	run as_nobody "$EVIDENT" seal --socket "$A_SOCK" --no-immutable --command 'sh=/bin/sh -c id'
	expect_rc 2 "a member may not add a command"
	expect_err 'did not seal \(permission_denied\): only root may add commands or copied files' "the refusal says why"
	run as_nobody "$EVIDENT" seal --socket "$A_SOCK" --no-immutable --copy /etc/shadow
	expect_rc 2 "a member may not add a copied file"
	expect_err 'did not seal \(permission_denied\): only root may add commands or copied files' "the refusal of the copy says why"
	run as_nobody "$EVIDENT" seal --socket "$A_SOCK" --no-immutable --file /etc/shadow
	expect_rc 2 "a member may not name a file the agent does not read"
	expect_err "did not seal \(permission_denied\): source '/etc/shadow' is not one the agent reads" "the refusal names the source"
	run as_nobody "$EVIDENT" seal --socket "$A_SOCK" --no-immutable --file "$T_TMP/../$(basename "$T_TMP")/auth.log"
	expect_rc 2 "a path that only resolves to a tailed file is refused too"
	expect_err "did not seal \(permission_denied\): source '[^']*/\.\./[^']*auth.log' is not one the agent reads" "that refusal names the path as given"
	[ "$(grep '"code":"permission_denied"' "$A_STATE/control-audit.jsonl" | grep '"event":"answer"' | grep -c '"uid":65534},"request":"seal"')" -eq 4 ] &&
		ok "the four refusals are in the audit file with the peer" || fail "refusals not in the audit file"
	n=$(grep '"action":"control_request"' "$LEDGER" | grep '"request":"seal"' | grep -c '"gid":65534,"pid":[0-9]*,"uid":65534,"via":"control socket"')
	[ "$n" -eq 4 ] && ok "the four refused requests are in the signed custody ledger, uid 65534 as actor" ||
		{ fail "$n of 4 refused requests in the custody ledger"; grep control_ "$LEDGER" | cut -c1-300 | sed 's/^/  | /'; }
	n=$(grep '"action":"control_refused"' "$LEDGER" | grep '"event":"answer"' | grep '"code":"permission_denied"' |
		grep '"request":"seal"' | grep -c '"gid":65534,"pid":[0-9]*,"uid":65534,"via":"control socket"')
	[ "$n" -eq 4 ] && ok "the four refusals (the answers) are in the signed custody ledger, uid 65534 as actor" ||
		{ fail "$n of 4 refusals in the custody ledger"; grep control_ "$LEDGER" | cut -c1-300 | sed 's/^/  | /'; }
	grep '"action":"control_refused"' "$LEDGER" | grep '"event":"answer"' | grep -q '"error":"only root may add commands or copied files' &&
		ok "the ledger's refusal says why" || fail "the ledger's refusal lacks the reason"
	grep '"action":"control_request"' "$LEDGER" | grep '"uid":65534' | grep -q '"commands":\["sh=/bin/sh -c id"\]' &&
		ok "the ledger names the command that was asked for" || fail "the ledger lacks the requested command"
	[ "$(grep -c '"action":"sealed"' "$LEDGER")" -eq "$nseq" ] && ok "nothing was sealed for the refused requests" ||
		fail "a refused request sealed a bundle"
	run as_nonmember "$EVIDENT" status --json --socket "$A_SOCK"
	[ "$T_RC" -eq 1 ] && printf '%s' "$T_OUT" | grep -q '"code":"permission_denied"' &&
		ok "not a member of $CGROUP: refused (permission_denied, exit 1)" || fail "non-member: exit $T_RC: $T_OUT $T_ERR"
	grep '"action":"control_refused"' "$LEDGER" | grep -q '"gid":65000,"pid":[1-9][0-9]*,"uid":65534,"via":"control socket"' &&
		ok "the non-member's refusal is in the signed custody ledger with uid, gid and pid" ||
		{ fail "no control_refused entry for the non-member"; grep control_ "$LEDGER" | cut -c1-300 | sed 's/^/  | /'; }
	run "$EVIDENT" custody "$T_TMP/store"
	expect_rc 0 "the custody ledger with the refusals verifies"
fi

# --- automatic seal: alert ids in the manifest and the "sealed" line ---
printf 'Nov 27 02:41:00 host1 sshd[2]: Failed password for root from 10.9.9.9 port 22 ssh2\n' >>"$LOG"
if wait_for "sealed line" grep -q '"type":"sealed"' "$T_TMP/agent.out"; then ok "a sealed line on stdout after the automatic seal"
else fail "no sealed line"; sed 's/^/  | /' "$T_TMP/agent.out" "$T_TMP/agent.err"; fi
AID=$(grep '"kind":"match"' "$T_TMP/agent.out" | head -1 | sed -n 's/.*"alert_id":"\([^"]*\)".*/\1/p')
[ -n "$AID" ] && ok "the alert carries an alert_id ($AID)" || fail "no alert_id on the alert"
SL=$(grep '"type":"sealed"' "$T_TMP/agent.out" | head -1)
case "$SL" in *"\"alert_ids\":[\"$AID\"]"*) ok "the sealed line lists the alert" ;; *) fail "sealed line: $SL" ;; esac
case "$SL" in *"\"rule\":\"$RULE_ID\""*) ok "the sealed line names the rule" ;; *) fail "sealed line: $SL" ;; esac
case "$SL" in *'"bundle":"'*'"sequence":3'*) ok "the sealed line names the bundle and its sequence" ;; *) fail "sealed line: $SL" ;; esac
B3=$(printf '%s' "$SL" | sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p')
BID=$(printf '%s' "$SL" | sed -n 's/.*"bundle_id":"\([^"]*\)".*/\1/p')
M=$(tar -xzOf "$B3" MANIFEST.json 2>/dev/null)
case "$M" in *'"trigger":{'*'"alert_ids":["'"$AID"'"]'*) ok "the manifest's trigger lists the alert id" ;; *) fail "manifest trigger: $M" ;; esac
case "$M" in *'"kind":"rule"'*'"rule":"'"$RULE_ID"'"'*) ok "the manifest's trigger names the rule" ;; *) fail "manifest trigger kind/rule" ;; esac
case "$M" in *"\"bundle_id\":\"$BID\""*) ok "the sealed line's bundle_id is the bundle's" ;; *) fail "bundle id mismatch" ;; esac
tar -tzf "$B3" | grep -qx evidence/commands/sockets && ok "automatic seal: evidence commands too" || fail "automatic seal lacks commands"
run "$EVIDENT" verify "$T_TMP/store"
expect_rc 0 "evident verify passes on the store"

agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"

# --- no agent: in-process, said on stderr ---
run "$EVIDENT" seal --socket "$A_SOCK" --config "$T_TMP/evident.yaml" --json --no-immutable --copy "$T_TMP/copy-me.txt"
expect_rc 0 "no agent: sealed in-process"
expect_err "no agent answers on $A_SOCK; sealing in-process" "stderr says it sealed in-process"
expect_out '"sequence":4,' "in the same chain"
done_testing
