#!/bin/sh
# Hostile times (issue 10): one log line dated 2099 must not turn correlation off. In
# replay and in the running agent, a brute force that follows such a line still fires; the
# line's own alert carries "time_suspect":"future"; it is counted (replay summary, status)
# and, in the agent, logged. A real gap in the input (a quiet night) changes nothing, the
# output stays byte-identical however the input arrives, and old lines are counted as late.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

RULES="$T_TMP/rules"
mkdir -p "$RULES"
detection() { # detection ID TITLE
	printf 'title: %s\nid: %s\nlevel: low\nlogsource:\n  product: linux\ndetection:\n' "$2" "$1"
	printf "  sel:\n    message|contains: 'Failed password'\n  condition: sel\n---\n"
}
{
	detection failed "Failed password"
	detection seen "Failed password seen"
	cat <<'EOF'
title: Brute force
id: brute
level: high
correlation:
  type: event_count
  rules: [failed]
  group-by: [host]
  timespan: 1m
  condition: {gte: 3}
EOF
} >"$RULES/rules.yml"

# ---- replay ----
log="$T_TMP/auth.log"
# brute HH:MM: three failed passwords from one address at HH:MM:01..03 on Mar 1
brute() {
	for i in 01 02 03; do
		echo "Mar  1 $1:$i web1 sshd[100$i]: Failed password for root from 203.0.113.9 port 40$i ssh2"
	done
}
{
	echo "Mar  1 09:59:00 web1 sshd[1000]: Connection from 198.51.100.1 port 1"
	echo "2099-03-01T10:00:00Z web1 sshd[999]: Failed password for root from 192.0.2.66 port 1 ssh2"
	brute 10:00
} >"$log"
run "$EVIDENT" replay --tz UTC --year 2024 --rules "$RULES" "$log"
expect_rc 0 "replay after a far-future line"
printf '%s\n' "$T_OUT" >"$T_TMP/r1"
expect_out '"kind":"event_count".*"title":"Brute force"' "the brute force after a 2099 line still fires"
expect_out '^\{"count":1,.*192\.0\.2\.66.*"time":"2099-03-01T10:00:00\.000000Z","time_suspect":"future"\}$' \
	"the 2099 line's alert is flagged time_suspect: future"
n=$(grep -c time_suspect "$T_TMP/r1")
[ "$n" -eq 1 ] && ok "only that alert is flagged" || fail "$n flagged alerts"
expect_err ' 0 late events, 0 evicted groups, 1 far-future events, 0 values dropped' "summary counts the far-future line"
expect_err 'warning: 1 record dated more than rules.max_future ahead' "replay warns about it"
# the same bytes through a pipe, in small pieces: the same alerts
run sh -c "dd if='$log' bs=7 2>/dev/null | '$EVIDENT' replay --tz UTC --year 2024 --rules '$RULES' -"
printf '%s\n' "$T_OUT" | sed 's#"source":"[^"]*"#"source":"X"#g' >"$T_TMP/r2"
sed 's#"source":"[^"]*"#"source":"X"#g' "$T_TMP/r1" >"$T_TMP/r1s"
cmp -s "$T_TMP/r1s" "$T_TMP/r2" && ok "chunked stdin gives byte-identical alerts" || fail "chunked stdin differs"

# rules.max_future from the configuration: a bound of a century lets the line through
cp "$EV_SRCDIR/conf/evident.yaml" "$T_TMP/cfg.yaml"
sed -i 's/^  max_future: 5m/  max_future: 36500d/' "$T_TMP/cfg.yaml"
grep -q '^  max_future: 36500d' "$T_TMP/cfg.yaml" || fail "cannot set max_future in the test configuration"
run "$EVIDENT" replay --config "$T_TMP/cfg.yaml" --tz UTC --year 2024 --rules "$RULES" "$log"
expect_err ' 3 late events, 0 evicted groups, 0 far-future events' "max_future: 36500d: the 2099 line moves the watermark"
# late, the brute force's lines are still detected: each has its own alert
n=$(printf '%s\n' "$T_OUT" | grep -c '"kind":"match",.*"rule":{"id":"seen".*"time":"2024-03-01T10:00:0[123]\.000000Z"')
[ "$n" -eq 3 ] && ok "the 3 late lines are still detected (3 alerts)" || fail "late lines: $n alerts, expected 3"
if printf '%s\n' "$T_OUT" | grep -q '"title":"Brute force"'; then fail "brute force fired with the watermark in 2099"; else ok "and then the brute force is blind (the bound matters)"; fi

