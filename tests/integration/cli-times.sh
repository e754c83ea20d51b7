#!/bin/sh
# Times people type, through the real binary: `seal --since/--until` (read back from the
# bundle's manifest), `prune --before` and `replay --now` share one parser. Zone-less
# times are local: TZ is a POSIX zone string 5:30 east of UTC, so local and UTC differ and
# no zoneinfo files are needed.
. "$EV_SRCDIR/tests/integration/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read the manifest"
TZ=EVT-5:30
export TZ
cd "$T_TMP" || exit 1
"$EVIDENT" keygen --out "$T_TMP/keys" >/dev/null 2>&1 || { fail "keygen"; done_testing; }
echo "a line" > f.log
n=0
# window SINCE UNTIL: seal offline with that window; prints "since_us until_us"
window() {
	n=$((n + 1))
	"$EVIDENT" seal --offline --no-immutable --store "$T_TMP/st" --key "$T_TMP/keys/evident.key" \
		--file f.log --since "$1" --until "$2" --json >"$T_TMP/seal.json" 2>"$T_TMP/seal.err" || {
		echo "seal failed: $(cat "$T_TMP/seal.err")" >&2; echo "x x"; return; }
	b=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bundle"])' "$T_TMP/seal.json")
	"$EVIDENT" show --json --no-record --pub "$T_TMP/keys/evident.pub" "$b" 2>/dev/null >"$T_TMP/show.json" ||
		"$EVIDENT" show --json --pub "$T_TMP/keys/evident.pub" "$b" 2>/dev/null >"$T_TMP/show.json"
	python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["window"]; print(w["since_us"], w["until_us"])' "$T_TMP/show.json"
}
# expect_window SINCE UNTIL WANT_SINCE_US WANT_UNTIL_US DESCRIPTION
expect_window() {
	got=$(window "$1" "$2")
	if [ "$got" = "$3 $4" ]; then ok "$5"; else fail "$5: got '$got', want '$3 $4'"; fi
}
H14L=1795941000000000 # 2026-11-29 14:00 at +05:30 = 08:30Z
H15L=1795944600000000
H14Z=1795960800000000 # 2026-11-29T14:00:00Z
expect_window '2026-11-29 14:00:00' '2026-11-29 15:00:00' $H14L $H15L "'YYYY-MM-DD HH:MM:SS' is local time"
expect_window '2026-11-29T14:00:00' '2026-11-29T15:00' $H14L $H15L "'YYYY-MM-DDTHH:MM[:SS]' without a zone is local time"
expect_window '2026-11-29T14:00:00Z' '2026-11-29 19:30:00+05:30' $H14Z $H14Z "zoned times are what they say"
expect_window '@1795960800' '2026-11-29 14:00:00 UTC' $H14Z $H14Z "@EPOCH and ' UTC'"
expect_window '2026-11-29' '2026-11-29 05:30' 1795890600000000 1795910400000000 "a bare date is local midnight (18:30Z the day before)"

# relative forms and named days: check the differences (now moves between runs)
span() { set -- $(window "$1" "$2"); [ "$1" != x ] && echo $((($2 - $1) / 1000000)); }
expect_span() { got=$(span "$1" "$2"); if [ "$got" = "$3" ]; then ok "$4"; else fail "$4: span '$got' s, want $3"; fi; }
expect_span -1h30m now 5400 "-1h30m is 90 minutes before now"
expect_span '-1h 30min' now 5400 "'-1h 30min' (systemd spelling)"
expect_span -1w now 604800 "-1w is a week"
expect_span '2h ago' now 7200 "'2h ago'"
expect_span yesterday today 86400 "yesterday to today is one day"
expect_span today tomorrow 86400 "today to tomorrow is one day"
set -- $(window today now)
if [ $((($1 / 1000000 + 19800) % 86400)) -eq 0 ] && [ "$2" -ge "$1" ]; then ok "today is local midnight"
else fail "today: $1 is not a local midnight"; fi

# refused: one line naming the accepted forms, then the hint; exit 2
run "$EVIDENT" seal --offline --store "$T_TMP/st" --key "$T_TMP/keys/evident.key" --file f.log --since soon
expect_rc 2 "seal --since soon is refused"
expect_err "^evident: --since/--until: want .*yesterday.*-1h30m" "the message lists the forms"
expect_err "^Try 'evident seal --help'.\$" "and points at the help"

# the same parser behind prune --before and replay --now
run "$EVIDENT" prune --before '2 weeks ago' --reason test --key "$T_TMP/keys/evident.key" "$T_TMP/st"
expect_rc 0 "prune --before '2 weeks ago'"
run "$EVIDENT" prune --before 'yesterday' --reason test --key "$T_TMP/keys/evident.key" "$T_TMP/st"
expect_rc 0 "prune --before yesterday"
run "$EVIDENT" prune --before 'last tuesday' --reason test --key "$T_TMP/keys/evident.key" "$T_TMP/st"
expect_rc 2 "prune --before with an unknown form"
printf 'Nov 29 14:00:00 h1 sshd[1]: hello\n' > r.log
run "$EVIDENT" replay --now '2026-11-29 14:00:00' --json r.log
expect_rc 0 "replay --now takes a typed time"
done_testing
