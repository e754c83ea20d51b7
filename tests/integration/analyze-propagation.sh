#!/bin/sh
# Issue 14: `evident analyze` on a crafted three-service incident with trace ids: the
# database fails first, then the api 5 s later, then the web tier 7 s after that. The
# analysis must give that order with those gaps, the trace path web -> api -> db, the
# error patterns and the new template, a timeline, a sparkline per service, and a
# well-formed SVG with one series per service and the markers (loaded in headless
# Chromium when it is installed).
. "$EV_SRCDIR/tests/integration/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to check the output"

L="$T_TMP/app.jsonl"
python3 - >"$L" <<'PY'
import json
def t(s): return "2026-11-30T10:%02d:%02dZ" % divmod(s, 60)
ev = []
for i in range(20):  # healthy traffic before the incident: web -> api -> db per trace
    tr = "tr-ok-%d" % i
    ev += [(i * 5, "web", "info", "GET /cart 200 in %d ms" % (10 + i), tr),
           (i * 5 + 1, "api", "info", "handled cart request for user %d" % i, tr),
           (i * 5 + 2, "db", "info", "query ok rows=%d" % i, tr)]
for i in range(10):  # the incident: db first (t=120), api at 125, web at 132
    tr = "tr-bad-%d" % i
    ev += [(120 + i * 2, "db", "error", "connection pool exhausted after %d waits" % (30 + i), tr),
           (125 + i * 2, "api", "error", "upstream db timeout after %d ms" % (5000 + i), tr),
           (132 + i * 2, "web", "error", "GET /cart 502 in %d ms" % (5000 + i), tr)]
for s, svc, lvl, msg, tr in sorted(ev):
    print(json.dumps({"time": t(s), "service": svc, "level": lvl, "message": msg, "trace_id": tr}))
PY

run "$EVIDENT" analyze --json --since 2026-11-30T10:01:00Z --until 2026-11-30T10:03:00Z \
	--mark alert@2026-11-30T10:02:10Z --mark incident@2026-11-30T10:02:20Z \
	--svg "$T_TMP/chart.svg" "$L"
expect_rc 0 "analyze --json --svg over the window"
printf '%s\n' "$T_OUT" >"$T_TMP/a.json"
python3 - "$T_TMP/a.json" <<'PY' && ok "failure order db -> api (+5 s) -> web (+7 s)" || fail "failure order"
import json, sys
a = json.load(open(sys.argv[1]))
p = [(x["service"], x["gap_s"]) for x in a["propagation"]]
print(p)
sys.exit(0 if p == [("db", 0.0), ("api", 5.0), ("web", 7.0)] else 1)
PY
# a healthy request is logged web -> api -> db; a failing one first where it failed
python3 - "$T_TMP/a.json" <<'PY' && ok "trace paths: healthy web -> api -> db; the 10 failing ids db -> api -> web" || fail "trace paths"
import json, sys
a = json.load(open(sys.argv[1]))
print(a["trace_paths"])
bad = [x for x in a["trace_paths"] if x["with_errors"]]
good = [x for x in a["trace_paths"] if not x["with_errors"]]
sys.exit(0 if len(bad) == 1 and bad[0]["path"] == "db -> api -> web" and bad[0]["with_errors"] == 10
         and bad[0]["traces"] == 10 and [g["path"] for g in good] == ["web -> api -> db"] else 1)
PY
python3 - "$T_TMP/a.json" <<'PY' && ok "error patterns with counts, services and first/last; the db error template is new" || fail "error patterns"
import json, sys
a = json.load(open(sys.argv[1]))
err = {t["template"]: t for t in a["templates"] if t["errors"]}
print(sorted(err))
db = err.get("connection pool exhausted after <*> waits")
ok = db and db["count"] == 10 and db["services"] == ["db"] and db["new"] and \
    db["first"] == "2026-11-30T10:02:00.000000Z" and db["last"] == "2026-11-30T10:02:18.000000Z"
ok = ok and len(err) == 3 and err["upstream db timeout after <*> ms"]["services"] == ["api"]
sys.exit(0 if ok else 1)
PY
python3 - "$T_TMP/a.json" <<'PY' && ok "timeline: first errors in order, with the alert and incident marks" || fail "timeline"
import json, sys
a = json.load(open(sys.argv[1]))
tl = [(e["kind"], e.get("service", "")) for e in a["timeline"]]
print(tl)
fe = [s for k, s in tl if k == "first_error"]
onset = {e["text"]: e["time"] for e in a["timeline"] if e["kind"] in ("pattern_onset", "new_pattern")}
if onset.get("GET /cart <*> in <*> ms") != "2026-11-30T10:02:12.000000Z":
    sys.exit(1)  # the onset of a pattern is its first error, not its first line
