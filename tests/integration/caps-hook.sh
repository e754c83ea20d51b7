#!/bin/sh
# The hook's stderr kept for the agent's log (docs/operations.md, HOOK_STDERR_CAP 4 KiB,
# issue 10): a hook that writes 10,000 bytes to stderr is logged with the first 4,096 of
# them and "(cut)"; one that writes exactly 4,096 is logged whole, without "(cut)".
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

LOG="$T_TMP/app.log"
: >"$LOG"
mkdir -p "$T_TMP/rules"
agent_write_rule "$T_TMP/rules/failed.yml" capsrule
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]|" "$T_TMP/evident.yaml"
cat >>"$T_TMP/evident.yaml" <<EOY
rules:
  paths: [$T_TMP/rules]
actions:
  hook: [/bin/sh, -c, 'cat >/dev/null; n=\$(cat $T_TMP/n); head -c "\$n" /dev/zero | tr "\\\\000" e >&2']
  hook_timeout: 5s
EOY
echo 10000 >"$T_TMP/n"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
alert() { echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') web1 sshd[1]: Failed password for root from 203.0.113.9 port 1 ssh2" >>"$LOG"; }
# check_stderr N BYTES CUT: the N-th logged stderr of the hook holds BYTES 'e's, marked
# "(cut)" when CUT is yes
check_stderr() {
	alert
	wait_for "hook stderr $1 logged" sh -c "[ \$(grep -c 'hook /bin/sh: stderr' '$T_TMP/agent.err') -ge $1 ]" ||
		fail "the hook's stderr $1 is not logged"
	l=$(grep "hook /bin/sh: stderr" "$T_TMP/agent.err" | sed -n "${1}p")
	n=$(printf "%s" "$l" | sed "s/^.*stderr[^:]*: //" | tr -cd e | wc -c)
	case "$3:$l" in
	yes:*"stderr (cut): e"* | no:*"stderr: e"*) ok "$(cat "$T_TMP/n") bytes of stderr: logged, cut: $3" ;;
	*) fail "$(cat "$T_TMP/n") bytes of stderr: $(printf '%s' "$l" | head -c 120)" ;;
	esac
	[ "$n" -eq "$2" ] && ok "the log keeps $2 bytes of it" || fail "the log keeps $n bytes, want $2"
}
check_stderr 1 4096 yes
echo 4096 >"$T_TMP/n"
check_stderr 2 4096 no
agent_alive && ok "the agent is running" || fail "the agent died"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
