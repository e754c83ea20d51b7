#!/bin/sh
# evident metrics on a crafted history whose figures are worked out by hand below. Four
# incidents on a fixed clock T0 (two hours ago), times in minutes after T0:
#   A data_breach/immediate (critical): impact 20, detect 30, ack 32, contain 40, resolve 80,
#     closed with root cause, resolution and report
#   B service_outage/high, 10 users (high), service api-service: impact 50, detect 60,
#     ack 68, contain 75, resolve 90, closed without a report
#   C the same fingerprint as B (a repeat: B was resolved before C was declared):
#     impact 100, detect 100, ack 103; open
#   D internal_error/low (low): detect 110, a note at 115; open
# time_to_detect      A 10, B 10, C 0           -> median 10m, p90 10m, mean 6m40s, n 3
# time_to_acknowledge A 2, B 8, C 3             -> median 3m, p90 8m, mean 4m20s, n 3
# time_to_respond     A 2, B 8, C 3, D 5        -> median 4m, p90 8m, mean 4m30s, n 4
# time_to_contain     A 10, B 15                -> median 12m30s, p90 15m, mean 12m30s, n 2
# time_to_resolve     A 50, B 30                -> median 40m, p90 50m, mean 40m, n 2
# impact_to_resolve   A 60, B 40                -> median 50m, p90 60m, mean 50m, n 2
# open 2; repeats 1 of 4 (25%); documentation 1 of 2 closed (50%)
# KPIs: MTTD mean 400s >= 300 missed; acknowledge 260s met; containment 750s met;
#   resolve (critical+high: A 50m, B 30m) mean 2400s met; repeats 25% missed;
#   documentation 50% missed.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read JSON"
incident_config
T0=$(($(date +%s) - 7200))
at() { echo "@$((T0 + $1 * 60))"; }
tri() { # tri ID IMPACT URGENCY USERS IMPACT-MIN DETECT-MIN [SERVICE]
	set -- "$@" ""
	"$EVIDENT" triage -c "$I_CONF" --offline --incident "$1" --impact "$2" --urgency "$3" \
		--affected-users "$4" ${5:+--impact-started "$(at "$5")"} --detected "$(at "$6")" \
		${7:+--service "$7"} >/dev/null || fail "triage $1"
}
step() { inc "$1" "$2" --at "$(at "$3")" >/dev/null || fail "$1 $2 at $3"; }
tri A data_breach immediate 5 20 30
step ack A 32
step contain A 40
inc resolve A --at "$(at 80)" --root-cause "leaked key" --resolution "rotated" >/dev/null || fail "resolve A"
echo report >"$T_TMP/report.md"
inc close A --report "$T_TMP/report.md" >/dev/null || fail "close A"
tri B service_outage high 10 50 60 api-service
step ack B 68
step contain B 75
inc resolve B --at "$(at 90)" --root-cause "bad deploy" --resolution "rolled back" >/dev/null || fail "resolve B"
inc close B >/dev/null || fail "close B"
tri C service_outage high 10 100 100 api-service
step ack C 103
tri D internal_error low 1 "" 110
inc note D "looking" --at "$(at 115)" >/dev/null || fail "note D"

