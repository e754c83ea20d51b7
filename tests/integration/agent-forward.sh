#!/bin/sh
# Alerts forwarded as RFC 5424 over TLS (actions.forward) to a real rsyslog (imtcp with
# the OpenSSL stream driver) on 127.0.0.1, with a test CA made by openssl here: the alert
# arrives with its structured data; while the receiver is down alerts wait in the on-disk
# queue, which survives an agent restart and drains when rsyslog is back (nothing lost);
# a receiver whose certificate comes from another CA, or from the right CA for another
# name, or that speaks only TLS 1.1, is refused and counted (the alert stays queued); a
# full queue (forward.queue_max) drops what does not fit, counted and logged, and the
# queued alerts still drain.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

RSYSLOGD=/usr/sbin/rsyslogd
[ -x "$RSYSLOGD" ] || skip "rsyslogd is not installed (Debian packages rsyslog, rsyslog-openssl)"
ls /usr/lib/*/rsyslog/lmnsd_ossl.so >/dev/null 2>&1 || skip "rsyslog's OpenSSL driver is not installed (Debian package rsyslog-openssl)"
command -v openssl >/dev/null 2>&1 || skip "openssl is needed for the test CA"

RS_PID=""
TS_PID=""
rs_stop() {
	[ -z "$TS_PID" ] || { kill "$TS_PID" 2>/dev/null; wait "$TS_PID" 2>/dev/null; TS_PID=""; }
	[ -n "$RS_PID" ] || return 0
	kill -TERM "$RS_PID" 2>/dev/null
	_n=500
	while kill -0 "$RS_PID" 2>/dev/null && [ "$_n" -gt 0 ]; do sleep 0.02; _n=$((_n - 1)); done
	kill -KILL "$RS_PID" 2>/dev/null
	wait "$RS_PID" 2>/dev/null
	RS_PID=""
}
trap 'rs_stop; agent_cleanup' EXIT

# ---- a test CA, a server certificate for 127.0.0.1, and the same from another CA ----
mkca() { # mkca NAME: NAME-ca.pem, NAME-server.pem, NAME-server.key
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=evident test $1 CA" -keyout "$T_TMP/$1-ca.key" -out "$T_TMP/$1-ca.pem" 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$T_TMP/$1-server.key" -out "$T_TMP/$1-server.csr" 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$T_TMP/$1.ext" &&
	openssl x509 -req -in "$T_TMP/$1-server.csr" -CA "$T_TMP/$1-ca.pem" -CAkey "$T_TMP/$1-ca.key" \
		-CAcreateserial -days 2 -extfile "$T_TMP/$1.ext" -out "$T_TMP/$1-server.pem" 2>/dev/null
}
mkca good || { fail "test CA"; done_testing; }
mkca evil || { fail "second CA"; done_testing; }
# the good CA's certificate for another name (no 127.0.0.1 in it)
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=wrong.example" \
	-keyout "$T_TMP/wrong-server.key" -out "$T_TMP/wrong-server.csr" 2>/dev/null &&
	printf 'subjectAltName=DNS:wrong.example\nextendedKeyUsage=serverAuth\n' >"$T_TMP/wrong.ext" &&
	openssl x509 -req -in "$T_TMP/wrong-server.csr" -CA "$T_TMP/good-ca.pem" -CAkey "$T_TMP/good-ca.key" \
		-CAcreateserial -days 2 -extfile "$T_TMP/wrong.ext" -out "$T_TMP/wrong-server.pem" 2>/dev/null ||
	{ fail "certificate for another name"; done_testing; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# rs_start NAME OUT: rsyslog on 127.0.0.1:$PORT with NAME's server certificate, writing
# every message as received to OUT.
rs_start() {
	mkdir -p "$T_TMP/rs-$1"
	cat >"$T_TMP/rs-$1.conf" <<EOF
global(workDirectory="$T_TMP/rs-$1"
       DefaultNetstreamDriver="ossl"
       DefaultNetstreamDriverCAFile="$T_TMP/$1-ca.pem"
       DefaultNetstreamDriverCertFile="$T_TMP/$1-server.pem"
       DefaultNetstreamDriverKeyFile="$T_TMP/$1-server.key")
module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
input(type="imtcp" port="$PORT" address="127.0.0.1")
template(name="raw" type="string" string="%rawmsg%\n")
action(type="omfile" file="$2" template="raw")
EOF
	"$RSYSLOGD" -n -f "$T_TMP/rs-$1.conf" -i "$T_TMP/rs-$1.pid" >"$T_TMP/rs-$1.log" 2>&1 &
	RS_PID=$!
	wait_for "rsyslog listening" python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)"
}

# ts_start NAME VERSION OUT: a TLS server (Python's ssl) on 127.0.0.1:$PORT with NAME's
# server certificate, speaking only TLS VERSION (1.1: at OpenSSL security level 0, which
# its old signature algorithms need) or any version (any); it writes one line per
# connection to OUT: "handshake VERSION", then "data BYTES" for what it receives, or
# "error REASON".
ts_start() {
	python3 -W ignore::DeprecationWarning - "$PORT" "$T_TMP/$1-server.pem" "$T_TMP/$1-server.key" "$2" "$3" <<'EOPY' &
import socket, ssl, sys
port, cert, key, ver, out = sys.argv[1:]
o = open(out, "a", buffering=1)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
if ver == "1.1":
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_1
ctx.load_cert_chain(cert, key)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(port)))
ls.listen(8)
while True:
    c, _ = ls.accept()
    try:
        s = ctx.wrap_socket(c, server_side=True)
        o.write("handshake %s\n" % s.version())
        s.settimeout(2)
        d = s.recv(65536)
        while d:
            o.write("data %r\n" % d)
            d = s.recv(65536)
    except Exception as e:
        o.write("error %s\n" % e)
    c.close()
EOPY
	TS_PID=$!
	wait_for "TLS server listening" python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)"
}
tls_failures() { status_json | sed -n 's/.*"tls_failures":\([0-9]*\).*/\1/p'; }

