#!/bin/sh
# evident triage --offline through the real binary: every cell of the default severity
# matrix (dry runs), routing with contacts, the seal scoped to the service's files, the
# ledger entries, re-triage with the previous classification and the reason, and bad
# input answered with one line and exit 2 with nothing sealed or written.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read JSON answers"
incident_config

# --- every cell: impact x urgency x few (5 users) and many (5000) -----------------------
bad=0
while read -r impact s1 s2 s3 s4 m1 m2 m3 m4; do
	i=0
	for u in immediate high medium low; do
		i=$((i + 1))
		eval few=\$s$i many=\$m$i
		for n in 5 5000; do
			want=$few; [ "$n" = 5000 ] && want=$many
			got=$("$EVIDENT" triage -c "$I_CONF" --dry-run --json --incident CELL \
				--impact "$impact" --urgency "$u" --affected-users "$n" |
				sed -n 's/.*"severity":"\([a-z]*\)".*/\1/p')
			[ "$got" = "$want" ] || { bad=$((bad + 1)); echo "  $impact $u $n: $got, expected $want"; }
		done
	done
done <<'EOT'
data_breach critical critical high high critical critical critical critical
service_outage critical high medium medium critical critical high medium
service_degradation high medium medium low critical high medium low
security_violation critical high high medium critical critical high high
compliance_issue high high medium low critical high high medium
user_complaints medium medium low low high medium medium low
internal_error medium low low low high medium low low
EOT
[ "$bad" -eq 0 ] && ok "all 56 cells of the severity matrix as in docs/incidents.md" || fail "$bad cells differ"
[ ! -e "$I_STATE/incidents" ] && [ ! -e "$I_STORE" ] && ok "dry runs seal and write nothing" || fail "a dry run wrote something"

# routing per severity (the seed's teams)
for pair in "critical:security-engineer,devops-incident-responder,sre-engineer:data_breach:immediate" \
	"high:devops-incident-responder,security-engineer,backend-developer:service_outage:high" \
	"medium:devops-incident-responder,backend-developer:service_outage:medium" \
	"low:backend-developer,qa-expert:internal_error:low"; do
	IFS=: read -r sev teams impact u <<EOT
$pair
EOT
	out=$("$EVIDENT" triage -c "$I_CONF" --dry-run --json --incident R --impact "$impact" --urgency "$u")
	got=$(jfield "$out" "','.join(t['team'] for t in d['teams'])")
	[ "$got" = "$teams" ] && ok "$sev routes to $teams" || fail "$sev routes to $got"
done

# --- a real triage: sealed, scoped, recorded ---------------------------------------------
run "$EVIDENT" triage -c "$I_CONF" --offline --json --incident INC-001 --impact service_outage \
	--urgency immediate --affected-users 500 --service api-service --summary "api down" --as alice
expect_rc 0 "triage --offline"
A=$T_OUT
[ "$(jfield "$A" "d['severity']")" = critical ] && ok "severity critical" || fail "severity: $A"
[ "$(jfield "$A" "[t['contacts'] for t in d['teams'] if t['team']=='sre-engineer'][0]")" = "['sre-oncall@example.org', 'sre-lead@example.org']" ] &&
	ok "the sre team comes with its contacts in escalation order" || fail "contacts: $A"
[ "$(jfield "$A" "d['update_every']")" = 15m ] && ok "updates every 15m (critical)" || fail "cadence: $A"
[ "$(jfield "$A" "d['runbook']")" = service-outage ] && ok "runbook service-outage" || fail "runbook: $A"
[ "$(jfield "$A" "','.join(d['containment'])")" = restart-service,rollback ] && ok "containment suggested for the impact type" || fail "containment: $A"
ACK=$(jfield "$A" "d['ack_deadline']")
case "$ACK" in 20*Z) ok "acknowledge deadline $ACK" ;; *) fail "ack deadline: $A" ;; esac
B=$(jfield "$A" "d['bundle']")
[ -f "$B" ] && ok "the bundle exists" || fail "no bundle $B"
tar -tzf "$B" >"$T_TMP/members" 2>/dev/null
grep -q 'api.log' "$T_TMP/members" && ! grep -q 'other.log' "$T_TMP/members" &&
	ok "the seal is scoped to the service's file" || { fail "members:"; sed 's/^/  | /' "$T_TMP/members"; }
