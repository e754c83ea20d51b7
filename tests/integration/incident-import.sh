#!/bin/sh
# Cases that span hosts: a bundle sealed on another host (a second store with its own
# key) joins the incident after verifying against the pinned key, with an `evidence`
# entry and an `imported` entry in this host's custody ledger; a bundle signed by an
# unknown key, a modified bundle and import without --pub are refused with nothing written.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
incident_config
run "$EVIDENT" triage -c "$I_CONF" --offline --incident INC-5 --impact data_breach --urgency immediate
expect_rc 0 "triage on this host"
L=$(ledger INC-5)
"$EVIDENT" keygen --out "$T_TMP/keys" --name host2 >/dev/null 2>&1
"$EVIDENT" keygen --out "$T_TMP/keys" --name stranger >/dev/null 2>&1
S2="$T_TMP/host2-store"
seal2() {
	"$EVIDENT" seal --offline --store "$S2" --key "$T_TMP/keys/host2.key" --no-immutable \
		--file "$T_TMP/api.log" --since -1h --incident HOST2-INC --json >"$T_TMP/seal2.json"
	sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p' "$T_TMP/seal2.json"
}
B2=$(seal2)
[ -f "$B2" ] && ok "a bundle sealed on host 2" || fail "seal on host 2"
cp "$L" "$T_TMP/saved"
cp "$I_STORE/custody.jsonl" "$T_TMP/custody.saved"
unchanged() {
	cmp -s "$L" "$T_TMP/saved" && cmp -s "$I_STORE/custody.jsonl" "$T_TMP/custody.saved" &&
		ok "$1: nothing written" || fail "$1: something was written"
}
run inc import INC-5 "$B2"
expect_rc 2 "import without --pub is refused"
run inc import INC-5 "$B2" --pub "$T_TMP/keys/stranger.pub"
expect_rc 2 "a bundle signed by an unknown key is refused"
expect_err "refused: .*UNKNOWN_KEY" "the refusal names UNKNOWN_KEY"
unchanged "unknown key"
cp "$B2" "$T_TMP/modified.tar.gz"
printf 'X' | dd of="$T_TMP/modified.tar.gz" bs=1 seek=200 conv=notrunc 2>/dev/null
run inc import INC-5 "$T_TMP/modified.tar.gz" --pub "$T_TMP/keys/host2.pub"
expect_rc 2 "a modified bundle is refused"
unchanged "modified bundle"

run inc import INC-5 "$B2" --pub "$T_TMP/keys/host2.pub" --as alice
expect_rc 0 "the bundle verifies against the pinned key and is imported"
M2=$(sed -n 's/.*"manifest_sha256":"\([0-9a-f]*\)".*/\1/p' "$T_TMP/seal2.json")
tail -1 "$L" | grep -q '"action":"evidence"' && tail -1 "$L" | grep -q "\"manifest_sha256\":\"$M2\"" &&
	tail -1 "$L" | grep -q '"source_incident":"HOST2-INC"' && ok "an evidence entry with the manifest hash and host 2's incident" ||
	fail "entry: $(tail -1 "$L" | cut -c1-500)"
tail -1 "$I_STORE/custody.jsonl" | grep -q '"action":"imported"' && tail -1 "$I_STORE/custody.jsonl" | grep -q '"incident":"INC-5"' &&
	ok "this host's custody ledger records the import" || fail "custody: $(tail -1 "$I_STORE/custody.jsonl" | cut -c1-300)"
run "$EVIDENT" verify "$I_STORE"
expect_rc 0 "this host's store still verifies"

# a whole store: verified as a store, then each bundle
seal2 >/dev/null
run inc import INC-5 "$S2" --pub "$T_TMP/keys/stranger.pub"
expect_rc 2 "a store signed by an unknown key is refused"
run inc import INC-5 "$S2" --pub "$T_TMP/keys/host2.pub"
expect_rc 0 "import of host 2's store"
[ "$(grep -c '"why":"import"' "$L")" -eq 3 ] && ok "both of its bundles joined (three imports in all)" || fail "imports: $(grep -c '"why":"import"' "$L")"
run inc show INC-5 --json
expect_out '"evidence":\[' "show lists the evidence of every host"
run "$EVIDENT" verify "$I_STATE/incidents"
expect_rc 0 "the incident ledger verifies"
done_testing
