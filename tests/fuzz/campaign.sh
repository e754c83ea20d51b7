#!/bin/sh
# make fuzz: run every libFuzzer target for a set time on a scratch copy of its corpus
# (the committed corpus is read, never written), and print one Markdown row per target:
# executions, executions per second, corpus size, and whether it found anything.
# Needs a build configured with CC=clang --enable-fuzzing (ASan+UBSan are implied there).
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_RUNS      stop a target after this many executions (default: no limit)
#   FUZZ_MERGE     1: minimise the committed corpus and the new inputs with -merge=1 into
#                  FUZZ_OUT/TARGET/merged (copy it over the committed corpus by hand)
#   FUZZ_TARGETS   space-separated target names (default: every corpus directory)
#   FUZZ_FLAGS     further libFuzzer options for the campaign (e.g. -entropic=0)
#   FUZZ_OUT       where new inputs and crash reproducers go (default: fuzz-out/)
set -u
: "${EV_SRCDIR:=.}" "${EV_BUILDDIR:=.}"
secs=${FUZZ_SECONDS:-60}
runs=${FUZZ_RUNS:--1}
out=${FUZZ_OUT:-$EV_BUILDDIR/fuzz-out}
targets=${FUZZ_TARGETS:-$(cd "$EV_SRCDIR/tests/fuzz/corpus" && ls)}
mkdir -p "$out"
found=0
echo "| target | seconds | executions | exec/s | corpus in | corpus out | merged | findings |"
echo "|---|---|---|---|---|---|---|---|"
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
	start=$(date +%s)
	# shellcheck disable=SC2086 # FUZZ_FLAGS: words
	"$bin" -max_total_time="$secs" -runs="$runs" -print_final_stats=1 ${FUZZ_FLAGS:-} \
		-artifact_prefix="$crashes/" -timeout=10 -rss_limit_mb=2048 \
		"$work" "$EV_SRCDIR/tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	nin=$(ls "$EV_SRCDIR/tests/fuzz/corpus/$t" | wc -l)
	nout=$(ls "$work" | wc -l)
	merged="-"
	if [ "${FUZZ_MERGE:-0}" = 1 ]; then
		rm -rf "$out/$t/merged"
		mkdir -p "$out/$t/merged"
		"$bin" -merge=1 -timeout=10 -rss_limit_mb=2048 "$out/$t/merged" \
			"$EV_SRCDIR/tests/fuzz/corpus/$t" "$work" >"$out/$t/merge.log" 2>&1 &&
			merged=$(ls "$out/$t/merged" | wc -l) || merged="failed"
	fi
	n=$(ls "$crashes" | wc -l)
	what="none"
	if [ "$rc" -ne 0 ] || [ "$n" -gt 0 ]; then
		what="**$n artifact(s), exit $rc: $crashes**"
		found=1
	fi
	echo "| $t | $took | ${execs:-?} | ${rate:-?} | $nin | $((nin + nout)) | $merged | $what |"
done
exit $found