LOG="$T_TMP/auth.log"
RECV="$T_TMP/received.log"
: >"$LOG"
mkdir -p "$T_TMP/rules" "$T_TMP/no-decoders"
RULE=6a0e0c2e-7f0b-4d43-9d1c-3c1f1e0b6a77
agent_write_rule "$T_TMP/rules/failed.yml" $RULE "Forwarded failed password"
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]\n  stat_interval: 200ms|" "$T_TMP/evident.yaml"
cat >>"$T_TMP/evident.yaml" <<EOF
rules:
  paths: [$T_TMP/rules]
  decoders: [$T_TMP/no-decoders]
actions:
  forward:
    address: 127.0.0.1:$PORT
    ca_file: $T_TMP/good-ca.pem
EOF
attack() { # attack N: one failed-password line from 10.9.9.N
	echo "$(LC_ALL=C date '+%b %e %H:%M:%S') host1 sshd[$1]: Failed password for root from 10.9.9.$1 port 22 ssh2" >>"$LOG"
}
received() { grep -c 'evident [0-9]* alert \[evident@32473 ' "$RECV" 2>/dev/null || echo 0; }
status_json() { "$EVIDENT" status --json --socket "$A_SOCK" 2>/dev/null; }

rs_start good "$RECV" || { fail "rsyslog did not start"; sed 's/^/  | /' "$T_TMP/rs-good.log"; done_testing; }
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }

# 1. an alert arrives with its structured data
attack 1
if wait_for "forwarded alert" grep -q "10.9.9.1 port" "$RECV"; then ok "alert received by rsyslog over TLS"
else fail "no alert at rsyslog"; sed 's/^/  | /' "$T_TMP/agent.err" "$T_TMP/rs-good.log"; fi
if grep -Eq "^<83>1 [0-9T:.-]+Z [^ ]+ evident [0-9]+ alert \[evident@32473 rule=\"$RULE\" level=\"high\" count=\"1\" alert=\"[^\"]+\"\] \{.*\"title\":\"Forwarded failed password\"" "$RECV"; then
	ok "RFC 5424 with [evident@32473 rule= level= count= alert=] and the JSON alert"
