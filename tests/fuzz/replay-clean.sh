#!/bin/sh
# Replaying the fuzz corpora (tests/fuzz/run-corpora.sh, part of `make check`) finishes
# and writes nothing into the corpus or the working directory, with the standalone
# driver and with libFuzzer binaries (--enable-fuzzing) alike. Runs the real script on
# a copy of one corpus so that a regression cannot touch the source tree.
. "$EV_SRCDIR/tests/integration/lib.sh"

src="$EV_SRCDIR/tests/fuzz/corpus/ledger"
[ -d "$src" ] || skip "no ledger corpus in $EV_SRCDIR"
command -v timeout >/dev/null || skip "no timeout(1)"
mkdir -p "$T_TMP/src/tests/fuzz/corpus" "$T_TMP/cwd"
cp -R "$src" "$T_TMP/src/tests/fuzz/corpus/ledger"
before=$(cd "$T_TMP/src" && find . -type f -exec sha256sum {} + | sort)
n=$(printf '%s\n' "$before" | wc -l)

# libFuzzer's campaign never ends: give the replay far more than it needs, then stop it
(cd "$T_TMP/cwd" && EV_SRCDIR="$T_TMP/src" timeout 120 sh "$EV_SRCDIR/tests/fuzz/run-corpora.sh") \
	>"$T_TMP/out" 2>"$T_TMP/err"
T_RC=$?
T_OUT=$(cat "$T_TMP/out")
T_ERR=$(tail -5 "$T_TMP/err")
if [ "$T_RC" -eq 124 ]; then fail "corpus replay did not finish within 120 s (fuzzing instead of replaying?)"
else expect_rc 0 "corpus replay of ledger ($n inputs)"; fi
expect_out '^ok: ledger' "the ledger corpus was replayed"

after=$(cd "$T_TMP/src" && find . -type f -exec sha256sum {} + | sort)
if [ "$before" = "$after" ]; then ok "the corpus is unchanged ($n files)"
else
	fail "the replay wrote into the corpus: $(printf '%s\n' "$after" | wc -l) files, was $n"
fi
left=$(ls -A "$T_TMP/cwd")
if [ -z "$left" ]; then ok "nothing written to the working directory"
else fail "the replay left files in its working directory: $(echo $left | head -c 200)"; fi
done_testing
