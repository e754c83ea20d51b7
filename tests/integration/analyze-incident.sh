#!/bin/sh
# Issue 14: `evident analyze --incident INC` analyses the incident's window (t_impact ..
# t_resolve) over every bundle its ledger records, from every host: a bundle sealed here
# by triage and a bundle sealed on a second host (its own store and key, hostname host2)
# joined with `evident incident import`. Lines from both hosts' bundles are analysed, and
# the timeline has the ledger's entries (triage, seals, acknowledgement, note, decision,
# update_sent, resolution) with their hosts, from both hosts.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read JSON answers"
command -v unshare >/dev/null 2>&1 && unshare --uts true 2>/dev/null ||
	skip "unshare --uts is needed to seal as a second host"
mkdir -p "$T_TMP/tmp"
export TMPDIR="$T_TMP/tmp"
HOST1=$(uname -n)
[ "$HOST1" != host2 ] || skip "this host is already called host2"
syslog_t() { LC_ALL=C date -d "$1" '+%b %e %H:%M:%S'; }
# <11>: priority err (user.err)
printf '<11>%s web1 api[7]: upstream payments timed out after 3000 ms\n' "$(syslog_t '-2 min')" >>"$T_TMP/api.log"
incident_config
run "$EVIDENT" triage -c "$I_CONF" --offline --incident INC-9 --impact data_breach --urgency high \
	--impact-started -30m --detected -10m
expect_rc 0 "triage (seals this host's evidence)"

# host 2: its own key and store, its own log, sealed under the hostname host2
"$EVIDENT" keygen --out "$T_TMP/keys" --name host2 >/dev/null 2>&1 || fail "keygen host2"
S2="$T_TMP/host2-store"
{
	printf '<11>%s db2 payments[11]: connection pool exhausted (50 of 50 in use)\n' "$(syslog_t '-4 min')"
	printf '<11>%s db2 payments[11]: connection pool exhausted (50 of 50 in use)\n' "$(syslog_t '-3 min')"
} >"$T_TMP/payments.log"
unshare --uts sh -c 'hostname host2 && exec "$@"' sh "$EVIDENT" seal --offline --store "$S2" \
	--key "$T_TMP/keys/host2.key" --no-immutable --file "$T_TMP/payments.log" --since -1h \
	--incident HOST2-INC --json >"$T_TMP/seal2.json" || fail "seal on host 2: $(cat "$T_TMP/seal2.json")"