[ "$(kinds INC-001)" = "opened triaged evidence " ] && ok "ledger: opened, triaged, evidence" || fail "ledger kinds: $(kinds INC-001)"
grep '"action":"evidence"' "$(ledger INC-001)" | grep -q "\"manifest_sha256\":\"$(jfield "$A" "d['manifest_sha256']")\"" &&
	ok "the evidence entry names the bundle's manifest hash" || fail "evidence entry"
grep '"action":"opened"' "$(ledger INC-001)" | grep -q '"name":"alice","pid":[0-9]*,"uid":0' &&
	ok "the actor: uid, user and --as" || fail "actor: $(head -1 "$(ledger INC-001)" | cut -c1-300)"
run "$EVIDENT" verify "$I_STORE"
expect_rc 0 "the store verifies"

# --- re-triage: re-classified, previous classification and reason kept --------------------
run "$EVIDENT" triage -c "$I_CONF" --offline --json --incident INC-001 --impact service_outage \
	--urgency medium --affected-users 20 --reason "only one region affected"
expect_rc 0 "re-triage"
[ "$(jfield "$T_OUT" "(d['severity'], d['created'])")" = "('medium', False)" ] && ok "re-classified medium" || fail "re-triage: $T_OUT"
tail -2 "$(ledger INC-001)" | head -1 | grep -q '"previous":{"affected_users":500,"impact":"service_outage","severity":"critical","urgency":"immediate"},"reason":"only one region affected"' &&
	ok "the triaged entry keeps the previous classification and why" || fail "re-triage entry: $(tail -2 "$(ledger INC-001)" | head -1 | cut -c1-400)"

# --- bad input: one line, exit 2, nothing sealed or written -------------------------------
nb=$(ls "$I_STORE/bundles" | wc -l)
lb=$(cat "$(ledger INC-001)" | wc -c)
bad_input() { # bad_input PATTERN description ARGS...
	pat=$1 what=$2
	shift 2
	run "$EVIDENT" triage -c "$I_CONF" --offline "$@"
	expect_rc 2 "$what"
	first=$(printf '%s\n' "$T_ERR" | head -1)
	printf '%s\n' "$first" | grep -Eq -- "$pat" && ok "$what: says '$first'" || fail "$what: stderr: $T_ERR"
}
bad_input "unknown impact 'outage' \(expected data_breach, service_outage, service_degradation, security_violation, compliance_issue, user_complaints or internal_error\)" \
	"unknown impact" --incident INC-002 --impact outage --urgency high
bad_input "unknown urgency 'now' \(expected immediate, high, medium or low\)" "unknown urgency" \
	--incident INC-002 --impact data_breach --urgency now
bad_input "affected-users: '-5' is not a count" "negative users" \
	--incident INC-002 --impact data_breach --urgency high --affected-users -5
bad_input "impact_started: '\+2h' is in the future" "a time in the future" \
	--incident INC-002 --impact data_breach --urgency high --impact-started +2h
bad_input "'/' is not allowed" "an id with /" --incident ../x/INC --impact data_breach --urgency high
bad_input "no '\.\.'" "an id with .." --incident INC..1 --impact data_breach --urgency high
[ "$(ls "$I_STORE/bundles" | wc -l)" = "$nb" ] && ok "no bundle sealed by bad input" || fail "bad input sealed"
[ "$(ls "$I_STATE/incidents")" = INC-001 ] && [ "$(cat "$(ledger INC-001)" | wc -c)" = "$lb" ] &&
	ok "no incident written by bad input" || fail "bad input wrote: $(ls "$I_STATE/incidents")"
[ ! -e "$T_TMP/x" ] && ok "nothing outside the state directory" || fail "an id escaped"
done_testing
