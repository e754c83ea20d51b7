#!/bin/sh
# Correlation engine benchmark (make bench): evident vs SEC with the same 10 rules, the
# 100-rule set with the Vectorscan and the PCRE2-only engine, ripgrep as the matching
# floor, and the memory of 1M distinct keys through an event_count rule.
# Prints a Markdown table. Skips what it cannot run (no data, no sec, no rg).
set -u
LINES=${BENCH_LINES:-1000000}
SEC_LINES=${BENCH_SEC_LINES:-100000}
BENCH_NAME=bench-correlate
. "${EV_SRCDIR:-.}/tests/bench/corpus-setup.sh"
head -n "$SEC_LINES" "$T/corpus.log" > "$T/slice.log"
cat "$secrules" "$T/rare.sec" > "$T/sec100.sec"

# run NAME LINES CMD...: time one run (CPU = user+sys, one core) and print a table row
row() { # row name lines wall cpu rss alerts
	awk -v n="$1" -v l="$2" -v w="$3" -v c="$4" -v r="$5" -v a="$6" 'BEGIN {
		printf "| %s | %d | %.2f | %.2f | %.0f | %.0f | %s | %.1f |\n", n, l, w, c, l / (c > 0 ? c : 1e-9), l / (w > 0 ? w : 1e-9), a, r / 1024 }'
}
timed() { # timed OUT CMD... -> sets W C R
	o=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$T/time" "$@" > "$o.out" 2> "$o.err"
	set -- $(tail -1 "$T/time")
	W=$1; C=$(awk -v u="$2" -v s="$3" 'BEGIN { print u + s }'); R=$4
}

echo "| run | lines | wall s | CPU s | lines/s (CPU) | lines/s (wall) | alerts | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
R10="--rules $EV_SRCDIR/tests/bench/rules-sec"
R100="$R10 --rules $T/rare"
EVR="$EVIDENT replay --tz UTC --year 2026"
timed "$T/e10" $EVR $R10 "$T/corpus.log"
row "evident, 10 rules (SEC set), vectorscan" "$LINES" "$W" "$C" "$R" "$(wc -l < "$T/e10.out")"
timed "$T/e10p" $EVR --engine pcre2 $R10 "$T/corpus.log"
row "evident, 10 rules, pcre2 only" "$LINES" "$W" "$C" "$R" "$(wc -l < "$T/e10p.out")"
if command -v sec >/dev/null; then
	timed "$T/s10" sec --conf="$secrules" --input="$T/slice.log" --notail --quiet
	row "SEC 10 rules" "$SEC_LINES" "$W" "$C" "$R" "$(grep -c ALERT "$T/s10.out")"
	timed "$T/s100" sec --conf="$T/sec100.sec" --input="$T/slice.log" --notail --quiet
	row "SEC 100 rules" "$SEC_LINES" "$W" "$C" "$R" "$(grep -c ALERT "$T/s100.out")"
else
	echo "| SEC | skipped: install the Debian package sec | | | | | | |"
fi
timed "$T/e100" $EVR $R100 "$T/corpus.log"
row "evident, 100 rules, vectorscan" "$LINES" "$W" "$C" "$R" "$(wc -l < "$T/e100.out")"
timed "$T/e100p" $EVR --engine pcre2 $R100 "$T/corpus.log"
row "evident, 100 rules, pcre2 only" "$LINES" "$W" "$C" "$R" "$(wc -l < "$T/e100p.out")"
if cmp -s "$T/e100.out" "$T/e100p.out"; then same=identical; else same=DIFFERENT; fi
if command -v rg >/dev/null; then
	timed "$T/rg" rg -c -f "$T/rg.pat" "$T/corpus.log"
	row "rg -c, same 100 patterns (matching floor)" "$LINES" "$W" "$C" "$R" "$(cat "$T/rg.out") lines"
else
	echo "| rg | skipped: install ripgrep | | | | | | |"
fi
echo
echo "vectorscan vs pcre2 alerts on the 100-rule run: $same ($(wc -l < "$T/e100.out") alerts)"

# memory: 1M distinct source addresses through an event_count rule (default cap 100,000)
python3 - "$T/ips.log" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(1000000):
        s = i // 1000
        f.write("Nov 27 %02d:%02d:%02d.%03d web1 sshd[1]: Failed password for root from 10.%d.%d.%d port 22 ssh2\n"
                % (s // 3600, s // 60 % 60, s % 60, i % 1000, i >> 16 & 255, i >> 8 & 255, i & 255))
PY
cat > "$T/mem.yml" <<'YAML'
title: f
name: f
logsource: {product: linux, service: sshd}
detection:
  s:
    message|re: 'from (?<ip>\S+) port'
  condition: s
---
title: per-address failures
correlation: {type: event_count, rules: [f], group-by: [ip], timespan: 1h, condition: {gte: 5}}
YAML
head -n 5 "$T/mem.yml" > "$T/base.yml"; printf '    message|re: %s\n  condition: s\n' "'from (?<ip>\\S+) port'" >> "$T/base.yml"
timed "$T/mb" $EVR --rules "$T/base.yml" --stats "$T/ips.log"
base=$R
# steady state: the same run stopped at 400k lines (100000 live groups as well)
head -n 400000 "$T/ips.log" > "$T/ips400k.log"
timed "$T/mb4" $EVR --rules "$T/base.yml" --stats "$T/ips400k.log"
base4=$R
timed "$T/mm4" $EVR --rules "$T/mem.yml" "$T/ips400k.log"
mem4=$R
timed "$T/mm" $EVR --rules "$T/mem.yml" "$T/ips.log"
ev=$(sed -n 's/.* \([0-9]*\) evicted groups.*/\1/p' "$T/mm.err")
live=$((1000000 - ${ev:-0}))
echo
echo "| memory run (1M distinct keys, event_count, cap 100000) | value |"
echo "|---|---|"
echo "| peak RSS with correlation | $(awk -v r="$R" 'BEGIN { printf "%.1f MiB", r / 1024 }') |"
echo "| peak RSS, same rules without the correlation | $(awk -v r="$base" 'BEGIN { printf "%.1f MiB", r / 1024 }') |"
echo "| live groups at the end / evicted | $live / ${ev:-?} |"
echo "| bytes per live group (RSS difference / live groups) | $(awk -v a="$R" -v b="$base" -v l="$live" 'BEGIN { printf "%.0f", (a - b) * 1024 / l }') |"
echo "| bytes per live group, the run stopped at 400k lines | $(awk -v a="$mem4" -v b="$base4" 'BEGIN { printf "%.0f", (a - b) * 1024 / 100000 }') |"
echo "| CPU | $(awk -v c="$C" 'BEGIN { printf "%.2f s (%.0f lines/s)", c, 1000000 / c }') |"
