#!/bin/sh
# Evidence store end to end with the real binary, real keys and real tools: keygen, seal
# (copy, command, failing sources), verify (evident and packaging/verify-bundle.sh),
# show, custody, extract, prove, prune; then representative tampering, each caught with
# the right code by both verifiers. (Every-byte flips are in tests/unit/store.)
. "$EV_SRCDIR/tests/integration/lib.sh"
command -v openssl >/dev/null 2>&1 || skip "openssl not installed"
VB="$EV_SRCDIR/packaging/verify-bundle.sh"
K="$T_TMP/keys"
S="$T_TMP/store"
mkdir -p "$K"

run "$EVIDENT" keygen --out "$K"
expect_rc 0 "keygen"
expect_out '^[0-9a-f]{64}$' "keygen prints the key id"
[ "$(stat -c %a "$K/evident.key")" = 600 ] && ok "private key is 0600" || fail "private key mode"
run "$EVIDENT" keygen --out "$K"
expect_rc 2 "keygen refuses to overwrite"
run "$EVIDENT" keygen --out "$K" --name other
expect_rc 0 "second key"
chmod 0644 "$K/other.key"
run "$EVIDENT" seal --store "$S" --key "$K/other.key" --copy /etc/hostname --no-immutable
expect_rc 2 "seal refuses a group/other-readable key"
expect_err 'chmod 600' "and says how to fix it"
chmod 0600 "$K/other.key"

printf 'line one\nline two\n' > "$T_TMP/app.log"
SEAL="$EVIDENT seal --store $S --key $K/evident.key --no-immutable"
run $SEAL --incident INC-1 --note "first" --copy "$T_TMP/app.log" --copy "$T_TMP/missing" \
	--command 'echo=echo hello evidence' --command 'err=sh -c "echo oops >&2; exit 3"' \
	--command 'nx=/nonexistent/tool'
expect_rc 0 "seal with a failing source completes"
expect_out 'sequence 1' "first bundle is sequence 1"
B1=$(printf '%s\n' "$T_OUT" | head -n 1)
expect_err 'missing.*recorded' "the failing copy is reported"
run $SEAL --copy "$T_TMP/app.log" --json
expect_rc 0 "second seal"
expect_out '"sequence":2' "sequence 2"
cp "$S/HEAD" "$T_TMP/head-2"
run $SEAL --copy "$T_TMP/app.log" --since -1h --until now
expect_rc 0 "third seal"
B3=$(printf '%s\n' "$T_OUT" | head -n 1)

run "$EVIDENT" verify --key "$K/evident.key" "$S"
expect_rc 0 "store verifies"
expect_out 'unpinned' "keys taken from the store are reported as unpinned"
run "$EVIDENT" verify --pub "$K/evident.pub" --pin-head "$T_TMP/head-2" --json "$S"
expect_rc 0 "store verifies with a pinned key and head"
expect_out '"ok":true' "json says ok"
run "$EVIDENT" verify --pub "$K/other.pub" "$B1"
expect_rc 1 "a bundle under another key"
expect_out 'UNKNOWN_KEY' "UNKNOWN_KEY"
run sh "$VB" -k "$K/evident.pub" "$S"
expect_rc 0 "verify-bundle.sh: store verifies"
run sh "$VB" -k "$K/evident.pub" "$B1"
expect_rc 0 "verify-bundle.sh: bundle verifies"

run "$EVIDENT" show --key "$K/evident.key" "$B1"
expect_rc 0 "show"
expect_out 'evidence/commands/err ' "show lists members"
expect_out 'error: \[copy .*missing\]' "show lists the failed source"
run "$EVIDENT" show --json "$B1"
expect_out '"exit_status": 3' "command exit status recorded"
run "$EVIDENT" extract --key "$K/evident.key" --to "$T_TMP/ext" "$B1"
expect_rc 0 "extract"
cmp -s "$T_TMP/ext/evidence/files$T_TMP/app.log" "$T_TMP/app.log" && ok "extracted copy is identical" || fail "extracted copy differs"
[ "$(cat "$T_TMP/ext/evidence/commands/err.stderr")" = oops ] && ok "stderr recorded" || fail "stderr"
run "$EVIDENT" extract --to "$T_TMP/ext" "$B1"
expect_rc 2 "extract never overwrites"
expect_err 'File exists' "and says why"
run "$EVIDENT" prove --key "$K/evident.key" --out "$T_TMP/proof" "$B1" evidence/commands/echo
expect_rc 0 "prove"
run "$EVIDENT" verify --proof "$T_TMP/proof" --pub "$K/evident.pub"
expect_rc 0 "the proof verifies"
sed 's/^path \(.\)/path f/' "$T_TMP/proof" > "$T_TMP/proof-bad"
cmp -s "$T_TMP/proof" "$T_TMP/proof-bad" && sed 's/^path \(.\)/path 0/' "$T_TMP/proof" > "$T_TMP/proof-bad"
run "$EVIDENT" verify --proof "$T_TMP/proof-bad" --pub "$K/evident.pub"
expect_rc 1 "a tampered proof fails"
run "$EVIDENT" custody "$S"
expect_rc 0 "custody verifies"
expect_out 'sealed' "custody lists sealed"
expect_out 'shown' "custody lists shown"
expect_out 'extracted' "custody lists extracted"
expect_out 'exported' "custody lists exported (the proof)"

