#!/bin/sh
# The Vectorscan prefilter on decoded fields (correlate/prefilter.c): a rule on a decoder
# field (`outcome: Failed`, or a mapped name such as `TargetUserName`) is gated by the
# value's literal in the message, which is only sound for records whose fields all come
# from decoders. Records that come with fields of their own (JSON, logfmt) must still be
# matched, and the Vectorscan engine must give exactly the PCRE2 engine's alerts.
. "$EV_SRCDIR/tests/integration/lib.sh"
EVIDENT_DATADIR="$EV_SRCDIR/conf"
EVIDENT_QUIET_WARNINGS=1
export EVIDENT_DATADIR EVIDENT_QUIET_WARNINGS
cat > "$T_TMP/rules.yml" <<'YAML'
title: failed login
name: failed_login
logsource: {product: linux}
detection:
  s:
    outcome: Failed
  condition: s
---
title: root target
name: root_target
logsource: {product: linux}
detection:
  s:
    TargetUserName: root
  condition: s
YAML
log="$T_TMP/in.log"
cat > "$log" <<'LOG'
Mar  1 10:00:01 web1 sshd[1]: Failed password for root from 203.0.113.9 port 4001 ssh2
{"ts":"2024-03-01T10:00:02Z","msg":"login refused","program":"sshd","outcome":"Failed","user":"root"}
ts=2024-03-01T10:00:03Z msg="nothing to see" outcome=Failed
Mar  1 10:00:04 web1 sshd[2]: Accepted password for bob from 203.0.113.9 port 4002 ssh2
Mar  1 10:00:05 web1 sshd[3]: Connection closed by 203.0.113.9 port 4003 [preauth] Failed root
Mar  1 10:00:06 web1 cron[4]: Failed password for root from 203.0.113.9 port 4004 ssh2
LOG
R="--tz UTC --year 2024 --rules $T_TMP/rules.yml --decoders $EV_SRCDIR/conf/decoders"
run "$EVIDENT" replay --engine pcre2 $R "$log"
expect_rc 0 "replay with the pcre2 engine"
cp "$T_TMP/out" "$T_TMP/pcre2"
n=$(grep -c 'failed login' "$T_TMP/pcre2")
[ "$n" -eq 3 ] && ok "pcre2: failed login on the decoded, the JSON and the logfmt line" ||
	fail "pcre2: $n failed-login alerts, expected 3"
n=$(grep -c 'root target' "$T_TMP/pcre2")
[ "$n" -eq 2 ] && ok "pcre2: root target on the decoded and the JSON line" ||
	fail "pcre2: $n root-target alerts, expected 2"
if ! "$EVIDENT" version 2>&1 | grep -q 'vectorscan=yes'; then
	skip_part "no Vectorscan in this build"
	done_testing
fi
run "$EVIDENT" replay --engine vectorscan $R "$log"
expect_rc 0 "replay with the vectorscan engine"
grep -q "rules (vectorscan" "$T_TMP/err" && ok "matched with Vectorscan" || fail "not Vectorscan: $T_ERR"
if cmp -s "$T_TMP/out" "$T_TMP/pcre2"; then ok "vectorscan alerts identical to pcre2"
else fail "vectorscan alerts differ"; diff "$T_TMP/pcre2" "$T_TMP/out" | head -10; fi
done_testing
