#!/bin/sh
# A reload down to zero rules (issue 10): SIGHUP with a configuration whose rule paths
# load nothing (an emptied directory) is refused with a clear message; the old rules keep
# running and firing. A reload to a non-empty rule set still works.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

LOG="$T_TMP/app.log"
: >"$LOG"
mkdir -p "$T_TMP/rules" "$T_TMP/empty" "$T_TMP/two"
rule() { # rule ID WORD
	printf 'title: word %s\nid: %s\nlevel: low\nlogsource:\n  product: linux\ndetection:\n  sel:\n    message|contains: %s\n  condition: sel\n' "$2" "$1" "$2"
}
rule r-boom boom >"$T_TMP/rules/boom.yml"
rule r-boom boom >"$T_TMP/two/boom.yml"
rule r-bang bang >"$T_TMP/two/bang.yml"
CFG="$T_TMP/evident.yaml"
config() { # config RULES-DIR
	agent_write_config "$CFG"
	sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]\n  stat_interval: 200ms|" "$CFG"
	printf 'rules:\n  paths: [%s]\n' "$1" >>"$CFG"
}
config "$T_TMP/rules"
agent_start --config "$CFG"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"rules_loaded":1,' "one rule running"

config "$T_TMP/empty"
kill -HUP "$A_PID"
if wait_for "reload refused" grep -q "reload failed" "$T_TMP/agent.err"; then ok "SIGHUP to zero rules: reload failed"; else fail "SIGHUP to zero rules not refused"; sed 's/^/  | /' "$T_TMP/agent.err"; fi
grep -q "evident.yaml: the new configuration loads no rules (rules.paths: $T_TMP/empty) while 1 rule run: reload refused" "$T_TMP/agent.err" &&
	ok "the refusal says why and names the rule path" || { fail "no clear message"; sed 's/^/  | /' "$T_TMP/agent.err"; }
agent_alive && ok "still running" || fail "agent died"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"rules_loaded":1,' "the old rule is still loaded"
expect_out '"reloads":\{"failed":1,"ok":0\}' "the refused reload is counted"
echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') h1 app[1]: boom once" >>"$LOG"
if wait_for "alert" grep -q '"id":"r-boom"' "$T_TMP/agent.out"; then ok "the old rule still fires"; else fail "the old rule does not fire"; fi
run "$EVIDENT" reload --socket "$A_SOCK"
expect_rc 1 "evident reload to zero rules is refused"
expect_err "loads no rules" "and says why"

config "$T_TMP/two"
run "$EVIDENT" reload --socket "$A_SOCK"
expect_rc 0 "a reload to two rules works"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"rules_loaded":2,' "two rules running"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
