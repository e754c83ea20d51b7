#!/bin/sh
# The store against a local attacker and damaged state, through the real binary
# (issue 10): a foreign key is refused and, planted, named as untrusted; planted symlinks,
# hard links and FIFOs at the names the store writes are refused without hanging; loose
# permissions are refused with the fix; a damaged HEAD or ledger tail is recovered from
# with a recorded reset or repair, never a fork. And the messages of issue 11 item 10.
. "$EV_SRCDIR/tests/integration/lib.sh"
command -v timeout >/dev/null 2>&1 || skip "timeout not installed"
command -v openssl >/dev/null 2>&1 || skip "openssl not installed"
command -v mkfifo >/dev/null 2>&1 || skip "mkfifo not installed"
K="$T_TMP/keys"
mkdir -p "$K"
"$EVIDENT" keygen --out "$K" >/dev/null 2>&1 && "$EVIDENT" keygen --out "$K" --name other >/dev/null 2>&1 ||
	{ fail "keygen"; done_testing; }
A_ID=$(openssl pkey -pubin -in "$K/evident.pub" -outform DER 2>/dev/null | tail -c 32 | sha256sum | cut -c1-64)
B_ID=$(openssl pkey -pubin -in "$K/other.pub" -outform DER 2>/dev/null | tail -c 32 | sha256sum | cut -c1-64)
echo "evidence line" > "$T_TMP/app.log"
S="$T_TMP/s"
seal() { # STORE KEY [args]
	st=$1 key=$2; shift 2
	run timeout 20 "$EVIDENT" seal --offline --store "$st" --key "$key" --no-immutable --copy "$T_TMP/app.log" "$@"
}
verify() { run timeout 20 "$EVIDENT" verify --no-record "$@"; }
seal "$S" "$K/evident.key"
seal "$S" "$K/evident.key"
expect_out 'sequence 2' "two seals with the store's key"
base() { rm -rf "$T_TMP/t"; cp -a "$S" "$T_TMP/t"; }

# ---- a seal with another key (bug 8) ----
base
seal "$T_TMP/t" "$K/other.key"
expect_rc 2 "a seal with a key the chain does not know is refused"
expect_err "not a key of this store's chain" "and says so"
expect_err 'rotate-from' "and how to introduce a new key"
[ -e "$T_TMP/t/keys/$B_ID.pub" ] && fail "the foreign key was published in keys/" || ok "the foreign key is not published in keys/"
verify "$T_TMP/t"
expect_rc 0 "the store still verifies unpinned"
expect_out "trusted key $A_ID .*first entry" "unpinned verify says which key it trusted and why"

# a foreign bundle planted in the chain (sealed elsewhere after a rotation the store
# never saw) is named as untrusted, and its successor is not reported missing
# a third key, announced in a copy of the store by a rotation the original never sees
rm -rf "$T_TMP/u"; cp -a "$S" "$T_TMP/u"
mkdir -p "$T_TMP/k3"
run "$EVIDENT" keygen --out "$T_TMP/k3" --name third --rotate-from "$K/evident.key" --store "$T_TMP/u"
expect_rc 0 "a rotation announces a third key (in a copy of the store)"
seal "$T_TMP/u" "$T_TMP/k3/third.key"
expect_out 'sequence 3' "the announced key seals bundle 3 there"
seal "$T_TMP/u" "$K/evident.key"
expect_out 'sequence 4' "and the store key bundle 4"
base
cp "$T_TMP/u/bundles/0000000003-"* "$T_TMP/u/bundles/0000000004-"* "$T_TMP/t/bundles/"
cp "$T_TMP/u/keys/"*.pub "$T_TMP/t/keys/" 2>/dev/null
cp "$T_TMP/u/HEAD" "$T_TMP/t/HEAD"
verify --pub "$K/evident.pub" "$T_TMP/t"
expect_rc 1 "pinned verify of a store with a planted foreign bundle"
expect_out 'CHAIN_UNTRUSTED 0000000003-' "the foreign bundle is named as untrusted"
expect_out 'CHAIN_UNTRUSTED 0000000004-.*not trusted' "its successor's link is reported as unchecked, not missing"
printf '%s\n' "$T_OUT" | grep -q 'CHAIN_GAP' && fail "CHAIN_GAP reported for a present bundle" || ok "no CHAIN_GAP"
verify "$T_TMP/t"
expect_rc 1 "unpinned verify does not trust a key only keys/ holds"
expect_out 'CHAIN_UNTRUSTED 0000000003-' "unpinned: the foreign bundle is untrusted"
expect_out 'not trusted: key [0-9a-f]{64} in .*keys' "unpinned: says which key it did not trust and why"