run "$EVIDENT" metrics -c "$I_CONF" --json
expect_rc 0 "metrics --json"
M=$T_OUT
check() { # check PYTHON-EXPR EXPECTED DESCRIPTION
	got=$(jfield "$M" "$1")
	[ "$got" = "$2" ] && ok "$3: $2" || fail "$3: $got, expected $2"
}
st="lambda s: (s['median'], s['p90'], round(s['mean'], 3), s['n'])"
check "($st)(d['overall']['time_to_detect'])" "(600.0, 600.0, 400.0, 3)" "time to detect"
check "($st)(d['overall']['time_to_acknowledge'])" "(180.0, 480.0, 260.0, 3)" "time to acknowledge"
check "($st)(d['overall']['time_to_respond'])" "(240.0, 480.0, 270.0, 4)" "time to respond"
check "($st)(d['overall']['time_to_contain'])" "(750.0, 900.0, 750.0, 2)" "time to contain"
check "($st)(d['overall']['time_to_resolve'])" "(2400.0, 3000.0, 2400.0, 2)" "time to resolve"
check "($st)(d['overall']['impact_to_resolve'])" "(3000.0, 3600.0, 3000.0, 2)" "impact to resolve"
check "(d['incidents'], d['open'])" "(4, 2)" "incidents and open"
check "d['definitions']['time_to_detect']" "t_detect - t_impact" "the definition beside MTTD"
check "($st)(d['by_severity']['high']['time_to_acknowledge'])" "(330.0, 480.0, 330.0, 2)" "high: acknowledge (B 8m, C 3m)"
check "($st)(d['by_severity']['critical']['time_to_resolve'])" "(3000.0, 3000.0, 3000.0, 1)" "critical: resolve"
check "sorted(d['by_severity'])" "['critical', 'high', 'low']" "severities present"
check "($st)(d['by_impact']['service_outage']['time_to_detect'])" "(300.0, 600.0, 300.0, 2)" "service_outage: MTTD (B 10m, C 0)"
check "sorted(d['frequency'].items())" "[('data_breach', 1), ('internal_error', 1), ('service_outage', 2)]" "frequency by type"
check "(d['repeats']['count'], d['repeats']['of'], d['repeats']['percent'])" "(1, 4, 25.0)" "repeats"
check "(d['documentation']['count'], d['documentation']['of'], d['documentation']['percent'])" "(1, 2, 50.0)" "documentation"
check "[(k['kpi'], k['met']) for k in d['kpis']]" \
	"[('mttd', False), ('acknowledge', True), ('containment', True), ('resolve_high', True), ('repeats', False), ('documentation', False)]" "KPIs met and missed"

run "$EVIDENT" metrics -c "$I_CONF"
expect_rc 0 "human output"
expect_out "time_to_detect +median 10m00s +p90 10m00s +mean 6m40s +n 3 +t_detect - t_impact" "MTTD with its definition"
expect_out "KPI mttd .*MISSED" "the missed KPI is said"
run "$EVIDENT" metrics -c "$I_CONF" --prometheus "$T_TMP/evident.prom"
expect_rc 0 "--prometheus"
grep -q '^evident_incident_time_to_acknowledge_seconds{severity="all",stat="median"} 180.000000$' "$T_TMP/evident.prom" &&
	grep -q '^evident_incident_time_to_acknowledge_count{severity="all"} 3$' "$T_TMP/evident.prom" &&
	grep -q '^evident_incident_kpi_met{kpi="documentation"} 0$' "$T_TMP/evident.prom" &&
	grep -q '^# TYPE evident_incidents_open gauge$' "$T_TMP/evident.prom" &&
	ok "textfile format with evident_ names" || { fail "prometheus file"; head -20 "$T_TMP/evident.prom"; }
grep -vq '^\(#\|evident_[a-z_]*\({[^}]*}\)\? [0-9.]*$\)' "$T_TMP/evident.prom" && fail "a line not in the textfile format: $(grep -v '^\(#\|evident_[a-z_]*\({[^}]*}\)\? [0-9.]*$\)' "$T_TMP/evident.prom" | head -1)" || ok "every line is a comment or a sample"
run "$EVIDENT" metrics -c "$I_CONF" --json --until -1h
check2=$(jfield "$T_OUT" "d['incidents']")
[ "$check2" = 0 ] && ok "--until before they were declared: none" || fail "--until: $check2"
run "$EVIDENT" metrics -c "$I_CONF" --since tomorrow-ish
expect_rc 2 "a bad --since"
# a ledger that does not verify is left out and counted
sed -i 's/"looking"/"LOOKING"/' "$(ledger D)"
run "$EVIDENT" metrics -c "$I_CONF" --json
M=$T_OUT
check "(d['incidents'], d['unverified'])" "(3, 1)" "an unverifiable ledger is left out and counted"
done_testing
