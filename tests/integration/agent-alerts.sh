#!/bin/sh
# The live path: the agent tails a real file, the engine matches a Sigma rule, and the
# alert reaches every sink: stdout (JSON line), the hook (JSON on stdin, exit status
# logged), syslog RFC 5424 over UDP and then TCP to listeners on 127.0.0.1. A reload with
# a broken rule file keeps the old rules firing; positions are checkpointed on SIGTERM.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

LOG="$T_TMP/auth.log"
RULES="$T_TMP/rules"
mkdir -p "$RULES"
agent_write_rule "$RULES/failed.yml" 6a0e0c2e-7f0b-4d43-9d1c-3c1f1e0b6a01 "Test failed password"
echo "Nov 27 02:00:00 host1 sshd[1]: old line before the agent started: Failed password" >"$LOG"

# Syslog listeners on 127.0.0.1 (ephemeral ports written to files).
python3 - "$T_TMP" <<'EOF' &
import os, socket, sys, threading
d = sys.argv[1]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("127.0.0.1", 0)); t.listen(4)
def udp():
    with open(d + "/udp.log", "ab", buffering=0) as f:
        while True:
            f.write(u.recv(65536) + b"\n")
def tcp():
    c, _ = t.accept()
    buf = b""
    with open(d + "/tcp.log", "ab", buffering=0) as f:
        while True:
            x = c.recv(65536)
            if not x:
                return
            buf += x
            while b" " in buf:  # octet counting: LEN SP MSG
                n, rest = buf.split(b" ", 1)
                if len(rest) < int(n):
                    break
                f.write(rest[: int(n)] + b"\n")
                buf = rest[int(n):]
threading.Thread(target=udp, daemon=True).start()
threading.Thread(target=tcp, daemon=True).start()
for name, s in (("udp.port", u), ("tcp.port", t)):
    with open(d + "/" + name + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(d + "/" + name + ".tmp", d + "/" + name)
threading.Event().wait(300)  # never outlive a killed test by long
EOF
SYSLOGD=$!
wait_for "syslog listeners" test -s "$T_TMP/tcp.port" || { fail "listeners did not start"; done_testing; }
UDP_PORT=$(cat "$T_TMP/udp.port")
TCP_PORT=$(cat "$T_TMP/tcp.port")

write_config() { # write_config SYSLOG-URL [RULE-PATH]
	agent_write_config "$T_TMP/evident.yaml"
	# agent_write_config wrote a sources: section with journal: false; add the file
	sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]\n  stat_interval: 200ms|" \
		-e "s|^  path: $T_TMP/store|  path: $T_TMP/store\n  key: $T_TMP/keys/agent.key|" "$T_TMP/evident.yaml"
	cat >>"$T_TMP/evident.yaml" <<EOF
rules:
  paths: [${2:-$RULES}]
  decoders: [$RULES/no-decoders]
actions:
  hook: [/usr/bin/tee, -a, $T_TMP/hook.in]
  hook_timeout: 5s
  syslog: $1
EOF
}
mkdir -p "$RULES/no-decoders" "$T_TMP/keys"
"$EVIDENT" keygen --out "$T_TMP/keys" --name agent >/dev/null 2>&1 || fail "keygen"
write_config "udp://127.0.0.1:$UDP_PORT"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; kill "$SYSLOGD"; done_testing; }

echo "Nov 27 02:31:00 host1 sshd[77]: Accepted publickey for alice from 10.0.0.2 port 22 ssh2" >>"$LOG"
# Stamped now (local time, as the file is read): the seal request below looks back 1h
# from the wall clock, so a fixed date would fall out of its window an hour later.
echo "$(LC_ALL=C date '+%b %e %H:%M:%S') host1 sshd[78]: Failed password for root from 10.0.0.9 port 2222 ssh2" >>"$LOG"

if wait_for "alert on stdout" grep -q '"title":"Test failed password"' "$T_TMP/agent.out"; then
	ok "alert on stdout"; else fail "no alert on stdout"; sed 's/^/  | /' "$T_TMP/agent.err"; fi
