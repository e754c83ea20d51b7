#!/bin/sh
# The agent delivers the persisted queue: a message sent while the webhook receiver is
# down stays queued (evident status says so) and arrives once when the receiver comes
# back; a message queued while both the agent and the receiver are down arrives once after
# both restart, and nothing is ever sent twice; an alert goes to a channel taking its level
# while that receiver is slow, and `evident status` keeps answering promptly meanwhile;
# incident events from the command line (opened, update, resolved) reach the channel
# taking them through the agent.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
. "$EV_SRCDIR/tests/integration/notify-lib.sh"
P=$(free_port)
http_recv slow --slow 4
P_SLOW=$PORT
http_recv ops
P_OPS=$PORT
LOG="$T_TMP/auth.log"
: >"$LOG"
mkdir -p "$T_TMP/rules" "$T_TMP/no-decoders"
agent_write_rule "$T_TMP/rules/failed.yml" 7d3c1a2b-0000-4000-8000-00000000a1e7 "Failed password seen"
incident_config
sed -i "s|^  state_dir: .*|  state_dir: $A_STATE|; s|^  control_socket: .*|  control_socket: $A_SOCK|; s|^  files: .*|  files: [$LOG]|" "$I_CONF"
I_STATE=$A_STATE
cat >>"$I_CONF" <<EOC
rules:
  paths: [$T_TMP/rules]
  decoders: [$T_TMP/no-decoders]
notify:
  interval: 200ms
  channels:
    - name: team
      type: webhook
      payload: json
      url: http://127.0.0.1:$P/team
      retry_backoff: 100ms
      retry_max_backoff: 300ms
      retry_max: 1000
    - name: slowpoke
      type: webhook
      payload: json
      url: http://127.0.0.1:$P_SLOW/alerts
      events: [high]
      timeout: 10s
    - name: ops
      type: webhook
      payload: json
      url: http://127.0.0.1:$P_OPS/ops
      events: [opened, update, resolved]
EOC
"$EVIDENT" config check "$I_CONF" >/dev/null 2>"$T_TMP/cfg.err" || { fail "config: $(cat "$T_TMP/cfg.err")"; done_testing; }
run "$EVIDENT" triage -c "$I_CONF" --offline --incident INC-A --impact service_outage --urgency high
expect_rc 0 "triage"
start() {
	agent_start --config "$I_CONF"
	wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
}
stat_of() { # stat_of CHANNEL: "queued delivered failed" from evident status --json
	"$EVIDENT" status -c "$I_CONF" --json | python3 -c "import json,sys; c=json.load(sys.stdin)['notify']['channels']['$1']; print(c['queued'], c['delivered'], c['failed'])"
}
start

# 1. the receiver is down: queued, and delivered once it is back
run msg INC-A --audience internal --send --channel team --text "first update"
expect_rc 0 "sent while the receiver is down"
expect_out "channel team: queued" "it stays queued"
S=$(stat_of team)
[ "$S" = "1 0 0" ] && ok "status: team 1 queued" || fail "status: $S"
run "$EVIDENT" status -c "$I_CONF"
expect_out "notify team +1 queued, 0 delivered, 0 failed" "status prints the channel's counts"
http_recv team --port "$P"
wait_for "delivery" test -e "$T_TMP/team/req-1.body" || fail "not delivered after the receiver came back"
wait_for "recorded" sh -c "grep -q '\"action\":\"update_sent\".*\"result\":\"delivered\"' '$(ledger INC-A)'" || fail "not recorded"
grep -q '"text":"first update"' "$T_TMP/team/req-1.body" 2>/dev/null || grep -q 'first update' "$T_TMP/team/req-1.body" && ok "the queued message arrived" || fail "body: $(cat "$T_TMP/team/req-1.body")"
same_sha INC-A 1 "$T_TMP/team/req-1.body" "after the outage"
[ "$(stat_of team)" = "0 1 0" ] && ok "status: team 1 delivered" || fail "status: $(stat_of team)"
[ "$(sent_field INC-A 1 attempts)" -ge 2 ] && ok "recorded after $(sent_field INC-A 1 attempts) attempts" || fail "attempts"

