#!/bin/sh
# Where the shipped rules and decoders are found: the build tree's binary uses the source
# tree's conf/ (nothing is installed before `make install`); when the decoders cannot be
# read, the failures say where it looked and how to point elsewhere.
. "$EV_SRCDIR/tests/integration/lib.sh"
unset EVIDENT_DATADIR
EV_SRCDIR=$(cd "$EV_SRCDIR" && pwd)
cd "$T_TMP" || exit 1
n_tests=$(ls "$EV_SRCDIR"/conf/rules/*.test.yaml | wc -l)
run "$EVIDENT" rules test "$EV_SRCDIR/conf/rules"
expect_rc 0 "rules test of the shipped pack from the build tree, EVIDENT_DATADIR unset"
expect_out "^[0-9]+ passed, 0 failed" "every shipped rule test passes (the tree's decoders are used)"
run "$EVIDENT" rules list --json
expect_rc 0 "rules list with the default (shipped) pack"
[ "$(printf '%s\n' "$T_OUT" | grep -c '"id"')" -gt 0 ] && ok "the shipped pack is found" || fail "no rules listed: $T_ERR"

# A data directory that does not exist: the failing cases say why and what to do.
EVIDENT_DATADIR="$T_TMP/nowhere" run "$EVIDENT" rules test "$EV_SRCDIR/conf/rules"
expect_rc 1 "rules test without decoders fails"
expect_out "warning: no decoders loaded: cannot read $T_TMP/nowhere/decoders" "the failure names where it looked"
expect_out "\-\-decoders DIR .*EVIDENT_DATADIR=DIR" "and how to point elsewhere"
run "$EVIDENT" rules --decoders "$EV_SRCDIR/conf/decoders" test "$EV_SRCDIR/conf/rules"
expect_rc 0 "--decoders DIR, as the hint says"
[ "$n_tests" -gt 0 ] && ok "$n_tests shipped test files" || fail "no shipped rule tests"
done_testing
