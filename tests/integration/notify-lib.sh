# Helpers for the notify-*.sh tests (sourced after lib.sh and incident-lib.sh): a test CA
# and a certificate for 127.0.0.1 made with openssl, the receivers started on 127.0.0.1
# (stopped by the EXIT trap), and the ledger's update_sent entries. Source after agent-lib.sh.
command -v openssl >/dev/null 2>&1 || skip "openssl is needed for the test CA"
N_PIDS=""
trap 'for p in $N_PIDS; do kill "$p" 2>/dev/null; done; chattr -R -i "$T_TMP" 2>/dev/null; agent_cleanup' EXIT
N_RECV="$EV_SRCDIR/tests/integration/notify-http-receiver.py"

# make_ca: $T_TMP/ca.pem (CA), $T_TMP/srv.pem and srv.key (for IP 127.0.0.1, signed by it)
make_ca() {
	(
		cd "$T_TMP" &&
			openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
				-subj "/CN=evident test CA" >/dev/null 2>&1 &&
			openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr \
				-subj "/CN=127.0.0.1" >/dev/null 2>&1 &&
			printf 'subjectAltName=IP:127.0.0.1\n' >srv.ext &&
			openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
				-out srv.pem -days 2 -extfile srv.ext >/dev/null 2>&1
	) || fail "openssl: test CA"
}

# http_recv NAME [ARGS...]: a receiver storing into $T_TMP/NAME/, its port in $PORT, its
# pid in $RECV_PID
http_recv() {
	_rn=$1
	shift
	mkdir -p "$T_TMP/$_rn"
	rm -f "$T_TMP/$_rn.port"
	python3 "$N_RECV" --out "$T_TMP/$_rn" --port-file "$T_TMP/$_rn.port" "$@" 2>"$T_TMP/$_rn.err" &
	N_PIDS="$N_PIDS $!"
	RECV_PID=$!
	wait_for "receiver $_rn" test -s "$T_TMP/$_rn.port" || fail "receiver $_rn did not start: $(cat "$T_TMP/$_rn.err")"
	PORT=$(cat "$T_TMP/$_rn.port")
}

# free_port: a port nothing listens on now
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# nreq DIR: how many requests DIR received
nreq() { ls "$1" 2>/dev/null | grep -c '\.body$' || true; }
# sha FILE
sha() { sha256sum "$1" | cut -d' ' -f1; }
# sent_field INC N KEY: KEY of the Nth (1-based) update_sent entry's details
sent_field() {
	grep '"action":"update_sent"' "$(ledger "$1")" | sed -n "${2}p" |
		python3 -c "import json,sys; print(json.load(sys.stdin)['details'].get('$3'))"
}
# same_sha INC N FILE WHAT: the Nth update_sent entry's sha256 is FILE's (FILE not empty)
same_sha() {
	_s=$(sent_field "$1" "$2" sha256 2>/dev/null)
	[ -s "$3" ] && [ "$_s" = "$(sha "$3")" ] && ok "$4: ledger sha256 = SHA-256 of the bytes received" ||
		fail "$4: ledger sha256 '$_s', received $(sha "$3" 2>&1)"
}
msg() { "$EVIDENT" message -c "$I_CONF" "$@"; }
