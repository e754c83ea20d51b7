#!/bin/sh
# Issue 12, the format library through the real binary: auto-detection picks a library
# format for lines the built-in parsers do not take and says which (replay --stats);
# HealthApp pipe lines are not logfmt; a Java stack trace continues its line; a named
# format, --program and --service; a site format directory; a bad format name or file is
# reported with its position; and the agent tails files by format with a per-file
# program, a service-scoped rule sees them, and `status` names each file's format.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

# --- HealthApp pipe lines: parsed by the healthapp format, not read as logfmt ---
cat >"$T_TMP/health.log" <<'EOF2'
20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579
20171223-22:15:29:633|Step_SPUtils|30002312|setTodayTotalDetailSteps=1514038440000##7007##548365##8661##12361##27173954
20171224-0:6:25:31|Step_LSC|30002312|onExtend:1514045185000 0 0 4
EOF2
run "$EVIDENT" replay --tz UTC "$T_TMP/health.log"
expect_rc 0 "replay of HealthApp lines"
[ "$(printf '%s\n' "$T_OUT" | grep -c '"flags"')" -eq 0 ] && ok "HealthApp: every line parsed with its time" ||
	fail "HealthApp: some line unparsed or untimed: $T_OUT"
printf '%s\n' "$T_OUT" | sed -n 2p | grep -q '"time":"2017-12-23T22:15:29.633000Z".*"program":"Step_SPUtils","pid":30002312,"message":"setTodayTotalDetailSteps=1514' &&
	ok "HealthApp line with '=': time, program, pid and message, no logfmt fields" || fail "HealthApp '=' line: $(printf '%s\n' "$T_OUT" | sed -n 2p)"
printf '%s\n' "$T_OUT" | grep -q '"fields"' && fail "HealthApp lines got logfmt fields" || ok "no logfmt fields"
printf '%s\n' "$T_OUT" | sed -n 3p | grep -q '"time":"2017-12-24T00:06:25.031000Z"' &&
	ok "unpadded H:m:s:ms stamp" || fail "unpadded stamp: $(printf '%s\n' "$T_OUT" | sed -n 3p)"
expect_err 'health.log: format healthapp 3$' "replay names the detected format"

# --- a Java stack trace continues its log line ---
cat >"$T_TMP/app.log" <<'EOF2'
2026-11-30 00:51:46,123 ERROR [main] com.example.Api: request failed
java.lang.IllegalStateException: boom
	at com.example.Api.handle(Api.java:42)
	at com.example.Main.main(Main.java:7)
2026-11-30 00:51:47,000 INFO [main] com.example.Api: recovered
EOF2
run "$EVIDENT" replay --tz UTC "$T_TMP/app.log"
n=$(printf '%s\n' "$T_OUT" | grep -c '"time":"2026-11-30T00:51:46.123000Z","time_us":[0-9]*,"seq":[0-9]*,"source":"[^"]*","program":"com.example.Api","priority":3')
[ "$n" -eq 4 ] && ok "the exception and 'at' lines take the line's time, program and level" || fail "continuations: $n of 4: $T_OUT"
[ "$(printf '%s\n' "$T_OUT" | grep -c '"continuation":"true"')" -eq 3 ] && ok "continuation lines are marked" || fail "continuation marks"
expect_err 'app.log: format log4j 5$' "log4j detected"

# --- named format, --program, --service; unknown names ---
printf '[Mon Nov 30 00:51:46 2026] device eth0 entered promiscuous mode\n' >"$T_TMP/k.log"
run "$EVIDENT" replay --tz UTC --format dmesg_ctime --service kernel-ring "$T_TMP/k.log"
expect_out '"program":"kernel".*"fields":\{"service":"kernel-ring"\}' "named format with a service"
printf '203.0.113.9 - - [30/Nov/2026:00:51:46 +0000] "GET /admin HTTP/1.1" 404 12 "-" "curl/8"\n' >"$T_TMP/access.log"
run "$EVIDENT" replay --program nginx "$T_TMP/access.log"
expect_out '"time":"2026-11-30T00:51:46.000000Z".*"program":"nginx"' "--program overrides the format's default program"
run "$EVIDENT" replay --format no_such_format "$T_TMP/access.log"
expect_rc 2 "an unknown format is a usage error"
expect_err "unknown format 'no_such_format'" "and says so"

# --- a site format directory ---
mkdir -p "$T_TMP/formats"
cat >"$T_TMP/formats/site.yaml" <<'EOF2'
myapp:
  description: our app
  regex: '^(?<time>\d{10}) <(?<level>\w+)> (?<message>.*)$'
  time_format: epoch
  program: myapp
