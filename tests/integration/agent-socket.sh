#!/bin/sh
# The control socket against hostile and unauthorised peers: a non-root, non-member user
# is refused and logged, root is accepted and logged (both in the audit log with uid, pid
# and executable); garbage, unknown requests, a 100 MB request, a half-closed and a stuck
# connection get error answers or are closed without hurting the daemon; seal and triage
# go through the worker queue and report the seal's own failure (no key in this test).
# A connection that sends nothing is closed by the idle sweep (30 s), counted
# (control.timeouts) and logged: one is held from the start to the end.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

AUDIT="$A_STATE/control-audit.jsonl"
agent_write_config "$T_TMP/evident.yaml"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }

status_ok() { "$EVIDENT" status --json --socket "$A_SOCK" | grep -q '"ok":true'; }

# an idle connection held from here: prints "closed SECONDS" when the agent closes it
python3 - "$A_SOCK" >"$T_TMP/idle.out" 2>&1 <<'EOPY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
t0 = time.monotonic()
s.settimeout(60)
try:
    d = s.recv(65536)
    print("closed" if d == b"" else "data %r" % d, int(time.monotonic() - t0))
except OSError as e:
    print("still open:", e)
EOPY
IDLE=$!
wait_for "idle connection counted" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"connections\":2,'" ||
	fail "the idle connection is not open"

# --- peers ---
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_rc 0 "root is accepted"
if grep '"event":"request"' "$AUDIT" | grep -q '"peer":{"exe":"[^"]*evident","gid":0,"pid":[0-9]*,"uid":0}'; then
	ok "root's request in the audit log with uid, gid, pid and executable"
else fail "root's request not in the audit log"; sed 's/^/  | /' "$AUDIT"; fi

NOPRIV=$(need_setpriv)
if [ -n "$NOPRIV" ]; then
	skip_part "the non-member check: $NOPRIV"
else
	chmod 755 "$T_TMP" "$T_TMP/run"
	run as_nobody "$EVIDENT" status --json --socket "$A_SOCK"
	if [ "$T_RC" -eq 1 ] && printf '%s' "$T_OUT" | grep -q '"code":"permission_denied"'; then
		ok "uid 65534 is refused (permission_denied, exit 1)"
	elif [ "$T_RC" -eq 2 ] && printf '%s' "$T_ERR" | grep -q 'Permission denied'; then
		fail "uid 65534 could not even reach the socket: $T_ERR"
	else
		fail "uid 65534 not refused: exit $T_RC: $T_OUT $T_ERR"
	fi
	if grep -q "refused peer uid 65534 gid 65534 pid [1-9][0-9]* (.*evident): not root and not in group 'evident-test-nonexistent'" "$T_TMP/agent.err"; then
		ok "refusal logged with uid, gid, pid and executable"; else fail "refusal not logged"; sed 's/^/  | /' "$T_TMP/agent.err"; fi
	if grep '"event":"refused"' "$AUDIT" | grep -q '"code":"permission_denied".*"peer":{"exe":"[^"]*evident","gid":65534,"pid":[1-9][0-9]*,"uid":65534}'; then
		ok "refusal in the audit file with the peer's uid, gid, pid and executable"
	else fail "refusal not in the audit file"; grep refused "$AUDIT" | sed 's/^/  | /'; fi
	run "$EVIDENT" status --json --socket "$A_SOCK"
	expect_out '"refused_peers":1,' "status counts the refused peer"
fi

