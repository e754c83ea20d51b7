#!/bin/sh
# actions.workers bounds how much slow work (hooks, seals) runs at once; the rest waits
# in the queue (docs/operations.md): with one worker and three alerts whose hook sleeps,
# status shows one running and two pending, and the hooks end one after another; with
# two workers, two run at once. A hook killed at its time limit counts as failed.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

LOG="$T_TMP/auth.log"
RULES="$T_TMP/rules"
mkdir -p "$RULES/no-decoders"
agent_write_rule "$RULES/failed.yml" 6a0e0c2e-7f0b-4d43-9d1c-3c1f1e0b6a01 "Test failed password"
: >"$LOG"
# qfield NAME: the number after "NAME": in the queue object of the last status
qfield() { printf '%s' "$T_OUT" | sed -n "s/.*\"queue\":{[^}]*\"$1\":\([0-9]*\).*/\1/p"; }

# one_run WORKERS HOOK-SECONDS TIMEOUT
one_run() {
	agent_write_config "$T_TMP/evident.yaml" "rules:
  paths: [$RULES]
  decoders: [$RULES/no-decoders]
actions:
  hook: [/bin/sleep, '$2']
  hook_timeout: $3
  workers: $1
  queue_size: 8"
	sed -i "s|^  journal: false|  journal: false\n  files: [$LOG]\n  stat_interval: 200ms|" "$T_TMP/evident.yaml"
	agent_start --config "$T_TMP/evident.yaml"
	wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }
	for i in 1 2 3; do
		echo "Nov 27 02:34:00 host1 sshd[8$i]: Failed password for u$i from 10.0.1.$i port $i ssh2"
	done >>"$LOG"
	wait_for "three hooks queued" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"hooks_started\":[1-9]'"
	wait_for "the queue filled" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"depth\":3,'"
	run "$EVIDENT" status --json --socket "$A_SOCK"
}

one_run 1 3 10s
[ "$(qfield workers)" = 1 ] && ok "workers: 1 in status" || fail "workers: $(qfield workers)"
[ "$(qfield running)" = 1 ] && [ "$(qfield pending)" = 2 ] && ok "one worker: one hook runs, two wait in the queue" ||
	fail "one worker: running $(qfield running), pending $(qfield pending)"
wait_for "all three done" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"hooks_ok\":3'"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"hooks_failed":0,"hooks_ok":3,' "all three ran to the end"
t=$(grep 'hook /bin/sleep for rule .*: exit status 0' "$T_TMP/agent.err" | wc -l)
[ "$t" -eq 3 ] && ok "three exits logged" || fail "exits logged: $t"
agent_stop

one_run 2 3 10s
[ "$(qfield running)" = 2 ] && [ "$(qfield pending)" = 1 ] && ok "two workers: two hooks run, one waits" ||
	fail "two workers: running $(qfield running), pending $(qfield pending)"
agent_stop

# a hook killed at its time limit: counted as failed, logged
one_run 1 30 300ms
wait_for "three killed" sh -c "[ \$(grep -c 'hook /bin/sleep for rule .*: timed out after 300ms, killed' '$T_TMP/agent.err') -eq 3 ]" &&
	ok "three hooks killed at 300 ms, logged" || fail "kills logged: $(grep -c 'timed out' "$T_TMP/agent.err")"
wait_for "the count" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"hooks_failed\":3'"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"hooks_failed":3,"hooks_ok":0,' "counted in sinks.hooks_failed"
agent_stop
done_testing
