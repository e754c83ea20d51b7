#!/bin/sh
# libcurl is loaded when something is sent, not at start (agent/curl_load.h): the binary
# does not link it, a running `evident replay` has not mapped it, a message sent to a real
# webhook receiver on 127.0.0.1 still arrives, and when libcurl.so.4 cannot be loaded (a
# broken library first on LD_LIBRARY_PATH) the delivery fails with a message that names
# the library and what to install, instead of a crash or "out of memory".
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
. "$EV_SRCDIR/tests/integration/notify-lib.sh"
. "$EV_SRCDIR/tests/integration/dlopen-lib.sh"

# ---- not linked, not mapped at start ----
not_linked libcurl
replay_maps "$T_TMP/maps"
grep -q libcurl "$T_TMP/maps" && fail "a replay maps libcurl" || ok "a replay does not map libcurl"

# ---- sending loads it; a library that cannot be loaded is a clear failure ----
http_recv plain
incident_config
cat >>"$I_CONF" <<EOC
notify:
  channels:
    - name: hook
      type: webhook
      url: http://127.0.0.1:$PORT/hooks/json
      payload: json
      audiences: [internal]
      retry_max: 1
EOC
run "$EVIDENT" triage -c "$I_CONF" --offline --incident INC-C --impact service_outage --urgency high \
	--affected-users 4 --service api-service
expect_rc 0 "triage"
mkdir -p "$T_TMP/badlib"
printf 'not a library\n' > "$T_TMP/badlib/libcurl.so.4"
run env LD_LIBRARY_PATH="$T_TMP/badlib" "$EVIDENT" message -c "$I_CONF" INC-C --audience internal --send --text "first"
expect_rc 1 "no loadable libcurl: the delivery fails"
expect_out "channel hook: failed" "reported failed"
L=$(ledger INC-C)
grep '"action":"update_sent"' "$L" | grep -q 'libcurl.so.4 cannot be loaded.*install libcurl4' &&
	ok "the ledger names the library and the package" || fail "detail: $(grep update_sent "$L" | tail -1)"
[ "$(nreq "$T_TMP/plain")" -eq 0 ] && ok "nothing reached the receiver" || fail "requests: $(nreq "$T_TMP/plain")"
run msg INC-C --audience internal --send --text "second"
expect_rc 0 "with libcurl: the message is sent"
expect_out "channel hook: delivered" "delivered"
[ "$(nreq "$T_TMP/plain")" -eq 1 ] && grep -q second "$T_TMP/plain/req-1.body" && ok "the receiver got it" ||
	fail "requests: $(nreq "$T_TMP/plain")"
done_testing
