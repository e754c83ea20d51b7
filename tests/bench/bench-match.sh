#!/bin/sh
# Matching pipeline benchmark (make bench): `evident replay` on the 1M-line corpus with the
# three rule sets of issue 9 (starter pack, the 100-rule set of bench-correlate.sh,
# SigmaHQ rules/linux) against `rg -c` with the same 100 regexes, in rounds that run
# every command once each, alternated, so that a busy moment of a shared machine hits
# all of them alike; the table gives the median CPU time (user + sys) of the rounds.
# BENCH_BASE=BIN adds an older binary to every round (a before/after table).
# BENCH_ROUNDS (default 5), BENCH_LINES (default 1000000). Prints a Markdown table.
set -u
LINES=${BENCH_LINES:-1000000}
ROUNDS=${BENCH_ROUNDS:-5}
BASE=${BENCH_BASE:-}
BENCH_NAME=bench-match
. "${EV_SRCDIR:-.}/tests/bench/corpus-setup.sh"
sigma="$EV_SHARED/data/sigma/sigmahq-linux-full/rules/linux"

SETS="starter r100"
[ -d "$sigma" ] && SETS="$SETS sigma"
rules() {
	case $1 in
	starter) echo "--rules $EV_SRCDIR/conf/rules --decoders $EV_SRCDIR/conf/decoders" ;;
	r100) echo "--rules $EV_SRCDIR/tests/bench/rules-sec --rules $T/rare" ;;
	sigma) echo "--rules $sigma" ;;
	esac
}
# one NAME CMD...: append "cpu rss" to $T/NAME
one() {
	n=$1
	shift
	/usr/bin/time -f "%U %S %M" -o "$T/time" "$@" > "$T/out" 2> /dev/null
	awk '{ printf "%.2f %d\n", $1 + $2, $3 }' "$T/time" >> "$T/$n"
}
for r in $(seq "$ROUNDS"); do
	for s in $SETS; do
		[ -n "$BASE" ] && one "base-$s" "$BASE" replay --tz UTC --year 2026 $(rules "$s") "$T/corpus.log"
		one "new-$s" "$EVIDENT" replay --tz UTC --year 2026 $(rules "$s") "$T/corpus.log"
	done
	command -v rg >/dev/null && one rg rg -c -f "$T/rg.pat" "$T/corpus.log"
	one stats "$EVIDENT" replay --stats --tz UTC "$T/corpus.log"
done
med() { # med FILE COLUMN
	[ -s "$1" ] || { echo "-"; return; }
	cut -d' ' -f"$2" "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
rate() { awk -v l="$LINES" -v c="$1" 'BEGIN { printf "%.2f M", (c > 0 ? l / c / 1e6 : 0) }'; }
echo "| $LINES lines, CPU s (median of $ROUNDS alternated rounds) | before | after | after, lines/s | peak RSS after MiB |"
echo "|---|---|---|---|---|"
for s in $SETS; do
	case $s in
	starter) name="starter pack (conf/rules, decoders)" ;;
	r100) name="100 rules (10 SEC-set + 90 rare)" ;;
	sigma) name="SigmaHQ rules/linux" ;;
	esac
	b=$(med "$T/base-$s" 1)
	[ -n "$BASE" ] || b="-"
	a=$(med "$T/new-$s" 1)
	echo "| $name | $b | $a | $(rate "$a") | $(mib "$(med "$T/new-$s" 2)") |"
done
rg=$(med "$T/rg" 1)
echo "| \`rg -c\`, same 101 regexes | | $rg | $(rate "$rg") | $(mib "$(med "$T/rg" 2)") |"
st=$(med "$T/stats" 1)
echo "| \`evident replay --stats\` (parse only) | | $st | $(rate "$st") | $(mib "$(med "$T/stats" 2)") |"
echo
if [ "$rg" != "-" ]; then
	awk -v a="$(med "$T/new-r100" 1)" -v b="$(med "$T/base-r100" 1)" -v r="$rg" -v base="$BASE" 'BEGIN {
		printf "100 rules / rg -c: %.2fx after", a / r
		if (base != "") printf ", %.2fx before", b / r
		printf " (target: at most 1.5x)\n" }'
fi
for s in $SETS; do
	printf "%s rounds (CPU s): " "$s"
	[ -n "$BASE" ] && printf "before %s / " "$(cut -d' ' -f1 "$T/base-$s" | tr '\n' ' ')"
	printf "after %s\n" "$(cut -d' ' -f1 "$T/new-$s" | tr '\n' ' ')"
done
[ -s "$T/rg" ] && echo "rg rounds (CPU s): $(cut -d' ' -f1 "$T/rg" | tr '\n' ' ')"
exit 0
