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
run "$EVIDENT" triage --config "$T_TMP/evident.yaml" --incident INC-1 --impact internal_error --urgency low --json
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

# --- actions.seal_on: typos are reported in config check, at start and on reload ---
typos='actions:
  seal_on: [level:hihg, tag:attack.credential_access, rule:no-such-rule]'
agent_write_config "$T_TMP/typo.yaml" "$typos"
run "$EVIDENT" config check -q "$T_TMP/typo.yaml"
expect_rc 1 "config check: an unknown level is an error"
expect_err "typo.yaml:[0-9]+:[0-9]+: seal_on 'level:hihg': unknown level 'hihg' \(did you mean 'high'\?\)" \
	"the level error has its position and a did-you-mean"
agent_write_config "$T_TMP/bad.yaml" 'actions:
  seal_on: [severity:high]'
run "$EVIDENT" config check -q "$T_TMP/bad.yaml"
expect_rc 1 "config check: a selector that is not level:, rule: or tag: is an error"
expect_err "seal_on 'severity:high': expected level:LEVEL, rule:ID or tag:TAG" "and says what is expected"
agent_write_config "$T_TMP/warn.yaml" 'actions:
  seal_on: [level:high, tag:attack.credential_access, rule:no-such-rule, rule:ssh_failed_password]'
run "$EVIDENT" config check -q "$T_TMP/warn.yaml"
expect_rc 0 "config check: unknown tags and rule ids are warnings"
expect_err "warning: .*warn.yaml: actions.seal_on: no loaded rule has the tag 'attack.credential_access' \(did you mean 'attack.credential-access'\?\)" \
	"an unknown tag is named with the closest shipped tag"
expect_err "no loaded rule has the id 'no-such-rule'" "an unknown rule id is named"
expect_err "'ssh_failed_password' is a rule's name, and seal_on matches rule ids: write rule:3b1f7d2e-" \
	"a rule name is pointed at its id"
agent_write_config "$T_TMP/good.yaml" 'actions:
  seal_on: [level:critical, tag:attack.credential-access, rule:3b1f7d2e-5a47-4c35-9d0e-1f0a6c2b8e01]'
run "$EVIDENT" config check -q "$T_TMP/good.yaml"
expect_rc 0 "config check: existing selectors"
[ -z "$T_ERR" ] && ok "no warning for selectors the rules have" || fail "unexpected output: $T_ERR"
# the shipped example in conf/evident.yaml names a tag the shipped rules have
ex=$(sed -n 's/.*for example \[\(.*\)\]\. Needs.*/\1/p' "$EV_SRCDIR/conf/evident.yaml")
agent_write_config "$T_TMP/example.yaml" "actions:
  seal_on: [$ex]"
run "$EVIDENT" config check -q "$T_TMP/example.yaml"
if [ -n "$ex" ] && [ "$T_RC" -eq 0 ] && [ -z "$T_ERR" ]; then ok "the documented example ($ex) is clean"
else fail "the documented seal_on example '$ex': exit $T_RC: $T_ERR"; fi

# at start: the level error stops the agent; the warnings are logged
"$EVIDENT" agent --foreground --config "$T_TMP/typo.yaml" >"$T_TMP/typo.out" 2>"$T_TMP/typo.err" &
tp=$!
if wait_for "agent refusing" sh -c "! kill -0 $tp"; then
	wait $tp
	[ $? -eq 2 ] && ok "agent refuses to start with an unknown level" || fail "agent with an unknown level did not exit 2"
else
	kill -KILL $tp; wait $tp; fail "agent started with an unknown level"
fi
grep -q "unknown level 'hihg'" "$T_TMP/typo.err" && ok "and says why" || fail "no level error: $(cat "$T_TMP/typo.err")"
agent_start --config "$T_TMP/warn.yaml"
wait_for "control socket" test -S "$A_SOCK" || fail "agent with selector warnings did not start"
grep -q "actions.seal_on: no loaded rule has the tag 'attack.credential_access' (did you mean 'attack.credential-access'?)" "$T_TMP/agent.err" &&
	ok "start: the unknown tag is logged" || fail "start: no tag warning: $(cat "$T_TMP/agent.err")"
