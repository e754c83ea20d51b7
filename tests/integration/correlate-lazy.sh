#!/bin/sh
# Decoders run only when a lookup needs them (correlate/decoder.c engine_decodable): a
# correlation's group-by on a name a decoder adds still sees the decoded value, which
# comes before the rule's own capture of the same name; a group-by on a name no decoder
# adds (the rule's capture) groups without them. Detection rules of a Sigma category
# (process_creation) are never tried on ordinary records, and still fire on the category
# records an audit event gives (correlate/engine.c always_plain). A test of the program
# alone is remembered per program (correlate/logsource.c): with 150 programs taking turns
# in 64 remembered entries it still answers for each record's own program.
. "$EV_SRCDIR/tests/integration/lib.sh"
EVIDENT_DATADIR="$EV_SRCDIR/conf"
EVIDENT_QUIET_WARNINGS=1
export EVIDENT_DATADIR EVIDENT_QUIET_WARNINGS
mkdir -p "$T_TMP/dec"
cat > "$T_TMP/dec/login.yml" <<'YAML'
decoder: login
programs: [loginsvc]
patterns:
  - '^login (?<user>\S+) as \S+ from (?<src_ip>\S+)'
YAML
cat > "$T_TMP/rules.yml" <<'YAML'
title: login as
name: login_as
logsource: {product: linux}
detection:
  s:
    message|re: ' as (?<user>\S+) from (?<peer>\S+)'
  condition: s
---
title: logins by user
correlation: {type: event_count, rules: [login_as], group-by: [user], timespan: 1m, condition: {gte: 2}}
level: high
---
title: logins by peer
correlation: {type: event_count, rules: [login_as], group-by: [peer], timespan: 1m, condition: {gte: 3}}
level: high
---
title: process started
logsource: {category: process_creation, product: linux}
detection:
  s:
    Image|endswith: /true
  condition: s
level: low
YAML
log="$T_TMP/in.log"
cat > "$log" <<'LOG'
Mar  1 10:00:01 web1 loginsvc[1]: login alice as bob from 203.0.113.9
Mar  1 10:00:02 web1 loginsvc[1]: login alice as carol from 203.0.113.9
Mar  1 10:00:03 web1 loginsvc[1]: login dave as bob from 203.0.113.9
Mar  1 10:00:04 web1 loginsvc[1]: /usr/bin/true Image=/usr/bin/true
LOG
for engine in pcre2 vectorscan; do
	if [ $engine = vectorscan ] && ! "$EVIDENT" version 2>&1 | grep -q 'vectorscan=yes'; then
		skip_part "no Vectorscan in this build"
		continue
	fi
	run "$EVIDENT" replay --engine $engine --tz UTC --year 2024 --rules "$T_TMP/rules.yml" \
		--decoders "$T_TMP/dec" "$log"
	expect_rc 0 "$engine: replay"
	# the decoded user (alice twice), not the rule's capture (bob twice, carol once)
	u=$(grep 'logins by user' "$T_TMP/out" | grep -o '"user":"[a-z]*"' | sort -u | tr '\n' ' ')
	[ "$u" = '"user":"alice" ' ] && ok "$engine: group-by user is the decoded value" ||
		fail "$engine: group-by user gave '$u', expected alice only: $(cat "$T_TMP/out")"
	# no decoder adds peer: the capture groups the three logins
	p=$(grep 'logins by peer' "$T_TMP/out" | grep -o '"peer":"[0-9.]*"' | sort -u | tr '\n' ' ')
	[ "$p" = '"peer":"203.0.113.9" ' ] && ok "$engine: group-by peer from the capture" ||
		fail "$engine: group-by peer gave '$p': $(cat "$T_TMP/out")"
	grep -q 'process started' "$T_TMP/out" && fail "$engine: a category rule matched a syslog line" ||
		ok "$engine: no category rule on an ordinary record"
done
# a category record from an audit event: the process_creation rule fires
cat > "$T_TMP/audit.log" <<'LOG'
type=SYSCALL msg=audit(1709287201.100:42): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=2 ppid=1 pid=4242 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=1 comm="true" exe="/usr/bin/true" key=(null)
type=EXECVE msg=audit(1709287201.100:42): argc=1 a0="true"
type=EOE msg=audit(1709287201.100:42):
LOG
run "$EVIDENT" replay --tz UTC --year 2024 --rules "$T_TMP/rules.yml" "$T_TMP/audit.log"
expect_rc 0 "replay of an audit event"
grep -q 'process started' "$T_TMP/out" && ok "the category rule fires on the audit event's record" ||
	fail "no process_creation alert: $(cat "$T_TMP/out") $(cat "$T_TMP/err")"
cat > "$T_TMP/prog.yml" <<'YAML'
title: web program
logsource: {product: linux}
detection:
  s:
    program: [nginx, httpd]
  condition: s
level: low
YAML
i=0
while [ $i -lt 600 ]; do
	case $((i % 4)) in
	0) p=nginx ;; 1) p=p$((i % 150)) ;; 2) p=httpd ;; *) p=nginxx ;;
	esac
	echo "Mar  1 10:00:01 web1 $p[$i]: line $i"
	i=$((i + 1))
done > "$T_TMP/prog.log"
run "$EVIDENT" replay --tz UTC --year 2024 --rules "$T_TMP/prog.yml" "$T_TMP/prog.log"
expect_rc 0 "replay of 600 lines from 153 programs"
n=$(grep -c 'web program' "$T_TMP/out")
bad=$(grep 'web program' "$T_TMP/out" | grep -v -e '"program":"nginx"' -e '"program":"httpd"' | head -1)
[ "$n" -eq 300 ] && [ -z "$bad" ] && ok "program test: 300 alerts, all nginx or httpd" ||
	fail "program test: $n alerts (expected 300), e.g. $bad"
done_testing
