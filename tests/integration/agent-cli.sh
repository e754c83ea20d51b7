#!/bin/sh
# The agent as a new user meets it: the client commands (status, reload, triage) find an
# agent on a non-default socket through --config; hints name options that exist.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

# --- every command that talks to the agent takes --config and uses its socket ---
agent_write_config "$T_TMP/evident.yaml"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }
for cmd in status reload; do
	run "$EVIDENT" "$cmd" --config "$T_TMP/evident.yaml" --json
	expect_rc 0 "$cmd --config reaches the agent on the configured socket"
	expect_out '"ok":true' "$cmd answered"
	run "$EVIDENT" "$cmd" -c "$T_TMP/evident.yaml"
	expect_rc 0 "$cmd -c"
done
run "$EVIDENT" triage --config "$T_TMP/evident.yaml" --incident INC-1 --json
# No store key in this configuration: the agent answers (with the seal's error), exit 1.
if [ "$T_RC" -le 1 ] && printf '%s' "$T_OUT" | grep -q '"ok":'; then ok "triage --config reaches the agent"
else fail "triage --config: exit $T_RC: $T_OUT $T_ERR"; fi
# Without --config: the embedded configuration's socket, where nothing listens; the
# message says how to reach an agent with its own configuration.
run "$EVIDENT" status
expect_rc 2 "status without --config: not this agent"
expect_err "not running" "status says nothing listens there"
expect_err "--config FILE or --socket PATH" "and how to name the agent's configuration"
for o in $(printf '%s\n' "$T_ERR" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	case "$("$EVIDENT" status --help)" in *"$o"*) ok "status hint option $o exists" ;;
	*) fail "status hint names $o, which status does not have" ;; esac
done
run "$EVIDENT" status --config "$T_TMP/nonexistent.yaml"
expect_rc 2 "status with a missing configuration"
expect_err "nonexistent.yaml" "names the file"
agent_stop
expect_rc_agent() { [ "$A_RC" -eq 0 ] && ok "agent stopped cleanly" || fail "agent exit $A_RC"; }
expect_rc_agent

done_testing