# ---- messages (issue 11 item 10) ----
run "$EVIDENT" seal --offline --store "$T_TMP/t" --key "$K/evident.pub" --copy "$T_TMP/app.log"
expect_rc 2 "seal --key with a public key"
expect_err 'is a public key' "says it is a public key"
printf '%s\n' "$T_ERR" | grep -q 'accessible by group' && fail "still talks about the mode" || ok "not about the file mode"
for i in 3 4 5 6 7 8; do seal "$S" "$K/evident.key"; done
verify --pub "$K/other.pub" "$S"
expect_rc 1 "a wrong --pub"
expect_out '^UNKNOWN_KEY x8: 0000000001-.* \.\.\. 0000000008-.*: signed by key' "the 8 bundles' UNKNOWN_KEY is one line"
[ "$(printf '%s\n' "$T_OUT" | grep -c '^UNKNOWN_KEY')" -le 3 ] && ok "at most 3 UNKNOWN_KEY lines" || fail "UNKNOWN_KEY lines: $(printf '%s\n' "$T_OUT" | grep -c '^UNKNOWN_KEY')"
expect_err 'findings \(UNKNOWN_KEY x[0-9]+.*\) in 8 bundles$' "one summary line with counts"
mkdir -p "$T_TMP/notastore/sub"
verify "$T_TMP/notastore"
expect_rc 2 "verify on a directory that is not a store"
expect_err 'is not an evidence store.*expected a STORE' "says what it is not and what was expected"
printf '%s\n' "$T_ERR" | grep -q 'No such file' && fail "says 'No such file or directory'" || ok "no misleading ENOENT"

# ---- planted links and FIFOs at the store's names ----
echo "victim" > "$T_TMP/victim"
N="$T_TMP/n1"; mkdir -m 0700 "$N"
ln -s "$T_TMP/victim" "$N/custody.jsonl"
seal "$N" "$K/evident.key"
expect_rc 2 "a symlink at custody.jsonl is refused"
expect_err 'custody.jsonl.*symbolic link' "naming the path"
[ "$(cat "$T_TMP/victim")" = victim ] && ok "the symlink's target is untouched" || fail "the target was written"
N="$T_TMP/n2"; mkdir -m 0700 "$N"
ln "$T_TMP/victim" "$N/custody.jsonl"
seal "$N" "$K/evident.key"
expect_rc 2 "a hard link at custody.jsonl is refused"
expect_err 'other hard links' "and says why"
[ "$(cat "$T_TMP/victim")" = victim ] && ok "the hard link's other name is untouched" || fail "the linked file was written"
base; rm "$T_TMP/t/custody.jsonl"; mkfifo "$T_TMP/t/custody.jsonl"
seal "$T_TMP/t" "$K/evident.key"
[ "$T_RC" -ne 124 ] && ok "a FIFO at custody.jsonl does not hang the seal" || fail "seal hung on a FIFO ledger"
expect_rc 2 "and is refused"
expect_err 'not a regular file' "as not a regular file"
base; rm "$T_TMP/t/HEAD"; mkfifo "$T_TMP/t/HEAD"
seal "$T_TMP/t" "$K/evident.key"
[ "$T_RC" -ne 124 ] && ok "a FIFO at HEAD does not hang the seal" || fail "seal hung on a FIFO head"
expect_err 'chain head invalid' "it is an invalid head: a recorded reset"
base; rm "$T_TMP/t/HEAD"; ln -s "$T_TMP/victim" "$T_TMP/t/HEAD"
seal "$T_TMP/t" "$K/evident.key"
expect_rc 0 "a symlink at HEAD: the seal goes on"
expect_err 'chain head invalid \(Too many levels of symbolic links\)' "the link is not followed: an invalid head, a recorded reset"
[ "$(cat "$T_TMP/victim")" = victim ] && ok "the symlink's target is untouched" || fail "the target was written"
[ -L "$T_TMP/t/HEAD" ] && fail "HEAD is still the planted link" || ok "HEAD is replaced, not written through"
# a second name for a valid HEAD: HEAD is replaced (rename), never written in place
base; ln "$T_TMP/t/HEAD" "$T_TMP/head-link"
seal "$T_TMP/t" "$K/evident.key"
expect_rc 0 "a hard link at HEAD: the seal goes on"
grep -qx 'sequence 8' "$T_TMP/head-link" && ok "the hard link's other name keeps the old head" ||
	fail "the linked file was written: $(grep sequence "$T_TMP/head-link")"
