#!/bin/sh
# The status page channel: an approved customer update is published into a directory as
# index.html (no script), status.json and feed.atom, written atomically; headless Chromium
# loads the page (--dump-dom, and a screenshot) and finds the components (the affected one
# degraded, the other operational), the open incident and its update; an unapproved update
# is refused and nothing changes; after the incident is resolved the next update shows it
# in the resolved history with its root cause. Chromium's part is skipped where it is absent.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
. "$EV_SRCDIR/tests/integration/notify-lib.sh"
W="$T_TMP/www"
incident_config
sed -i "s|^  services: .*|  services: [\"api-service: file:$T_TMP/api.log\", \"web-shop: file:$T_TMP/other.log\"]|" "$I_CONF"
cat >>"$I_CONF" <<EOC
notify:
  channels:
    - name: status
      type: statuspage
      dir: $W
      title: Example Corp status
      audiences: [customer]
EOC
run "$EVIDENT" triage -c "$I_CONF" --offline --incident INC-S --impact service_outage --urgency high --service api-service
expect_rc 0 "triage"
run msg INC-S --audience customer --send --text "Checkout pages are slow"
expect_rc 2 "an unapproved status page update is refused"
[ ! -e "$W/index.html" ] && ok "nothing published" || fail "the page was written"
run msg INC-S --audience customer --approve --send --text "Checkout pages are slow" --as dana
expect_rc 0 "approved and published"
for f in index.html status.json feed.atom; do
	[ -s "$W/$f" ] && ok "$f written" || fail "$f missing"
done
ls -a "$W" | grep -q '\.tmp' && fail "a temporary file was left" || ok "no temporary files left"
grep -qi '<script' "$W/index.html" && fail "the page has a script" || ok "no JavaScript"
python3 - "$W/status.json" <<'EOP' && ok "status.json: components, the open incident and its update" || fail "status.json: $(cat "$W/status.json")"
import json, sys
d = json.load(open(sys.argv[1]))
c = {x["name"]: x["status"] for x in d["components"]}
assert c == {"api-service": "degraded performance", "web-shop": "operational"}, c
o = d["open_incidents"]
assert len(o) == 1 and o[0]["id"] == "INC-S" and o[0]["state"] == "open", o
assert "Checkout pages are slow" in o[0]["updates"][0]["body"], o
assert d["resolved_incidents"] == [], d
EOP
python3 - "$I_STATE/notify/statuspage-status.jsonl" "$(sent_field INC-S 1 sha256)" <<'EOP' && ok "the ledger's sha256 is the published update's bytes" || fail "published bytes differ from the ledger's hash"
import hashlib, sys
line = open(sys.argv[1], "rb").read().split(b"\n")[0]
assert hashlib.sha256(line).hexdigest() == sys.argv[2], (hashlib.sha256(line).hexdigest(), sys.argv[2])
EOP
python3 -c "import sys,xml.etree.ElementTree as E; t=E.parse(sys.argv[1]); ns={'a':'http://www.w3.org/2005/Atom'}; e=t.findall('a:entry',ns); assert len(e)==1 and 'Checkout pages are slow' in e[0].find('a:content',ns).text" "$W/feed.atom" &&
	ok "the Atom feed parses and has the update" || fail "feed: $(cat "$W/feed.atom")"

if command -v chromium >/dev/null 2>&1; then
	timeout 60 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$T_TMP/chr" \
		--dump-dom "file://$W/index.html" >"$T_TMP/dom.html" 2>"$T_TMP/chr.err"
	grep -q 'api-service</td><td class="degraded">degraded performance' "$T_TMP/dom.html" &&
		grep -q 'web-shop</td><td class="operational">operational' "$T_TMP/dom.html" &&
		ok "Chromium: the components and their states" || fail "dom: $(head -c 600 "$T_TMP/dom.html") $(tail -3 "$T_TMP/chr.err")"
	grep -q 'INC-S &mdash; open\|INC-S — open' "$T_TMP/dom.html" && grep -q 'Checkout pages are slow' "$T_TMP/dom.html" &&
		ok "Chromium: the open incident and its update" || fail "dom: incident missing"
	timeout 60 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$T_TMP/chr" \
		--window-size=1000,900 --screenshot="$T_TMP/page.png" "file://$W/index.html" >/dev/null 2>&1
	[ "$(head -c 4 "$T_TMP/page.png" 2>/dev/null | od -An -c | tr -d ' ')" = '211PNG' ] &&
		ok "Chromium: a screenshot ($(wc -c <"$T_TMP/page.png") bytes)" || fail "no screenshot"
	[ -n "${EV_NOTIFY_SHOT:-}" ] && cp "$T_TMP/page.png" "$EV_NOTIFY_SHOT"
else
	skip_part "chromium is not installed: the page was not loaded in a browser"
fi

# resolved: the next update shows the root cause in the history
run inc resolve INC-S --root-cause "a full disk on db-2" --resolution "disk grown, replica rebuilt"
expect_rc 0 "resolved"
run msg INC-S --audience customer --approve --send --text "Fixed: all pages load normally" --as dana
expect_rc 0 "the resolution update"
python3 - "$W/status.json" <<'EOP' && ok "resolved history with root cause; components operational" || fail "status.json: $(cat "$W/status.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["open_incidents"] == [], d
r = d["resolved_incidents"]
assert len(r) == 1 and r[0]["root_cause"] == "a full disk on db-2" and len(r[0]["updates"]) == 2, r
assert r[0]["updates"][0]["body"].find("Fixed") >= 0, "newest first"
assert all(x["status"] == "operational" for x in d["components"]), d["components"]
EOP
grep -q 'Root cause:</b> a full disk on db-2' "$W/index.html" && ok "the page shows the root cause" || fail "root cause not on the page"
done_testing
