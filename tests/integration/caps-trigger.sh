#!/bin/sh
# The trigger passed to the seal child (docs/operations.md, TRIGGER_ARG_MAX 96 KiB,
# issue 10): an automatic seal of a correlation grouped by a long field carries 20 alert
# summaries of some 6 KB each, more than one argument may hold; the seal still succeeds,
# its manifest says the summaries were left out (alerts_omitted) and keeps the alert ids
# and the exact count.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/rules-lib.sh"
LOG="$T_TMP/auth.log"
: >"$LOG"
mkdir -p "$T_TMP/rules" "$T_TMP/keys" "$T_TMP/no-decoders"
{
	rule_failed
	echo ---
	printf '%s\n' 'title: Long failure' 'id: longfail' 'level: high' 'correlation:' '  type: event_count' \
		'  rules: [failed]' '  group-by: [message]' '  timespan: 1h' '  condition: {gte: 1}'
} >"$T_TMP/rules/r.yml"
"$EVIDENT" keygen --out "$T_TMP/keys" --name agent >/dev/null 2>&1 || fail "keygen"
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]|" \
	-e "s|^  path: $T_TMP/store|  path: $T_TMP/store\n  key: $T_TMP/keys/agent.key|" "$T_TMP/evident.yaml"
printf 'rules:\n  paths: [%s/rules]\n  decoders: [%s/no-decoders]\n  allowed_lateness: 5s\nactions:\n  seal_on: [rule:longfail]\n  lookback: 1h\n  lookahead: 3s\n  seal_commands: []\n' \
	"$T_TMP" "$T_TMP" >>"$T_TMP/evident.yaml"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }
python3 -c '
import sys, time
t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())  # stamped as written: not late
with open(sys.argv[1], "a") as f:
    for i in range(30):
        f.write("%s host1 sshd[1]: Failed password for root %02d %s\n" % (t, i, "p" * 6000))
' "$LOG"
seals_ok() { "$EVIDENT" status --json --socket "$A_SOCK" | grep -q '"seals":{"failed":0,"ok":1,'; }
T_DEADLINE=60 wait_for "the automatic seal" seals_ok &&
	ok "an automatic seal with a 120 KB trigger succeeds" || { fail "no seal"; sed 's/^/  | /' "$T_TMP/agent.err" | tail -5; }
B=$(ls "$T_TMP/store/bundles"/*.tar.gz 2>/dev/null | head -1)
tar -xzOf "$B" MANIFEST.json >"$T_TMP/m.json" 2>/dev/null
trig() { python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["trigger"]; v=t.get(sys.argv[2]); print(len(v) if isinstance(v, list) else json.dumps(v))' "$T_TMP/m.json" "$1"; }
[ "$(trig alert_count)" = 30 ] && ok "the manifest's alert count is exact (30)" || fail "alert_count $(trig alert_count)"
[ "$(trig alerts_omitted)" = true ] && [ "$(trig alerts)" = null ] &&
	ok "the alert summaries are left out and flagged (alerts_omitted)" || fail "alerts_omitted $(trig alerts_omitted), alerts $(trig alerts)"
[ "$(trig alert_ids)" = 30 ] && [ "$(trig alert_ids_truncated)" = false ] &&
	ok "all 30 alert ids kept" || fail "alert_ids $(trig alert_ids), truncated $(trig alert_ids_truncated)"
run "$EVIDENT" verify "$T_TMP/store"
expect_rc 0 "the store verifies"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
