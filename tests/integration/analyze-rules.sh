#!/bin/sh
# Issue 14: "new template" as a field for rules. With analyze.template_fields: true every
# record carries template_id and template_new, so a Sigma rule can alert on the first
# line of a never-seen message (here: an error never seen before); with the default
# (false) the fields are absent and the rule is silent.
. "$EV_SRCDIR/tests/integration/lib.sh"
EVIDENT_DATADIR="$EV_SRCDIR/conf"
export EVIDENT_DATADIR
log="$T_TMP/app.log"
{
	for i in 1 2 3 4; do echo "Mar  1 10:00:0$i web1 app[10]: error: cache miss for key $i"; done
	echo "Mar  1 10:00:05 web1 app[10]: user 7 logged in"
	for i in 6 7; do echo "Mar  1 10:00:0$i web1 app[10]: error: disk quota exceeded on /var/$i/x"; done
	echo "Mar  1 10:00:08 web1 app[10]: error: cache miss for key 99"
} >"$log"
mkdir -p "$T_TMP/rules"
cat >"$T_TMP/rules/new-error.yml" <<'YML'
title: An error message never seen before
id: 4a8c6a57-1f0b-4b53-9d7e-51f1f0e0a001
status: test
logsource:
  product: linux
detection:
  selection:
    template_new: 'true'
    message|startswith: 'error:'
  condition: selection
level: medium
YML
printf 'analyze:\n  template_fields: true\n' >"$T_TMP/on.yaml"

run "$EVIDENT" replay --tz UTC --year 2024 --config "$T_TMP/on.yaml" --rules "$T_TMP/rules" "$log"
expect_rc 0 "replay with analyze.template_fields: true"
n=$(printf '%s\n' "$T_OUT" | grep -c '"rule_title":"An error message never seen before"\|An error message never seen before')
[ "$n" -eq 2 ] && ok "two alerts: the first cache-miss error and the first quota error" ||
	{ fail "expected 2 alerts, got $n"; printf '%s\n' "$T_OUT" | head -5; }
expect_out '2024-03-01T10:00:01' "the first line of the first template alerts"
expect_out '2024-03-01T10:00:06' "the first line of the second template alerts"
if printf '%s\n' "$T_OUT" | grep -q '2024-03-01T10:00:0[23478]'; then
	fail "a line of a known template alerted"; else ok "lines of known templates do not alert"; fi

run "$EVIDENT" replay --tz UTC --year 2024 --rules "$T_TMP/rules" "$log"
expect_rc 0 "replay with the default configuration"
[ -z "$T_OUT" ] && ok "default off: no template fields, no alert" || fail "alerts with the switch off: $T_OUT"
done_testing
