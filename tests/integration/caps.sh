#!/bin/sh
# Resource caps (issue 10, docs/operations.md): each cap below is driven past its limit
# through the real binary, and the test checks that it is counted where the operator
# looks (replay summary, status, the agent's log) and that nothing crashes:
#   --max-line / sources.max_line      a long line is split into flagged parts (replay),
#                                      into that many records (the agent's status)
#   64 named captures per record       captures_dropped
#   1,024 event times per group        times_dropped (value_count)
#   4,096 sample sources               "samples without source" (replay summary)
#   64 control connections             control.refused_cap, a log line, an answer;
#                                      non-members never hold one (control.refused_peers)
#   strings / ids / lists in a request  4,096 / 64 bytes / 64 items accepted, one more refused
#   1 MiB of unread answers             the connection closed, logged
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/rules-lib.sh"

R="$T_TMP/rules"
mkdir -p "$R"
# 70 named groups in one pattern: the first 64 are kept, 6 dropped per matching record
pat=""
for i in $(seq 1 70); do pat="$pat(?<c$i>x)"; done
{
	printf '%s\n' 'title: Many captures' 'id: captures' 'level: low' 'logsource:' '  product: linux' \
		'detection:' '  sel:' "    message|re: 'caps $pat'" '  condition: sel' ---
	rule_failed
	echo ---
	rule_over_failed spray value_count 1h '{field: user, gte: 5000}'
} >"$R/caps.yml"
X70=$(printf 'x%.0s' $(seq 1 70))

# ---- line length ----
{ printf 'Nov 27 01:00:00 web1 app: '; head -c 3000 /dev/zero | tr '\0' 'a'; echo; } >"$T_TMP/long.log"
run "$EVIDENT" replay --tz UTC --year 2026 --max-line 1024 --records "$T_TMP/long.log"
expect_rc 0 "a 3 KB line with --max-line 1024"
expect_err ' 3 flagged' "replay counts the flagged parts"
n=$(printf '%s\n' "$T_OUT" | grep -c '"flags":\["part"\]')
[ "$n" -eq 3 ] && ok "it is split into $n flagged parts" || { fail "not split into flagged parts ($n)"; printf '%s\n' "$T_OUT" | head -c 600; }

# ---- captures per record ----
echo "Nov 27 01:00:00 web1 app: caps $X70" >"$T_TMP/caps.log"
run "$EVIDENT" replay --tz UTC --year 2026 --rules "$R" "$T_TMP/caps.log"
expect_rc 0 "a record with 70 named captures"
expect_err ' 6 captures dropped' "replay counts the 6 captures past 64"
n=$(printf '%s\n' "$T_OUT" | grep -o '"c[0-9]*":"x"' | wc -l)
[ "$n" -eq 64 ] && ok "the alert carries 64 captures" || fail "the alert carries $n captures"

# ---- event times per value_count group ----
for i in $(seq 1 1100); do
	echo "Nov 27 01:00:00 web1 sshd[1]: Failed password for user$i from 203.0.113.9 port 1 ssh2"
done >"$T_TMP/spray.log"
run "$EVIDENT" replay --tz UTC --year 2026 --rules "$R" "$T_TMP/spray.log"
expect_err ' 76 event times dropped' "replay counts the 76 event times past 1,024 in one group"

# ---- sample sources ----
mkdir -p "$T_TMP/many"
i=0
while [ $i -lt 4100 ]; do
	echo "Nov 27 01:00:00 web1 sshd[1]: Failed password for root from 203.0.113.9 port 1 ssh2" >"$T_TMP/many/f$i.log"
	i=$((i + 1))
