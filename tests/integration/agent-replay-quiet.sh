#!/bin/sh
# The running agent reads a line that no rule can match for its time only, as replay does
# (correlate_engine_line_quiet through collector_tail_set_quiet_fn). With a rule set whose
# every rule is gated by a literal (tests/integration/data/quiet-rules.yml), syslog lines
# are written in chunks cut inside lines to a file the agent tails; then the finished
# file goes through `evident replay` with the same configuration. The agent counts
# exactly the lines marked quiet below (status: engine.quiet_records; replay's summary
# the same number), and its alerts are replay's, byte for byte, apart from alert_id and
# the order (see agent-replay-live.sh). A second agent with one ungated rule added reads
# no line that way. In a build without Vectorscan no line is quiet, and the alerts are
# still compared.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
TZ=UTC
export TZ

LOG="$T_TMP/app.log"
CFG="$T_TMP/evident.yaml"
RULES="$T_TMP/rules.yml"
: >"$LOG"
cp "$EV_SRCDIR/tests/integration/data/quiet-rules.yml" "$RULES"
vs=0
"$EVIDENT" version 2>&1 | grep -q 'vectorscan=yes' && vs=1

# config CFG RULES: tail $LOG with these rules and the shipped decoders
config() {
	agent_write_config "$1"
	sed -i "s|^  journal: false|  journal: false\n  files: [$LOG]\n  stat_interval: 200ms|" "$1"
	printf 'rules:\n  paths: [%s]\n  decoders: [%s]\n  allowed_lateness: 3s\n' "$2" "$EV_SRCDIR/conf/decoders" >>"$1"
}
# live CFG: start the agent on CFG, write the lines, wait until its watermark passed the
# last one; the alerts in $T_TMP/agent.jsonl, its status in $T_TMP/status.json
live() {
	: >"$LOG"
	agent_start --config "$1"
	wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
	wait_for "file source open" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"name\":\"$LOG\"[^}]*\"open\":true'" ||
		fail "the file source is not open"
	# Q marks a line that must be read for its time only (the marker is not written).
	# Stamped now, RFC 3164 in UTC; written in 4 chunks cut inside lines, 300 ms apart.
	python3 - "$LOG" "$T_TMP/want" <<'EOF'
import sys, time
lines = ["Q cron[1]: job started"]
for i in range(3):
    lines += ["sshd[2]: Failed password for root from 203.0.113.9 port %d ssh2" % (4001 + i),
              "Q cron[1]: tick %d" % i]
lines += ["sshd[3]: Accepted password for root from 203.0.113.9 port 4004 ssh2",
          "Q <78>cron[1]: with a priority after the tag",
          "sshd[9]: Invalid user mallory from 203.0.113.66 port 4100",
          "Q app[4]: a line ending in CRLF\r",
          "backdoord[5]: hello",
          "Q kernel: Failed  password (two spaces: no literal)"]
lines += ["Q cron[1]: filler %d" % i for i in range(40)]
lines += ["sshd[6]: Failed password for admin from 198.51.100.7 port 5000 ssh2"]
t0 = time.time()
out, quiet = [], 0
for i, l in enumerate(lines):
    stamp = time.strftime("%b %e %H:%M:%S", time.gmtime(t0 + i / 100))
    if l.startswith("Q "):
        quiet += 1
        l = l[2:]
    pri = ""
    if l.startswith("<78>"):
        pri, l = "<78>", l[4:]
    out.append("%s%s web1 %s\n" % (pri, stamp, l))
data = "".join(out).encode()
cuts = [0, 97, len(data) // 2 + 5, len(data) - 30, len(data)]
with open(sys.argv[1], "ab", buffering=0) as f:
    for a, b in zip(cuts, cuts[1:]):
        f.write(data[a:b])
        time.sleep(0.3)
with open(sys.argv[2], "w") as f:
    f.write("%d %d %d\n" % (len(lines), quiet, int((t0 + (len(lines) - 1) / 100) * 1e6)))
EOF
	read -r N_LINES WANT LAST_US <"$T_TMP/want"
	past_last() {
		w=$("$EVIDENT" status --json --socket "$A_SOCK" | sed -n 's/.*"watermark_us":\([0-9-]*\).*/\1/p')
		[ -n "$w" ] && [ "$w" -gt "$LAST_US" ]
	}
	wait_for "watermark past the last line" past_last || fail "the agent's watermark did not pass the last line"
	"$EVIDENT" status --json --socket "$A_SOCK" >"$T_TMP/status.json"
	"$EVIDENT" status --socket "$A_SOCK" >"$T_TMP/status.txt"
	agent_stop
	[ "$A_RC" -eq 0 ] || fail "agent exit $A_RC"
	grep '"kind":' "$T_TMP/agent.out" >"$T_TMP/agent.jsonl"
}
# same_as_replay CFG RULES WHAT: replay's alerts and quiet count against the agent's
same_as_replay() {
	run "$EVIDENT" replay --config "$1" --rules "$2" --decoders "$EV_SRCDIR/conf/decoders" "$LOG"
	expect_rc 0 "$3: replay of the same file with the same configuration"
	printf '%s\n' "$T_OUT" | grep . | sort >"$T_TMP/replay.cmp"
	sed 's/"alert_id":"[^"]*",//' "$T_TMP/agent.jsonl" | sort >"$T_TMP/agent.cmp"
	n=$(grep -c . "$T_TMP/replay.cmp")
	if cmp -s "$T_TMP/agent.cmp" "$T_TMP/replay.cmp"; then ok "$3: the agent's $n alerts are byte-identical to replay's"
	else
		fail "$3: the agent's alerts differ from replay's"
		diff "$T_TMP/replay.cmp" "$T_TMP/agent.cmp" | cut -c1-300 | head -20 | sed 's/^/  | /'
	fi
	q=$(sed -n 's/.* \([0-9]*\) lines read for their time only.*/\1/p' "$T_TMP/err")
	aq=$(sed -n 's/.*"quiet_records":\([0-9]*\).*/\1/p' "$T_TMP/status.json")
	[ -n "$q" ] && [ "$q" = "$aq" ] && ok "$3: agent and replay read $q lines for their time only" ||
		fail "$3: quiet lines: agent '$aq', replay '$q'"
}

config "$CFG" "$RULES"
live "$CFG"
expect_file_has() { grep -q "$2" "$1" && ok "$3" || fail "$3"; }
expect_file_has "$T_TMP/status.json" "\"lines\":$N_LINES," "the agent read the $N_LINES lines once"
expect_file_has "$T_TMP/status.json" '"engine":{[^}]*"late":0,' "no event was late for the agent"
for t in 'brute force' 'failed then accepted' 'invalid user' 'backdoor program'; do
	expect_file_has "$T_TMP/agent.jsonl" "\"title\":\"$t\"" "agent: a '$t' alert"
done
if [ "$vs" = 1 ]; then
	expect_file_has "$T_TMP/status.json" "\"quiet_records\":$WANT[,}]" "the agent read exactly the $WANT marked lines for their time only"
	expect_file_has "$T_TMP/status.txt" "lines  *$N_LINES (.*; $WANT read for their time only" "status shows them"
else
	expect_file_has "$T_TMP/status.json" '"quiet_records":0[,}]' "without Vectorscan no line is quiet"
fi
same_as_replay "$CFG" "$RULES" "gated rules"

# one ungated rule (a field test, no literal): every line is parsed, in the agent too
cp "$RULES" "$T_TMP/all.yml"
cat "$EV_SRCDIR/tests/integration/data/quiet-ungated-rule.yml" >>"$T_TMP/all.yml"
A_STATE="$T_TMP/state2" # a first start again: no positions from the run above
config "$T_TMP/all.yaml" "$T_TMP/all.yml"
live "$T_TMP/all.yaml"
expect_file_has "$T_TMP/status.json" '"quiet_records":0[,}]' "an ungated rule: the agent parses every line"
expect_file_has "$T_TMP/agent.jsonl" '"title":"any cron line"' "agent: the ungated rule's alerts"
same_as_replay "$T_TMP/all.yaml" "$T_TMP/all.yml" "with an ungated rule"
done_testing
