#!/bin/sh
# evident impact through the binary: the seed's revenue formula, the SLA's allowed
# downtime, breach and margin, the share of users, against values worked out by hand;
# exit 1 on a breach; the downtime and users taken from an incident (t_impact ..
# t_mitigate); refusals of inputs that would have to be rounded or guessed.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
incident_config
j() { jfield "$T_OUT" "$1"; }

# 1200 users x 42 min x 0.05 = 2520.00; 1200 / 50000 = 2.40 %; 30 days at 99.9 % allow
# 2592000 s x 0.001 = 2592 s = 43m12s: 42 minutes leave 1m12s.
run "$EVIDENT" impact --affected-users 1200 --downtime 42m --revenue-per-user-minute 0.05 \
	--sla 99.9 --total-users 50000 --json
expect_rc 0 "within the SLA: exit 0"
[ "$(j 'd["revenue_impact"]')" = 2520.00 ] && ok "revenue 1200 x 42 x 0.05 = 2520.00" || fail "revenue: $T_OUT"
[ "$(j 'd["share_affected_percent"]')" = 2.40 ] && ok "share 2.40 %" || fail "share: $T_OUT"
[ "$(j 'd["sla"]["allowed_downtime"]') $(j 'd["sla"]["margin"]') $(j 'd["sla"]["breached"]')" = "43m12s 1m12s False" ] &&
	ok "99.9 % of 30 days allows 43m12s: margin 1m12s" || fail "sla: $T_OUT"

# 50 minutes: over by 6m48s, exit 1; human output says so
run "$EVIDENT" impact --affected-users 1200 --downtime 50m --revenue-per-user-minute 0.05 --sla 99.9
expect_rc 1 "a breach: exit 1"
expect_out "revenue impact +3000.00" "50 minutes cost 3000.00"
expect_out "BREACHED \(over by 6m48s\)" "over by 6m48s"

# rounding, once, half up: 3 users x 10 s x 0.01 = 0.005 -> 0.01; 99.99 % of 7 days = 60.48 s
run "$EVIDENT" impact --affected-users 3 --downtime 10s --revenue-per-user-minute 0.01 --json
[ "$(j 'd["revenue_impact"]') $(j 'd["downtime_minutes"]')" = "0.01 0.17" ] && ok "0.005 rounds half up to 0.01" || fail "rounding: $T_OUT"
run "$EVIDENT" impact --affected-users 0 --downtime 1m --sla 99.99 --period 7d --json
[ "$(j 'd["sla"]["allowed_downtime_seconds"]')" = 60.480000 ] && ok "99.99 % of 7 days allows 60.48 s" || fail "7d: $T_OUT"
# what is not given is named, not guessed
run "$EVIDENT" impact --affected-users 10 --downtime 5m --json
[ "$(j 'd["revenue_impact"] is None and "SLA" in d["missing"]')" = True ] && ok "no revenue without a price; missing named" || fail "missing: $T_OUT"

# refusals
for bad in "--revenue-per-user-minute 0.0000001" "--revenue-per-user-minute -1" "--sla 100.5" \
	"--sla 0" "--downtime 42" "--affected-users -3" "--period 0s"; do
	run "$EVIDENT" impact --affected-users 1 --downtime 1m $bad
	expect_rc 2 "refused: $bad"
done
run "$EVIDENT" impact
expect_rc 2 "nothing to work out: usage error"

# from an incident: impact 10:00, mitigated 10:30 -> 30 minutes; 200 users from triage
D=$(date -u -d '-1 day' +%F)
"$EVIDENT" triage -c "$I_CONF" --offline --incident IMP-1 --impact service_outage --urgency high \
	--affected-users 200 --impact-started "${D}T10:00:00Z" --detected "${D}T10:02:00Z" >/dev/null 2>&1 || fail triage
run "$EVIDENT" impact -c "$I_CONF" --incident IMP-1 --json
expect_rc 2 "no t_mitigate yet: the downtime must be given"
inc mitigate IMP-1 --at "${D}T10:30:00Z" >/dev/null || fail mitigate
run "$EVIDENT" impact -c "$I_CONF" --incident IMP-1 --revenue-per-user-minute 0.02 --json
expect_rc 0 "impact of an incident"
[ "$(j 'd["downtime"]') $(j 'd["affected_users"]') $(j 'd["revenue_impact"]')" = "30m 200 120.00" ] &&
	ok "30 minutes from t_impact to t_mitigate x 200 users x 0.02 = 120.00" || fail "incident: $T_OUT"
run "$EVIDENT" impact -c "$I_CONF" --incident NOPE-1
expect_rc 2 "an unknown incident"
done_testing
