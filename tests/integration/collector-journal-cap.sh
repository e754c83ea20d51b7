#!/bin/sh
# sources.journal_field_cap through the binary (issue 10, docs/operations.md): a journal
# field longer than the cap is cut at the cap and its record flagged `truncated`; a field
# of exactly the cap is whole and not flagged. Real journal files written by
# systemd-journal-remote, read by `evident tail` with the configuration's cap (1 KiB).
. "$EV_SRCDIR/tests/integration/lib.sh"

JREMOTE=/lib/systemd/systemd-journal-remote
[ -x "$JREMOTE" ] || skip "$JREMOTE is missing (Debian package systemd-journal-remote)"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read the records"
J="$T_TMP/journal"
mkdir -p "$J"
entry() { # entry ID MESSAGE-LENGTH: one export-format entry, MESSAGE of that many 'm'
	now=$(date +%s%6N)
	printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=jhost\nSYSLOG_IDENTIFIER=%s\n_PID=42\nPRIORITY=5\nMESSAGE=%s\nSHORT=ok\n\n' \
		"$now" "$now" "$1" "$(head -c "$2" /dev/zero | tr '\0' m)"
}
{ entry atcap 1024; entry over 3000; } | "$JREMOTE" -o "$J/remote.journal" - 2>/dev/null ||
	skip "systemd-journal-remote could not write $J/remote.journal"
printf 'sources:\n  journal: true\n  journal_dir: %s\n  journal_field_cap: 1KiB\n' "$J" >"$T_TMP/cfg.yaml"
: >"$T_TMP/rec.jsonl"
"$EVIDENT" tail --config "$T_TMP/cfg.yaml" --from-start --json >"$T_TMP/rec.jsonl" 2>"$T_TMP/tail.err" &
TPID=$!
i=0
while [ "$(wc -l <"$T_TMP/rec.jsonl")" -lt 2 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM "$TPID"
wait "$TPID"
st=$?
[ $st -eq 0 ] && ok "tail stops cleanly" || fail "tail exited $st: $(cat "$T_TMP/tail.err")"
show() { # show ID: message length, flags and SHORT of that entry's record
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    f = r.get("fields", {})
    if f.get("SYSLOG_IDENTIFIER") == sys.argv[2]:
        print(len(f.get("MESSAGE", "")), ",".join(r.get("flags", [])) or "-", f.get("SHORT"))' "$T_TMP/rec.jsonl" "$1"
}
[ "$(show atcap)" = "1024 - ok" ] && ok "a field of exactly the cap is whole and not flagged" || fail "at the cap: $(show atcap)"
[ "$(show over)" = "1024 truncated ok" ] && ok "a 3,000-byte field is cut at 1 KiB and the record flagged truncated" ||
	fail "over the cap: $(show over)"
done_testing