# ---- tampering, on copies of the store ----
fresh() { rm -rf "$T_TMP/t"; cp -a "$S" "$T_TMP/t"; chmod -R u+w "$T_TMP/t"; }
both() { # CODE description [evident verify args]
	code=$1; desc=$2; shift 2
	run "$EVIDENT" verify --no-record --pub "$K/evident.pub" "$@" "$T_TMP/t"
	expect_rc 1 "$desc"
	expect_out "$code" "$desc: $code"
	run sh "$VB" -k "$K/evident.pub" "$T_TMP/t"
	expect_rc 1 "verify-bundle.sh: $desc"
	expect_out "$code" "verify-bundle.sh: $desc: $code"
}
retar() { # BUNDLE DIR: rebuild BUNDLE from DIR (members in SHA256SUMS order, then meta)
	(cd "$2" && tar --format=pax -czf "$1.new" $(sed 's/^[0-9a-f]*  //' SHA256SUMS) SHA256SUMS MANIFEST.json MANIFEST.sig) &&
		mv -f "$1.new" "$1"
}
name1=$(basename "$B1")

fresh
X="$T_TMP/x"; rm -rf "$X"; mkdir "$X"; tar -xzf "$T_TMP/t/bundles/$name1" -C "$X"; chmod -R u+w "$X"
echo "forged" >> "$X/evidence/commands/echo"
(cd "$X" && sha256sum $(sed 's/^[0-9a-f]*  //' SHA256SUMS) > SHA256SUMS.new && mv SHA256SUMS.new SHA256SUMS)
retar "$T_TMP/t/bundles/$name1" "$X"
both MEMBER_MODIFIED "member changed, SHA256SUMS recomputed"

fresh
rm -rf "$X"; mkdir "$X"; tar -xzf "$T_TMP/t/bundles/$name1" -C "$X"; chmod -R u+w "$X"
openssl genpkey -algorithm ed25519 -out "$T_TMP/evil.pem" 2>/dev/null
openssl pkeyutl -sign -inkey "$T_TMP/evil.pem" -rawin -in "$X/MANIFEST.json" -out "$X/MANIFEST.sig"
retar "$T_TMP/t/bundles/$name1" "$X"
both SIGNATURE_INVALID "manifest re-signed with another key"

fresh
# byte 5 is part of the gzip MTIME: flip its low bit (writing a fixed value changed nothing
# when the bundle was sealed in a 256-second span where the byte already had that value)
b=$(od -An -tu1 -j5 -N1 "$T_TMP/t/bundles/$name1" | tr -d ' ')
printf "\\$(printf %o $((b ^ 1)))" | dd of="$T_TMP/t/bundles/$name1" bs=1 seek=5 conv=notrunc 2>/dev/null
run "$EVIDENT" verify --no-record --pub "$K/evident.pub" "$T_TMP/t/bundles/$name1"
expect_rc 1 "gzip header byte changed (content intact)"
expect_out BUNDLE_MODIFIED "BUNDLE_MODIFIED from the sealed file hash"
both BUNDLE_MODIFIED "gzip header byte changed, store check"

fresh
rm "$T_TMP/t/bundles/0000000002-"*
both CHAIN_GAP "bundle deleted from the chain"

fresh
cp "$T_TMP/head-2" "$T_TMP/t/HEAD"
both CHAIN_ROLLBACK "head rolled back" --pin-head "$S/HEAD"