if [ "$(grep -c '"kind":"match"' "$T_TMP/agent.out")" -eq 1 ]; then ok "exactly one alert (the old line was not re-read)"
else fail "expected one alert, got $(grep -c '"kind":"match"' "$T_TMP/agent.out")"; fi
grep -q '10.0.0.9 port 2222' "$T_TMP/agent.out" && ok "alert carries the matching line" || fail "alert lacks the line"
if wait_for "hook input" grep -q '"title":"Test failed password"' "$T_TMP/hook.in"; then ok "hook received the alert on stdin"; else fail "hook input missing"; fi
if cmp -s "$T_TMP/hook.in" "$T_TMP/agent.out"; then ok "hook input equals the stdout line"; else fail "hook input differs from stdout"; fi
wait_for "hook exit logged" grep -q "hook /usr/bin/tee for rule 6a0e0c2e-7f0b-4d43-9d1c-3c1f1e0b6a01: exit status 0" "$T_TMP/agent.err" &&
	ok "hook exit status logged" || fail "hook exit status not logged"
if wait_for "udp syslog" grep -q '^<83>1 [0-9T:.-]*Z [^ ]* evident [0-9]* alert - {.*Test failed password' "$T_TMP/udp.log"; then
	ok "RFC 5424 alert over UDP (authpriv.err)"; else fail "no UDP syslog alert"; cat "$T_TMP/udp.log"; fi

run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"alerts":1,' "status counts the alert"
expect_out '"lines":2,' "status counts the two new lines"
expect_out '"sources":\[\{[^]]*"name":"'"$LOG"'"' "status lists the file source"
expect_out '"engine":\{[^}]*"rules_loaded":1' "status shows one rule loaded"
run "$EVIDENT" status --socket "$A_SOCK"
expect_out 'rules +1 loaded' "human status: rules"
A=$(raw_request line '{"request":"rules"}')
case "$A" in *'"ok":true'*'Test failed password'*) ok "rules request lists the rule" ;; *) fail "rules: $A" ;; esac

# A broken rule file: reload refused, the old rule keeps firing.
printf 'title: broken\ndetection:\n  sel:\n    message|contans: x\n  condition: sel\n' >"$T_TMP/broken.yml"
write_config "udp://127.0.0.1:$UDP_PORT" "$T_TMP/broken.yml"
run "$EVIDENT" reload --socket "$A_SOCK"
expect_rc 1 "reload with a broken rule file is refused"
expect_err "broken.yml" "the rule error names the file"
echo "Nov 27 02:32:00 host1 sshd[79]: Failed password for admin from 10.0.0.10 port 2223 ssh2" >>"$LOG"
if wait_for "second alert" sh -c "[ \$(grep -c '\"kind\":\"match\"' '$T_TMP/agent.out') -ge 2 ]"; then
	ok "old rules still fire after a refused reload"; else fail "no alert after the refused reload"; fi

# A good reload switches syslog to TCP.
write_config "tcp://127.0.0.1:$TCP_PORT"
run "$EVIDENT" reload --socket "$A_SOCK"
expect_rc 0 "reload to TCP syslog"
echo "Nov 27 02:33:00 host1 sshd[80]: Failed password for bob from 10.0.0.11 port 2224 ssh2" >>"$LOG"
if wait_for "tcp syslog" grep -q '^<83>1 .* evident [0-9]* alert - {.*10.0.0.11' "$T_TMP/tcp.log"; then
	ok "RFC 5424 alert over TCP (octet counting)"; else fail "no TCP syslog alert"; cat "$T_TMP/tcp.log" 2>/dev/null; fi

