# A crafted incident on two hosts for the report-*.sh tests (sourced after lib.sh and
# incident-lib.sh): INC-R triaged on this host (store $I_STORE, key k), a bundle sealed
# on host 2 by an alert of rule api-timeouts at D 10:01 (its own store and key; in its own UTS namespace named host-2 when unshare
# works: R_HOST2_NAMED=1) imported with its pinned key, a note, two updates sent, a
# decision, containment, mitigation, a resolution with its root cause, and three action
# items (one overdue, one done). The metric times are fixed (day D, 10:00 impact .. 10:30
# mitigated: 30 minutes of downtime), so reports differ only in wall-clock entry times,
# hashes, ids and paths, which normalize() masks.
R_INC=INC-R
R_HOST2="$T_TMP/host2-store"
report_incident() {
	incident_config
	"$EVIDENT" keygen --out "$T_TMP/keys" --name host2 >/dev/null 2>&1 || fail "keygen host2"
	D=$(date -u -d '-2 days' +%F)
	run "$EVIDENT" triage -c "$I_CONF" --offline --incident $R_INC --impact service_outage \
		--urgency high --affected-users 1200 --service api-service --summary "API requests time out" \
		--impact-started "${D}T10:00:00Z" --detected "${D}T10:05:00Z" --as carol
	expect_rc 0 "triage on host 1"
	set -- "$EVIDENT" seal --offline --store "$R_HOST2" --key "$T_TMP/keys/host2.key" --no-immutable \
		--file "$T_TMP/api.log" --since -1h --incident HOST2-INC --json \
		--trigger "{\"kind\":\"rule\",\"rule\":\"api-timeouts\",\"title\":\"API upstream timeouts\",\"alerts\":[{\"alert_id\":\"a-1\",\"time\":\"${D}T10:01:00Z\",\"count\":5}]}"
	R_HOST2_NAMED=0
	if unshare -u sh -c 'hostname host-2 && exec "$@"' sh "$@" >"$T_TMP/seal2.json" 2>/dev/null; then
		R_HOST2_NAMED=1
	else
		"$@" >"$T_TMP/seal2.json" || fail "seal on host 2"
	fi
	R_B2=$(sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p' "$T_TMP/seal2.json")
	run inc import $R_INC "$R_B2" --pub "$T_TMP/keys/host2.pub" --as carol
	expect_rc 0 "host 2's bundle imported"
	inc assign $R_INC --role commander --person carol --as carol >/dev/null || fail assign
	inc ack $R_INC --at "${D}T10:06:00Z" --as carol >/dev/null || fail ack
	inc note $R_INC "upstream pool exhausted on api" --as dave >/dev/null || fail note
	inc update $R_INC "Investigating API timeouts; next update in 30 minutes" --as carol >/dev/null || fail update
	inc decide $R_INC --decision "roll back release 4.2" --rationale "the errors began with it" --as carol >/dev/null || fail decide
	inc contain $R_INC --at "${D}T10:20:00Z" --as dave >/dev/null || fail contain
	inc mitigate $R_INC --at "${D}T10:30:00Z" --as dave >/dev/null || fail mitigate
	inc update $R_INC "Mitigated: the rollback restored service" --as carol >/dev/null || fail update2
	inc resolve $R_INC --root-cause "release 4.2 halved the upstream connection pool" \
		--resolution "rolled back to 4.1; pool size restored" --as dave >/dev/null || fail resolve
	inc action add $R_INC "alert on upstream pool saturation" --owner dave --deadline -30d --kind detect >/dev/null || fail "action add 1"
	inc action add $R_INC "load-test releases against the pool" --owner erin --deadline 2099-01-01 --kind prevent >/dev/null || fail "action add 2"
	inc action add $R_INC "document the rollback" --owner carol --deadline -40d --kind mitigate >/dev/null || fail "action add 3"
	inc action done $R_INC A3 --note "runbook updated" >/dev/null || fail "action done"
}
# normalize < report: mask what differs from run to run (times, hashes, ids, paths, hosts;
# the chart, whose axes follow the window of an open incident up to now: report-html.sh
# checks it)
normalize() {
	awk '/<svg / && !/<\/svg>/ { sub(/<svg .*/, "<svg>"); printf "%s", $0; skip = 1; next }
		skip && /^<\/svg>/ { sub(/^<\/svg>/, "CHART</svg>"); skip = 0; print; next }
		!skip { print }' |
	sed -E -e 's/"chart_svg": "<svg [^"]*(\\"[^"]*)*"/"chart_svg": "CHART"/' \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z/TIME/g' \
		-e 's/[0-9a-f]{64}/HASH64/g' -e 's/[0-9a-f]{32}/ID32/g' \
		-e 's/"at_us": [0-9]+/"at_us": US/g' -e "s#$T_TMP#TMP#g" \
		-e "s/\\b$(hostname)\\b/HOST/g" -e 's/[0-9]{10}-ID32/SEQ-ID32/g'
}
