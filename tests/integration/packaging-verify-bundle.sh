#!/bin/sh
# packaging/verify-bundle.sh as a newcomer meets it: a real --help, one-line usage errors,
# and a missing tool is reported instead of hanging (it once looped forever without mv).
. "$EV_SRCDIR/tests/integration/lib.sh"
VB="$EV_SRCDIR/packaging/verify-bundle.sh"
command -v openssl >/dev/null 2>&1 || skip "openssl is needed"
TIMEOUT=$(command -v timeout) || skip "timeout(1) is needed"

run sh "$VB" --help
expect_rc 0 "--help"
expect_out "^Usage: verify-bundle.sh -k PUBKEY.pem" "--help prints the usage"
expect_out "Exit status: 0" "--help documents the exit status"
case "$T_OUT$T_ERR" in *llegal*) fail "--help is still an illegal option" ;; *) ok "--help is not an error" ;; esac
run sh "$VB" -h
expect_rc 0 "-h"
run sh "$VB" --frob
expect_rc 2 "an unknown option"
[ "$T_ERR" = "verify-bundle.sh: unrecognized option '--frob'
Try 'verify-bundle.sh --help'." ] && ok "two lines: what is wrong, where to look" || fail "unknown option: $T_ERR"
run sh "$VB" -k
expect_rc 2 "-k without a key"
expect_err "option -k needs an argument" "names the missing argument"
run sh "$VB" somewhere
expect_rc 2 "no key"
expect_err "at least one -k PUBKEY.pem is needed" "says a key is needed"

# a real bundle with several members (the Merkle loop runs more than once)
"$EVIDENT" keygen --out "$T_TMP/keys" >/dev/null 2>&1 || { fail "keygen"; done_testing; }
for i in 1 2 3; do echo "line $i" > "$T_TMP/f$i.log"; done
"$EVIDENT" seal --offline --no-immutable --store "$T_TMP/st" --key "$T_TMP/keys/evident.key" \
	--copy "$T_TMP/f1.log" --copy "$T_TMP/f2.log" --copy "$T_TMP/f3.log" >/dev/null 2>&1 || { fail "seal"; done_testing; }
B=$(ls "$T_TMP"/st/bundles/*.tar.gz)
run sh "$VB" -k "$T_TMP/keys/evident.pub" "$B"
expect_rc 0 "the bundle verifies with the full PATH"

# PATH with only the tools the script needs, and one of them left out
tools="sh openssl tar gzip sha256sum base64 awk sed grep cut tr od sort uniq comm wc head tail cat rm mkdir mktemp chmod basename"
mkbin() { # mkbin DIR LEFT-OUT
	mkdir -p "$1"
	for t in $tools; do
		[ "$t" = "$2" ] && continue
		p=$(command -v "$t") || return 1
		ln -sf "$p" "$1/$t"
	done
}
mkbin "$T_TMP/nomv" mv || skip "a tool is missing on this host"
[ -e "$T_TMP/nomv/mv" ] && fail "mv in the test PATH" || ok "no mv in the test PATH"
run "$TIMEOUT" 60 env PATH="$T_TMP/nomv" sh "$VB" -k "$T_TMP/keys/evident.pub" "$B"
expect_rc 0 "verifies without mv (no endless loop)"
expect_out "^OK$" "and says OK"
mkbin "$T_TMP/nood" od
run "$TIMEOUT" 60 env PATH="$T_TMP/nood" sh "$VB" -k "$T_TMP/keys/evident.pub" "$B"
expect_rc 2 "without od: a usage error"
expect_err "verify-bundle.sh: od is required" "names the missing tool"
done_testing
