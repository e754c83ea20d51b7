#!/bin/sh
# Quiet lines (correlate_engine_line_quiet, collector_parse_line_quiet): when every rule is
# gated by a literal of the block database, `evident replay` reads a syslog line without
# any hit for its time only. The alerts must be byte for byte those of the PCRE2 engine,
# which parses every line: detections, a correlation whose alert goes out when the
# watermark passes (moved by quiet lines alone), a far-future quiet line that the next
# line refutes, a year rollover and a zone's DST change read from quiet lines, a keyword
# in the program tag, audit lines forwarded through syslog (their category records), a
# literal across header and message, CRLF, a priority, other formats mixed in. The number
# of lines read for their time only is counted exactly; a rule set with an ungated rule
# reads none that way.
. "$EV_SRCDIR/tests/integration/lib.sh"
EVIDENT_DATADIR="$EV_SRCDIR/conf"
EVIDENT_QUIET_WARNINGS=1
export EVIDENT_DATADIR EVIDENT_QUIET_WARNINGS
cp "$EV_SRCDIR/tests/integration/data/quiet-rules.yml" "$T_TMP/rules.yml"
log="$T_TMP/in.log"
# Q marks the lines that must be read for their time only (the marker is cut below)
cat > "$log.src" <<'LOG'
Q Oct 26 10:00:00 web1 cron[1]: job started
Oct 26 10:00:01 web1 sshd[2]: Failed password for root from 203.0.113.9 port 4001 ssh2
Oct 26 10:00:02 web1 sshd[2]: Failed password for root from 203.0.113.9 port 4002 ssh2
Q Oct 26 10:00:02 web1 cron[1]: tick
Oct 26 10:00:03 web1 sshd[2]: Failed password for root from 203.0.113.9 port 4003 ssh2
Q Oct 26 10:00:04 web1 cron[1]: tick
Oct 26 10:00:05 web1 sshd[3]: Accepted password for root from 203.0.113.9 port 4004 ssh2
Q Oct 26 10:04:00 web1 cron[1]: four minutes on
Oct 26 10:00:06 web1 sshd[9]: Invalid user mallory from 203.0.113.66 port 4100
Q Oct 26 10:09:00 web1 cron[1]: job finished, five minutes on
Oct 26 10:09:01 web1 sshd[4]: Failed password for admin from 198.51.100.7 port 5000 ssh2
Q Dec 25 00:00:00 web1 cron[1]: a stamp two months ahead
Oct 26 10:09:02 web1 sshd[4]: Failed password for admin from 198.51.100.7 port 5001 ssh2
Oct 26 10:09:03 web1 audisp-syslog: type=SYSCALL msg=audit(1729930143.100:42): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=2 ppid=1 pid=4242 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="wget" exe="/usr/bin/wget" key=(null)
Oct 26 10:09:03 web1 audisp-syslog: type=EXECVE msg=audit(1729930143.100:42): argc=2 a0="wget" a1="http://203.0.113.5/x"
Oct 26 10:09:03 web1 audisp-syslog: type=EOE msg=audit(1729930143.100:42):
Oct 26 10:09:04 web1 backdoord[5]: hello
Oct 26 10:09:05 Failed password: held in the header and the message together
Q Oct 26 10:09:06 web1 cron[1]: a line ending in CRLF
Q <78>Oct 26 10:09:07 web1 cron[1]: with a priority
2024-10-26T10:09:08Z web1 app[6]: an ISO line
{"ts":"2024-10-26T10:09:09Z","msg":"a JSON line","program":"app"}
Q Oct 27 02:30:00 web1 cron[1]: the repeated hour, summer time
Q Oct 27 02:59:59 web1 cron[1]: still summer time
Q Oct 27 02:00:01 web1 cron[1]: the repeated hour again, winter time
Oct 27 02:00:02 web1 sshd[7]: Invalid user eve from 192.0.2.1 port 6000
Q Dec 31 23:59:59 web1 cron[1]: the last second of the year
Q Jan  1 00:00:01 web1 cron[1]: the new year
Jan  1 00:00:02 web1 sshd[8]: Failed password for eve from 192.0.2.1 port 6001 ssh2
Jan  1 00:00:03 web1 sshd[8]: Failed password for eve from 192.0.2.1 port 6002 ssh2
Jan  1 00:00:04 web1 sshd[8]: Failed password for eve from 192.0.2.1 port 6003 ssh2
Q Jan  1 00:20:00 web1 cron[1]: twenty minutes on
Jan  1 00:20:01 web1 cron[1]: the last line, without a newline
LOG
sed 's/^Q //' "$log.src" | sed 's/a line ending in CRLF$/&\r/' | head -c -1 > "$log"
want=$(grep -c '^Q ' "$log.src")
R="--tz Europe/Berlin --year 2024 --rules $T_TMP/rules.yml --decoders $EV_SRCDIR/conf/decoders"
run "$EVIDENT" replay --engine pcre2 $R "$log"
expect_rc 0 "replay with the pcre2 engine"
cp "$T_TMP/out" "$T_TMP/pcre2"
cp "$T_TMP/err" "$T_TMP/pcre2.err"
expect_err ' 0 lines read for their time only' "pcre2 parses every line"
# what the input must give, so that the comparison below compares something
for t in 'brute force' 'failed then accepted' 'invalid user' 'backdoor program' 'wget started'; do
	grep -q "\"title\":\"$t\"" "$T_TMP/pcre2" && ok "pcre2: a '$t' alert" ||
		fail "pcre2: no '$t' alert: $(cat "$T_TMP/pcre2")"
