#!/bin/sh
# evident seal with the collector's journal export and file excerpts: a real journal file
# made by systemd-journal-remote, the window and unit filter applied, original bytes kept.
# Entries and lines before, at the edges of, inside and after the window: the bundle holds
# exactly those inside it (both edges included), byte for byte as `journalctl -o export`
# prints them.
. "$EV_SRCDIR/tests/integration/lib.sh"
JR=/lib/systemd/systemd-journal-remote
[ -x "$JR" ] || skip "systemd-journal-remote not installed"
command -v journalctl >/dev/null 2>&1 || skip "journalctl not installed"
cd "$T_TMP" || exit 1
# The window: from 30 to 10 minutes ago, in whole seconds.
now=$(date +%s)
S=$((now - 1800))
U=$((now - 600))
rfc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# entry N UNIT REALTIME-µs: one entry in export format
entry() {
	printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT=%s\nPRIORITY=3\nMESSAGE=error number %d\n_HOSTNAME=h\n\n' \
		"$3" "$1" "$2" "$1"
}
{
	entry 1 api.service $(((S - 3600) * 1000000))     # an hour before: out
	entry 2 api.service $((S * 1000000 - 1))          # 1 µs before the start: out
	entry 3 api.service $((S * 1000000))              # at the start: in
	entry 4 other.service $(((S + 60) * 1000000))     # inside, another unit: out
	entry 5 api.service $(((S + 60) * 1000000 + 7))   # inside: in
	entry 6 api.service $((U * 1000000))              # at the end: in
	entry 7 api.service $((U * 1000000 + 1000001))    # just over a second after the end: out
	entry 8 api.service $(((now - 60) * 1000000))     # a minute ago: out
} | "$JR" -o "$T_TMP/x.journal" - >/dev/null 2>&1 || skip "cannot make a journal file"
"$EVIDENT" keygen --out "$T_TMP" >/dev/null 2>&1
printf 'no time here\n' >app.log
for t in $((S - 3600)) $((S - 1)) $S $((S + 60)) $U $((U + 1)) $((now - 60)); do
	printf '%s h app[1]: at %s\n' "$(rfc "$t")" "$t"
done >timed.log
run "$EVIDENT" seal --store s --key evident.key --no-immutable --since "$(rfc $S)" --until "$(rfc $U)" \
	--journal-file "$T_TMP/x.journal" --unit api.service --file app.log --file timed.log --file "$T_TMP/none*"
expect_rc 0 "seal with journal and files"
B=$(printf '%s\n' "$T_OUT" | head -n 1)
run "$EVIDENT" extract --to ext "$B"
expect_rc 0 "extract"
EXP=ext/evidence/journal/journal.export
msgs=$(sed -n 's/^MESSAGE=error number //p' "$EXP" | tr '\n' ' ')
[ "$msgs" = "3 5 6 " ] && ok "export holds the unit's entries inside the window, both edges included (3 5 6)" ||
	fail "export holds entries '$msgs', expected '3 5 6 '"
# the reference: journalctl's own export of the same entries (--since/--until are inclusive)
journalctl --file "$T_TMP/x.journal" -o export --since "@$S" --until "@$U" _SYSTEMD_UNIT=api.service >"$T_TMP/want.export" 2>/dev/null
grep -c '^MESSAGE=' "$T_TMP/want.export" | grep -qx 3 || fail "journalctl reference: $(grep -c '^MESSAGE=' "$T_TMP/want.export") entries"
cmp -s "$EXP" "$T_TMP/want.export" && ok "export byte-identical to journalctl -o export of the window" ||
	{ fail "export differs from journalctl -o export"; diff "$T_TMP/want.export" "$EXP" | head -10 | sed 's/^/  | /'; }
grep -q '^__CURSOR=s=' "$EXP" && ok "cursor kept" || fail "no __CURSOR"
jmsgs=$(grep -o '"MESSAGE":"error number [0-9]*"' ext/evidence/journal/journal.jsonl | sed 's/[^0-9]//g' | tr '\n' ' ')
[ "$jmsgs" = "3 5 6 " ] && ok "JSON lines rendering of the same entries" || fail "JSON lines hold '$jmsgs'"
got=$(cat ext/evidence/excerpts/*timed.log 2>/dev/null | sed 's/.* at //' | tr '\n' ' ')
[ "$got" = "$S $((S + 60)) $U " ] && ok "file excerpt: the lines inside the window, both edges included" ||
	fail "file excerpt holds '$got', expected '$S $((S + 60)) $U '"
run "$EVIDENT" show --json "$B"
expect_out '"error": "no file matches"' "an unmatched glob is recorded as an error"
run "$EVIDENT" verify --no-record --pub evident.pub s
expect_rc 0 "store verifies"
done_testing
