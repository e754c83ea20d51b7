#!/bin/sh
# Template miner throughput (issue 14): `evident analyze --assign` (parse + group + print one
# line per input line) against `evident replay --stats` (parse only) on the same file; the
# difference is the miner's share (with the printing, so the miner alone is faster still).
# Corpora: the shared syslog generator (1M lines) and the Loghub HDFS sample repeated to
# 500k lines. One core (taskset), page cache warm, median of 5 alternated runs of CPU
# time (user + system, /usr/bin/time: on a shared, loaded machine wall-clock time
# measures the other jobs). Prints a Markdown table; skips what it cannot find.
set -u
: "${EVIDENT:?run through make bench}"
SHARED=${EV_SHARED:-${EV_SRCDIR:-.}/../shared}
T=$(mktemp -d /tmp/evident-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT
N=${BENCH_LINES:-1000000}
if command -v python3 >/dev/null && [ -f "$SHARED/bench/gen_corpus.py" ]; then
	python3 "$SHARED/bench/gen_corpus.py" "$N" >"$T/syslog.log"
fi
if [ -f "$SHARED/data/loghub/HDFS/HDFS_2k.log" ]; then
	for _ in $(seq 250); do cat "$SHARED/data/loghub/HDFS/HDFS_2k.log"; done >"$T/hdfs.log"
fi
[ -x /usr/bin/time ] || { echo "SKIP: /usr/bin/time missing"; exit 0; }
secs() { # secs CMD...: CPU seconds (user + system)
	/usr/bin/time -f "%U %S" -o "$T/time" "$@" >/dev/null 2>&1
	awk '{ printf "%.3f\n", $1 + $2 }' "$T/time"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "One core (taskset -c 0), page cache warm, CPU seconds (user + system), median of 5 alternated runs."
echo
echo "| corpus | lines | replay --stats (CPU s) | analyze --assign (CPU s) | templates | miner + print lines/s |"
echo "|---|---|---|---|---|---|"
for f in "$T/syslog.log" "$T/hdfs.log"; do
	[ -f "$f" ] || continue
	lines=$(wc -l <"$f")
	cat "$f" >/dev/null
	: >"$T/p"; : >"$T/a"
	for _ in 1 2 3 4 5; do
		secs taskset -c 0 "$EVIDENT" replay --stats --tz UTC "$f" >>"$T/p"
		secs taskset -c 0 "$EVIDENT" analyze --assign --tz UTC "$f" >>"$T/a"
	done
	p=$(median <"$T/p"); a=$(median <"$T/a")
	ntpl=$("$EVIDENT" analyze --assign --tz UTC "$f" | cut -f1 | sort -u | wc -l)
	awk -v n="$(basename "$f" .log)" -v l="$lines" -v p="$p" -v a="$a" -v k="$ntpl" \
		'BEGIN { d = a - p; printf "| %s | %d | %.3f | %.3f | %d | %s |\n", n, l, p, a, k, (d > 0) ? sprintf("%.2f M", l / d / 1e6) : "n/a" }'
done