# 2. receiver and agent down: queued, then delivered once after both restart
kill "$RECV_PID"
wait "$RECV_PID" 2>/dev/null
agent_stop
run msg INC-A --audience internal --send --channel team --text "second update"
expect_out "channel team: queued" "queued while everything is down"
start
http_recv team --port "$P"
wait_for "second delivery" test -e "$T_TMP/team/req-2.body" || fail "the second message was lost"
sleep 1
[ "$(nreq "$T_TMP/team")" -eq 2 ] && ok "each message arrived exactly once" || fail "requests: $(nreq "$T_TMP/team")"
agent_stop
start
sleep 1
[ "$(nreq "$T_TMP/team")" -eq 2 ] && ok "nothing sent twice after another restart" || fail "requests: $(nreq "$T_TMP/team")"
[ "$(grep -c '"action":"update_sent"' "$(ledger INC-A)")" -eq 2 ] && ok "two update_sent entries" || fail "entries: $(kinds INC-A)"
[ "$(stat_of team)" = "0 2 0" ] && ok "status: team 2 delivered" || fail "status: $(stat_of team)"

# 3. an alert to the slow receiver (4 s per request); the loop keeps answering
printf '%s host sshd[1]: Failed password for root from 192.0.2.7\n' "$(now_syslog)" >>"$LOG"
wait_for "alert queued" sh -c "'$EVIDENT' status -c '$I_CONF' --json | grep -q '\"queued_now\":[1-9]'" || fail "the alert was not queued"
slow_ok=0
for i in 1 2 3; do
	t0=$(date +%s%N)
	"$EVIDENT" status -c "$I_CONF" >/dev/null || fail "status failed during the slow delivery"
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -lt 1500 ] && slow_ok=$((slow_ok + 1))
	sleep 0.3
done
[ -e "$T_TMP/slow/req-1.body" ] && skip_part "the slow delivery ended before status was asked" ||
	{ [ "$slow_ok" -eq 3 ] && ok "status answers within 1.5 s while a delivery takes 4 s" || fail "status was slow ($slow_ok of 3 prompt)"; }
T_DEADLINE=15 wait_for "slow delivery" test -e "$T_TMP/slow/req-1.body" || fail "the alert never reached the slow receiver"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['rule']['id'].startswith('7d3c1a2b') or 'Failed password' in json.dumps(d), d" "$T_TMP/slow/req-1.body" 2>/dev/null &&
	ok "the alert JSON as is" || fail "alert payload: $(head -c 300 "$T_TMP/slow/req-1.body")"

# 4. incident events from the command line, delivered by the agent: opened (the triage
# before the agent started), update, resolved
run inc update INC-A "Replica promoted"
expect_rc 0 "incident update"
run inc resolve INC-A --root-cause "disk full"
expect_rc 0 "incident resolve"
wait_for "three events" test -e "$T_TMP/ops/req-3.body" || fail "events: $(nreq "$T_TMP/ops") delivered"
ev_kinds=$(for i in 1 2 3; do python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['type'], d['kind'], d['incident'])" "$T_TMP/ops/req-$i.body" 2>&1; done | tr '\n' ';')
[ "$ev_kinds" = "incident_event opened INC-A;incident_event update INC-A;incident_event resolved INC-A;" ] &&
	ok "opened, update and resolved reached the channel taking them" || fail "events: $ev_kinds"
grep -q '"root_cause":"disk full"' "$T_TMP/ops/req-3.body" && ok "the resolved event carries the entry" || fail "resolved: $(cat "$T_TMP/ops/req-3.body")"
# the notified entry is written once the channel has answered, after it saw the request
wait_for "three notified entries" sh -c "[ \$(grep -c '\"action\":\"notified\"' '$(ledger INC-A)') -ge 3 ]" &&
	ok "each event notification is a notified entry" || fail "notified entries: $(kinds INC-A)"
agent_stop
done_testing