grep -qx 'sequence 9' "$T_TMP/t/HEAD" && ok "and HEAD is the new one" || fail "HEAD was not updated"
base; rm -f "$T_TMP/t/.lock"; ln -s "$T_TMP/victim" "$T_TMP/t/.lock"
seal "$T_TMP/t" "$K/evident.key"
expect_rc 2 "a symlink at .lock is refused"
expect_err '\.lock: cannot open: .*a symbolic link; refused' "naming the path"
[ "$(cat "$T_TMP/victim")" = victim ] && ok "the symlink's target is untouched" || fail "the target was written"
base; rm -f "$T_TMP/t/.lock"; ln "$T_TMP/victim" "$T_TMP/t/.lock"
seal "$T_TMP/t" "$K/evident.key"
expect_rc 2 "a hard link at .lock is refused"
expect_err '\.lock: has other hard links' "and says why"
[ "$(cat "$T_TMP/victim")" = victim ] && ok "the hard link's other name is untouched" || fail "the linked file was written"
base; mkfifo "$T_TMP/t/.lock.new"; rm -f "$T_TMP/t/.lock"; mv "$T_TMP/t/.lock.new" "$T_TMP/t/.lock"
seal "$T_TMP/t" "$K/evident.key"
[ "$T_RC" -ne 124 ] && ok "a FIFO at .lock does not hang the seal" || fail "seal hung on a FIFO lock"
expect_rc 2 "and is refused"
# the bundle name one past HEAD is where a seal looks for a bundle a failed seal placed
# (roll forward): a link or FIFO planted there is not adopted (this crashed the seal)
for how in symlink 'hard link' FIFO; do
	base; P="$T_TMP/t/bundles/0000000009-dddddddddddddddddddddddddddddddd.tar.gz"
	case $how in
	symlink) ln -s "$T_TMP/victim" "$P" ;;
	'hard link') ln "$T_TMP/victim" "$P" ;;
	FIFO) mkfifo "$P" ;;
	esac
	seal "$T_TMP/t" "$K/evident.key"
	expect_rc 0 "a $how at the next bundle name: the seal goes on"
	expect_out 'sequence 9' "$how: the seal takes sequence 9 itself"
	grep -q 'dddddddd' "$T_TMP/t/HEAD" && fail "$how: the planted name became the head" || ok "$how: the planted name is not adopted"
	[ "$(cat "$T_TMP/victim")" = victim ] && ok "$how: the target is untouched" || fail "$how: the target was written"
