#!/bin/sh
# The incident ledger is signed and chained like the custody ledger: `evident verify`
# finds an edited, a deleted and a reordered line (INCIDENT_BROKEN) and a ledger signed by
# another key (UNKNOWN_KEY with --pub); `evident incident` refuses to write to a ledger
# that does not verify, and show exits 1 marking the bad lines.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
incident_config
run "$EVIDENT" triage -c "$I_CONF" --offline --incident INC-7 --impact internal_error --urgency low
expect_rc 0 "triage"
for t in one two three; do inc note INC-7 "note $t" >/dev/null || fail "note $t"; done
L=$(ledger INC-7)
cp "$L" "$T_TMP/good"
[ "$(wc -l <"$L")" -eq 6 ] && ok "six entries" || fail "entries: $(wc -l <"$L")"
run "$EVIDENT" verify "$I_STATE/incidents"
expect_rc 0 "the intact ledger verifies"
expect_err "verified \(1 incident ledger\)" "verify says what it checked"
run "$EVIDENT" verify --pub "$T_TMP/keys/k.pub" "$L"
expect_rc 0 "the intact ledger verifies with the pinned key"

tamper() { # tamper DESCRIPTION SED-OR-COMMAND
	cp "$T_TMP/good" "$L"
	eval "$2"
	run "$EVIDENT" verify "$I_STATE/incidents/INC-7"
	expect_rc 1 "$1: verify fails"
	expect_out "^INCIDENT_BROKEN .*incidents/INC-7/ledger.jsonl:[0-9]+" "$1: INCIDENT_BROKEN with the line"
}
tamper "an edited line" "sed -i 's/note two/note 2/' '$L'"
tamper "a deleted line" "sed -i '5d' '$L'"
tamper "reordered lines" "awk 'NR==4{h=\$0;next} NR==5{print;print h;next} {print}' '$T_TMP/good' >'$L'"
tamper "the last line deleted and the first edited" "sed -i -e '\$d' -e '1s/\"summary\":null/\"summary\":\"x\"/' '$L'"

# a broken ledger is read-only, and show marks it
cp "$T_TMP/good" "$L"
sed -i 's/note two/note 2/' "$L"
cp "$L" "$T_TMP/broken"
run inc note INC-7 "more"
expect_rc 2 "a note on a ledger that does not verify is refused"
expect_err "does not verify" "the refusal says why"
cmp -s "$L" "$T_TMP/broken" && ok "nothing written to the broken ledger" || fail "the broken ledger changed"
run "$EVIDENT" triage -c "$I_CONF" --offline --incident INC-7 --impact service_outage --urgency high
expect_rc 1 "a triage onto a ledger that does not verify is refused"
expect_err "INC-7: the incident's ledger does not verify \(2 bad lines\): nothing written" \
	"the triage refusal counts the bad lines (the edited one and the next, whose prev no longer matches)"
cmp -s "$L" "$T_TMP/broken" && ok "the triage wrote nothing" || fail "the triage wrote to the broken ledger"
run inc show INC-7
expect_rc 1 "show exits 1 on a ledger that does not verify"
expect_out "note .*DOES NOT VERIFY" "show marks the bad line"

# another key: UNKNOWN_KEY against a pinned key
cp "$T_TMP/good" "$L"
"$EVIDENT" keygen --out "$T_TMP/keys" --name other >/dev/null 2>&1
run "$EVIDENT" verify --pub "$T_TMP/keys/other.pub" "$L"
expect_rc 1 "a ledger signed by another key does not verify against the pinned one"
expect_out "^UNKNOWN_KEY " "UNKNOWN_KEY"
done_testing
