#!/bin/sh
# Collector throughput: `evident replay --stats` (parse, records built, nothing printed)
# and `evident replay` (records printed as JSON) on a 1M-line RFC 3164 corpus, next to
# `wc -l` and `cat` on the same file (the floor); journal reading (`evident replay
# --journal-dir D --stats`) against `journalctl -D D -o export` on the same journal files
# (200k entries made from the corpus with systemd-journal-remote). Prints a Markdown
# table. Skips when python3 or the shared corpus generator is missing.
set -u
: "${EVIDENT:?run through make bench}"
SHARED=${EV_SHARED:-${EV_SRCDIR:-.}/../shared}
GEN=$SHARED/bench/gen_corpus.py
N=${BENCH_LINES:-1000000}
if ! command -v python3 >/dev/null || [ ! -f "$GEN" ]; then
	echo "SKIP: python3 or $GEN missing"
	exit 0
fi
T=$(mktemp -d /tmp/evident-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT
python3 "$GEN" "$N" >"$T/corpus.log"
bytes=$(wc -c <"$T/corpus.log")
cat "$T/corpus.log" >/dev/null # warm the page cache

# best of 3 wall-clock seconds of a command (stdout to /dev/null)
best() {
	b=
	for _ in 1 2 3; do
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s.%N)
		b=$(awk -v s="$s" -v e="$e" -v b="$b" 'BEGIN { t = e - s; if (b == "" || t < b) b = t; printf "%.6f", b }')
	done
	echo "$b"
}
row() { # row NAME SECONDS LINES
	awk -v n="$1" -v t="$2" -v l="$3" -v b="$bytes" \
		'BEGIN { printf "| %s | %.3f | %.2f M lines/s | %.0f MB/s |\n", n, t, l / t / 1e6, b / t / 1e6 }'
}
echo "Corpus: $N lines, $bytes bytes (gen_corpus.py), one core, page cache warm, best of 3."
echo
echo "| command | seconds | lines/s | bytes/s |"
echo "|---|---|---|---|"
row "cat" "$(best cat "$T/corpus.log")" "$N"
row "wc -l" "$(best wc -l "$T/corpus.log")" "$N"
row "evident replay --stats (parse only)" "$(best taskset -c 0 "$EVIDENT" replay --stats --tz UTC "$T/corpus.log")" "$N"
row "evident replay --records (JSON out)" "$(best taskset -c 0 "$EVIDENT" replay --records --tz UTC "$T/corpus.log")" "$N"

JR=/lib/systemd/systemd-journal-remote
if [ -x "$JR" ] && command -v journalctl >/dev/null; then
	JN=$((N / 5))
	mkdir -p "$T/journal"
	# export format from the corpus (journal-remote rotates big files: a directory of them)
	head -n "$JN" "$T/corpus.log" | python3 -c '
import sys
out = sys.stdout
for i, line in enumerate(sys.stdin, 1):
    f = line.rstrip("\n").split(" ", 4)
    host, rest = f[3], f[4] if len(f) > 4 else ""
    prog, _, msg = rest.partition(": ")
    out.write("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n" % (1795737600000000 + i * 1000, i * 1000))
    out.write("_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=%s\nSYSLOG_IDENTIFIER=%s\n" % (host, prog.split("[")[0]))
    out.write("_PID=%d\nPRIORITY=6\n_SYSTEMD_UNIT=app.service\nMESSAGE=%s\n\n" % (i, msg))
' | "$JR" -o "$T/journal/bench.journal" - 2>/dev/null
	echo
	echo "Journal: $JN entries in $(ls "$T/journal" | wc -l) files, $(du -sh "$T/journal" | cut -f1)."
	echo
	echo "| command | seconds | entries/s |"
	echo "|---|---|---|"
	n1=$(journalctl -D "$T/journal" -o export | grep -c '^__CURSOR=')
	n2=$("$EVIDENT" replay --journal-dir "$T/journal" --stats 2>&1 | sed -n 's/.*replay: \([0-9]*\) lines.*/\1/p')
	[ "$n1" = "$n2" ] || echo "WARNING: journalctl read $n1 entries, evident $n2"
	for c in "journalctl -D DIR -o export" "evident replay --journal-dir DIR --stats" "evident replay --journal-dir DIR --records"; do
		case $c in
		journalctl*) t=$(best journalctl -D "$T/journal" -o export) ;;
		*--stats) t=$(best "$EVIDENT" replay --journal-dir "$T/journal" --stats) ;;
		*) t=$(best "$EVIDENT" replay --journal-dir "$T/journal" --records) ;;
		esac
		awk -v c="$c" -v t="$t" -v n="$JN" 'BEGIN { printf "| %s | %.3f | %.2f M/s |\n", c, t, n / t / 1e6 }'
	done
fi
