#!/bin/sh
# The HTML incident report and postmortem in headless Chromium: the DOM Chromium builds
# holds every section of the seed's structure (and no script, no external resource), the
# evidence table lists both hosts' bundles, and a screenshot is rendered. SKIP without
# chromium.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
. "$EV_SRCDIR/tests/integration/report-lib.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "# SKIP: chromium is not installed"; exit 77; }
report_incident
chrome() { # FILE ARGS...: headless, no network, a throwaway profile
	_f=$1
	shift
	HOME="$T_TMP" timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$T_TMP/chrome" --disable-extensions "$@" "file://$_f" 2>>"$T_TMP/chrome.err"
}
"$EVIDENT" report -c "$I_CONF" $R_INC --pub "$T_TMP/keys/host2.pub" --format html \
	--revenue-per-user-minute 0.05 --sla 99.9 -o "$T_TMP/incident.html" || fail "html report"
"$EVIDENT" report -c "$I_CONF" $R_INC --pub "$T_TMP/keys/host2.pub" --format html --postmortem \
	-o "$T_TMP/postmortem.html" || fail "html postmortem"
grep -qiE '<script|<link|src="http|url\(' "$T_TMP/incident.html" "$T_TMP/postmortem.html" &&
	fail "the HTML loads something from outside" || ok "self-contained: no script, link or external URL"
grep -q '@media print' "$T_TMP/incident.html" && ok "a print stylesheet" || fail "no print style"

chrome "$T_TMP/incident.html" --dump-dom >"$T_TMP/dom.html"
[ -s "$T_TMP/dom.html" ] || { cat "$T_TMP/chrome.err" | head -5; fail "chromium produced no DOM"; }
for s in "executive-summary:Executive Summary" "timeline:Timeline" "impact:Impact" \
	"root-cause:Root Cause" "resolution:Resolution" "lessons-learned:Lessons Learned" \
	"artifacts:Artifacts"; do
	id=${s%%:*} h=${s#*:}
	grep -q "<section id=\"$id\">" "$T_TMP/dom.html" && grep -q "<h2>$h</h2>" "$T_TMP/dom.html" &&
		ok "incident report DOM: $h" || fail "incident report DOM lacks $h"
done
grep -c '<span class="ok">verified</span>' "$T_TMP/dom.html" | grep -qx 2 && ok "both bundles verified in the DOM" || fail "bundles: $(grep -c verified "$T_TMP/dom.html")"
grep -q '<td>host-2</td>' "$T_TMP/dom.html" || [ "$R_HOST2_NAMED" != 1 ] && ok "host 2 named" || fail "host 2 missing"
grep -q 'Revenue impact: 1800.00' "$T_TMP/dom.html" && ok "the revenue in the DOM" || fail "revenue missing"
# the chart of evident analyze, inline: an <svg> element in the DOM (not a declaration
# left in the text), with its title, one series per service and the ledger's markers
grep -q '<div class="chart"><svg ' "$T_TMP/dom.html" && ! grep -q '<?xml' "$T_TMP/dom.html" &&
	grep -q '<title>Errors per service</title>' "$T_TMP/dom.html" && ok "the error-rate chart is inline in the DOM" ||
	fail "no inline chart in the DOM"
grep -q 'class="legend"[^>]*>api ' "$T_TMP/dom.html" && grep -q 'class="marker-label"[^>]*>acknowledged<' "$T_TMP/dom.html" &&
	ok "the chart has the api series and the acknowledgement marker" || fail "chart series or markers missing"

chrome "$T_TMP/postmortem.html" --dump-dom >"$T_TMP/pdom.html"
for s in "summary:Summary" "impact:Impact" "timeline:Timeline" "root-cause:Root Cause" \
	"resolution:Resolution" "follow-up:Follow-up"; do
	id=${s%%:*} h=${s#*:}
	grep -q "<section id=\"$id\">" "$T_TMP/pdom.html" && grep -q "<h2>$h</h2>" "$T_TMP/pdom.html" &&
		ok "postmortem DOM: $h" || fail "postmortem DOM lacks $h"
done
[ "$(grep -o '<li>Why[^<]*<span class="todo">TO DO</span></li>' "$T_TMP/pdom.html" | wc -l)" -eq 5 ] &&
	ok "a five-whys scaffold of five TO DOs" || fail "five whys"
grep -q 'OVERDUE' "$T_TMP/pdom.html" && ok "an overdue item flagged" || fail "no OVERDUE"

(cd "$T_TMP" && chrome "$T_TMP/incident.html" --screenshot="$T_TMP/shot.png" --window-size=1024,2000 >/dev/null)
[ "$(head -c 8 "$T_TMP/shot.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
	[ "$(stat -c %s "$T_TMP/shot.png")" -gt 10000 ] && ok "a screenshot rendered ($(stat -c %s "$T_TMP/shot.png") bytes)" ||
	fail "no screenshot: $(head -3 "$T_TMP/chrome.err")"
done_testing
