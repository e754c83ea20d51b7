#!/bin/sh
# packaging/systemd: `systemd-analyze verify` finds nothing wrong with evident.service
# (ExecStart pointed at the built binary, the man page reference dropped: those name
# installed files, not the unit's own errors), and the offline security exposure is 2.0
# or lower. A deliberately broken unit must be caught, so the check is not vacuous.
. "$EV_SRCDIR/tests/integration/lib.sh"
command -v systemd-analyze >/dev/null 2>&1 || skip "systemd-analyze is not installed"
UNIT="$EV_SRCDIR/packaging/systemd/evident.service"
mkdir -p "$T_TMP/u"
sed -e "s|^ExecStart=/usr/bin/evident |ExecStart=$EVIDENT |" -e '/^Documentation=/d' "$UNIT" >"$T_TMP/u/evident.service"
grep -q "^ExecStart=$EVIDENT agent --foreground" "$T_TMP/u/evident.service" || fail "ExecStart not found in the unit"

run systemd-analyze verify "$T_TMP/u/evident.service"
if [ "$T_RC" -eq 0 ] && [ -z "$T_OUT$T_ERR" ]; then ok "systemd-analyze verify: no findings"
else fail "systemd-analyze verify (exit $T_RC)"; printf '%s\n%s\n' "$T_OUT" "$T_ERR" | sed 's/^/  | /'; fi

# negative control: an unknown key and a bad Type= are reported
sed -e 's/^Type=notify/Type=notifyy/' -e 's/^Restart=on-failure/Restrat=on-failure/' "$T_TMP/u/evident.service" >"$T_TMP/u/broken.service"
run systemd-analyze verify "$T_TMP/u/broken.service"
expect_err "Unknown key 'Restrat'" "verify catches an unknown key"
expect_err "service type" "verify catches a bad Type="

for k in Type=notify WatchdogSec= Restart=on-failure User=evident StateDirectory=evident RuntimeDirectory=evident "SupplementaryGroups=systemd-journal adm"; do
	grep -q "^$k" "$UNIT" && ok "unit sets $k" || fail "unit lacks $k"
done
grep -q '^MemoryDenyWriteExecute=yes' "$UNIT" && fail "MemoryDenyWriteExecute=yes breaks PCRE2 JIT" || ok "MemoryDenyWriteExecute left off (PCRE2 JIT)"

run systemd-analyze security --offline=true --no-pager "$UNIT"
score=$(printf '%s\n' "$T_OUT" | sed -n 's/.*Overall exposure level for evident.service: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then fail "no exposure score (exit $T_RC): $T_ERR"
elif awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then ok "security exposure $score <= 2.0"
else fail "security exposure $score > 2.0"; fi

grep -q '^u *evident ' "$EV_SRCDIR/packaging/systemd/evident.sysusers" && ok "sysusers creates user evident" || fail "sysusers lacks user evident"
grep -q '^m *evident systemd-journal' "$EV_SRCDIR/packaging/systemd/evident.sysusers" && ok "sysusers adds evident to systemd-journal" || fail "sysusers lacks systemd-journal"
grep -q '^d */var/lib/evident/store ' "$EV_SRCDIR/packaging/systemd/evident.tmpfiles" && ok "tmpfiles creates the store" || fail "tmpfiles lacks the store"
done_testing
