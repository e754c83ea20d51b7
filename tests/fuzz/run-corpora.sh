#!/bin/sh
# Replay every corpus in tests/fuzz/corpus/<target>/ through its target
# (tests/fuzz/fuzz-<target>). A missing target binary or a crash fails the test.
set -u
fail=0
for dir in "$EV_SRCDIR"/tests/fuzz/corpus/*/; do
	t=$(basename "$dir")
	bin="$EV_BUILDDIR/tests/fuzz/fuzz-$t"
	if [ ! -x "$bin" ]; then
		echo "FAIL: no fuzz target binary $bin for corpus $dir"
		fail=1
		continue
	fi
	if "$bin" "$dir"; then
		echo "ok: $t"
	else
		echo "FAIL: $t crashed or failed on its corpus"
		fail=1
	fi
done
exit $fail
