# Helpers for the agent-*.sh tests (sourced after lib.sh): a datagram listener standing
# in for systemd's notify socket, the daemon in the foreground with a temporary
# configuration and state directory, and polling with deadlines (no fixed sleeps).
command -v python3 >/dev/null 2>&1 || skip "python3 is needed for the socket helpers"

# The shipped rule pack and decoders from the source tree, not the install prefix.
EVIDENT_DATADIR="$EV_SRCDIR/conf"
export EVIDENT_DATADIR
A_SOCK="$T_TMP/run/control.sock"
A_STATE="$T_TMP/state"
A_NOTIFY="$T_TMP/notify.sock"
A_NOTIFY_LOG="$T_TMP/notify.log"
A_PID=""
A_LISTENER=""

# A minimal configuration for tests: no journal, nothing system-wide.
agent_write_config() { # agent_write_config FILE [extra yaml appended]
	{
		printf 'agent:\n  state_dir: %s\n  control_socket: %s\n  control_group: evident-test-nonexistent\n' \
			"$A_STATE" "$A_SOCK"
		printf 'sources:\n  journal: false\n'
		printf 'store:\n  path: %s/store\n' "$T_TMP"
		[ $# -gt 1 ] && printf '%s\n' "$2"
	} >"$1"
}

# agent_write_rule FILE RULE_ID [TITLE]: a detection rule (level high) on 'Failed password'.
agent_write_rule() {
	cat >"$1" <<EOR
title: ${3:-Test failed password}
id: $2
level: high
logsource:
  product: linux
detection:
  sel:
    message|contains: 'Failed password'
  condition: sel
EOR
}

# agent_rule_config RULE_ID TITLE [YAML]: for the automatic-seal tests, that rule in
# $T_TMP/rules, the store key $T_TMP/keys/agent.key, and $T_TMP/evident.yaml tailing
# $LOG into $T_TMP/store with actions.seal_on the rule and lookback 1h; YAML: more
# `actions:` lines (indented).
agent_rule_config() {
	mkdir -p "$T_TMP/rules" "$T_TMP/keys" "$T_TMP/no-decoders"
	agent_write_rule "$T_TMP/rules/failed.yml" "$1" "$2"
	"$EVIDENT" keygen --out "$T_TMP/keys" --name agent >/dev/null 2>&1 || fail "keygen"
	agent_write_config "$T_TMP/evident.yaml"
	sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]|" \
		-e "s|^  path: $T_TMP/store|  path: $T_TMP/store\n  key: $T_TMP/keys/agent.key|" "$T_TMP/evident.yaml"
	printf 'rules:\n  paths: [%s/rules]\n  decoders: [%s/no-decoders]\nactions:\n  seal_on: [rule:%s]\n  lookback: 1h\n%s\n' \
		"$T_TMP" "$T_TMP" "$1" "${3:-}" >>"$T_TMP/evident.yaml"
}

# Datagram listener: every datagram's lines appended to $A_NOTIFY_LOG.
notify_listen() {
	rm -f "$A_NOTIFY" "$A_NOTIFY_LOG"
	: >"$A_NOTIFY_LOG"
	python3 - "$A_NOTIFY" "$A_NOTIFY_LOG" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)  # never outlive a killed test by long
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        try:
            d = s.recv(65536)
        except socket.timeout:
            sys.exit(0)
        for line in d.decode("utf-8", "replace").split("\n"):
            if line:
                f.write(line + "\n")
EOF
	A_LISTENER=$!
	wait_for "notify socket" test -S "$A_NOTIFY"
}

