#!/bin/sh
# make fuzz: run every libFuzzer target for a set time on a scratch copy of its corpus
# (the committed corpus is read, never written), and print one Markdown row per target:
# executions, executions per second, corpus size, and whether it found anything.
# Needs a build configured with CC=clang --enable-fuzzing (ASan+UBSan are implied there).
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_TARGETS   space-separated target names (default: every corpus directory)
#   FUZZ_OUT       where new inputs and crash reproducers go (default: fuzz-out/)
set -u
: "${EV_SRCDIR:=.}" "${EV_BUILDDIR:=.}"
secs=${FUZZ_SECONDS:-60}
out=${FUZZ_OUT:-$EV_BUILDDIR/fuzz-out}
targets=${FUZZ_TARGETS:-$(cd "$EV_SRCDIR/tests/fuzz/corpus" && ls)}
mkdir -p "$out"
found=0
echo "| target | seconds | executions | exec/s | corpus in | corpus out | findings |"
echo "|---|---|---|---|---|---|---|"
for t in $targets; do
	bin="$EV_BUILDDIR/tests/fuzz/fuzz-$t"
	if ! "$bin" -help=1 >/dev/null 2>&1; then
		echo "campaign: $bin is not a libFuzzer binary (configure CC=clang --enable-fuzzing)" >&2
		exit 2
	fi
	work="$out/$t/corpus"
	crashes="$out/$t/crashes"
	mkdir -p "$work" "$crashes"
	log="$out/$t/log"
	"$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$crashes/" \
		-timeout=10 -rss_limit_mb=2048 "$work" "$EV_SRCDIR/tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	nin=$(ls "$EV_SRCDIR/tests/fuzz/corpus/$t" | wc -l)
	nout=$(ls "$work" | wc -l)
	n=$(ls "$crashes" | wc -l)
	what="none"
	if [ "$rc" -ne 0 ] || [ "$n" -gt 0 ]; then
		what="**$n artifact(s), exit $rc: $crashes**"
		found=1
	fi
	echo "| $t | $secs | ${execs:-?} | ${rate:-?} | $nin | $nout | $what |"
done
exit $found