# A seal request through the socket: a real bundle in the store, verified offline.
A=$(raw_request line '{"request":"seal","incident":"INC-7","lookback":"1h","note":"from the test"}')
case "$A" in *'"ok":true'*'"bundle":"'*) ok "seal request sealed a bundle" ;; *) fail "seal: $A"; sed 's/^/  | /' "$T_TMP/agent.err" ;; esac
run "$EVIDENT" verify "$T_TMP/store"
expect_rc 0 "evident verify passes on the store (bundles and the signed ledger)"
BUNDLE=$(printf '%s' "$A" | sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p')
if [ -n "$BUNDLE" ] && tar -xzOf "$BUNDLE" --wildcards 'evidence/*' 2>/dev/null | grep -q '10.0.0.9 port 2222'; then
	ok "the bundle holds the attack line from the tailed file"; else fail "attack line not in the bundle $BUNDLE"; fi
if tar -xzOf "$BUNDLE" MANIFEST.json 2>/dev/null | grep -q 'INC-7'; then ok "the manifest names the incident"; else fail "incident not in the manifest"; fi
A=$(raw_request line '{"request":"triage","incident":"INC-8","impact":"service_outage","urgency":"high","affected_users":5}')
case "$A" in *'"incident":{'*'"severity":"high"'*'"ok":true'*'"bundle":"'*) ok "triage seals the evidence and records the classified incident" ;; *) fail "triage: $A" ;; esac
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"seals":\{"failed":0,"ok":2,' "status counts two seals"
# once the store has a chain, requests also go to its signed custody ledger
if grep '"action":"control_request"' "$T_TMP/store/custody.jsonl" | grep -q '"actor":{"exe":"[^"]*","gid":0,"pid":[0-9]*,"uid":0,"via":"control socket"}'; then
	ok "the triage request in the signed custody ledger with the peer as actor"
else fail "no control_request in the custody ledger"; head -c 600 "$T_TMP/store/custody.jsonl"; fi
run "$EVIDENT" verify "$T_TMP/store"
expect_rc 0 "evident verify passes with the control entries in the ledger"

# A full queue: one slot, a hook that outlives its time limit, three alerts at once.
write_config "tcp://127.0.0.1:$TCP_PORT"
sed -i -e "s|^  hook: .*|  hook: [/bin/sleep, '30']|" -e "s|^  hook_timeout: .*|  hook_timeout: 300ms\n  queue_size: 1|" "$T_TMP/evident.yaml"
run "$EVIDENT" reload --socket "$A_SOCK"
expect_rc 0 "reload: queue of one, slow hook"
printf '%s\n' "Nov 27 02:34:00 host1 sshd[81]: Failed password for a from 10.0.1.1 port 1 ssh2" \
	"Nov 27 02:34:00 host1 sshd[82]: Failed password for b from 10.0.1.2 port 2 ssh2" \
	"Nov 27 02:34:00 host1 sshd[83]: Failed password for c from 10.0.1.3 port 3 ssh2" >>"$LOG"
if wait_for "refusals logged" sh -c "[ \$(grep -c 'hook /bin/sleep for rule .* refused' '$T_TMP/agent.err') -ge 2 ]"; then
	ok "full queue: hook runs refused and logged"; else fail "no refusal logged"; sed 's/^/  | /' "$T_TMP/agent.err"; fi
if wait_for "hook killed" grep -q "hook /bin/sleep for rule .*: timed out after 300ms, killed" "$T_TMP/agent.err"; then
	ok "hook killed at its time limit, logged"; else fail "hook time limit not logged"; fi
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"hooks_refused":2,' "refusals counted in status"
expect_out '"refused":2,' "queue counts the refusals"
[ "$(grep -c '"kind":"match"' "$T_TMP/agent.out")" -eq 6 ] && ok "every alert still reached stdout (nothing dropped)" || fail "alerts on stdout: $(grep -c '"kind":"match"' "$T_TMP/agent.out")"

agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
grep -q "\"path\":\"$LOG\".*\"offset\":$(stat -c %s "$LOG")," "$A_STATE/positions.json" 2>/dev/null &&
	ok "position of the file's end checkpointed in the state directory" || { fail "positions.json lacks the file's end"; cat "$A_STATE/positions.json"; }
kill "$SYSLOGD" 2>/dev/null
wait "$SYSLOGD" 2>/dev/null
done_testing