done
run "$EVIDENT" replay --tz UTC --year 2026 --rules "$R" "$T_TMP"/many/*.log
expect_rc 0 "4,100 source files"
expect_err ' 4 samples without source' "replay counts the samples past 4,096 sources"

# ---- the agent: the caps are in status and logged; control connections ----
LOG="$T_TMP/app.log"
: >"$LOG"
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]\n  stat_interval: 200ms\n  max_line: 1024|" "$T_TMP/evident.yaml"
printf 'rules:\n  paths: [%s]\n' "$R" >>"$T_TMP/evident.yaml"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
{
	echo "$(date -u '+%b %e %H:%M:%S') web1 app: caps $X70"
	sed "s/^Nov 27 01:00:00/$(date -u '+%b %e %H:%M:%S')/" "$T_TMP/spray.log"
} >>"$LOG"
wait_for "caps counted" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"times_dropped\":76'" &&
	ok "status: 76 event times dropped" || fail "status does not count the event times"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"captures_dropped":6[,}]' "status: 6 captures dropped"
run "$EVIDENT" status --socket "$A_SOCK"
expect_out '76 event times dropped, 6 captures dropped' "human status shows them"
# (the first tick that sees a cap logs at once, later ones at most once a minute)
wait_for "caps logged" grep -q 'correlation caps reached (totals): 0 groups evicted .*, 6 captures dropped (64 a record)' "$T_TMP/agent.err" &&
	ok "the caps are logged" || fail "the caps are not logged"

# sources.max_line 1024 (after files: in the configuration, which once left the files at
# the default 64 KiB): the agent reads a 3 KB line as 3 records
records() { "$EVIDENT" status --json --socket "$A_SOCK" | sed -n 's/.*"records":\([0-9]*\).*/\1/p'; }
n0=$(records)
cat "$T_TMP/long.log" >>"$LOG"
if wait_for "the long line read" sh -c "[ \"\$('$EVIDENT' status --json --socket '$A_SOCK' | sed -n 's/.*\"records\":\\([0-9]*\\).*/\\1/p')\" = $((n0 + 3)) ]"; then
	ok "sources.max_line 1024: a 3 KB line is 3 records in the agent"
else fail "sources.max_line: $n0 records before the 3 KB line, $(records) after"; fi

# connections of a user who is neither root nor in the control group never hold a slot:
# 100 of them, all kept open, are each refused at once (permission_denied), and root's
# requests go through meanwhile
NOPRIV=$(need_setpriv)
[ -x /usr/bin/python3 ] || NOPRIV="/usr/bin/python3 missing" # (uid 65534 cannot use ~root's)
if [ -n "$NOPRIV" ]; then
	skip_part "non-member connections against the connection cap: $NOPRIV"
else
	chmod 755 "$T_TMP" "$T_TMP/run"
	as_nonmember /usr/bin/python3 - "$A_SOCK" "$T_TMP/nm-done" >"$T_TMP/nm.out" 2>&1 <<'EOPY' &