# on reload: a configuration with a new typo is loaded with a warning
agent_write_config "$T_TMP/warn.yaml" 'actions:
  seal_on: [tag:attack.privilege_escalation]'
run "$EVIDENT" reload --config "$T_TMP/warn.yaml"
expect_rc 0 "reload with a selector warning"
wait_for "reload warning" grep -q "no loaded rule has the tag 'attack.privilege_escalation' (did you mean 'attack.privilege-escalation'?)" "$T_TMP/agent.err" &&
	ok "reload: the unknown tag is logged" || fail "reload: no tag warning"
agent_write_config "$T_TMP/warn.yaml" 'actions:
  seal_on: [level:hgih]'
run "$EVIDENT" reload --socket "$A_SOCK"
expect_rc 1 "reload refuses an unknown level"
expect_err "unknown level 'hgih' \(did you mean 'high'\?\)" "and the answer says why"
agent_stop
expect_rc_agent

# --- detached (no --foreground): alerts are kept and the start message says where;
# --- a relative --config, and a state directory whose parents do not exist yet ---
LOG="$T_TMP/auth.log"
mkdir -p "$T_TMP/rules/none"
agent_write_rule "$T_TMP/rules/failed.yml" 6a0e0c2e-7f0b-4d43-9d1c-3c1f1e0b6a02
: >"$LOG"
D_STATE="$T_TMP/fresh/var/lib/evident"
A_STATE_SAVED=$A_STATE
A_STATE=$D_STATE
agent_write_config "$T_TMP/detached.yaml" "rules:
  paths: [$T_TMP/rules/failed.yml]
  decoders: [$T_TMP/rules/none]"
A_STATE=$A_STATE_SAVED
sed -i "s|^  journal: false|  journal: false\n  files: [$LOG]\n  stat_interval: 200ms|" "$T_TMP/detached.yaml"
(cd "$T_TMP" && "$EVIDENT" agent --config detached.yaml) >"$T_TMP/detached.out" 2>"$T_TMP/detached.err"
rc=$?
[ "$rc" -eq 0 ] && ok "agent detaches with a relative --config (exit 0)" || fail "detached start: exit $rc: $(cat "$T_TMP/detached.err")"
DPID=$("$EVIDENT" status --socket "$A_SOCK" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null)
if [ -n "$DPID" ]; then ok "the detached agent answers (pid $DPID)"; else fail "the detached agent does not answer"; fi
if grep -q "alerts go to $D_STATE/alerts.jsonl" "$T_TMP/detached.err"; then ok "the start message says where alerts go"
else fail "the start message does not name the alerts file: $(cat "$T_TMP/detached.err")"; fi
[ -d "$D_STATE" ] && ok "the state directory was created with its parents" || fail "no state directory $D_STATE"
[ "$(stat -c %a "$D_STATE" 2>/dev/null)" = 750 ] && ok "state directory mode 0750" || fail "state directory mode $(stat -c %a "$D_STATE" 2>/dev/null)"
"$EVIDENT" status --config "$T_TMP/detached.yaml" --json 2>/dev/null | grep -q "\"config\":\"$T_TMP/detached.yaml\"" &&
	ok "the relative --config was resolved to an absolute path" || fail "configuration path not absolute in status"
echo "$(LC_ALL=C date '+%b %e %H:%M:%S') host1 sshd[78]: Failed password for root from 10.0.0.9 port 2222 ssh2" >>"$LOG"
if wait_for "alert in the alerts file" grep -q '"title":"Test failed password"' "$D_STATE/alerts.jsonl"; then
	ok "a detached agent's alert is in STATE/alerts.jsonl"
else fail "the alert was dropped (alerts.jsonl: $(cat "$D_STATE/alerts.jsonl" 2>&1))"; fi
if [ -n "$DPID" ]; then
	kill -TERM "$DPID"
	wait_for "detached agent to stop" sh -c "! kill -0 $DPID" && ok "detached agent stopped" || { kill -KILL "$DPID"; fail "detached agent did not stop"; }
fi

done_testing
