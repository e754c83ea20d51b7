#!/bin/sh
# A rule does in production what it does in a replay: the demo data (conf/demo/auth.log)
# is written in chunks, with pauses and a line cut in two, to a file the running agent
# tails; then the finished file goes through `evident replay` with the same rules and
# the same configuration. The alerts must be the same bytes, apart from what is by
# nature different, named here:
#   - alert_id: the agent numbers its alerts for seals and sinks (replay has no sink);
#   - the order of the lines: a plain match is written when its line arrives, a
#     correlation once the watermark passes its events; the agent's watermark also
#     advances with the wall clock, replay's only with the input, so the interleaving
#     of the two kinds may differ. Each alert is compared whole, as sorted lines.
# The lines are stamped with the time they are written (RFC 3339, one millisecond apart)
# and rules.allowed_lateness is 3s in both, so that no line is late for the agent.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

LOG="$T_TMP/auth.log"
CFG="$T_TMP/evident.yaml"
: >"$LOG"
agent_write_config "$CFG"
sed -i "s|^  journal: false|  journal: false\n  files: [$LOG]\n  stat_interval: 200ms|" "$CFG"
printf 'rules:\n  paths: [%s]\n  allowed_lateness: 3s\n' "$EV_SRCDIR/conf/rules" >>"$CFG"

agent_start --config "$CFG"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
# the file is open and at its end before the first write
wait_for "file source open" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"name\":\"$LOG\"[^}]*\"open\":true'" ||
	fail "the file source is not open"

# The demo lines, restamped now, written in 5 chunks cut at byte offsets that are not
# line ends, 300 ms apart.
python3 - "$EV_SRCDIR/conf/demo/auth.log" "$LOG" <<'EOF'
import datetime, sys, time
t0 = time.time()
out = []
for i, line in enumerate(open(sys.argv[1], encoding="utf-8").read().splitlines()):
    ts = datetime.datetime.fromtimestamp(t0 + i / 1000, datetime.timezone.utc)
    out.append(ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ") + line[15:] + "\n")
data = "".join(out).encode()
cuts = [0, 150, len(data) * 2 // 5 + 7, len(data) * 3 // 5 - 11, len(data) - 40, len(data)]
with open(sys.argv[2], "ab", buffering=0) as f:
    for a, b in zip(cuts, cuts[1:]):
        f.write(data[a:b])
        time.sleep(0.3)
EOF
N_LINES=$(grep -c . "$LOG")
[ "$N_LINES" -eq "$(grep -c . "$EV_SRCDIR/conf/demo/auth.log")" ] && ok "the demo's $N_LINES lines written in 5 chunks" ||
	fail "wrote $N_LINES lines"

run "$EVIDENT" replay --config "$CFG" --rules "$EV_SRCDIR/conf/rules" "$LOG"
expect_rc 0 "replay of the same file with the same configuration and rules"
printf '%s\n' "$T_OUT" | grep . >"$T_TMP/replay.jsonl"
N=$(grep -c . "$T_TMP/replay.jsonl")
[ "$N" -ge 5 ] && ok "replay: $N alerts" || fail "replay: $N alerts, expected at least 5"
grep -q '"kind":"event_count"' "$T_TMP/replay.jsonl" && grep -q '"kind":"temporal_ordered"' "$T_TMP/replay.jsonl" &&
	grep -q '"kind":"match"' "$T_TMP/replay.jsonl" && ok "plain matches and correlations among them" ||
	fail "replay lacks a plain match or a correlation"

# The agent: every alert of the input, once its watermark passed the last line.
LAST_US=$(python3 -c 'import datetime,sys; print(int(datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp() * 1000000))' \
	"$(tail -n 1 "$LOG" | cut -d' ' -f1)")
past_last() {
	w=$("$EVIDENT" status --json --socket "$A_SOCK" | sed -n 's/.*"watermark_us":\([0-9-]*\).*/\1/p')
	[ -n "$w" ] && [ "$w" -gt "$LAST_US" ]
}
if wait_for "watermark past the last line" past_last; then ok "the agent's watermark passed the last line"
else fail "the agent's watermark did not pass the last line"; fi
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out "\"lines\":$N_LINES," "the agent read the $N_LINES lines once"
expect_out '"engine":\{[^}]*"late":0,' "no event was late for the agent"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"

grep '"kind":' "$T_TMP/agent.out" >"$T_TMP/agent.jsonl"
if [ "$(grep -c '"alert_id":"[^"]' "$T_TMP/agent.jsonl")" -eq "$(grep -c . "$T_TMP/agent.jsonl")" ]; then
	ok "every agent alert has an alert_id"; else fail "an agent alert lacks its alert_id"; fi
# Remove what is by nature different (alert_id; order), nothing else.
sed 's/"alert_id":"[^"]*",//' "$T_TMP/agent.jsonl" | sort >"$T_TMP/agent.cmp"
sort "$T_TMP/replay.jsonl" >"$T_TMP/replay.cmp"
if cmp -s "$T_TMP/agent.cmp" "$T_TMP/replay.cmp"; then ok "the agent's $N alerts are byte-identical to replay's"
else
	fail "the agent's alerts differ from replay's"
	diff "$T_TMP/replay.cmp" "$T_TMP/agent.cmp" | cut -c1-400 | head -20 | sed 's/^/  | /'
fi
done_testing