# a real gap (8 hours of quiet) is confirmed by the next line: nothing flagged or lost
{
	echo "Mar  1 01:00:00 web1 sshd[1000]: Connection from 198.51.100.1 port 1"
	brute 09:00
} >"$T_TMP/gap.log"
run "$EVIDENT" replay --tz UTC --year 2024 --rules "$RULES" "$T_TMP/gap.log"
expect_out '"title":"Brute force"' "a quiet night: the brute force fires"
expect_err ' 0 late events, 0 evicted groups, 0 far-future events' "a quiet night: nothing far-future"
if printf '%s\n' "$T_OUT" | grep -q time_suspect; then fail "a quiet night flagged"; else ok "a quiet night: nothing flagged"; fi

# ---- the agent: the host clock is the reference ----
FLOG="$T_TMP/live.log"
: >"$FLOG"
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: [$FLOG]\n  stat_interval: 200ms|" "$T_TMP/evident.yaml"
printf 'rules:\n  paths: [%s]\n  allowed_lateness: 3s\n' "$RULES" >>"$T_TMP/evident.yaml"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
# after the first clock tick (the watermark keeps to the clock from then on; the backlog
# read at start-up is correlated as it comes)
T_DEADLINE=5 wait_for "first clock tick" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"watermark_us\":[1-9]'" ||
	fail "the watermark does not follow the clock"
# one write, so that both are counted before the first (rate-limited) log line
printf '%s\n' "2099-03-01T10:00:00Z web1 sshd[999]: Failed password for root from 192.0.2.66 port 1 ssh2" \
	"2020-03-01T10:00:00Z web1 sshd[998]: Failed password for root from 192.0.2.67 port 1 ssh2" >>"$FLOG"
# (the 2020 line is late: detected, not correlated)
if wait_for "the late line's alert" grep -q '192.0.2.67' "$T_TMP/agent.out"; then
	ok "agent: a late line (2020) is still detected"
else fail "agent: no alert for the late line"; sed 's/^/  | /' "$T_TMP/agent.err"; fi
grep '192.0.2.67' "$T_TMP/agent.out" | grep -q '"kind":"match",.*"rule":{"id":"seen".*"time":"2020-03-01T10:00:00\.000000Z"' &&
	ok "agent: its alert is the rule's match, at the line's own time" || fail "agent: the late line's alert: $(grep '192.0.2.67' "$T_TMP/agent.out" | head -1)"
for i in 1 2 3; do
	echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') web1 sshd[10$i]: Failed password for root from 203.0.113.9 port 400$i ssh2" >>"$FLOG"
done
if wait_for "brute force alert" grep -q '"title":"Brute force"' "$T_TMP/agent.out"; then
	ok "agent: the brute force after a 2099 line fires"
else fail "agent: no brute force after a 2099 line"; sed 's/^/  | /' "$T_TMP/agent.err"; fi
grep '192.0.2.66' "$T_TMP/agent.out" | grep -q '"time_suspect":"future"' &&
	ok "agent: the 2099 alert is flagged" || fail "agent: the 2099 alert is not flagged"
grep '192.0.2.67' "$T_TMP/agent.out" | grep -q 'time_suspect' &&
	fail "agent: an old line flagged future" || ok "agent: an old line is not flagged future"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"future":1[,}]' "agent: status counts the far-future event"
expect_out '"late":1[,}]' "agent: status counts the late event"
run "$EVIDENT" status --socket "$A_SOCK"
expect_out 'correlation +[0-9]+ groups; not correlated: 1 late, 1 far-future; caps: 0 groups evicted, 0 values dropped' "agent: human status shows the counts"
run "$EVIDENT" status --json --socket "$A_SOCK"
wmk=$(printf '%s' "$T_OUT" | sed -n 's/.*"watermark_us":\([0-9]*\).*/\1/p')
now=$(date +%s)
if [ -n "$wmk" ] && [ $((wmk / 1000000)) -le $((now + 1)) ] && [ $((wmk / 1000000)) -ge $((now - 60)) ]; then
	ok "agent: the watermark keeps to the host clock"; else fail "agent: watermark $wmk, clock $now"; fi
if wait_for "far-future logged" grep -q 'correlation: 1 event dated more than rules.max_future ahead of the clock (last: 2099-03-01T10:00:00' "$T_TMP/agent.err"; then
	ok "agent: the far-future event is logged"; else fail "agent: not logged"; sed 's/^/  | /' "$T_TMP/agent.err"; fi
grep -q 'correlation: 1 late event' "$T_TMP/agent.err" && ok "agent: the late event is logged" || fail "agent: late event not logged"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
