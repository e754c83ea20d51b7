#!/bin/sh
# The store's copy of the public key (keys/ID.pub) left empty or cut short, as a full disk
# leaves it: the next seal writes it again whole, the chain goes on without a reset, and
# verify passes. (Found by the soak: an empty key file made every later seal reset the
# chain, "chain head invalid (Required key not available)".)
. "$EV_SRCDIR/tests/integration/lib.sh"

S="$T_TMP/store"
"$EVIDENT" keygen --out "$T_TMP/keys" --name k >/dev/null 2>&1 || { fail "keygen"; done_testing; }
printf 'Nov 27 02:40:00 host1 sshd[1]: Accepted password for alice from 10.1.1.1 port 22 ssh2\n' >"$T_TMP/a.log"
seal() { run "$EVIDENT" seal --store "$S" --key "$T_TMP/keys/k.key" --no-immutable --file "$T_TMP/a.log" --since 2026-11-27T00:00:00Z --until 2026-11-28T00:00:00Z; }

seal
expect_rc 0 "first seal"
PUB=$(ls "$S"/keys/*.pub 2>/dev/null | head -1)
[ -n "$PUB" ] || { fail "no public key in $S/keys"; done_testing; }
for damage in empty cut; do
	chmod u+w "$PUB" "$S/keys"
	if [ $damage = empty ]; then : >"$PUB"; else head -c 40 "$T_TMP/keys/k.pub" >"$PUB"; fi
	seal
	expect_rc 0 "seal after the key file was left $damage"
	case "$T_ERR" in *chain_reset* | *"chain state was lost"*) fail "the seal after a $damage key file reset the chain: $T_ERR" ;;
	*) ok "no chain reset after a $damage key file" ;; esac
	cmp -s "$PUB" "$T_TMP/keys/k.pub" && ok "the $damage key file was written again whole" || fail "keys/ still holds a $damage key file"
	seal
	expect_rc 0 "the seal after that"
done
run "$EVIDENT" verify --no-record --pub "$T_TMP/keys/k.pub" "$S"
expect_rc 0 "the store verifies with no finding"
if printf '%s\n' "$T_OUT" | grep -q CHAIN_RESET; then fail "verify reports a chain reset: $T_OUT"; else ok "no CHAIN_RESET"; fi
ls "$S"/keys/.tmp-* >/dev/null 2>&1 && fail "a temporary key file was left in keys/" || ok "no temporary file left in keys/"
done_testing
