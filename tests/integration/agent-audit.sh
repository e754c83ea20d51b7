#!/bin/sh
# The control socket's audit file is rotated at agent.audit_max_size: the current file
# stays under the cap, agent.audit_files generations are kept, the oldest is removed,
# and each new file starts with a "rotated" entry naming its predecessor.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

AUDIT="$A_STATE/control-audit.jsonl"
agent_write_config "$T_TMP/evident.yaml"
sed -i "s|^  control_group: evident-test-nonexistent|&\n  audit_max_size: 4096\n  audit_files: 2|" "$T_TMP/evident.yaml"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }

# 200 requests on one connection: each is audited twice (request, answer)
REQS=$(python3 -c 'print("{\\\"request\\\":\\\"rules\\\"}\\n" * 200, end="")')
A=$(raw_request lines "$REQS")
[ "$(printf '%s\n' "$A" | grep -c '"ok":true')" -eq 200 ] && ok "200 requests answered" || fail "answers: $(printf '%s\n' "$A" | grep -c '"ok":true')"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"file_rotations":[1-9][0-9]*' "status counts the rotations"
sz=$(stat -c %s "$AUDIT")
[ "$sz" -le 4096 ] && ok "the current audit file is within the cap ($sz bytes)" || fail "audit file $sz bytes > 4096"
[ -f "$AUDIT.1" ] && [ -f "$AUDIT.2" ] && ok "two rotated generations kept" || fail "rotated files missing: $(ls "$A_STATE")"
[ ! -e "$AUDIT.3" ] && ok "no third generation (audit_files: 2)" || fail "$AUDIT.3 exists"
for f in "$AUDIT" "$AUDIT.1"; do
	head -1 "$f" | grep -q "\"event\":\"rotated\".*\"previous\":\"$AUDIT.1\"" && ok "$(basename "$f") starts with the rotated entry" || fail "$(basename "$f") first line: $(head -1 "$f")"
done
for f in "$AUDIT" "$AUDIT.1" "$AUDIT.2"; do
	python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$f" && ok "$(basename "$f"): whole JSON lines" || fail "$(basename "$f"): broken lines"
done
status_ok() { "$EVIDENT" status --json --socket "$A_SOCK" | grep -q '"ok":true'; }
status_ok && ok "the agent is fine" || fail "agent hurt"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
