#!/bin/sh
# evident replay --records: formats, merge by time, .gz, stdin, journal files, summary,
# usage errors; the output is JSON lines that jq-free checks can read with grep.
. "${EV_SRCDIR:-.}/tests/integration/lib.sh"

NOW=1795737600000000 # 2026-11-27T00:00:00Z, reference for year inference
R() { run "$EVIDENT" replay --tz UTC --now "$NOW" "$@"; }

printf 'Nov 27 00:00:01 web1 sshd[123]: Accepted password for bob\nNov 27 00:00:04 web1 cron[9]: four\nno time at all\n' >"$T_TMP/a.log"
printf 'Nov 27 00:00:02 db1 su: two\nNov 27 00:00:03 db1 su: three\n' | gzip >"$T_TMP/b.log.gz"

R --records "$T_TMP/a.log" "$T_TMP/b.log.gz"
expect_rc 0 "replay two files"
order=$(printf '%s\n' "$T_OUT" | grep -o '"message":"[^"]*"' | tr '\n' ' ')
[ "$order" = '"message":"Accepted password for bob" "message":"two" "message":"three" "message":"four" "message":"no time at all" ' ] &&
	ok "merged by event time, untimed line stays with its file" || fail "merge order: $order"
expect_out '"host":"web1","program":"sshd","pid":123' "RFC 3164 fields"
expect_out '"time":"2026-11-27T00:00:01.000000Z"' "event time in UTC"
expect_out '"flags":\["no_time","unparsed"\]' "unparsed line flagged"
expect_err 'replay: 5 lines, 5 records, 1 unparsed, 0 flagged' "summary on stderr"

# stdin, fixed format, time zone, year
printf 'Dec 31 23:59:59 h p: old\nJan  1 00:00:01 h p: new\n' >"$T_TMP/ny.log"
run "$EVIDENT" replay --tz Europe/Berlin --year 2025 - <"$T_TMP/ny.log"
expect_rc 0 "replay stdin"
expect_out '"time":"2025-12-31T22:59:59.000000Z"' "--tz and --year"
expect_out '"time":"2025-12-31T23:00:01.000000Z"' "the year rolls over at New Year within a stream (Jan 1 00:00:01 in Berlin)"
expect_out '"source":"<stdin>"' "stdin source name"

# hostile bytes: NUL and invalid UTF-8 survive as escapes, one record per line
printf 'Nov 27 00:00:05 h p: a\000b\377c\n' >"$T_TMP/bin.log"
R "$T_TMP/bin.log"
expect_out "$(printf '"message":"a\\\\u0000b\357\277\275c"')" "NUL escaped, invalid byte replaced"
expect_out '"invalid_utf8":true' "invalid UTF-8 marked"

# JSON and logfmt lines
printf '{"ts":"2026-11-27T00:00:06Z","msg":"j","user":{"name":"bob"}}\nts=2026-11-27T00:00:07Z msg="l f" user=alice\n' >"$T_TMP/s.log"
R "$T_TMP/s.log"
expect_out '"fields":\{"ts":"2026-11-27T00:00:06Z","msg":"j","user.name":"bob"\}' "JSON flattened"
expect_out '"message":"l f".*"user":"alice"' "logfmt fields"

# --stats prints nothing but the summary
R --stats "$T_TMP/a.log"
expect_rc 0 "--stats"
[ -z "$T_OUT" ] && ok "--stats prints no records" || fail "--stats printed records"
expect_err '3 lines, 3 records' "--stats summary"

# long lines are split into flagged parts
head -c 300 /dev/zero | tr '\0' x >"$T_TMP/long.log"; echo >>"$T_TMP/long.log"
R --max-line 100 "$T_TMP/long.log"
[ "$(printf '%s\n' "$T_OUT" | grep -c '"part"')" -eq 3 ] && ok "300-byte line at --max-line 100: 3 parts" || fail "parts"

# journal file
if [ -x /lib/systemd/systemd-journal-remote ]; then
	printf '__REALTIME_TIMESTAMP=1795737602500000\n__MONOTONIC_TIMESTAMP=1\n_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE=from the journal\n_SYSTEMD_UNIT=ssh.service\nSYSLOG_IDENTIFIER=sshd\n_PID=77\n\n' |
		/lib/systemd/systemd-journal-remote -o "$T_TMP/j.journal" - 2>/dev/null
	R --journal-file "$T_TMP/j.journal" "$T_TMP/b.log.gz"
	expect_rc 0 "replay a journal file with a log file"
	order=$(printf '%s\n' "$T_OUT" | grep -o '"message":"[^"]*"' | tr '\n' ' ')
	[ "$order" = '"message":"two" "message":"from the journal" "message":"three" ' ] &&
		ok "journal merged by time" || fail "journal merge: $order"
	expect_out '"unit":"ssh.service".*"_SYSTEMD_UNIT":"ssh.service"' "journal fields as record fields"
else
	skip_part "journal part: systemd-journal-remote missing"
fi

# errors
R "$T_TMP/missing.log"
expect_rc 2 "missing file"
expect_err 'missing.log.*cannot open' "missing file message"
R --format yaml "$T_TMP/a.log"
expect_rc 2 "bad --format"
R --tz Nowhere/City "$T_TMP/a.log"
expect_rc 2 "bad --tz"
expect_err "unknown time zone 'Nowhere/City'" "bad zone message"
run "$EVIDENT" replay
expect_rc 2 "no input"
R --engine foo "$T_TMP/a.log"
expect_rc 2 "bad --engine"

done_testing
