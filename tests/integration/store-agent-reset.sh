#!/bin/sh
# A lost or corrupted chain head while the agent runs: the next seal through the agent
# starts a new chain with a signed chain_reset entry, and the agent's log says so (issue
# 10: the ledger and verify recorded it, the agent's log did not).
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

LOG="$T_TMP/app.log"
echo "Nov 27 02:40:00 host1 app[1]: hello" >"$LOG"
mkdir -p "$T_TMP/keys"
"$EVIDENT" keygen --out "$T_TMP/keys" --name agent >/dev/null 2>&1 || fail "keygen"
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]|" \
	-e "s|^  path: $T_TMP/store|  path: $T_TMP/store\n  key: $T_TMP/keys/agent.key|" "$T_TMP/evident.yaml"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }

run "$EVIDENT" seal --socket "$A_SOCK" --json --no-immutable --file "$LOG"
expect_rc 0 "a seal through the agent"
grep -q 'chain state was lost' "$T_TMP/agent.err" && fail "a reset logged on a fresh store" || ok "no reset logged for a fresh store"
head -c 30 "$T_TMP/store/HEAD" >"$T_TMP/h" && cat "$T_TMP/h" >"$T_TMP/store/HEAD" # truncated
run "$EVIDENT" seal --socket "$A_SOCK" --json --no-immutable --file "$LOG"
expect_rc 0 "a seal through the agent after the head was truncated"
expect_out '"chain_reset":true' "the answer says the chain was reset"
wait_for "the log line" grep -q 'chain state was lost or invalid' "$T_TMP/agent.err"
grep -q 'seal (work [0-9]*): the store.s chain state was lost or invalid: a new chain was started and a signed chain_reset entry recorded' "$T_TMP/agent.err" &&
	ok "the agent logs the reset" || { fail "no reset line in the agent's log"; sed 's/^/  | /' "$T_TMP/agent.err" | tail -5; }
run "$EVIDENT" verify --no-record --pub "$T_TMP/keys/agent.pub" "$T_TMP/store"
expect_rc 1 "verify reports it"
expect_out '^CHAIN_RESET custody.jsonl: line [0-9]+: chain reset: chain head invalid' "as the recorded CHAIN_RESET"
agent_stop
done_testing