kinds = [k for k, _ in tl]
sys.exit(0 if fe == ["db", "api", "web"] and "alert" in kinds and "incident" in kinds
         and [e["time"] for e in a["timeline"]] == sorted(e["time"] for e in a["timeline"]) else 1)
PY
# surge: the web 502 template is new, the GET 200 template falls; with a window that
# starts at the incident, the span before it holds the healthy traffic
run "$EVIDENT" analyze --since 2026-11-30T10:02:00Z --until 2026-11-30T10:02:59Z "$L"
expect_rc 0 "human output"
expect_out "Failure order: db -> \(\+5\.000 s\) api -> \(\+7\.000 s\) web" "human: failure order with gaps"
expect_out "^  db .*\|[ ▁▂▃▄▅▆▇█]{60}\|" "human: a sparkline per service"
expect_out "New templates:" "human: new templates listed"
run "$EVIDENT" analyze --service db --json "$L"
printf '%s\n' "$T_OUT" | python3 -c 'import json,sys; a=json.load(sys.stdin); sys.exit(0 if [s["service"] for s in a["services"]] == ["db"] else 1)' &&
	ok "--service keeps one service" || fail "--service"

# trace fields come from analyze.trace_fields unless --trace-field names them
printf 'analyze:\n  trace_fields: [span]\n' >"$T_TMP/cfg.yaml"
run "$EVIDENT" analyze --json --config "$T_TMP/cfg.yaml" "$L"
printf '%s\n' "$T_OUT" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["trace_paths"] == [] else 1)' &&
	ok "analyze.trace_fields without trace_id: no paths" || fail "configured trace fields ignored"
run "$EVIDENT" analyze --json --config "$T_TMP/cfg.yaml" --trace-field trace_id "$L"
printf '%s\n' "$T_OUT" | python3 -c 'import json,sys; sys.exit(0 if len(json.load(sys.stdin)["trace_paths"]) == 2 else 1)' &&
	ok "--trace-field overrides the configuration" || fail "--trace-field"

# the SVG: well-formed, one series per service, markers, axes
python3 - "$T_TMP/chart.svg" <<'PY' && ok "SVG well-formed: 3 series (db, api, web), 3 first-error + alert + incident markers, axis labels" || fail "SVG content"
import sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
r = ET.parse(sys.argv[1]).getroot()
series = [p.get("data-service") for p in r.iterfind(".//s:polyline[@class='series']", ns)]
marks = [m.get("data-kind") for m in r.iterfind(".//s:line[@class='marker']", ns)]
xt = [t.text for t in r.iterfind(".//s:text[@class='xtick']", ns)]
print(series, marks, xt)
ok = sorted(series) == ["api", "db", "web"] and marks.count("first_error") == 3 and \
    "alert" in marks and "incident" in marks and len(xt) == 5 and xt[0] == "10:01:00"
ok = ok and not list(r.iter("{http://www.w3.org/2000/svg}script")) and b"href" not in open(sys.argv[1], "rb").read()
sys.exit(0 if ok else 1)
PY
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROME" ]; then
	timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --user-data-dir="$T_TMP/chrome" \
		--dump-dom "file://$T_TMP/chart.svg" >"$T_TMP/dom.html" 2>"$T_TMP/chrome.err"
	if grep -q 'data-service="db"' "$T_TMP/dom.html" && grep -q 'class="marker"' "$T_TMP/dom.html" &&
		! grep -qi "parsererror\|error on line" "$T_TMP/dom.html"; then
		ok "Chromium loads the SVG (series and markers in the DOM, no parser error)"
	else
		fail "Chromium DOM lacks the chart: $(head -c 300 "$T_TMP/dom.html") $(tail -3 "$T_TMP/chrome.err")"
	fi
	timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --user-data-dir="$T_TMP/chrome" \
		--screenshot="$T_TMP/shot.png" --window-size=900,360 "file://$T_TMP/chart.svg" >/dev/null 2>&1
	[ -s "$T_TMP/shot.png" ] && ok "Chromium renders a screenshot" || fail "no screenshot"
else
	skip_part "chromium not installed: the SVG was not loaded in a browser"
fi
done_testing
