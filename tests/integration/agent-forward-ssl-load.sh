#!/bin/sh
# libssl is loaded when alerts are forwarded over TLS (agent/ssl_load.h), not at start:
# the binary does not link it, a running `evident replay` and an agent without
# actions.forward have not mapped it, an agent that forwards has; and when libssl.so.3
# cannot be loaded (a broken library first on LD_LIBRARY_PATH) an agent configured to
# forward refuses to start with a message naming the library and the package, instead
# of a crash. (Delivery over TLS to a real rsyslog: agent-forward.sh.)
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/dlopen-lib.sh"

# ---- not linked, not mapped by a replay ----
not_linked libssl
replay_maps "$T_TMP/maps"
grep -q 'libssl\.so' "$T_TMP/maps" && fail "a replay maps libssl" || ok "a replay does not map libssl"

# ---- an agent maps it only when it forwards ----
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
agent_write_config "$T_TMP/plain.yaml"
agent_write_config "$T_TMP/forward.yaml"
printf 'actions:\n  forward:\n    address: 127.0.0.1:%s\n' "$PORT" >>"$T_TMP/forward.yaml"
mapped() { # mapped CONFIG: start the agent, print "yes"/"no" for libssl in its maps
	agent_start --config "$1"
	if wait_for "control socket" test -S "$A_SOCK"; then
		grep -q 'libssl\.so' "/proc/$A_PID/maps" && echo yes || echo no
	else
		echo "did not start: $(cat "$T_TMP/agent.err")"
	fi
	agent_stop
	rm -f "$A_SOCK"
}
M=$(mapped "$T_TMP/plain.yaml")
[ "$M" = no ] && ok "an agent without actions.forward does not map libssl" || fail "plain agent: $M"
M=$(mapped "$T_TMP/forward.yaml")
[ "$M" = yes ] && ok "an agent with actions.forward maps libssl" || fail "forwarding agent: $M"

# ---- a library that cannot be loaded: a clear refusal ----
mkdir -p "$T_TMP/badlib"
printf 'not a library\n' > "$T_TMP/badlib/libssl.so.3"
LD_LIBRARY_PATH="$T_TMP/badlib" "$EVIDENT" agent --foreground --state-dir "$A_STATE" \
	--config "$T_TMP/forward.yaml" >"$T_TMP/bad.out" 2>"$T_TMP/bad.err" &
BP=$!
T_DEADLINE=10 wait_for "refusal" sh -c "! kill -0 $BP"
if kill -0 "$BP" 2>/dev/null; then
	fail "the agent runs without a loadable libssl"
	kill -KILL "$BP"
	wait "$BP"
else
	wait "$BP"
	rc=$?
	[ "$rc" -ne 0 ] && ok "no loadable libssl: the forwarding agent refuses to start (exit $rc)" ||
		fail "exit 0 without libssl"
fi
grep -q 'libssl\.so\.3 cannot be loaded.*install libssl3' "$T_TMP/bad.err" &&
	ok "it names the library and the package" || fail "stderr: $(cat "$T_TMP/bad.err")"
LD_LIBRARY_PATH="$T_TMP/badlib" run "$EVIDENT" replay --rules "$EV_SRCDIR/conf/rules" /dev/null
expect_rc 0 "a replay does not need libssl at all"
done_testing