fresh
sed -i '2s/"sealed"/"shown"/' "$T_TMP/t/custody.jsonl"
both CUSTODY_BROKEN "ledger line edited"

fresh
sed -i '2d' "$T_TMP/t/custody.jsonl"
both CUSTODY_BROKEN "ledger line deleted"

fresh
rm -rf "$X"; mkdir -p "$X/evidence"; ln -s /etc/passwd "$X/evidence/link"
tar -czf "$T_TMP/t/bundles/0000000004-ffffffffffffffffffffffffffffffff.tar.gz" -C "$X" evidence/link
both FORMAT_INVALID "symlink member"

fresh
echo x > "$X/a"
tar -czf "$T_TMP/t/bundles/0000000004-ffffffffffffffffffffffffffffffff.tar.gz" -C "$X" --transform 's,^,../../,' a 2>/dev/null
both FORMAT_INVALID "path traversal member"

fresh
head -c $(($(stat -c %s "$B3") / 2)) "$B3" > "$T_TMP/t/bundles/$(basename "$B3")"
both FORMAT_INVALID "truncated gzip stream"

# ---- I/O error mid-seal: nothing placed, head unchanged, the chain continues ----
head -c 3000000 /dev/urandom > "$T_TMP/big"
cp "$S/HEAD" "$T_TMP/head-before"
nb=$(ls "$S/bundles" | wc -l)
run sh -c "ulimit -f 64; exec $SEAL --copy $T_TMP/big"
expect_rc 2 "seal fails on a file size limit"
expect_err 'nothing was sealed' "with a clear error"
[ "$(ls "$S/bundles" | wc -l)" = "$nb" ] && ok "no bundle placed" || fail "a bundle was placed"
ls -a "$S/bundles" | grep -q '^\.tmp' && fail "temporary file left" || ok "no temporary file left"
cmp -s "$S/HEAD" "$T_TMP/head-before" && ok "head unchanged" || fail "head changed"
run $SEAL --copy "$T_TMP/app.log"
expect_out 'sequence 4' "the next seal continues the chain"

# ---- lost head: a signed chain_reset, reported ----
rm -rf "$T_TMP/r"; cp -a "$S" "$T_TMP/r"
rm "$T_TMP/r/HEAD"
run "$EVIDENT" seal --store "$T_TMP/r" --key "$K/evident.key" --no-immutable --copy "$T_TMP/app.log"
expect_rc 0 "seal after losing the head"
expect_err 'chain_reset' "says the chain was reset"
run "$EVIDENT" verify --no-record --pub "$K/evident.pub" "$T_TMP/r"
expect_rc 1 "a reset is a finding"
expect_out 'CHAIN_RESET' "CHAIN_RESET"

# ---- key rotation: announced by the old key, trusted through it ----
run "$EVIDENT" keygen --out "$K" --name new --rotate-from "$K/evident.key" --store "$S"
expect_rc 0 "keygen --rotate-from"
run "$EVIDENT" seal --store "$S" --key "$K/new.key" --no-immutable --copy "$T_TMP/app.log"
expect_rc 0 "seal with the new key"
run "$EVIDENT" verify --no-record --pub "$K/evident.pub" "$S"
expect_rc 0 "the rotated key is trusted through the old pinned key"
run sh "$VB" -k "$K/evident.pub" -k "$K/new.pub" "$S"
expect_rc 0 "verify-bundle.sh with both keys"
rm -rf "$T_TMP/t"; cp -a "$S" "$T_TMP/t"
run "$EVIDENT" seal --store "$T_TMP/t" --key "$K/other.key" --no-immutable --copy "$T_TMP/app.log"
expect_rc 2 "a seal with an unannounced key is refused"
expect_err 'not a key of this store' "and says why"
run "$EVIDENT" verify --no-record --pub "$K/evident.pub" "$T_TMP/t"
expect_rc 0 "the refused seal left the store as it was"

# ---- prune, recorded; the store still verifies ----
run "$EVIDENT" prune --key "$K/evident.key" --before +1d --reason "retention test" "$S"
expect_rc 0 "prune"
expect_out 'pruned 4 bundles' "prunes all but the head's bundle"
run "$EVIDENT" verify --no-record --pub "$K/evident.pub" "$S"
expect_rc 0 "store verifies after a recorded prune"
run sh "$VB" -k "$K/evident.pub" -k "$K/new.pub" "$S"
expect_rc 0 "verify-bundle.sh: store verifies after a recorded prune"
done_testing