EOF2
printf '1796000000 <warn> disk almost full\n' >"$T_TMP/myapp.log"
run "$EVIDENT" replay --formats-dir "$T_TMP/formats" "$T_TMP/myapp.log"
expect_out '"time":"2026-11-30T00:53:20.000000Z".*"program":"myapp","priority":4' "a site format is detected"
run "$EVIDENT" formats --dir "$T_TMP/formats"
expect_out '^myapp +yes +our app' "evident formats lists it"
printf 'broken:\n  regex: "^(?<time>x"\n  time_format: "%%Y"\n' >"$T_TMP/formats/broken.yaml"
run "$EVIDENT" formats --dir "$T_TMP/formats"
expect_rc 1 "a broken format file is a finding"
expect_err 'broken.yaml:2:10: regex: missing closing parenthesis' "with its position"
rm "$T_TMP/formats/broken.yaml"

# --- configuration: an unknown format is reported where it is set ---
agent_write_config "$T_TMP/bad.yaml"
sed -i "s|^  journal: false|  journal: false\n  files:\n    - {path: $T_TMP/x.log, format: apache_eror}|" "$T_TMP/bad.yaml"
run "$EVIDENT" config check "$T_TMP/bad.yaml"
expect_rc 1 "config check refuses an unknown format"
expect_err "bad.yaml:8:[0-9]+: unknown format 'apache_eror'" "with the file and line"

# --- the agent: per-file format and program, a service-scoped rule, status ---
RULES="$T_TMP/rules"
mkdir -p "$RULES/no-decoders"
cat >"$RULES/admin.yml" <<'EOF2'
title: Admin page probed on nginx
id: 0b7c3c1e-2f4e-4f5e-9a51-5d2f7e0c1a12
level: high
logsource:
  product: linux
  service: nginx
detection:
  sel:
    message|contains: 'GET /admin'
  condition: sel
EOF2
: >"$T_TMP/live-access.log"
: >"$T_TMP/live-hdfs.log"
: >"$T_TMP/live-svc.log"
agent_write_config "$T_TMP/evident.yaml"
sed -i "s|^  journal: false|  journal: false\n  stat_interval: 200ms\n  files:\n    - {path: $T_TMP/live-access.log, format: access_combined, program: nginx}\n    - $T_TMP/live-hdfs.log\n    - {path: $T_TMP/live-svc.log, service: nginx}|" "$T_TMP/evident.yaml"
printf 'rules:\n  paths: [%s]\n  decoders: [%s/no-decoders]\n' "$RULES" "$RULES" >>"$T_TMP/evident.yaml"
# service: a file's records belong to that Sigma service whatever their program
run "$EVIDENT" replay --rules "$RULES" --decoders "$RULES/no-decoders" "$T_TMP/access.log"
[ "$(printf '%s\n' "$T_OUT" | grep -c 'Admin page probed')" -eq 0 ] &&
	ok "without service:, the access log (program httpd) is not nginx's" || fail "nginx rule fired on httpd: $T_OUT"
run "$EVIDENT" replay --service nginx --rules "$RULES" --decoders "$RULES/no-decoders" "$T_TMP/access.log"
[ "$(printf '%s\n' "$T_OUT" | grep -c 'Admin page probed')" -eq 1 ] &&
	ok "--service nginx: the nginx-scoped rule sees the line" || fail "--service: $T_OUT $T_ERR"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }
printf '%s - - [%s] "GET /admin HTTP/1.1" 404 12 "-" "curl/8"\n' 203.0.113.9 "$(LC_ALL=C date -u '+%d/%b/%Y:%H:%M:%S +0000')" >>"$T_TMP/live-access.log"
printf '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating\n' >>"$T_TMP/live-hdfs.log"
if wait_for "alert" grep -q '"title":"Admin page probed on nginx"' "$T_TMP/agent.out"; then
	ok "a service-scoped rule sees the access log through its configured program"
else
	fail "no alert from the access log"; sed 's/^/  | /' "$T_TMP/agent.err"
fi
printf '%s - - [%s] "GET /admin/svc HTTP/1.1" 404 12 "-" "curl/8"\n' 203.0.113.10 "$(LC_ALL=C date -u '+%d/%b/%Y:%H:%M:%S +0000')" >>"$T_TMP/live-svc.log"
if wait_for "alert" grep -q 'GET /admin/svc' "$T_TMP/agent.out"; then
	ok "a file with service: nginx (auto-detected, program httpd) reaches the nginx-scoped rule"
else
	fail "no alert from the service: file"; sed 's/^/  | /' "$T_TMP/agent.err"
fi
status_formats() { "$EVIDENT" status --json --socket "$A_SOCK" | grep -q '"formats":"hdfs 1"'; }
wait_for "status" status_formats && ok "status names the detected format" || fail "status: $("$EVIDENT" status --json --socket "$A_SOCK")"
run "$EVIDENT" status --socket "$A_SOCK"
expect_out 'format: access_combined 1' "human status names the configured format"
agent_stop
done_testing
