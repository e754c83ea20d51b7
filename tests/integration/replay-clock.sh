#!/bin/sh
# Zone-less RFC 3164 stamps across a DST change and New Year (issue 10), through replay:
# a brute force whose three failures straddle the repeated hour at the end of DST
# (America/New_York, 2026-11-01 01:59:50 EDT, then 01:00:05 and 01:00:10 EST, 20 s in
# all) and one that straddles Dec 31 -> Jan 1 both fire, with times in order.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/rules-lib.sh"

RULES="$T_TMP/rules.yml"
brute_rules >"$RULES"
fail3() { # fail3 STAMP STAMP STAMP
	for s in "$@"; do echo "$s web1 sshd[1]: Failed password for root from 203.0.113.9 port 1 ssh2"; done
}

fail3 "Nov  1 01:59:50" "Nov  1 01:00:05" "Nov  1 01:00:10" >"$T_TMP/dst.log"
run "$EVIDENT" replay --tz America/New_York --year 2026 --rules "$RULES" "$T_TMP/dst.log"
expect_rc 0 "replay across the end of DST"
expect_out '"first":"2026-11-01T05:59:50.000000Z".*"last":"2026-11-01T06:00:10.000000Z"' \
	"end of DST: the repeated hour is read in order (EDT, then EST)"
expect_err ' 0 late events' "end of DST: nothing late"

fail3 "Mar  8 01:59:50" "Mar  8 03:00:05" "Mar  8 03:00:10" >"$T_TMP/spring.log"
run "$EVIDENT" replay --tz America/New_York --year 2026 --rules "$RULES" "$T_TMP/spring.log"
expect_out '"first":"2026-03-08T06:59:50.000000Z".*"last":"2026-03-08T07:00:10.000000Z"' \
	"start of DST: the skipped hour is 15 s, not an hour"

fail3 "Dec 31 23:59:50" "Jan  1 00:00:05" "Jan  1 00:00:10" >"$T_TMP/newyear.log"
run "$EVIDENT" replay --tz UTC --year 2025 --rules "$RULES" "$T_TMP/newyear.log"
expect_out '"first":"2025-12-31T23:59:50.000000Z".*"last":"2026-01-01T00:00:10.000000Z"' \
	"New Year: Jan 1 follows Dec 31 (no jump back a year)"
expect_err ' 0 late events' "New Year: nothing late"
done_testing
