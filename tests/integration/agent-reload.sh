#!/bin/sh
# Reload: SIGHUP and `evident reload` with a broken configuration keep the agent running
# on the old one and report every error with its position; a good configuration takes
# effect (queue capacity changes). RELOADING=1 then READY=1 go to the service manager.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

CFG="$T_TMP/evident.yaml"
agent_write_config "$CFG"
notify_listen
NOTIFY_SOCKET="$A_NOTIFY" agent_start --config "$CFG"
wait_for "READY=1" notify_has "READY=1" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }

# A broken configuration: two errors, and a valid change (queue_size: 9) that must not
# take effect.
cp "$CFG" "$CFG.good"
printf 'actions:\n  queue_size: 9\n  queue_sise: 8\n  hook_timeout: forever\n' >>"$CFG"
kill -HUP "$A_PID"
if wait_for "reload failure logged" grep -q "reload failed" "$T_TMP/agent.err"; then ok "SIGHUP with a broken configuration: failure logged"; else fail "no reload failure in the log"; fi
if grep -q "evident.yaml:[0-9]*:3: unknown key 'queue_sise' in actions (did you mean 'queue_size'?)" "$T_TMP/agent.err"; then
	ok "first error logged with its position"; else fail "first error not logged"; sed 's/^/  | /' "$T_TMP/agent.err"; fi
if grep -q "'hook_timeout': invalid duration 'forever'" "$T_TMP/agent.err"; then ok "second error logged"; else fail "second error not logged"; fi
if agent_alive; then ok "still running after a bad SIGHUP"; else fail "agent died on a bad SIGHUP"; fi
if notify_has "RELOADING=1"; then ok "RELOADING=1 sent"; else fail "no RELOADING=1"; fi
wait_for "READY=1 twice" notify_at_least "READY=1" 2 && ok "READY=1 again after the failed reload" || fail "no READY=1 after reload"

run "$EVIDENT" status --json --socket "$A_SOCK"
expect_rc 0 "status answers after the failed reload"
expect_out '"reloads":\{"failed":1,"ok":0\}' "failed reload counted"
expect_out '"last_errors":\[[^]]*queue_sise' "status keeps the reload errors"
expect_out '"capacity":64,' "old configuration still in effect (queue_size: 9 of the broken file not applied)"

run "$EVIDENT" reload --socket "$A_SOCK"
expect_rc 1 "evident reload with a broken configuration"
expect_err "previous one stays in effect" "reload refusal explained"
expect_err "unknown key 'queue_sise'" "reload prints every error (1)"
expect_err "invalid duration 'forever'" "reload prints every error (2)"

# A good configuration takes effect.
cp "$CFG.good" "$CFG"
printf 'actions:\n  queue_size: 7\n' >>"$CFG"
run "$EVIDENT" reload --socket "$A_SOCK"
expect_rc 0 "evident reload with a good configuration"
expect_out "configuration reloaded from $CFG" "reload confirmed"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"capacity":7' "new queue capacity in effect"
expect_out '"reloads":\{"failed":2,"ok":1\}' "reloads counted"

# SIGHUP with a good configuration.
kill -HUP "$A_PID"
T_DEADLINE=5 wait_for "reloaded twice" sh -c "[ \$(grep -c 'configuration reloaded' '$T_TMP/agent.err') -ge 2 ]" &&
	ok "SIGHUP with a good configuration reloads" || fail "SIGHUP good reload not logged"

# The rules compile off the loop: the answer comes once the new engine is swapped in, so
# the next request already sees it; a status request during the compile is answered (by
# the old engine: while the reload has not answered yet).
mkdir -p "$T_TMP/many-rules"
python3 -c '
import sys
for i in range(2000):
    with open("%s/r%d.yml" % (sys.argv[1], i), "w") as f:
        f.write("title: generated %d\nid: 00000000-0000-4000-8000-%012d\nlevel: low\nlogsource:\n"
                "  product: linux\ndetection:\n  sel:\n    message|contains: token-%d-x\n"
                "  condition: sel\n" % (i, i, i))
' "$T_TMP/many-rules"
cp "$CFG.good" "$CFG"
printf 'rules:\n  paths: [%s]\n' "$T_TMP/many-rules" >>"$CFG"
run "$EVIDENT" status --json --socket "$A_SOCK"
OLD_RULES=$(printf '%s' "$T_OUT" | sed -n 's/.*"rules_loaded":\([0-9]*\).*/\1/p')
R0=$(notify_count RELOADING=1)
"$EVIDENT" reload --socket "$A_SOCK" >"$T_TMP/reload.out" 2>"$T_TMP/reload.err" &
RP=$!
wait_for "RELOADING=1 of the rules reload" notify_at_least RELOADING=1 $((R0 + 1)) || fail "no RELOADING=1 for the rules reload"
run "$EVIDENT" status --json --socket "$A_SOCK"
if kill -0 "$RP" 2>/dev/null; then
	expect_rc 0 "status answered while the reload compiles (the reload has not answered yet)"
	expect_out "\"rules_loaded\":$OLD_RULES," "the old engine ($OLD_RULES rules) serves during the compile"
else
	skip_part "the compile of 2000 rules ended before the status request: the check did not run"
fi
wait $RP
[ $? -eq 0 ] && ok "reload of 2000 rules: ok" || { fail "reload of 2000 rules failed"; sed 's/^/  | /' "$T_TMP/reload.err"; }
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"rules_loaded":2000' "the new engine is in place when the reload answers"

agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC on SIGTERM"
done_testing