else fail "structured data missing"; cat "$RECV"; fi
ID=$(sed -n 's/.* alert="\([^"]*\)".*/\1/p' "$RECV" | head -1)
grep -q "\"alert_id\":\"$ID\"" "$T_TMP/agent.out" && ok "the SD alert id is the stdout alert's id" || fail "alert id $ID not on stdout"
# rsyslog may write the line before the agent has taken the message off its queue
wait_for "the forward status" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"forward\":{\"connect_failures\":0,\"connected\":true,\"dropped\":0,\"enabled\":true,\"queued\":0,\"sent\":1,\"tls_failures\":0}'" &&
	ok "status: forward connected, 1 sent, 0 queued" || { fail "status forward"; status_json; }

# 2. receiver down: alerts queue on disk, survive an agent restart, drain when it is back
rs_stop
attack 2
attack 3
T_DEADLINE=15 wait_for "two queued" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"queued\":2,'" &&
	ok "receiver down: two alerts queued (status)" || { fail "not queued"; status_json; }
agent_stop
[ "$A_RC" -eq 0 ] && ok "agent stopped with alerts queued" || fail "agent exit $A_RC"
[ "$(ls "$A_STATE/forward/" | grep -c '\.msg$')" -eq 2 ] && ok "two messages kept on disk across the stop" || { fail "queue on disk"; ls -la "$A_STATE/forward"; }
mv "$T_TMP/agent.out" "$T_TMP/agent.out.1"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || fail "agent did not restart"
attack 4
rs_start good "$RECV" || fail "rsyslog did not restart"
if T_DEADLINE=20 wait_for "queue drained" sh -c "[ \$(grep -c 'evident [0-9]* alert \[evident@32473' '$RECV') -ge 4 ]"; then
	ok "receiver back: the queue drained"; else fail "queue did not drain: $(received) received"; status_json; fi
for n in 2 3 4; do
	grep -q "10.9.9.$n port" "$RECV" && ok "alert $n delivered after the restart" || fail "alert $n lost"
done
sleep 0.5
[ "$(received)" -eq 4 ] && ok "nothing lost, nothing twice (4 alerts, 4 messages)" || fail "$(received) messages for 4 alerts"
T_DEADLINE=5 wait_for "queue empty" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"queued\":0,'" && ok "status: queue empty" || fail "queue not empty"
[ "$(ls "$A_STATE/forward/" | grep -c '\.msg$')" -eq 0 ] && ok "no message left on disk" || fail "messages left on disk"

# 3. a receiver with a certificate from another CA is refused and counted
rs_stop
rs_start evil "$T_TMP/evil.log" || fail "second rsyslog did not start"
attack 5
if T_DEADLINE=15 wait_for "TLS refusal" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -Eq '\"tls_failures\":[1-9]'"; then
	ok "certificate from another CA refused (status counts TLS failures)"; else fail "no TLS failure counted"; status_json; fi
grep -q "certificate refused" "$T_TMP/agent.err" && ok "the refusal is logged with the reason" || { fail "refusal not logged"; tail -5 "$T_TMP/agent.err"; }
status_json | grep -q '"queued":1,' && ok "the alert stays queued" || fail "alert not kept"
! grep -q "10.9.9.5" "$T_TMP/evil.log" 2>/dev/null && ok "the impostor received nothing" || fail "alert sent to the impostor"
"$EVIDENT" status --socket "$A_SOCK" | grep -Eq "forward +not connected; 1 queued, 3 sent, 0 dropped, [1-9][0-9]* TLS failures" &&
	ok "human status shows the forward counters" || { fail "human status"; "$EVIDENT" status --socket "$A_SOCK"; }

# 4. the right CA's certificate for another name: refused (127.0.0.1 is checked as an IP)
rs_stop
ts_start wrong any "$T_TMP/wrong.log"
F0=$(tls_failures)
if T_DEADLINE=15 wait_for "name refusal" sh -c "[ \$('$EVIDENT' status --json --socket '$A_SOCK' | sed -n 's/.*\"tls_failures\":\\([0-9]*\\).*/\\1/p') -gt $F0 ]"; then
	ok "a certificate for another name is refused (TLS failures counted)"; else fail "no TLS failure for the wrong name"; status_json; fi
grep -q "certificate refused: IP address mismatch" "$T_TMP/agent.err" && ok "logged as an IP address mismatch" ||
	{ fail "wrong name not logged"; tail -5 "$T_TMP/agent.err"; }
