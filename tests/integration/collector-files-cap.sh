#!/bin/sh
# More files to tail than the cap of 4,096 open files (issue 10, docs/operations.md):
# the agent tails 4,096 of a glob's 4,100 files (created while it runs) and says so about the other 4: a warning
# in its log naming one, `files_over_cap` in status (JSON and human), and a file added
# later raises the count and is reported again. No crash, nothing silent.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

[ "$(ulimit -n)" -ge 4300 ] || ulimit -n 8192 2>/dev/null || skip "cannot open 4,300 files here (ulimit -n $(ulimit -n))"
mkdir -p "$T_TMP/many" "$T_TMP/rules"
agent_write_rule "$T_TMP/rules/failed.yml" failed
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: ['$T_TMP/many/*.log']\n  stat_interval: 200ms|" "$T_TMP/evident.yaml"
printf 'rules:\n  paths: [%s/rules]\n' "$T_TMP" >>"$T_TMP/evident.yaml"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
# created while the agent runs, so each is read from its start
t=$(date -u '+%Y-%m-%dT%H:%M:%SZ')
i=0
while [ $i -lt 4100 ]; do
	echo "$t web1 app[1]: line $i" >"$T_TMP/many/f$i.log"
	i=$((i + 1))
done

T_DEADLINE=30 wait_for "4,096 lines" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"lines\": *4096[,}]'" &&
	ok "4,096 files are tailed" || fail "not 4,096 lines read"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"files_over_cap": *4[,}]' "status counts the 4 files past the cap"
if grep -q 'more than 4096 files to tail: .*/many/f[0-9]*\.log .*not tailed' "$T_TMP/agent.err"; then
	ok "the agent's log says files are not tailed"
else fail "no log line about the files past the cap"; sed 's/^/  | /' "$T_TMP/agent.err"; fi
n=$(grep -c 'more than 4096 files to tail' "$T_TMP/agent.err")
sleep 1 # a few scans: the same 4 files are not reported again
[ "$(grep -c 'more than 4096 files to tail' "$T_TMP/agent.err")" = "$n" ] &&
	ok "the same files are reported once, not at every scan" || fail "reported again at every scan"
run "$EVIDENT" status --socket "$A_SOCK"
expect_out 'not tailed.* 4 files past the cap of 4096' "human status shows them"

echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') web1 app[1]: late file" >"$T_TMP/many/g.log"
T_DEADLINE=15 wait_for "a fifth file counted" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"files_over_cap\": *5[,}]'" &&
	ok "a file added past the cap is counted" || fail "a file added past the cap is not counted"
[ "$(grep -c 'more than 4096 files to tail' "$T_TMP/agent.err")" -gt "$n" ] &&
	ok "and logged" || fail "a file added past the cap is not logged"
agent_alive && ok "the agent is running" || fail "the agent died"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
