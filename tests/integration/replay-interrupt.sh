#!/bin/sh
# Ctrl-C during replay: SIGINT (and SIGTERM) end the replay after the record at hand; the
# output holds only whole JSON lines, the summary is printed and says it was interrupted,
# and the exit status is 128 + the signal. Both the records mode and the rules mode, with
# the input still open (a pipe whose writer has not finished: the replay is waiting).
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/rules-lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed"

python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(30000):
        f.write("Nov 27 01:%02d:%02d web1 sshd[%d]: Failed password for root from 203.0.113.%d port %d ssh2\n"
                % (i // 60 % 60, i % 60, 1000 + i, i % 250, 40000 + i))
' "$T_TMP/in.log"

mkdir -p "$T_TMP/rules" "$T_TMP/no-decoders"
rule_failed >"$T_TMP/rules/failed.yml"

# interrupt SIG MODE-ARGS...: feed in.log through a pipe that stays open, wait until the
# replay has written output, send SIG, and collect exit status, stdout and stderr.
interrupt() {
	sig=$1
	shift
	rm -f "$T_TMP/out" "$T_TMP/err" "$T_TMP/rc"
	( (cat "$T_TMP/in.log"; sleep 30) 2>/dev/null | { "$EVIDENT" replay "$@" - >"$T_TMP/out" 2>"$T_TMP/err"; echo $? >"$T_TMP/rc"; } ) &
	outer=$!
	n=0
	while [ ! -s "$T_TMP/out" ] && [ $n -lt 500 ]; do sleep 0.02; n=$((n + 1)); done
	sleep 0.3
	pid=$(pgrep_tree "$outer" "$EVIDENT replay $1" | head -1)
	[ -n "$pid" ] && kill -"$sig" "$pid"
	n=0
	while [ ! -s "$T_TMP/rc" ] && [ $n -lt 500 ]; do sleep 0.02; n=$((n + 1)); done
	pkill -P "$outer" sleep 2>/dev/null
	wait "$outer" 2>/dev/null || :
	T_RC=$(cat "$T_TMP/rc" 2>/dev/null || echo none)
}

whole_json() { python3 -c '
import json, sys
data = open(sys.argv[1], "rb").read()
if not data.endswith(b"\n"):
    sys.exit("the output ends inside a line")
for n, line in enumerate(data.splitlines(), 1):
    json.loads(line)
print(len(data.splitlines()))
' "$1"; }

for sig in INT TERM; do
	want=$([ $sig = INT ] && echo 130 || echo 143)
	interrupt $sig --records
	[ "$T_RC" = "$want" ] && ok "records, SIG$sig: exit $want" || fail "records, SIG$sig: exit $T_RC, expected $want"
	if n=$(whole_json "$T_TMP/out"); then ok "records, SIG$sig: $n whole JSON lines"; else fail "records, SIG$sig: $n"; fi
	grep -q 'replay: [0-9]* lines' "$T_TMP/err" && ok "records, SIG$sig: summary printed" || fail "records, SIG$sig: no summary: $(cat "$T_TMP/err")"
	grep -q 'interrupted by signal' "$T_TMP/err" && ok "records, SIG$sig: says it was interrupted" || fail "records, SIG$sig: no word of the interruption"

	interrupt $sig --rules "$T_TMP/rules" --decoders "$T_TMP/no-decoders"
	[ "$T_RC" = "$want" ] && ok "rules, SIG$sig: exit $want" || fail "rules, SIG$sig: exit $T_RC, expected $want"
	if n=$(whole_json "$T_TMP/out"); then ok "rules, SIG$sig: $n whole JSON alert lines"; else fail "rules, SIG$sig: $n"; fi
	grep -q 'replay: [0-9]* lines, [0-9]* records' "$T_TMP/err" && ok "rules, SIG$sig: summary printed" || fail "rules, SIG$sig: no summary: $(cat "$T_TMP/err")"
	grep -q 'interrupted by signal' "$T_TMP/err" && ok "rules, SIG$sig: says it was interrupted" || fail "rules, SIG$sig: no word of the interruption"
done
done_testing
