#!/bin/sh
# A seal interrupted by SIGINT or SIGTERM in the middle of writing its bundle leaves no
# temporary file in the store and no bundle; the next seal continues the chain and the
# store verifies (issue 11 item 5).
. "$EV_SRCDIR/tests/integration/lib.sh"
env --default-signal=INT true 2>/dev/null || skip "env --default-signal not supported"
K="$T_TMP/keys"
mkdir -p "$K"
"$EVIDENT" keygen --out "$K" >/dev/null 2>&1 || { fail "keygen"; done_testing; }
S="$T_TMP/store"
SEAL="$EVIDENT seal --offline --store $S --key $K/evident.key --no-immutable"
echo "small" > "$T_TMP/small"
run $SEAL --copy "$T_TMP/small"
expect_rc 0 "a first seal"
# incompressible and large, at the slowest level: several seconds of writing
head -c 120000000 /dev/urandom > "$T_TMP/big"

for sig in INT TERM; do
	nb=$(ls "$S/bundles" | wc -l)
	# (a background job of a non-interactive shell ignores SIGINT: restore it)
	env --default-signal=INT $SEAL --level 9 --copy "$T_TMP/big" >"$T_TMP/o" 2>"$T_TMP/e" &
	pid=$!
	# wait until the bundle's file is open and growing
	writing=0 i=0
	while [ $i -lt 200 ]; do
		if ls -l "/proc/$pid/fd" 2>/dev/null | grep -q "$S/bundles/"; then writing=1; break; fi
		sleep 0.05; i=$((i + 1))
	done
	[ $writing = 1 ] && ok "SIG$sig: the seal is writing its bundle" || fail "SIG$sig: never saw the bundle being written"
	sleep 0.3
	kill -$sig $pid 2>/dev/null
	wait $pid
	rc=$?
	[ $rc -ne 0 ] && ok "SIG$sig: the seal stopped (exit $rc)" || fail "SIG$sig: the seal finished before the signal; make the input larger"
	left=$(ls -A "$S/bundles" | grep '^\.' || true)
	[ -z "$left" ] && ok "SIG$sig: no temporary file left" || fail "SIG$sig: left behind: $left ($(du -sh "$S/bundles" | cut -f1))"
	[ "$(ls "$S/bundles" | wc -l)" = "$nb" ] && ok "SIG$sig: no bundle placed" || fail "SIG$sig: a bundle was placed"
done
run "$EVIDENT" verify --no-record --pub "$K/evident.pub" "$S"
expect_rc 0 "the store verifies after the interrupted seals"
run $SEAL --copy "$T_TMP/small"
expect_rc 0 "the next seal"
expect_out 'sequence 2' "continues the chain"
done_testing