done
base; ln -s "$T_TMP/victim" "$T_TMP/t/.HEAD.tmp"
seal "$T_TMP/t" "$K/evident.key"
expect_rc 0 "a symlink planted at .HEAD.tmp is removed, the seal goes on"
[ "$(cat "$T_TMP/victim")" = victim ] && ok "its target is untouched" || fail "the target was written"
base; mkfifo "$T_TMP/t/bundles/0000000009-ffffffffffffffffffffffffffffffff.tar.gz"
verify --pub "$K/evident.pub" "$T_TMP/t"
[ "$T_RC" -ne 124 ] && ok "a FIFO at a bundle name does not hang verify" || fail "verify hung on a FIFO bundle"
expect_out 'FORMAT_INVALID 0000000009-.*not a regular file' "it is reported"
base; ln -s /etc/passwd "$T_TMP/t/bundles/0000000009-eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.tar.gz"
verify --pub "$K/evident.pub" "$T_TMP/t"
expect_out 'FORMAT_INVALID 0000000009-e+\.tar\.gz: cannot open: Too many levels of symbolic links' "a symlink at a bundle name is reported, not followed"
base; ln -s "$T_TMP/victim" "$T_TMP/t/bundles/.tmp-0123456789abcdef0123456789abcdef"
seal "$T_TMP/t" "$K/evident.key"
expect_rc 0 "a symlink planted at a temporary bundle name: the seal goes on"
[ -L "$T_TMP/t/bundles/.tmp-0123456789abcdef0123456789abcdef" ] && fail "the planted link is still there" || ok "the planted link is removed"
[ "$(cat "$T_TMP/victim")" = victim ] && ok "its target is untouched" || fail "the target was written"
N="$T_TMP/n3"; mkdir -m 0700 "$N" "$N/keys"
ln -s "$T_TMP/victim" "$N/keys/$A_ID.pub"
seal "$N" "$K/evident.key"
expect_rc 2 "a symlink at the key's name in keys/ is refused"

# ---- permissions ----
base; chmod 0777 "$T_TMP/t"
seal "$T_TMP/t" "$K/evident.key"
expect_rc 2 "a world-writable store is refused"
expect_err "$T_TMP/t.*writable by every user.*chmod o-w" "naming the path and the fix"
base; chmod 0777 "$T_TMP/t/bundles"
seal "$T_TMP/t" "$K/evident.key"
expect_rc 2 "a world-writable bundles/ is refused"
if [ "$(id -u)" = 0 ] && getent group nogroup >/dev/null 2>&1; then
	base; chgrp nogroup "$T_TMP/t"; chmod 0770 "$T_TMP/t"
	seal "$T_TMP/t" "$K/evident.key"
	expect_rc 2 "a store writable by a non-root group is refused"
	expect_err 'writable by group nogroup.*chmod g-w' "naming the group and the fix"
	base; chgrp 0 "$T_TMP/t"; chmod 0770 "$T_TMP/t"
	seal "$T_TMP/t" "$K/evident.key"
	expect_rc 0 "group-writable by root's group is accepted"
else skip_part "a store writable by a non-root group: needs root and the group nogroup"
fi
cp "$K/evident.key" "$T_TMP/loose.key"; chmod 0640 "$T_TMP/loose.key"
base; seal "$T_TMP/t" "$T_TMP/loose.key"
expect_rc 2 "a private key readable by its group is refused"
expect_err "$T_TMP/loose.key.*chmod 600" "naming the key and the fix"

