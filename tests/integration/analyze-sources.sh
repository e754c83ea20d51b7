#!/bin/sh
# Issue 14: `evident analyze --since T [--until T] [--service S]...` with no input reads the
# configured sources over the window: a sources.files path with its rotated generations
# (PATH.1 and PATH.2.gz), a glob with its own service name, and the journal
# (sources.journal_dir, a real journal file written by systemd-journal-remote). Lines of
# every source in the window are analysed, lines before it are not, --service keeps one.
. "$EV_SRCDIR/tests/integration/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read JSON answers"
JREMOTE=/lib/systemd/systemd-journal-remote
[ -x "$JREMOTE" ] || skip "$JREMOTE is missing (Debian package systemd-journal-remote)"

mkdir -p "$T_TMP/svc" "$T_TMP/journal"
# app.log and its rotated generations: two lines each in the window, one before it
L="$T_TMP/app.log"
printf '<11>Nov 30 10:20:00 web1 app[5]: cache miss for key %s\n' k1 k2 >"$L"
printf '<11>Nov 30 10:15:00 web1 app[5]: cache miss for key %s\n' k3 k4 >"$L.1"
printf '<11>Nov 30 10:12:00 web1 app[5]: cache miss for key %s\n' k5 k6 | gzip >"$L.2.gz"
printf '<11>Nov 30 09:00:00 web1 app[5]: cache miss for key old\n' >"$L.3"
# the glob: lines without a program, named by the source's service
printf '2026-11-30T10:16:00Z invoice %s rendered\n' 1 2 3 >"$T_TMP/svc/billing.log"
# the journal: two entries in the window
jentry() { # jentry EPOCH-US MESSAGE
	printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=jhost\n_SYSTEMD_UNIT=pay.service\nSYSLOG_IDENTIFIER=payd\n_PID=4242\nPRIORITY=3\nMESSAGE=%s\n\n' "$1" "$1" "$2"
}
t0=$(date -u -d 2026-11-30T10:17:00Z +%s)000000
t1=$(date -u -d 2026-11-30T10:18:00Z +%s)000000
{ jentry "$t0" "payment 17 declined"; jentry "$t1" "payment 18 declined"; } |
	"$JREMOTE" -o "$T_TMP/journal/remote.journal" - 2>/dev/null || fail "systemd-journal-remote"
cat >"$T_TMP/evident.yaml" <<EOC
sources:
  journal: true
  journal_dir: $T_TMP/journal
  files:
    - $L
    - {path: "$T_TMP/svc/*.log", service: billing}
EOC
A="--config $T_TMP/evident.yaml --tz UTC --now 2026-12-01T00:00:00Z"
run "$EVIDENT" analyze $A --since 2026-11-30T10:00:00Z --until 2026-11-30T10:30:00Z --json
expect_rc 0 "analyze --since/--until over the configured sources"
printf '%s\n' "$T_OUT" >"$T_TMP/a.json"
python3 - "$T_TMP/a.json" <<'PY' && ok "6 app lines (the file and its rotated generations, .gz included), 3 billing, 2 journal; the line before the window left out" || fail "sources (see above)"
import json, sys
d = json.load(open(sys.argv[1]))
svc = {s["service"]: s for s in d["services"]}
assert svc["app"]["lines"] == 6 and svc["app"]["errors"] == 6, svc["app"]
assert svc["billing"]["lines"] == 3, svc
assert svc["payd"]["lines"] == 2 and svc["payd"]["errors"] == 2, svc
assert d["lines"] == 11, d["lines"]
t = {x["template"]: x for x in d["templates"]}
assert t["cache miss for key <*>"]["count"] == 6, t
assert svc["app"]["first_error"].startswith("2026-11-30T10:12:00"), svc["app"]
PY
run "$EVIDENT" analyze $A --since 2026-11-30T10:00:00Z --until 2026-11-30T10:30:00Z --service payd --json
expect_rc 0 "--service payd"
[ "$(printf '%s' "$T_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([s["service"] for s in d["services"]], d["lines"])')" = "['payd'] 2" ] &&
	ok "--service keeps the journal's payd only" || fail "--service: $T_OUT"
# 10:14 .. 10:30: the app lines of 10:15 and 10:20 are in it; those of 10:12 fall in the
# span before it (counted for surges only), the one of 09:00 in neither
run "$EVIDENT" analyze $A --since 2026-11-30T10:14:00Z --until 2026-11-30T10:30:00Z --json
expect_rc 0 "a narrower window"
[ "$(printf '%s' "$T_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); t=[x for x in d["templates"] if x["template"]=="cache miss for key <*>"][0]; print(t["count"], t["count_before"], t["first"][:19])')" = "4 2 2026-11-30T10:15:00" ] &&
	ok "only the lines in the window count; the rotated generation of 10:12 is the span before" || fail "narrow window: $T_OUT"
run "$EVIDENT" analyze $A
expect_rc 2 "no input and no --since: usage error"
expect_err "no input" "said so"
run "$EVIDENT" analyze $A --assign --since 2026-11-30T10:00:00Z
expect_rc 2 "--assign needs files or bundles"
done_testing
