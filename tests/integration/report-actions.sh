#!/bin/sh
# evident incident action add|done|list: signed action_item entries in the incident's
# ledger, numbered A1, A2...; an owner, a deadline and a kind are required; an unknown or
# already done item is refused with nothing written; open items past their deadline are
# flagged OVERDUE; the ledger still verifies, and a forged entry does not.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
incident_config
"$EVIDENT" triage -c "$I_CONF" --offline --incident ACT-1 --impact internal_error --urgency low >/dev/null 2>&1 || fail triage
L=$(ledger ACT-1)
run inc action list ACT-1
expect_rc 0 "list with no items"
expect_out "no action items" "says there are none"
run inc action add ACT-1 "add a saturation alert" --owner dave --deadline -2d --kind detect --as carol
expect_rc 0 "add A1 (deadline two days ago)"
run inc action add ACT-1 "load-test releases" --owner erin --deadline +30d --kind prevent
expect_rc 0 "add A2"
tail -1 "$L" | grep -q '"action":"action_item"' && tail -1 "$L" | grep -q '"item":"A2"' &&
	tail -1 "$L" | grep -q '"owner":"erin"' && tail -1 "$L" | grep -q '"kind":"prevent"' &&
	ok "an action_item entry with item, owner and kind" || fail "entry: $(tail -1 "$L")"
cp "$L" "$T_TMP/saved"
unchanged() { cmp -s "$L" "$T_TMP/saved" && ok "$1: nothing written" || fail "$1: written"; }
run inc action add ACT-1 "x" --deadline +1d --kind detect
expect_rc 2 "no --owner: refused"
run inc action add ACT-1 "x" --owner a --kind detect
expect_rc 2 "no --deadline: refused"
run inc action add ACT-1 "x" --owner a --deadline soon --kind detect
expect_rc 2 "a deadline that is not a time: refused"
run inc action add ACT-1 "x" --owner a --deadline +1d --kind blame
expect_rc 2 "an unknown kind: refused"
run inc action done ACT-1 A9
expect_rc 2 "done of an unknown item: refused"
run inc action frob ACT-1
expect_rc 2 "an unknown verb"
unchanged "refusals"

run inc action list ACT-1 --json
expect_rc 0 "list --json"
[ "$(jfield "$T_OUT" '[(i["item"], i["status"], i["overdue"]) for i in d["action_items"]]')" = "[('A1', 'open', True), ('A2', 'open', False)]" ] &&
	ok "A1 is overdue, A2 is not" || fail "list: $T_OUT"
run inc action list ACT-1
expect_out "A1 .*OVERDUE" "human list flags A1 OVERDUE"
run inc action done ACT-1 A1 --note "alert added"
expect_rc 0 "A1 done"
run inc action done ACT-1 A1
expect_rc 2 "A1 done twice: refused"
run inc action list ACT-1 --json
[ "$(jfield "$T_OUT" '[(i["item"], i["status"], i["overdue"], i["note"]) for i in d["action_items"]]')" = "[('A1', 'done', False, 'alert added'), ('A2', 'open', False, None)]" ] &&
	ok "A1 done (no longer overdue), with its note" || fail "list after done: $T_OUT"
run "$EVIDENT" verify "$I_STATE/incidents/ACT-1"
expect_rc 0 "the ledger with action items verifies"
# an item whose signature does not verify is not an item
sed -i 's/"owner":"erin"/"owner":"mallory"/' "$L"
run inc action list ACT-1 --json
expect_rc 1 "a forged entry: the ledger does not verify"
jfield "$T_OUT" '[i["owner"] for i in d["action_items"]]' | grep -q mallory && fail "the forged item is listed" || ok "the forged item is not listed"
done_testing
