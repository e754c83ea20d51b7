#!/bin/sh
# evident seal with the collector's journal export and file excerpts: a real journal file
# made by systemd-journal-remote, the window and unit filter applied, original bytes kept.
. "$EV_SRCDIR/tests/integration/lib.sh"
JR=/lib/systemd/systemd-journal-remote
[ -x "$JR" ] || skip "systemd-journal-remote not installed"
cd "$T_TMP" || exit 1
now=$(date +%s%6N)
for i in 1 2 3; do
	unit=api.service
	[ $i = 2 ] && unit=other.service
	printf '__CURSOR=s=1;i=%d\n__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT=%s\nPRIORITY=3\nMESSAGE=error number %d\n_HOSTNAME=h\n\n' \
		$i $((now - 60000000 + i)) $i $unit $i
done | "$JR" -o "$T_TMP/x.journal" - >/dev/null 2>&1 || skip "cannot make a journal file"
"$EVIDENT" keygen --out "$T_TMP" >/dev/null 2>&1
printf 'no time here\n' > app.log
run "$EVIDENT" seal --store s --key evident.key --no-immutable --since -1h --until now \
	--journal-file "$T_TMP/x.journal" --unit api.service --file app.log --file "$T_TMP/none*"
expect_rc 0 "seal with journal and files"
B=$(printf '%s\n' "$T_OUT" | head -n 1)
run "$EVIDENT" extract --to ext "$B"
expect_rc 0 "extract"
grep -q 'MESSAGE=error number 1' ext/evidence/journal/journal.export && ok "export has the unit's entry" || fail "entry 1 missing"
grep -q 'MESSAGE=error number 2' ext/evidence/journal/journal.export && fail "other unit included" || ok "unit filter applied"
grep -q '__CURSOR=' ext/evidence/journal/journal.export && ok "cursor kept" || fail "no __CURSOR"
grep -q 'error number 3' ext/evidence/journal/journal.jsonl && ok "JSON lines rendering" || fail "no JSON lines"
run "$EVIDENT" show --json "$B"
expect_out '"error": "no file matches"' "an unmatched glob is recorded as an error"
run "$EVIDENT" verify --no-record --pub evident.pub s
expect_rc 0 "store verifies"
done_testing
