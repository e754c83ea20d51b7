#!/bin/sh
# The daemon on a real journal directory that systemd-journal-remote is appending to:
# an attack entry appended while the agent follows the journal raises the alert on
# stdout and in the hook's input, a seal through the control socket holds the entry in
# journal export format, and `evident verify` passes on the store.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

JREMOTE=/lib/systemd/systemd-journal-remote
[ -x "$JREMOTE" ] || skip "$JREMOTE is missing (Debian package systemd-journal-remote)"

J="$T_TMP/journal"
RULES="$T_TMP/rules"
mkdir -p "$J" "$RULES/no-decoders" "$T_TMP/keys"
cat >"$RULES/failed.yml" <<'EOF2'
title: Journal failed password
id: 2f3c1d9e-5b7a-4c1e-9f0d-8a6b5c4d3e21
status: test
level: high
logsource:
  product: linux
  service: sshd
detection:
  sel:
    message|contains: 'Failed password'
  condition: sel
EOF2

# entry MESSAGE [IDENTIFIER]: one journal entry in export format, stamped now.
entry() {
	now=$(date +%s%6N)
	printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=jhost\n_SYSTEMD_UNIT=ssh.service\nSYSLOG_IDENTIFIER=%s\n_PID=4242\nPRIORITY=5\nMESSAGE=%s\n\n' \
		"$now" "$now" "${2:-sshd}" "$1"
}
entry "Server listening on 0.0.0.0 port 22." | "$JREMOTE" -o "$J/remote.journal" - 2>/dev/null ||
	{ fail "systemd-journal-remote could not write $J/remote.journal"; done_testing; }

"$EVIDENT" keygen --out "$T_TMP/keys" --name agent >/dev/null 2>&1 || fail "keygen"
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: true\n  journal_dir: $J\n  stat_interval: 200ms|" \
	-e "s|^  path: $T_TMP/store|  path: $T_TMP/store\n  key: $T_TMP/keys/agent.key|" "$T_TMP/evident.yaml"
cat >>"$T_TMP/evident.yaml" <<EOF2
rules:
  paths: [$RULES/failed.yml]
  decoders: [$RULES/no-decoders]
actions:
  hook: [/usr/bin/tee, -a, $T_TMP/hook.in]
  hook_timeout: 5s
  seal_commands: []
EOF2

agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
# The agent follows the journal from its end on a first start (no cursor yet): wait until
# the journal source is open, so that what is appended next is new to it.
if wait_for "journal source open" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"name\":\"journal\",\"offset\":[0-9]*,\"open\":true'"; then
	ok "status lists the open journal source"; else fail "the journal source is not open"; fi

# Append the attack to the journal file the agent is following.
entry "Failed password for root from 192.0.2.77 port 50022 ssh2" | "$JREMOTE" -o "$J/remote.journal" - 2>/dev/null ||
	fail "append with systemd-journal-remote"

if wait_for "alert on stdout" grep -q '"title":"Journal failed password"' "$T_TMP/agent.out"; then
	ok "journal entry raised the alert on stdout"; else fail "no alert from the journal"; sed 's/^/  | /' "$T_TMP/agent.err"; fi
grep -q '192.0.2.77 port 50022' "$T_TMP/agent.out" && ok "the alert carries the journal message" || fail "alert lacks the message"
if [ "$(grep -c '"title":"Journal failed password"' "$T_TMP/agent.out")" -eq 1 ]; then
	ok "exactly one alert (the listening entry did not match, nothing was read twice)"
else fail "expected one alert, got $(grep -c '"title":"Journal failed password"' "$T_TMP/agent.out")"; fi
if wait_for "hook input" grep -q '192.0.2.77' "$T_TMP/hook.in"; then ok "hook received the alert"; else fail "hook input missing"; fi

# Seal the last minutes through the socket: the journal member holds the entry.
A=$(raw_request line '{"request":"seal","incident":"INC-J","lookback":"10m","note":"journal test"}')
case "$A" in *'"ok":true'*'"bundle":"'*) ok "seal request sealed a bundle" ;; *) fail "seal: $A"; sed 's/^/  | /' "$T_TMP/agent.err" ;; esac
BUNDLE=$(printf '%s' "$A" | sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p')
if [ -n "$BUNDLE" ] && tar -xzOf "$BUNDLE" --wildcards 'evidence/journal*' 2>/dev/null | grep -q '^MESSAGE=Failed password for root from 192.0.2.77'; then
	ok "the bundle holds the journal entry in export format"
else fail "journal entry not in the bundle ($(tar -tzf "$BUNDLE" 2>/dev/null | tr '\n' ' '))"; fi
if tar -xzOf "$BUNDLE" --wildcards 'evidence/journal*' 2>/dev/null | grep -q '^__CURSOR='; then
	ok "export format keeps __CURSOR"; else fail "no __CURSOR in the journal member"; fi
# evident triage: the CLI path to the agent.
run "$EVIDENT" triage --incident INC-001 --impact service_outage --urgency immediate \
	--affected-users 500 --service api-service --socket "$A_SOCK"
expect_rc 0 "evident triage through the agent"
expect_out '^incident INC-001: severity critical \(opened\)' "triage reports the classification"
TB=$(printf '%s\n' "$T_OUT" | sed -n 's/^  bundle       //p')
if [ -f "$TB" ] && tar -xzOf "$TB" MANIFEST.json | grep -q '"incident":"INC-001"'; then
	ok "the triage bundle names the incident"; else fail "triage bundle $TB lacks the incident"; fi
grep -q '"request":"triage"' "$A_STATE/control-audit.jsonl" && ok "the triage request is audited" || fail "triage not audited"
run "$EVIDENT" triage --incident INC-002 --impact nonsense --socket "$A_SOCK"
expect_rc 2 "an unknown impact type is a usage error"
run "$EVIDENT" triage --json --incident INC-003 --impact internal_error --urgency low --socket "$A_SOCK"
expect_rc 0 "triage --json"
expect_out '^\{.*"severity":"low"' "triage --json prints the answer"
run "$EVIDENT" verify --pub "$T_TMP/keys/agent.pub" --no-record "$T_TMP/store"
expect_rc 0 "evident verify passes on the store"

agent_stop
[ "$A_RC" = 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $A_RC"
done_testing
