#!/bin/sh
# make bench: run every tests/bench/bench-*.sh; each prints a Markdown table.
# With BENCH_APPEND=1 the tables are appended to docs/benchmarks.md.
set -u
: "${EV_SRCDIR:=.}"
n=0
for b in "$EV_SRCDIR"/tests/bench/bench-*.sh; do
	[ -e "$b" ] || continue
	n=$((n + 1))
	echo "== $(basename "$b") =="
	if [ "${BENCH_APPEND:-0}" = 1 ]; then
		{ echo; echo "### $(basename "$b" .sh) ($(date -u +%Y-%m-%d), $(nproc) cores)"; echo; sh "$b"; } | tee -a "$EV_SRCDIR/docs/benchmarks.md"
	else
		sh "$b"
	fi
done
[ $n -gt 0 ] || echo "no benchmarks yet"
