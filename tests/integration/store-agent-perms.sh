#!/bin/sh
# A store a seal would refuse, or a private key readable by others, is an error in the
# agent's log when it starts and when a reload points it at such a store or key (issue 10:
# "permissions are checked at start"), not only at the first seal; the agent keeps
# detecting, and the seal through it is refused with the same reason.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

LOG="$T_TMP/app.log"
echo "Nov 27 02:40:00 host1 app[1]: hello" >"$LOG"
mkdir -p "$T_TMP/keys"
"$EVIDENT" keygen --out "$T_TMP/keys" --name agent >/dev/null 2>&1 || fail "keygen"
cfg() { # cfg FILE STORE KEY
	agent_write_config "$1"
	sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]|" \
		-e "s|^  path: $T_TMP/store|  path: $2\n  key: $3|" "$1"
}

# a world-writable store: an error at start, naming the path and the fix
mkdir -m 0777 "$T_TMP/open"
chmod 0777 "$T_TMP/open" # past the umask
cfg "$T_TMP/a.yaml" "$T_TMP/open" "$T_TMP/keys/agent.key"
agent_start --config "$T_TMP/a.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }
grep -q "store refused: $T_TMP/open: writable by every user (mode 0777).*chmod o-w '$T_TMP/open'; seals fail until it is fixed" "$T_TMP/agent.err" &&
	ok "a world-writable store is an error at start, with the fix" ||
	{ fail "no start-up error for a world-writable store"; sed 's/^/  | /' "$T_TMP/agent.err" | tail -5; }
run "$EVIDENT" status --socket "$A_SOCK" --json
expect_rc 0 "the agent runs on (detection goes on)"
run "$EVIDENT" seal --socket "$A_SOCK" --json --no-immutable --file "$LOG"
[ "$T_RC" -ne 0 ] && ok "a seal into it is refused (exit $T_RC)" || fail "a seal into a world-writable store succeeded"
case "$T_OUT$T_ERR" in *"writable by every user"*) ok "with the same reason" ;; *) fail "seal refusal: $T_OUT $T_ERR" ;; esac

# a reload onto a good store, then onto a key readable by its group
cp "$T_TMP/keys/agent.key" "$T_TMP/loose.key"
chmod 0640 "$T_TMP/loose.key"
cfg "$T_TMP/a.yaml" "$T_TMP/store" "$T_TMP/loose.key"
n=$(grep -c 'refused' "$T_TMP/agent.err")
kill -HUP "$A_PID"
wait_for "the reload" grep -q "store key $T_TMP/loose.key refused" "$T_TMP/agent.err"
grep -q "store key $T_TMP/loose.key refused: $T_TMP/loose.key: private key is accessible by group or others (mode 0640); run chmod 600; seals and the custody ledger are off until it is fixed" "$T_TMP/agent.err" &&
	ok "a reload onto a group-readable key: an error, with the fix" ||
	{ fail "no error for the loose key"; sed 's/^/  | /' "$T_TMP/agent.err" | tail -5; }
[ "$(grep -c 'store refused' "$T_TMP/agent.err")" -eq 1 ] && ok "the good store is not reported" || fail "store reported again: $(grep 'store refused' "$T_TMP/agent.err")"
[ "$(grep -c 'refused' "$T_TMP/agent.err")" -gt "$n" ] || fail "nothing new in the log"
agent_stop

# a good store and key: nothing is reported at start
cfg "$T_TMP/b.yaml" "$T_TMP/store" "$T_TMP/keys/agent.key"
: >"$T_TMP/agent.err"
agent_start --config "$T_TMP/b.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; done_testing; }
run "$EVIDENT" seal --socket "$A_SOCK" --json --no-immutable --file "$LOG"
expect_rc 0 "a seal into a good store"
grep -q 'refused' "$T_TMP/agent.err" && fail "a refusal logged for a good store: $(grep refused "$T_TMP/agent.err")" || ok "no refusal logged for a good store and key"
agent_stop
done_testing