import os, socket, sys, time
held, refused = [], 0
for i in range(100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    held.append(s)
end = time.monotonic() + 5  # the refusals are sent at accept time
for s in held:
    s.settimeout(max(0.01, end - time.monotonic()))
    try:
        if b'"code":"permission_denied"' in s.recv(65536):
            refused += 1
    except OSError:
        pass
print("refused", refused)
sys.stdout.flush()
end = time.monotonic() + 30
while not os.path.exists(sys.argv[2]) and time.monotonic() < end:
    time.sleep(0.05)  # every socket stays open until root was served
EOPY
	NM=$!
	if wait_for "non-member connections" grep -q '^refused' "$T_TMP/nm.out"; then
		grep -qx 'refused 100' "$T_TMP/nm.out" && ok "100 non-member connections: each refused (permission_denied)" ||
			fail "non-member connections: $(cat "$T_TMP/nm.out")"
		run "$EVIDENT" status --json --socket "$A_SOCK"
		expect_rc 0 "root is served while they are open"
		expect_out '"refused_cap":0,"refused_peers":100,' "counted as refused peers, not against the cap"
	else
		fail "the non-member connections did not run: $(cat "$T_TMP/nm.out")"
	fi
	mkdir "$T_TMP/nm-done"
	wait "$NM"
fi

# 64 idle connections hold every slot; the 65th is refused with an answer, counted, logged
# (root's own: root and members share the 64 slots until the idle sweep, agent-socket.sh)
python3 - "$A_SOCK" >"$T_TMP/conns.out" 2>&1 <<'EOPY' &
import socket, sys, time
held = []
for i in range(64):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    held.append(s)
time.sleep(0.5)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
try:  # the refusal is sent at accept time; the agent may close before we write
    s.sendall(b'{"request":"status"}\n')
except OSError:
    pass
try:
    print(s.recv(65536).decode())
except Exception as e:
    print("error", e)
time.sleep(0.5)
EOPY
CONNS=$!
wait "$CONNS"
grep -q '"code":"too_many_connections"' "$T_TMP/conns.out" && ok "the 65th connection is refused with too_many_connections" ||
	{ fail "the 65th connection: $(cat "$T_TMP/conns.out")"; }
wait_for "connections free again" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"refused_cap\":1[,}]'" &&
	ok "status counts the refusal (control.refused_cap)" || fail "refusal not counted in status"
grep -q 'control: 64 connections open, refusing pid' "$T_TMP/agent.err" && ok "the refusal is logged" || fail "the refusal is not logged"

# strings, ids and lists in a request: at the cap accepted, one past it invalid_argument
req() { # req PYTHON-EXPRESSION: that object as one request line (raw_request), its answer in R
	R=$(raw_request line "$(python3 -c 'import json, sys; print(json.dumps(eval(sys.argv[1])))' "$1")")
}
req '{"request": "triage", "incident": "i" * 64, "impact": "internal_error", "urgency": "low", "note": "n" * 4096, "services": ["s%d" % k for k in range(64)]}'
case "$R" in *'"invalid_argument"'*) fail "a triage at the caps (id 64, string 4,096, list 64) is refused: $R" ;;
*'"ok":'*) ok "a triage at the caps (id 64 bytes, string 4,096, list of 64) is accepted" ;;
*) fail "no answer to a triage at the caps: $R" ;; esac
req '{"request": "triage", "incident": "i" * 65}'
case "$R" in *'"code":"invalid_argument"'*"'incident' must be a non-empty string of at most 64 bytes"*) ok "an id of 65 bytes: invalid_argument" ;;
*) fail "an id of 65 bytes: $R" ;; esac
req '{"request": "triage", "incident": "i", "note": "n" * 4097}'
case "$R" in *'"code":"invalid_argument"'*"'note' must be a non-empty string of at most 4096 bytes"*) ok "a string of 4,097 bytes: invalid_argument" ;;
*) fail "a string of 4,097 bytes: $R" ;; esac
req '{"request": "triage", "incident": "i", "services": ["s%d" % k for k in range(65)]}'
case "$R" in *'"code":"invalid_argument"'*"'services' must be a list of at most 64 strings"*) ok "a list of 65 items: invalid_argument" ;;
*) fail "a list of 65 items: $R" ;; esac

# a peer that sends requests and never reads the answers: cut off at 1 MiB of them
python3 - "$A_SOCK" <<'EOPY' >"$T_TMP/unread.out" 2>&1
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(10)
try:
    for i in range(40):  # 40 x 1,500 status requests, never a byte read
        s.sendall(b'{"request":"status"}\n' * 1500)
    print("not closed")
except socket.timeout:  # the agent stopped reading, but kept the connection
    print("not closed: timed out")
except OSError as e:
    print("closed:", e)
EOPY
if wait_for "unread answers logged" grep -q 'control: peer pid [0-9]* uid 0 does not read its answers, closing' "$T_TMP/agent.err"; then
	ok "a peer that does not read its answers is cut off and logged"
else fail "no cut-off for unread answers ($(cat "$T_TMP/unread.out"))"; fi
grep -q '^closed:' "$T_TMP/unread.out" && ok "the peer sees its connection closed" ||
	fail "the peer's connection was not closed: $(cat "$T_TMP/unread.out")"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_rc 0 "the agent answers others after the cut-off"

agent_alive && ok "the agent is still running" || fail "the agent died"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
