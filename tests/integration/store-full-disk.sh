#!/bin/sh
# A seal on a full disk, for real: the store lives on a small tmpfs that is filled with
# fallocate so that the seal runs out of space at every point in turn (writing the
# bundle, placing it, writing HEAD, appending the custody entry). After each failure the
# space is freed and the next seal must leave a store that verifies: a bundle placed
# before HEAD could be written is taken into the chain (HEAD rolled forward, its custody
# entry recorded), never a second bundle with the same sequence (issue 10, bug 2).
. "$EV_SRCDIR/tests/integration/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
command -v fallocate >/dev/null 2>&1 || skip "fallocate not installed"
M="$T_TMP/mnt"
mkdir -p "$M"
mount -t tmpfs -o size=2m,mode=0700 evident-test "$M" 2>/dev/null || skip "cannot mount a tmpfs here"
trap 'umount "$M" 2>/dev/null; rm -rf "$T_TMP"' EXIT
[ "$(stat -f -c %S "$M")" = 4096 ] || skip "tmpfs block size is not 4096"

K="$T_TMP/keys"
mkdir -p "$K"
"$EVIDENT" keygen --out "$K" >/dev/null 2>&1 || { fail "keygen"; done_testing; }
S="$M/store"
SEAL="$EVIDENT seal --offline --store $S --key $K/evident.key --no-immutable --level 0"
head -c 20000 /dev/urandom > "$T_TMP/payload"
run $SEAL --copy "$T_TMP/payload"
expect_rc 0 "first seal"
run $SEAL --copy "$T_TMP/payload"
expect_rc 0 "second seal"
cp -a "$S" "$T_TMP/base"

head_seq() { sed -n 's/^sequence //p' "$S/HEAD"; }
max_seq() { ls "$S/bundles" | sed -n 's/^0*\([0-9][0-9]*\)-.*/\1/p' | sort -n | tail -n 1; }

# free pages k = 0 .. 12: the bundle (~6 pages at level 0) fails to be written for small
# k, is placed with no room left for HEAD around k = 6, and everything fits for large k
behind=0 failed=0 k=0
while [ $k -le 12 ]; do
	rm -rf "$S" "$M/fill"
	cp -a "$T_TMP/base" "$S"
	avail=$(stat -f -c %a "$M")
	fallocate -l $(((avail - k) * 4096)) "$M/fill" 2>/dev/null || { fail "fallocate ($k pages free)"; k=$((k + 1)); continue; }
	run $SEAL --copy "$T_TMP/payload"
	rc1=$T_RC
	[ "$rc1" -ne 0 ] && failed=$((failed + 1))
	if [ "$(max_seq)" -gt "$(head_seq)" ]; then
		behind=$((behind + 1))
		echo "# $k pages free: bundle $(max_seq) placed, HEAD left at $(head_seq) (seal exit $rc1)"
		expect_err 'is placed, but the chain head or the custody ledger could not be updated; the next seal completes them' \
			"$k pages free: the failed seal says the bundle is placed and what happens next"
	fi
	ls -a "$S/bundles" | grep -q '^\.tmp' && fail "$k pages free: a temporary file was left"
	rm -f "$M/fill"
	run $SEAL --copy "$T_TMP/payload"
	expect_rc 0 "$k pages free (first seal exit $rc1): the next seal after freeing space"
	run "$EVIDENT" verify --no-record --pub "$K/evident.pub" "$S"
	expect_rc 0 "$k pages free: the store verifies after the next seal"
	if printf '%s\n' "$T_OUT" | grep -Eq 'CHAIN_FORK|CHAIN_ROLLBACK'; then
		fail "$k pages free: fork or rollback reported"
		printf '%s\n' "$T_OUT" | head -5
	fi
	n=$(ls "$S/bundles" | wc -l)
	[ "$(head_seq)" = "$n" ] && ok "$k pages free: HEAD at sequence $n, one bundle per sequence" ||
		fail "$k pages free: HEAD at $(head_seq) with $n bundles"
	k=$((k + 1))
done
[ "$failed" -gt 0 ] && ok "some seals failed for lack of space ($failed)" || fail "no seal ran out of space: the test did not test anything"
[ "$behind" -gt 0 ] && ok "a bundle was placed while HEAD could not be written ($behind times)" ||
	fail "never hit the window between placing a bundle and writing HEAD"

# HEAD written, the custody entry not. On tmpfs this window cannot be hit by filling the
# disk (replacing HEAD frees the old one's page for the ledger), so make the state it
# leaves: the last ledger line (the seal's entry) dropped, which leaves a valid ledger.
rm -rf "$S" "$M/fill"
cp -a "$T_TMP/base" "$S"
run $SEAL --copy "$T_TMP/payload"
last=$(ls "$S/bundles" | tail -n 1)
tail -n 1 "$S/custody.jsonl" | grep -q "\"action\":\"sealed\",.*\"bundle\":\"$last\"" &&
	ok "the last ledger line is the seal's entry" || fail "the last ledger line is not the seal's entry"
sed -i '$d' "$S/custody.jsonl"
run "$EVIDENT" verify --no-record --pub "$K/evident.pub" "$S"
expect_out "CUSTODY_BROKEN $last: no sealed entry" "without its entry the bundle is a finding"
run $SEAL --copy "$T_TMP/payload"
expect_rc 0 "the next seal"
run "$EVIDENT" verify --no-record --pub "$K/evident.pub" "$S"
expect_rc 0 "the store verifies: the missing entry was written"
expect_out "warning: custody.jsonl:[0-9]+: $last: sealed entry placed by a seal whose" "and verify says the entry was written by a repair"
grep -q "\"action\":\"sealed\",.*\"bundle\":\"$last\".*placed by a seal whose" "$S/custody.jsonl" &&
	ok "the recovered sealed entry says so" || fail "no recovered sealed entry for $last"

# the recovered entry is in the ledger, signed, and says what happened
rm -rf "$S" "$M/fill"
cp -a "$T_TMP/base" "$S"
k=0
while [ $k -le 12 ]; do
	rm -rf "$S" "$M/fill"
	cp -a "$T_TMP/base" "$S"
	avail=$(stat -f -c %a "$M")
	fallocate -l $(((avail - k) * 4096)) "$M/fill"
	$SEAL --copy "$T_TMP/payload" >/dev/null 2>&1
	rm -f "$M/fill"
	[ "$(max_seq)" -gt "$(head_seq)" ] && break
	k=$((k + 1))
done
run "$EVIDENT" verify --no-record --pub "$K/evident.pub" "$S"
expect_rc 1 "before recovery, HEAD behind a placed bundle is a finding"
expect_out 'CHAIN_ROLLBACK' "CHAIN_ROLLBACK"
run $SEAL --copy "$T_TMP/payload"
expect_rc 0 "the next seal"
expect_out 'sequence 4' "continues after the recovered bundle (sequence 4, not 3 again)"
expect_err 'recovered|brought forward' "and says it repaired the store"
grep -q '"recovered"' "$S/custody.jsonl" && ok "the repair is recorded in the custody ledger" || fail "no recovered entry"
run "$EVIDENT" verify --no-record --pub "$K/evident.pub" "$S"
expect_rc 0 "the recovered store verifies"
expect_out 'warning: custody.jsonl:[0-9]+: 0000000003-.*: chain head brought forward' "and the repair is reported"
if command -v openssl >/dev/null 2>&1; then
	run sh "$EV_SRCDIR/packaging/verify-bundle.sh" -k "$K/evident.pub" "$S"
	expect_rc 0 "verify-bundle.sh agrees"
fi
done_testing
