#!/bin/sh
# libarchive is loaded when a bundle is written or read, not at start
# (store/archive_load.h): the binary does not link it, a running `evident replay` has not
# mapped it (nor libxml2 and ICU, which came with it), seal and verify still work, and
# when libarchive.so.13 cannot be loaded (a broken library first on LD_LIBRARY_PATH) seal
# and verify fail with exit 2 and a message naming the library and the package to
# install, without touching the store, instead of a crash or "out of memory".
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/dlopen-lib.sh"

# ---- not linked, not mapped at start ----
not_linked libarchive
replay_maps "$T_TMP/maps"
grep -q libarchive "$T_TMP/maps" && fail "a replay maps libarchive" || ok "a replay does not map libarchive"
grep -Eq 'libxml2|libicuuc' "$T_TMP/maps" && fail "a replay maps libxml2 or ICU" ||
	ok "a replay does not map libxml2 or ICU"

# ---- seal and verify load it ----
K="$T_TMP/keys"
S="$T_TMP/store"
run "$EVIDENT" keygen --out "$K"
expect_rc 0 "keygen"
printf 'line one\nline two\n' > "$T_TMP/app.log"
SEAL="$EVIDENT seal --store $S --key $K/evident.key --no-immutable"
run $SEAL --copy "$T_TMP/app.log"
expect_rc 0 "seal"
B1=$(printf '%s\n' "$T_OUT" | head -n 1)
[ -f "$B1" ] && ok "the bundle exists" || fail "no bundle: $T_OUT"
run "$EVIDENT" verify --pub "$K/evident.pub" "$S"
expect_rc 0 "the store verifies"

# ---- a library that cannot be loaded: a clear failure, the store untouched ----
mkdir -p "$T_TMP/badlib"
printf 'not a library\n' > "$T_TMP/badlib/libarchive.so.13"
cp "$S/HEAD" "$T_TMP/head-before"
ls "$S/bundles" > "$T_TMP/bundles-before"
NOLIB="env LD_LIBRARY_PATH=$T_TMP/badlib"
run $NOLIB $SEAL --copy "$T_TMP/app.log"
expect_rc 2 "no loadable libarchive: seal fails"
expect_err 'libarchive\.so\.13 cannot be loaded.*install libarchive13' \
	"seal names the library and the package"
expect_err 'nothing was sealed' "and says nothing was sealed"
cmp -s "$S/HEAD" "$T_TMP/head-before" && ok "HEAD unchanged" || fail "HEAD changed"
ls "$S/bundles" | cmp -s - "$T_TMP/bundles-before" && ok "no bundle added" ||
	fail "bundles: $(ls "$S/bundles")"
run $NOLIB "$EVIDENT" verify --pub "$K/evident.pub" "$S"
expect_rc 2 "no loadable libarchive: verifying the store fails"
expect_err 'libarchive\.so\.13 cannot be loaded.*install libarchive13' \
	"verify (store) names the library and the package"
run $NOLIB "$EVIDENT" verify --pub "$K/evident.pub" "$B1"
expect_rc 2 "no loadable libarchive: verifying a bundle fails"
expect_err 'libarchive\.so\.13 cannot be loaded.*install libarchive13' \
	"verify (bundle) names the library and the package"
run "$EVIDENT" verify --pub "$K/evident.pub" "$S"
expect_rc 0 "with libarchive the store still verifies"
done_testing