# --- malformed and unknown requests ---
A=$(raw_request line 'this is not json')
case "$A" in *'"code":"malformed"'*) ok "garbage: malformed" ;; *) fail "garbage: $A" ;; esac
A=$(raw_request line '{"request":"frobnicate"}')
case "$A" in *'"code":"unknown_request"'*"frobnicate"*) ok "unknown request named" ;; *) fail "unknown request: $A" ;; esac
A=$(raw_request line '[1,2,3]')
case "$A" in *'"code":"malformed"'*) ok "a JSON array is malformed" ;; *) fail "array: $A" ;; esac
A=$(raw_request line '{"request":"status","extra":1}')
case "$A" in *'"code":"invalid_argument"'*"extra"*) ok "unknown key refused" ;; *) fail "unknown key: $A" ;; esac
A=$(raw_request line '{"request":"triage"}')
case "$A" in *'"code":"invalid_argument"'*"incident"*) ok "triage without incident refused" ;; *) fail "triage: $A" ;; esac
A=$(raw_request lines '\x00\xff\xfe{\n{"request":"status"}\n')
case "$A" in *'"code":"malformed"'*'"ok":true'*) ok "binary garbage answered, next request on the same connection served" ;; *) fail "binary garbage: $A" ;; esac
head -c 20000 /dev/urandom >"$T_TMP/rnd"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(open(sys.argv[2],"rb").read()); s.close()' "$A_SOCK" "$T_TMP/rnd"
status_ok && ok "random bytes then close: daemon fine" || fail "daemon hurt by random bytes"

# --- size and connection state ---
A=$(raw_request big 104857600 2>"$T_TMP/big.err")
case "$A" in *'"code":"too_long"'*) ok "100 MB request: too_long answer" ;; *) fail "100 MB request: '$A'" ;; esac
status_ok && ok "daemon fine after the 100 MB request" || fail "daemon hurt by the 100 MB request"
A=$(raw_request half '{"request":"stat')
case "$A" in *'"code":"incomplete"'*) ok "half-closed inside a request: incomplete" ;; *) fail "half-closed: '$A'" ;; esac
A=$(raw_request half '{"request":"status"}')
case "$A" in *'"code":"incomplete"'*) ok "no newline before EOF is incomplete too" ;; *) fail "no-newline: '$A'" ;; esac
raw_request stuck 3 >"$T_TMP/stuck.out" &
STUCK=$!
# (status's own, the idle one and the stuck one)
wait_for "stuck connection counted" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"connections\":[3-9]'" &&
	ok "status served while another connection is stuck" || fail "status blocked by a stuck connection"
wait "$STUCK"

# --- queued work: a seal that cannot work (no signing key here) fails with the reason ---
A=$(raw_request line '{"request":"seal","incident":"INC-1","lookback":"15m","note":"test"}')
case "$A" in *'"code":"failed"'*'cannot open key'*'"queued":true'*) ok "seal queued, run, and its failure reported" ;; *) fail "seal: $A" ;; esac
case "$A" in *'"ok":true'*) fail "seal must not claim success" ;; *) ok "seal does not claim success" ;; esac
A=$(raw_request line '{"request":"triage","incident":"INC-2","impact":"service_outage","urgency":"immediate","affected_users":500}')
case "$A" in *'"code":"failed"'*'"work_id":'*) ok "triage queued and its failure reported" ;; *) fail "triage: $A" ;; esac
A=$(raw_request line '{"request":"rules"}')
case "$A" in *'"count":'*'"ok":true'*'"rules":['*) ok "rules: the loaded rules listed (the shipped pack)" ;; *) fail "rules: $A" ;; esac

run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"seals":\{"failed":2,' "both queued requests counted as failed seals"
expect_out '"queue":\{"cancelled":0,"capacity":64,"completed":0,"depth":0,"failed":2' "queue ran both work items"
if grep -q '"event":"request".*"request":"seal"' "$AUDIT" && grep -q '"code":"failed".*"event":"answer".*"request":"seal"' "$AUDIT"; then
	ok "seal request and its answer in the audit log"; else fail "seal not audited"; fi

# the idle connection: closed by the sweep once 30 s passed, not before; counted, logged
T_DEADLINE=45 wait_for "the idle sweep" test -s "$T_TMP/idle.out"
wait "$IDLE"
read -r how secs <"$T_TMP/idle.out" || how=
if [ "$how" = closed ]; then
	ok "an idle connection is closed by the agent"
	[ "$secs" -ge 29 ] && ok "not before the 30 s idle time ($secs s)" || fail "closed after $secs s"
else fail "the idle connection: $(cat "$T_TMP/idle.out")"; fi
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"timeouts":1[,}]' "status counts it (control.timeouts)"
grep -q 'control: closing idle connection of pid [1-9]' "$T_TMP/agent.err" && ok "the close is logged" ||
	fail "the idle close is not logged"

agent_alive && ok "daemon alive after all of it" || fail "daemon died"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