B2=$(sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p' "$T_TMP/seal2.json")
run inc import INC-9 "$B2" --pub "$T_TMP/keys/host2.pub"
expect_rc 0 "host 2's bundle imported"
run inc ack INC-9 --at -8m --as alice
expect_rc 0 "ack"
run inc note INC-9 "payments pool saturated on db2" --as alice
expect_rc 0 "note"
run inc decide INC-9 --decision "raise the pool size" --rationale "pool exhausted" --as alice
expect_rc 0 "decision"
run inc update INC-9 "customers informed" --as alice
expect_rc 0 "update sent"
run inc resolve INC-9 --root-cause "pool too small" --resolution "pool raised to 200" --as alice
expect_rc 0 "resolved"

run "$EVIDENT" analyze --config "$I_CONF" --incident INC-9 --json
expect_rc 0 "analyze --incident"
printf '%s\n' "$T_OUT" >"$T_TMP/a.json"
python3 - "$T_TMP/a.json" "$HOST1" <<'PY' && ok "lines of both hosts' bundles analysed; timeline has ledger entries from both hosts" || fail "analysis (see above)"
import json, sys
d = json.load(open(sys.argv[1])); host1 = sys.argv[2]
b = d["bundles"]
assert len({x["bundle"] for x in b}) == 2 and all(x["analysed"] for x in b), b
svc = {s["service"]: s for s in d["services"]}
assert svc["payments"]["errors"] == 2 and svc["api"]["errors"] >= 1, svc
tl = d["timeline"]
kinds = {e["kind"] for e in tl}
for k in ("triage", "seal", "acknowledged", "note", "decision", "update_sent", "resolution", "first_error"):
    assert k in kinds, (k, kinds)
seals = {e.get("host") for e in tl if e["kind"] == "seal"}
assert seals == {host1, "host2"}, seals
assert any(e["kind"] == "note" and e["text"] == "payments pool saturated on db2" and e.get("host") == host1 for e in tl), tl
assert any(e["kind"] == "decision" and "raise the pool size" in e["text"] for e in tl), tl
assert [e["time"] for e in tl] == sorted(e["time"] for e in tl), "not chronological"
assert d["incident"] == "INC-9"
PY
# the window: t_impact (30 minutes ago) .. t_resolve (now)
python3 - "$T_TMP/a.json" <<'PY' && ok "window: from t_impact (-30m) to t_resolve" || fail "window"
import json, sys, datetime as dt
d = json.load(open(sys.argv[1]))
p = lambda s: dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
now = dt.datetime.now(dt.timezone.utc)
assert abs((now - p(d["since"])).total_seconds() - 1800) < 120, d["since"]
assert abs((now - p(d["until"])).total_seconds()) < 120, d["until"]
PY
run "$EVIDENT" analyze --config "$I_CONF" --incident INC-9
expect_rc 0 "text output"
expect_out "seal +bundle .*\(host host2\)" "the text timeline names host 2 for its seal"
expect_out "first_error +\[payments\] connection pool exhausted" "host 2's lines are in the text output"

# the report's call, analyze_incident(): the same timeline as the command, and the chart
API="$EV_BUILDDIR/tests/helpers/analyze-incident-api"
if [ -x "$API" ]; then
	run "$API" "$I_CONF" INC-9 "$T_TMP/api.svg"
	expect_rc 0 "analyze_incident()"
	printf '%s\n' "$T_OUT" >"$T_TMP/api-tl.json"
	python3 - "$T_TMP/a.json" "$T_TMP/api-tl.json" "$T_TMP/api.svg" <<'PY' && ok "analyze_incident(): the command's timeline (both hosts), and an SVG with the ledger's markers" || fail "analyze_incident() (see above)"
import json, sys
cli = json.load(open(sys.argv[1]))["timeline"]; api = json.load(open(sys.argv[2]))
assert [e for e in api if e["kind"] != "seal"] == [e for e in cli if e["kind"] != "seal"], (api, cli)
assert {e.get("host") for e in api if e["kind"] == "seal"} == {e.get("host") for e in cli if e["kind"] == "seal"}
svg = open(sys.argv[3]).read()
assert svg.lstrip().startswith("<svg") or svg.lstrip().startswith("<?xml"), svg[:80]
assert 'data-kind="seal"' in svg and 'data-kind="resolution"' in svg, "markers missing"
PY
	run "$API" "$I_CONF" NO-SUCH "$T_TMP/x.svg"
	expect_rc 2 "analyze_incident() on an unknown incident: an error"
	expect_err "no such incident" "with the reason in errs"
	# the state directory as a parameter (the report's --state-dir), not the configured one
	mkdir -p "$T_TMP/other-state"
	run "$API" "$I_CONF" INC-9 "$T_TMP/x.svg" "$T_TMP/other-state"
	expect_rc 2 "analyze_incident() in another state directory: not there"
	expect_err "no such incident" "the incident is looked for in the given directory"
	cp -r "$I_STATE/incidents" "$T_TMP/other-state/"
	run "$API" "$I_CONF" INC-9 "$T_TMP/y.svg" "$T_TMP/other-state"
	expect_rc 0 "analyze_incident() with the incident copied to the given directory"
	printf '%s\n' "$T_OUT" | cmp -s - "$T_TMP/api-tl.json" && ok "the same timeline from the given directory" ||
		fail "the timeline from the given directory differs"
else
	skip_part "tests/helpers/analyze-incident-api not built"
fi

# a bundle of the incident changed after it was recorded: left out, said so, exit 1
# (another bundle of this store, signed by the same key, in its place)
"$EVIDENT" seal --offline --store "$I_STORE" --key "$T_TMP/keys/k.key" --no-immutable \
	--file "$T_TMP/other.log" --since -1h --json >"$T_TMP/seal3.json" || fail "second seal"
B3=$(sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p' "$T_TMP/seal3.json")
B1=$(grep '"why":"triage"' "$(ledger INC-9)" | sed -n 's/.*"details":{"bundle":"\([^"]*\)".*/\1/p')
chattr -i "$B1" 2>/dev/null
[ -f "$B1" ] && [ -f "$B3" ] && cp "$B3" "$B1" || fail "replace $B1 by $B3"
run "$EVIDENT" analyze --config "$I_CONF" --incident INC-9 --json
expect_rc 1 "a replaced bundle: exit 1"
printf '%s\n' "$T_OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
bad = [b for b in d["bundles"] if not b["analysed"]]
assert len(bad) == 1 and "not the bundle the incident recorded" in bad[0]["reason"], d["bundles"]
' && ok "the replaced bundle is left out: its manifest is not the one the ledger recorded" || fail "replaced bundle: $T_OUT"
run "$EVIDENT" analyze --config "$I_CONF" --incident NO-SUCH
expect_rc 2 "an unknown incident: exit 2"
expect_err "no such incident" "said so"
[ -z "$(ls -A "$TMPDIR")" ] && ok "no temporary file left behind" || fail "left in TMPDIR: $(ls -A "$TMPDIR")"
done_testing
