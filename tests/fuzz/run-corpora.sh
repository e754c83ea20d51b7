#!/bin/sh
# Replay every corpus in tests/fuzz/corpus/<target>/ through its target
# (tests/fuzz/fuzz-<target>). A missing target binary or a crash fails the test.
#
# Replaying never writes: each target gets the corpus files one by one, never the
# directory. A libFuzzer binary (--enable-fuzzing) given a directory would start a fuzz
# campaign that never ends and adds new inputs to that directory; given files it runs
# each once and exits. Crash artifacts go to a temporary directory, not the source or
# build tree. The standalone driver ignores the libFuzzer flags.
set -u
fail=0
art=$(mktemp -d /tmp/evident-fuzz-XXXXXX) || exit 99
trap 'rm -rf "$art"' EXIT
for dir in "$EV_SRCDIR"/tests/fuzz/corpus/*/; do
	t=$(basename "$dir")
	bin="$EV_BUILDDIR/tests/fuzz/fuzz-$t"
	if [ ! -x "$bin" ]; then
		echo "FAIL: no fuzz target binary $bin for corpus $dir"
		fail=1
		continue
	fi
	set -- "$dir"*
	if [ ! -e "$1" ]; then
		echo "FAIL: corpus $dir is empty"
		fail=1
		continue
	fi
	if "$bin" -artifact_prefix="$art/" "$@"; then
		echo "ok: $t ($# inputs)"
	else
		echo "FAIL: $t crashed or failed on its corpus (the input is named above)"
		fail=1
	fi
done
exit $fail
