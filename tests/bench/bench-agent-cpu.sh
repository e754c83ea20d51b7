#!/bin/sh
# make bench: the agent's CPU time for the 1M-line corpus with the 100-rule set of
# bench-match.sh, against `evident replay` of the same file in the same rounds. Each
# round starts the agent on an empty watched file, appends the corpus to it, polls
# `status` until every line is read and takes the agent's CPU time (user + sys, from
# /proc) across the append; the status polls (every 100 ms) are counted in. Prints the
# medians and how many lines both read for their time only (docs/rules.md).
# BENCH_BASE=BIN adds an older binary to every round; BENCH_ROUNDS (default 5),
# BENCH_LINES (default 1000000).
set -u
LINES=${BENCH_LINES:-1000000}
ROUNDS=${BENCH_ROUNDS:-5}
BASE=${BENCH_BASE:-}
BENCH_NAME=bench-agent-cpu
. "${EV_SRCDIR:-.}/tests/bench/corpus-setup.sh"
TZ=UTC
export TZ
RULES="$(cd "$EV_SRCDIR" && pwd)/tests/bench/rules-sec"
ticks=$(getconf CLK_TCK)
cpu_of() { awk -v t="$ticks" '{ printf "%.2f\n", ($14 + $15) / t }' "/proc/$1/stat"; }
# agent NAME BIN: one run of BIN as the agent; appends "cpu quiet" to $T/NAME
agent() {
	d="$T/agent"
	rm -rf "$d"
	mkdir -p "$d"
	cat >"$d/cfg.yaml" <<EOC
agent:
  state_dir: $d/state
  control_socket: $d/ctl.sock
  control_group: evident-bench-nonexistent
sources:
  journal: false
  files: [$d/app.log]
store:
  path: $d/store
rules:
  paths: [$RULES, $T/rare]
EOC
	: >"$d/app.log"
	"$2" agent --foreground --config "$d/cfg.yaml" --state-dir "$d/state" >/dev/null 2>"$d/err" &
	pid=$!
	i=0
	until "$2" status --json --socket "$d/ctl.sock" 2>/dev/null | grep -q '"open":true'; do
		i=$((i + 1))
		[ $i -gt 300 ] && { echo "$BENCH_NAME: the agent did not start: $(tail -3 "$d/err")" >&2; kill "$pid" 2>/dev/null; exit 1; }
		sleep 0.05
	done
	c0=$(cpu_of "$pid")
	cat "$T/corpus.log" >>"$d/app.log"
	i=0
	while :; do
		s=$("$2" status --json --socket "$d/ctl.sock" 2>/dev/null)
		case $s in *"\"lines\":$LINES,"*) break ;; esac
		i=$((i + 1))
		[ $i -gt 1200 ] && { echo "$BENCH_NAME: the agent did not read $LINES lines in 2 minutes" >&2; break; }
		sleep 0.1
	done
	c1=$(cpu_of "$pid")
	q=$(printf '%s' "$s" | sed -n 's/.*"quiet_records":\([0-9]*\).*/\1/p')
	kill "$pid"
	wait "$pid"
	echo "$c0 $c1 ${q:-0}" | awk '{ printf "%.2f %d\n", $2 - $1, $3 }' >>"$T/$1"
}
# replay NAME BIN: the same file through replay; appends "cpu quiet" to $T/NAME
replay() {
	/usr/bin/time -f "%U %S" -o "$T/time" "$2" replay --rules "$RULES" --rules "$T/rare" \
		"$T/corpus.log" >/dev/null 2>"$T/replay.err"
	q=$(sed -n 's/.* \([0-9]*\) lines read for their time only.*/\1/p' "$T/replay.err")
	awk -v q="${q:-0}" '{ printf "%.2f %d\n", $1 + $2, q }' "$T/time" >>"$T/$1"
}
for r in $(seq "$ROUNDS"); do
	[ -n "$BASE" ] && agent base-agent "$BASE"
	agent new-agent "$EVIDENT"
	[ -n "$BASE" ] && replay base-replay "$BASE"
	replay new-replay "$EVIDENT"
done
med() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
row() { # row LABEL FILE
	[ -s "$T/$2" ] || return 0
	c=$(cut -d' ' -f1 "$T/$2" | med)
	printf '| %s | %s | %s | %s |\n' "$1" "$c" "$(awk -v c="$c" -v n="$LINES" 'BEGIN { printf "%.2f M", n / c / 1e6 }')" \
		"$(tail -n 1 "$T/$2" | cut -d' ' -f2)"
}
echo "| $LINES lines, 100 rules, CPU s (median of $ROUNDS alternated rounds) | CPU s | lines/s | lines read for their time only |"
echo "|---|---|---|---|"
row "agent, tailing (before)" base-agent
row "agent, tailing" new-agent
row "replay (before)" base-replay
row "replay" new-replay
for f in base-agent new-agent base-replay new-replay; do
	[ -s "$T/$f" ] && echo "$f rounds (CPU s): $(cut -d' ' -f1 "$T/$f" | tr '\n' ' ')"
done
exit 0
