#!/bin/sh
# evident incident through the real binary: the acknowledge deadline overdue in show,
# enforced timestamp order (an ack before detection is refused), roles, decisions with
# their rationale, contain/mitigate/resolve/close with --at, an ack on a closed incident
# refused with nothing written, reopen, a correction that keeps the original, list and
# export --json with the whole ledger.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read JSON answers"
incident_config
run "$EVIDENT" triage -c "$I_CONF" --offline --incident INC-3 --impact data_breach --urgency high \
	--affected-users 10 --impact-started -30m --detected -10m
expect_rc 0 "triage with --impact-started and --detected"
L=$(ledger INC-3)

# detected 10 minutes ago, acknowledge within 5: overdue
run inc show INC-3 --json
expect_rc 0 "show --json"
[ "$(jfield "$T_OUT" "(d['next_due']['what'], d['next_due']['overdue'], d['state'])")" = "('acknowledge', True, 'open')" ] &&
	ok "the acknowledge deadline is overdue" || fail "next_due: $T_OUT"
run inc show INC-3
expect_out "next +acknowledge due .*\(OVERDUE\)" "show prints the overdue deadline"

unchanged() { # unchanged DESCRIPTION: the ledger is as saved in $T_TMP/saved
	cmp -s "$L" "$T_TMP/saved" && ok "$1: nothing written" || fail "$1: the ledger changed"
}
cp "$L" "$T_TMP/saved"
run inc ack INC-3 --at -15m
expect_rc 2 "an ack before detection is refused"
expect_err "t_ack .* would be before t_detect" "the refusal names the order"
unchanged "ack before detection"
run inc ack INC-3 --at +10m
expect_rc 2 "an ack in the future is refused"
unchanged "ack in the future"
run inc ack INC-3 --at -8m --as alice
expect_rc 0 "ack 8 minutes ago"
run inc ack INC-3
expect_rc 2 "a second ack is refused"
run inc show INC-3 --json
[ "$(jfield "$T_OUT" "(d['next_due']['what'], d['state'])")" = "('update', 'acknowledged')" ] &&
	ok "next: the update cadence (high: 30m)" || fail "after ack: $T_OUT"

run inc assign INC-3 --role commander --person alice
expect_rc 0 "assign the commander"
run inc assign INC-3 --role chief --person bob
expect_rc 2 "an unknown role is refused"
expect_err "commander, scribe, technical_lead, communication_lead or operations_lead" "the refusal lists the roles"
run inc decide INC-3 --decision "rotate the API keys"
expect_rc 2 "a decision without its rationale is refused"
run inc decide INC-3 --decision "rotate the API keys" --rationale "keys were in the leaked dump"
expect_rc 0 "decision with rationale"
run inc contain INC-3 --at -6m
expect_rc 0 "contained 6 minutes ago"
run inc mitigate INC-3 --at -7m
expect_rc 2 "mitigated before contained is refused"
run inc mitigate INC-3 --at -4m
expect_rc 0 "mitigated"
run inc close INC-3
expect_rc 2 "closing an unresolved incident is refused"
run inc resolve INC-3 --root-cause "key in a public repository" --resolution "keys rotated"
expect_rc 0 "resolved"
echo "postmortem" >"$T_TMP/report.md"
run inc close INC-3 --report "$T_TMP/report.md"
expect_rc 0 "closed with a report"
grep '"action":"closed"' "$L" | grep -q "\"report_sha256\":\"$(sha256sum "$T_TMP/report.md" | cut -c1-64)\"" &&
	ok "the close names the report's SHA-256" || fail "closed entry"
cp "$L" "$T_TMP/saved"
run inc ack INC-3
expect_rc 2 "an ack on a closed incident is refused"
expect_err "closed" "the refusal says it is closed"
[ "$(printf '%s\n' "$T_ERR" | wc -l)" -eq 1 ] && ok "one line" || fail "stderr: $T_ERR"
unchanged "ack on a closed incident"
run inc reopen INC-3 --reason "keys found in a second repository"
expect_rc 0 "reopened"
run inc show INC-3 --json
[ "$(jfield "$T_OUT" "(d['state'], d['times']['t_resolve'], d['times']['t_close'])")" = "('mitigated', None, None)" ] &&
	ok "reopened: back to mitigated, t_resolve and t_close cleared" || fail "after reopen: $T_OUT"

# a correction supersedes t_impact and keeps the original entry
run inc correct INC-3 --field t_impact --value -40m --reason "first request in the access log"
expect_rc 0 "correct t_impact"
run inc correct INC-3 --field t_impact --value -5m --reason "wrong"
expect_rc 2 "a t_impact after t_detect is refused"
run inc export INC-3 --json
expect_rc 0 "export --json"
E=$T_OUT
[ "$(jfield "$E" "len(d['ledger'])")" = "$(wc -l <"$L")" ] && ok "export holds every ledger entry" || fail "export: $(jfield "$E" "len(d['ledger'])")"
[ "$(jfield "$E" "[e['details']['impact_started'] for e in d['ledger'] if e['action']=='triaged'][0]")" = "-30m" ] &&
	ok "the original t_impact stays in its entry" || fail "original"
jfield "$E" "d['times']['t_impact']" >"$T_TMP/timp"
python3 - "$(cat "$T_TMP/timp")" "$(jfield "$E" "d['times']['t_detect']")" <<'EOP' && ok "t_impact is the corrected one, 30 minutes before t_detect" || fail "t_impact $(cat "$T_TMP/timp")"
import sys, datetime
f = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
sys.exit(0 if abs((f(sys.argv[2]) - f(sys.argv[1])).total_seconds() - 1800) < 5 else 1)
EOP
[ "$(jfield "$E" "d['roles']")" = "{'commander': 'alice'}" ] && ok "export lists the roles" || fail "roles"
run inc list --json
[ "$(jfield "$T_OUT" "[(i['id'], i['state']) for i in d['incidents']]")" = "[('INC-3', 'mitigated')]" ] && ok "list" || fail "list: $T_OUT"
run inc show NOPE
expect_rc 2 "show of an unknown incident"
run inc note "a/b" "x"
expect_rc 2 "an id with / is refused"
[ ! -e "$I_STATE/incidents/a" ] && ok "nothing created for it" || fail "created"
run "$EVIDENT" verify "$I_STATE/incidents"
expect_rc 0 "the whole timeline verifies"
done_testing
