#!/bin/sh
# An investigator who received a store but not its signing key reads it without custody
# noise: by default one warning line that names a way out that works; --no-record on
# every reading command (show, extract, prove, verify) records nothing and warns about
# nothing; --custody-log FILE with --key (their own key) keeps their own signed ledger,
# which `evident custody` verifies; --custody-log without --key is refused up front. The
# store's own ledger is never touched.
. "$EV_SRCDIR/tests/integration/lib.sh"
OPK="$T_TMP/operator"
INV="$T_TMP/investigator"
S="$T_TMP/store"
mkdir -p "$OPK" "$INV"
"$EVIDENT" keygen --out "$OPK" >/dev/null 2>&1 || fail "operator keygen"
"$EVIDENT" keygen --out "$INV" --name me >/dev/null 2>&1 || fail "investigator keygen"
printf 'line one\nline two\n' >"$T_TMP/app.log"
run "$EVIDENT" seal --store "$S" --key "$OPK/evident.key" --no-immutable --copy "$T_TMP/app.log"
expect_rc 0 "the operator seals a bundle"
B=$(printf '%s\n' "$T_OUT" | head -n 1)
M="evidence/files$T_TMP/app.log"
ledger_sum() { sha256sum "$S/custody.jsonl" | cut -d' ' -f1; }
L0=$(ledger_sum)

# --- default: the configured store key is not there; one line, with advice that works ---
if [ -e /var/lib/evident/keys/evident.key ]; then
	echo "# an installed store key exists: the no-key default is not checked here"
else
	run "$EVIDENT" show --pub "$OPK/evident.pub" "$B"
	expect_rc 0 "show without any key"
	n=$(printf '%s\n' "$T_ERR" | grep -c .)
	[ "$n" -eq 1 ] && ok "one warning line" || fail "$n lines on stderr, expected 1: $T_ERR"
	expect_err "not recorded.*--custody-log FILE --key .*--no-record" "the warning says how to record or not"
fi

# --- --no-record on every reading command: silent ---
for cmd in "show $B" "extract --to $T_TMP/x1 $B" "prove $B $M" "verify $B"; do
	# shellcheck disable=SC2086
	run "$EVIDENT" ${cmd%% *} --no-record --pub "$OPK/evident.pub" ${cmd#* }
	expect_rc 0 "${cmd%% *} --no-record"
	case "${cmd%% *}" in
	verify) printf '%s\n' "$T_ERR" | grep -q 'record' && fail "verify --no-record warns: $T_ERR" || ok "verify --no-record: no custody warning" ;;
	*) [ -z "$T_ERR" ] && ok "${cmd%% *} --no-record: nothing on stderr" || fail "${cmd%% *} --no-record: stderr: $T_ERR" ;;
	esac
done

# --- --custody-log alone cannot sign: refused before anything is done ---
run "$EVIDENT" show --pub "$OPK/evident.pub" --custody-log "$INV/ledger.jsonl" "$B"
expect_rc 2 "--custody-log without --key is a usage error"
expect_err "custody-log FILE needs --key" "and says what is missing"
[ ! -e "$INV/ledger.jsonl" ] && ok "no ledger written" || fail "a ledger was written without a key"
run "$EVIDENT" show --no-record --custody-log "$INV/ledger.jsonl" --key "$INV/me.key" "$B"
expect_rc 2 "--no-record with --custody-log is a usage error"

# --- --custody-log with the investigator's own key: their own signed ledger ---
LOG="--custody-log $INV/ledger.jsonl --key $INV/me.key --actor investigator"
for cmd in "show $B" "extract --to $T_TMP/x2 $B" "prove --out $T_TMP/p $B $M" "verify $B"; do
	# shellcheck disable=SC2086
	run "$EVIDENT" ${cmd%% *} --pub "$OPK/evident.pub" $LOG ${cmd#* }
	expect_rc 0 "${cmd%% *} into the investigator's ledger"
	printf '%s\n' "$T_ERR" | grep -q 'not recorded' && fail "${cmd%% *}: $T_ERR" || ok "${cmd%% *}: no custody warning"
done
run "$EVIDENT" custody --pub "$INV/me.pub" "$INV/ledger.jsonl"
expect_rc 0 "the investigator's ledger verifies with their public key"
for a in shown extracted exported verified; do
	expect_out " $a .* by investigator" "their ledger records '$a'"
done
# a ledger is untrusted input: control characters in it never reach the terminal
"$EVIDENT" show --pub "$OPK/evident.pub" --custody-log "$INV/ledger.jsonl" --key "$INV/me.key" \
	--actor "$(printf 'evil\033[2Jname')" "$B" >/dev/null 2>&1 || fail "show with a hostile --actor"
run "$EVIDENT" custody --pub "$INV/me.pub" "$INV/ledger.jsonl"
expect_out 'by evil\?\[2Jname ' "custody shows a control character as '?'"
printf '%s' "$T_OUT" | grep -q "$(printf '\033')" && fail "an escape character reached the output" ||
	ok "no escape character in the listing"
run "$EVIDENT" custody --pub "$OPK/evident.pub" "$INV/ledger.jsonl"
expect_rc 1 "and does not verify with the operator's key"

[ "$(ledger_sum)" = "$L0" ] && ok "the store's ledger is untouched" || fail "the store's ledger changed"
done_testing