# ---- damaged state: HEAD and the ledger's tail ----
for how in truncated zeroed garbage; do
	base
	case $how in
	truncated) head -c 40 "$S/HEAD" > "$T_TMP/t/HEAD" ;;
	zeroed) head -c "$(stat -c %s "$S/HEAD")" /dev/zero > "$T_TMP/t/HEAD" ;;
	garbage) head -c 300 /dev/urandom > "$T_TMP/t/HEAD" ;;
	esac
	seal "$T_TMP/t" "$K/evident.key"
	expect_rc 0 "$how HEAD: the seal goes on"
	expect_err 'chain head invalid.*chain_reset entry was recorded' "$how HEAD: says a new chain began"
	verify --pub "$K/evident.pub" "$T_TMP/t"
	expect_rc 1 "$how HEAD: verify reports it"
	expect_out '^CHAIN_RESET custody.jsonl: line [0-9]+: chain reset: chain head invalid' "$how HEAD: as the recorded CHAIN_RESET"
	printf '%s\n' "$T_OUT" | grep -v '^CHAIN_RESET' | grep -q . && fail "$how HEAD: other findings: $(printf '%s\n' "$T_OUT" | grep -v '^CHAIN_RESET' | head -3)" || ok "$how HEAD: nothing but the reset"
done
for how in partial zeroed garbage; do
	base
	case $how in
	partial) head -c -25 "$S/custody.jsonl" > "$T_TMP/t/custody.jsonl" ;;
	zeroed) head -c 4096 /dev/zero >> "$T_TMP/t/custody.jsonl" ;;
	garbage) printf 'garbage\n\001\002 more\n' >> "$T_TMP/t/custody.jsonl" ;;
	esac
	seal "$T_TMP/t" "$K/evident.key"
	expect_rc 0 "$how ledger tail: the seal goes on"
	grep -q '"action":"ledger_repaired"' "$T_TMP/t/custody.jsonl" && ok "$how ledger tail: the repair is a signed entry" || fail "$how ledger tail: no ledger_repaired entry"
	verify --pub "$K/evident.pub" "$T_TMP/t"
	if [ $how = garbage ]; then
		expect_rc 1 "garbage lines: removed complete lines are a finding"
		expect_out 'CUSTODY_BROKEN custody.jsonl: line [0-9]+: 2 damaged line' "CUSTODY_BROKEN naming the removal"
	elif [ $how = partial ]; then
		# the cut line was the last seal's entry: that bundle has no sealed entry now
		expect_out 'no sealed entry' "partial: the bundle whose entry was cut is named"
		expect_out 'warning: .*damaged end was removed' "partial: the repair is reported"
	else
		expect_rc 0 "zeroed tail: the store verifies"
		expect_out 'warning: .*damaged end was removed \(4096 bytes' "zeroed tail: the repair is reported"
	fi
done

base
head -c "$(stat -c %s "$S/custody.jsonl")" /dev/zero > "$T_TMP/t/custody.jsonl"
seal "$T_TMP/t" "$K/evident.key"
expect_rc 0 "a zeroed ledger: the seal goes on"
expect_err 'custody ledger lost; chain continues' "a zeroed ledger is a lost ledger: a recorded reset"
verify --pub "$K/evident.pub" "$T_TMP/t"
expect_out '^CHAIN_RESET custody.jsonl: line 2: chain reset: custody ledger lost' "verify reports the reset"
expect_out '^CUSTODY_BROKEN x[0-9]+: 0000000001-.*no sealed entry' "and the bundles whose entries were lost"

# ---- stray temporary files (issue 11 item 5) ----
base
head -c 1000 /dev/urandom > "$T_TMP/t/bundles/.tmp-0123456789abcdef0123456789abcdef"
verify --pub "$K/evident.pub" "$T_TMP/t"
expect_rc 1 "a stray temporary file is a finding"
expect_out '^STRAY_TEMPORARY bundles/\.tmp-0123456789abcdef' "STRAY_TEMPORARY names it"
seal "$T_TMP/t" "$K/evident.key"
expect_rc 0 "the next seal"
expect_err 'removed 1 temporary file' "removes it and says so"
[ -e "$T_TMP/t/bundles/.tmp-0123456789abcdef0123456789abcdef" ] && fail "still there" || ok "it is gone"
verify --pub "$K/evident.pub" "$T_TMP/t"
expect_rc 0 "the store verifies again"
done_testing