# wait_for WHAT CMD...: poll CMD every 20 ms for up to ${T_DEADLINE:-10} s.
wait_for() {
	_what=$1
	shift
	_n=$((${T_DEADLINE:-10} * 50))
	while [ "$_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.02
		_n=$((_n - 1))
	done
	echo "# timed out waiting for $_what"
	return 1
}

notify_count() { grep -c "^$1\$" "$A_NOTIFY_LOG" 2>/dev/null || true; }
notify_has() { grep -q "^$1\$" "$A_NOTIFY_LOG"; }
notify_at_least() { [ "$(notify_count "$1")" -ge "$2" ]; }

# agent_start [ARGS...]: run the daemon in the foreground; stdout/stderr to files.
agent_start() {
	"$EVIDENT" agent --foreground --state-dir "$A_STATE" "$@" \
		>"$T_TMP/agent.out" 2>"$T_TMP/agent.err" &
	A_PID=$!
}

agent_alive() { kill -0 "$A_PID" 2>/dev/null; }

# agent_stop: SIGTERM and wait; sets A_RC (124 when it did not exit within the deadline).
agent_stop() {
	[ -n "$A_PID" ] || return 0
	kill -TERM "$A_PID" 2>/dev/null
	_n=$((${T_DEADLINE:-10} * 50))
	while agent_alive && [ "$_n" -gt 0 ]; do
		sleep 0.02
		_n=$((_n - 1))
	done
	if agent_alive; then
		kill -KILL "$A_PID" 2>/dev/null
		wait "$A_PID" 2>/dev/null
		A_RC=124
	else
		wait "$A_PID"
		A_RC=$?
	fi
	A_PID=""
}

agent_cleanup() {
	[ -n "$A_PID" ] && kill -KILL "$A_PID" 2>/dev/null && wait "$A_PID" 2>/dev/null
	[ -n "$A_LISTENER" ] && kill "$A_LISTENER" 2>/dev/null && wait "$A_LISTENER" 2>/dev/null
	# bundles sealed by root get the immutable flag: lift it so the directory can go
	command -v chattr >/dev/null 2>&1 && find "$T_TMP" -name '*.tar.gz' -exec chattr -i {} + 2>/dev/null
	# EV_KEEP_TMP=1 keeps the directory (logs, audit file) for debugging
	[ -n "${EV_KEEP_TMP:-}" ] && echo "# kept $T_TMP" || rm -rf "$T_TMP"
}
trap agent_cleanup EXIT

# raw_request PYTHON-MODE ARG: talk to the control socket at the byte level.
#   line TEXT      send TEXT + "\n", print the answer line
#   lines ESCAPED  send bytes (Python escapes: \x00, \n), shut down writing, print all
#   big N          send N bytes of 'x' without a newline, print what comes back
#   half TEXT      send TEXT (no newline), shut down writing, print the answer
#   stuck SECONDS  connect, send nothing, hold the connection open SECONDS
raw_request() {
	python3 - "$A_SOCK" "$@" <<'EOF'
import socket, sys, time
path, mode, arg = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(path)
def answer():
    buf = b""
    try:
        while b"\n" not in buf:
            d = s.recv(65536)
            if not d:
                break
            buf += d
    except (ConnectionResetError, socket.timeout):
        pass
    return buf.decode("utf-8", "replace").strip()
if mode == "line":
    s.sendall(arg.encode() + b"\n")
    print(answer())
elif mode == "lines":
    s.sendall(arg.encode().decode("unicode_escape").encode("latin-1"))
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    print(out.decode("utf-8", "replace").strip())
elif mode == "big":
    n = int(arg)
    chunk = b"x" * (1 << 20)
    sent = 0
    try:
        while sent < n:
            sent += s.send(chunk[: min(len(chunk), n - sent)])
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    print(answer())
    print("sent %d" % sent, file=sys.stderr)
elif mode == "half":
    s.sendall(arg.encode())
    s.shutdown(socket.SHUT_WR)
    print(answer())
elif mode == "stuck":
    time.sleep(float(arg))
    print("held")
EOF
}

# clock_shim: build the CLOCK_REALTIME shim (tests/integration/clockshift.c) with the C
# compiler into $SHIM, check that a child under it sees the offset written to $FT, and
# leave $FT at 0; skip (77) when it cannot. Run the agent under LD_PRELOAD="$SHIM"
# EV_CLOCKSHIFT_FILE="$FT" and write seconds to $FT to step its wall clock.
clock_shim() {
	SHIM="$T_TMP/clockshift.so"
	FT="$T_TMP/clockshift"
	${CC:-cc} -shared -fPIC -O1 -o "$SHIM" "$EV_SRCDIR/tests/integration/clockshift.c" -ldl 2>"$T_TMP/cc.err" ||
		skip "cannot build the clock shim: $(head -1 "$T_TMP/cc.err")"
	echo "-3600" >"$FT"
	_fake=$(LD_PRELOAD="$SHIM" EV_CLOCKSHIFT_FILE="$FT" date +%s)
	[ $(($(date +%s) - _fake)) -ge 3590 ] || skip "the clock shim does not shift the clock here"
	echo "0" >"$FT"
}

# clock_agent RULES LATENESS: the agent under the clock shim (clock_shim first), tailing
# $T_TMP/app.log (LOG) with the rules in RULES and rules.allowed_lateness LATENESS; it
# returns once the first clock tick has moved the watermark.
clock_agent() {
	LOG="$T_TMP/app.log"
	: >"$LOG"
	agent_write_config "$T_TMP/evident.yaml"
	sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]\n  stat_interval: 200ms|" "$T_TMP/evident.yaml"
	printf 'rules:\n  paths: [%s]\n  allowed_lateness: %s\n' "$1" "$2" >>"$T_TMP/evident.yaml"
	# (a sanitizer build wants its runtime first; the shim only wraps three libc calls)
	LD_PRELOAD="$SHIM" EV_CLOCKSHIFT_FILE="$FT" ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0" \
		agent_start --config "$T_TMP/evident.yaml"
	wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
	T_DEADLINE=5 wait_for "first clock tick" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"watermark_us\":[1-9]'" ||
		fail "the watermark does not follow the clock"
}