done
# the first brute-force alert goes out when the watermark passes its window, which the
# quiet line at 10:04:00 moves; the detection of a late line after it comes second
o=$(grep -o '"title":"[a-z ]*"' "$T_TMP/pcre2" | head -3 | tr '\n' ' ')
[ "$o" = '"title":"brute force" "title":"failed then accepted" "title":"invalid user" ' ] &&
	ok "pcre2: the correlations released by the quiet line before the late detection" ||
	fail "pcre2: first alerts $o"
n=$(grep -c '"title":"brute force"' "$T_TMP/pcre2")
[ "$n" -eq 2 ] && ok "pcre2: two brute-force alerts (October, January)" || fail "pcre2: $n brute-force alerts"
grep -q '"message":"Invalid user eve from 192.0.2.1 port 6000".*"time":"2024-10-27T01:00:02.000000Z"}$' "$T_TMP/pcre2" &&
	ok "pcre2: 02:00:02 after the repeated hour's quiet lines read as winter time" ||
	fail "pcre2: the invalid-user alert is not at 2024-10-27T01:00:02Z: $(cat "$T_TMP/pcre2")"
expect_err ' 0 late events, 0 evicted groups, 1 far-future events' "pcre2: no late event, one far-future line"
grep -q '"time":"2024-12-31T23:00:02.000000Z"' "$T_TMP/pcre2" && ok "pcre2: the new year read as 2025 (00:00:02 in Berlin)" ||
	fail "pcre2: no event at 2024-12-31T23:00:02Z: $(cat "$T_TMP/pcre2")"
if ! "$EVIDENT" version 2>&1 | grep -q 'vectorscan=yes'; then
	skip_part "no Vectorscan in this build"
	done_testing
fi
run "$EVIDENT" replay --engine vectorscan $R "$log"
expect_rc 0 "replay with the vectorscan engine"
expect_err " $want lines read for their time only" "vectorscan: the $want marked lines read for their time only"
if cmp -s "$T_TMP/out" "$T_TMP/pcre2"; then ok "vectorscan alerts identical to pcre2, byte for byte"
else fail "vectorscan alerts differ"; diff "$T_TMP/pcre2" "$T_TMP/out" | head -10; fi
# the summary too, but for the engine's name and the count of quiet lines
summary() { grep 'replay: [0-9]* lines' "$1" | sed 's/ ([a-z0-9+]* JIT)//; s/ [0-9]* lines read for their time only//'; }
if [ "$(summary "$T_TMP/pcre2.err")" = "$(summary "$T_TMP/err")" ]; then
	ok "the same counts (records, matches, alerts, late, far-future) as pcre2"
else fail "counts differ: $(summary "$T_TMP/pcre2.err") / $(summary "$T_TMP/err")"; fi
# the same rules plus one that runs on every record (no literal): no line is quiet
cat "$T_TMP/rules.yml" > "$T_TMP/all.yml"
cat "$EV_SRCDIR/tests/integration/data/quiet-ungated-rule.yml" >>"$T_TMP/all.yml"
run "$EVIDENT" replay --engine vectorscan --tz Europe/Berlin --year 2024 --rules "$T_TMP/all.yml" \
	--decoders "$EV_SRCDIR/conf/decoders" "$log"
expect_rc 0 "replay with an ungated rule"
expect_err ' 0 lines read for their time only' "an ungated rule: every line parsed"
grep -v '"title":"any cron line"' "$T_TMP/out" > "$T_TMP/rest"
if cmp -s "$T_TMP/rest" "$T_TMP/pcre2"; then ok "the other alerts unchanged"
else fail "the other alerts differ"; diff "$T_TMP/pcre2" "$T_TMP/rest" | head -10; fi
done_testing