grep -q '^data' "$T_TMP/wrong.log" && fail "the server with the wrong name received: $(grep '^data' "$T_TMP/wrong.log" | head -2)" ||
	ok "the server with the wrong name received nothing"
status_json | grep -q '"queued":1,' && ok "the alert stays queued" || fail "alert not kept"

# 5. a server that speaks only TLS 1.1: refused (the agent requires TLS 1.2)
rs_stop
ts_start good 1.1 "$T_TMP/old.log"
# the server must really speak TLS 1.1, or the refusal would prove nothing
if python3 -W ignore::DeprecationWarning -c '
import socket, ssl, sys
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
c.check_hostname = False
c.verify_mode = ssl.CERT_NONE
c.set_ciphers("DEFAULT:@SECLEVEL=0")
c.minimum_version = c.maximum_version = ssl.TLSVersion.TLSv1_1
s = c.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), 3))
sys.exit(s.version() != "TLSv1.1")' "$PORT" 2>"$T_TMP/probe.err"; then
	F0=$(tls_failures)
	if T_DEADLINE=15 wait_for "TLS 1.1 refusal" sh -c "[ \$('$EVIDENT' status --json --socket '$A_SOCK' | sed -n 's/.*\"tls_failures\":\\([0-9]*\\).*/\\1/p') -gt $F0 ]"; then
		ok "a TLS 1.1 server is refused (TLS failures counted)"; else fail "no TLS failure for TLS 1.1"; status_json; fi
	grep -Eq "TLS handshake failed: .*(protocol version|unsupported protocol|no protocols available)" "$T_TMP/agent.err" &&
		ok "logged with the protocol as the reason" || { fail "TLS 1.1 refusal not logged"; tail -5 "$T_TMP/agent.err"; }
	grep -q '^handshake TLSv1.1' "$T_TMP/old.log" && [ "$(grep -c '^handshake' "$T_TMP/old.log")" -eq 1 ] &&
		! grep -q '^data' "$T_TMP/old.log" && ok "no TLS 1.1 session but the probe's, nothing received" ||
		{ fail "the TLS 1.1 server:"; sed 's/^/  | /' "$T_TMP/old.log"; }
else
	skip_part "TLS 1.1 refusal: the local OpenSSL cannot speak TLS 1.1 ($(tail -1 "$T_TMP/probe.err"))"
fi
rs_stop

# 6. the queue's cap (forward.queue_max): with the receiver away, what does not fit is
# dropped, counted and logged; the agent goes on and the queued alerts drain later
agent_stop
sed -i "s|^    ca_file: .*|&\n    queue_max: 3|" "$T_TMP/evident.yaml"
mv "$T_TMP/agent.err" "$T_TMP/agent.err.2"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || fail "agent did not restart"
for n in 6 7 8 9; do attack $n; done # with alert 5 still queued: 5, 6, 7 fit
if T_DEADLINE=15 wait_for "two dropped" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"dropped\":2,'"; then
	ok "queue full: the 2 alerts past queue_max 3 are dropped (status)"; else fail "not dropped"; status_json; fi
status_json | grep -q '"queued":3,' && ok "3 alerts queued" || { fail "queued"; status_json; }
# the first drop is logged at once, later ones at most once a minute (with their number)
[ "$(grep -c 'forward 127.0.0.1:[0-9]*: queue full (3 messages), alert dropped' "$T_TMP/agent.err")" -eq 1 ] &&
	ok "the first drop is logged, the second within the minute is not (counted only)" ||
	{ fail "drop log lines"; grep forward "$T_TMP/agent.err" | tail -5; }
agent_alive && ok "the agent is still running" || fail "the agent died at the queue cap"
rs_start good "$RECV" || fail "rsyslog did not restart"
if T_DEADLINE=20 wait_for "queue drained" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"queued\":0,'"; then
	ok "receiver back: the queue drained"; else fail "queue did not drain"; status_json; fi
sleep 0.5
for n in 5 6 7; do grep -q "10.9.9.$n port" "$RECV" && ok "queued alert $n delivered" || fail "queued alert $n lost"; done
grep -Eq "10.9.9.[89] port" "$RECV" && fail "a dropped alert was delivered" || ok "the dropped alerts were not sent"

rs_stop
agent_stop
done_testing
