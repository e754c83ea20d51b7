#!/bin/sh
# evident report on a crafted incident with two hosts (report-lib.sh): the incident report
# and the postmortem in md, json and html against golden files (times, hashes, ids and
# paths masked); every bundle verified at report time (host 2's with its pinned key; without
# it UNKNOWN_KEY); a tampered bundle shows as failing and the exit status is 1; --seal
# puts the report in the store and records it in the ledger; a template error names its
# file and line. EV_UPDATE_GOLDEN=1 rewrites the golden files.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
. "$EV_SRCDIR/tests/integration/report-lib.sh"
G="$EV_SRCDIR/tests/integration/data/report"
report_incident
[ "$R_HOST2_NAMED" = 1 ] || { echo "# SKIP: no UTS namespace for host 2 (unshare -u)"; exit 77; }
rep() { "$EVIDENT" report -c "$I_CONF" $R_INC --pub "$T_TMP/keys/host2.pub" \
	--revenue-per-user-minute 0.05 --sla 99.9 --total-users 50000 "$@"; }
golden() { # NAME ARGS...: compare the normalized report with $G/NAME
	_n=$1
	shift
	run rep "$@"
	expect_rc 0 "$_n: written, every bundle verifies"
	printf '%s\n' "$T_OUT" | normalize >"$T_TMP/$_n"
	if [ "${EV_UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$T_TMP/$_n" "$G/$_n"
	fi
	if diff -u "$G/$_n" "$T_TMP/$_n" >"$T_TMP/diff"; then
		ok "$_n matches the golden file"
	else
		fail "$_n differs from the golden file: $(head -40 "$T_TMP/diff")"
	fi
}
golden incident.md
golden postmortem.md --postmortem
golden incident.json --format json
golden postmortem.json --postmortem --json
golden incident.html --format html
golden postmortem.html --postmortem --format html

# the report says what the evidence says
run rep
expect_out "\| host-2 \| [0-9a-f]{32} \| [0-9a-f]{64} \| verified \|" "host 2's bundle, verified with its pinned key"
expect_out "\| [0-9T:.-]*10:01:00.000000Z \| alert \| alert of rule api-timeouts \(API upstream timeouts\) on host-2" "the alert in host 2's bundle is on the timeline, at its time"
expect_out "Revenue impact: 1800.00" "30 minutes x 1200 users x 0.05 = 1800.00"
expect_out "imported" "this host's custody records the import"
run rep --postmortem
expect_out "A1 .*OVERDUE" "the overdue action item is flagged"
printf '%s' "$T_OUT" | sed -n '/## Timeline/,/## Root Cause/p' | grep -q "carol\|dave\|root" &&
	fail "the postmortem timeline names who did what" || ok "blameless: the postmortem timeline names no one"
# without the pinned key, host 2's bundle cannot be authenticated: said, exit 1
run "$EVIDENT" report -c "$I_CONF" $R_INC
expect_rc 1 "without --pub: exit 1"
expect_out "host-2 .*UNKNOWN_KEY" "host 2's bundle: UNKNOWN_KEY"
# what nobody recorded is TO DO, not invented
"$EVIDENT" triage -c "$I_CONF" --offline --incident BARE-1 --impact internal_error --urgency low >/dev/null 2>&1
run "$EVIDENT" report -c "$I_CONF" BARE-1
expect_out "TO DO: what happened and why" "no root cause recorded: TO DO"
expect_out "Revenue impact: TO DO" "no price given: TO DO"

# --seal: into the store, recorded in the ledger; the sealed copy is the written one
run rep --postmortem -o "$T_TMP/pm.md" --seal --as carol
expect_rc 0 "--seal"
L=$(ledger $R_INC)
tail -1 "$L" | grep -q '"action":"report_sealed"' && ok "a report_sealed entry" || fail "ledger: $(tail -1 "$L" | cut -c1-300)"
H=$(sha256sum "$T_TMP/pm.md" | cut -d' ' -f1)
tail -1 "$L" | grep -q "\"report_sha256\":\"$H\"" && ok "it names the report's SHA-256" || fail "hash"
BID=$(tail -1 "$L" | sed -n 's/.*"bundle_id":"\([0-9a-f]*\)".*/\1/p')
B=$(ls "$I_STORE"/bundles/*"$BID"*)
tar xzf "$B" -O --wildcards 'evidence/files/*pm.md' | cmp -s - "$T_TMP/pm.md" && ok "the bundle holds the report as written" || fail "sealed copy differs"
run "$EVIDENT" verify "$I_STORE"
expect_rc 0 "the store verifies with the report sealed"
run "$EVIDENT" verify "$I_STATE/incidents/$R_INC"
expect_rc 0 "the incident ledger verifies"
run rep --seal
expect_rc 2 "--seal without -o: usage error"

# a tampered bundle fails verification in the report
B1=$(sed -n 's/.*"action":"evidence".*"bundle":"\([^"]*\)".*"why":"triage".*/\1/p' "$L" | head -1)
chattr -i "$B1" 2>/dev/null
chmod u+w "$B1"
printf 'X' | dd of="$B1" bs=1 seek=300 conv=notrunc 2>/dev/null
run rep
expect_rc 1 "a tampered bundle: exit 1"
printf '%s\n' "$T_OUT" | grep "$(basename "$B1" .tar.gz | sed 's/^[0-9]*-//')" | grep -q "FAILED" &&
	ok "the tampered bundle shows FAILED" || fail "tampered: $(printf '%s' "$T_OUT" | grep -A4 'Evidence bundles')"
expect_out "1 bundle\(s\) do not verify now" "the report says one bundle does not verify"
# a valid bundle of the same store in its place is not the bundle the incident recorded
cp "$B" "$B1"
run rep
expect_rc 1 "another valid bundle in its place: exit 1"
expect_out "FAILED\*\* MANIFEST_MISMATCH" "MANIFEST_MISMATCH"

# a template error names the file and the line
printf '# {{incident}}\n\n{{#timeline}}\n{{nosuch}}\n{{/timeline}}\n' >"$T_TMP/bad.md"
run "$EVIDENT" report -c "$I_CONF" BARE-1 --template "$T_TMP/bad.md"
expect_rc 2 "a template error: exit 2"
expect_err "bad.md:4:1: no field 'nosuch'" "the error names file, line and column"
printf '{{#a}}\n' >"$T_TMP/bad2.md"
run "$EVIDENT" report -c "$I_CONF" BARE-1 --template "$T_TMP/bad2.md"
expect_err "bad2.md:1:1: section" "an unclosed section names its line"
done_testing
