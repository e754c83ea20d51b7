#!/bin/sh
# evident message --send to real webhook receivers on 127.0.0.1 (python3 http.server):
# the Slack payload (text plus blocks) with a bearer token from a file only root may read,
# the plain JSON payload, HTTPS verified against a test CA made by openssl (and refused
# without it), a world-readable token file refused, a customer message refused without an
# approval (nothing sent, nothing written) and sent after one, and every update_sent entry's
# sha256 equal to the SHA-256 of the bytes the receiver got, and a failed delivery that
# does not count as an update for the cadence. A template error names FILE:LINE:COL.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
. "$EV_SRCDIR/tests/integration/notify-lib.sh"
make_ca
http_recv plain
P_PLAIN=$PORT
http_recv tls --cert "$T_TMP/srv.pem" --key "$T_TMP/srv.key"
P_TLS=$PORT
printf 's3cr3t-token\n' >"$T_TMP/token"
chmod 600 "$T_TMP/token"
printf 'leaky\n' >"$T_TMP/open-token"
chmod 644 "$T_TMP/open-token"
incident_config
cat >>"$I_CONF" <<EOC
notify:
  channels:
    - name: slack
      type: webhook
      url: http://127.0.0.1:$P_PLAIN/hooks/slack
      payload: slack
      token_file: $T_TMP/token
      audiences: [internal, customer]
    - name: json
      type: webhook
      url: http://127.0.0.1:$P_PLAIN/hooks/json
      payload: json
      audiences: [executive]
    - name: tls
      type: webhook
      url: https://127.0.0.1:$P_TLS/hooks/tls
      payload: json
      ca_file: $T_TMP/ca.pem
      audiences: [executive]
    - name: tls-untrusted
      type: webhook
      url: https://127.0.0.1:$P_TLS/hooks/untrusted
      audiences: [executive]
      retry_max: 1
    - name: leaky
      type: webhook
      url: http://127.0.0.1:$P_PLAIN/hooks/leaky
      token_file: $T_TMP/open-token
      audiences: [executive]
EOC
"$EVIDENT" config check "$I_CONF" >/dev/null 2>"$T_TMP/cfg.err" || fail "config: $(cat "$T_TMP/cfg.err")"
run "$EVIDENT" triage -c "$I_CONF" --offline --incident INC-W --impact service_outage --urgency high \
	--affected-users 40 --service api-service
expect_rc 0 "triage"
run inc ack INC-W
expect_rc 0 "acknowledged: the update cadence runs"
L=$(ledger INC-W)

# internal on the Slack channel, with the bearer token
run msg INC-W --audience internal --send --channel slack --text "Database failover under way" --as carol
expect_rc 0 "internal message sent"
expect_out "channel slack: delivered" "delivered at once"
B="$T_TMP/plain/req-1.body"
[ "$(nreq "$T_TMP/plain")" -eq 1 ] && ok "one request" || fail "requests: $(nreq "$T_TMP/plain")"
python3 - "$B" "$T_TMP/plain/req-1.json" <<'EOP' && ok "Slack payload: text, header and section blocks, bearer token, JSON content type" || fail "slack payload: $(cat "$B")"
import json, sys
b = json.load(open(sys.argv[1])); h = json.load(open(sys.argv[2]))
assert "Database failover under way" in b["text"], b
assert b["text"].startswith("[high] Incident INC-W update"), b["text"]
kinds = [x["type"] for x in b["blocks"]]
assert kinds[:2] == ["header", "section"], kinds
assert "Database failover under way" in b["blocks"][1]["text"]["text"]
assert h["path"] == "/hooks/slack"
assert h["headers"]["Authorization"] == "Bearer s3cr3t-token", h["headers"]
assert h["headers"]["Content-Type"] == "application/json"
EOP
same_sha INC-W 1 "$B" "slack"
[ "$(sent_field INC-W 1 audience) $(sent_field INC-W 1 channel) $(sent_field INC-W 1 result)" = "internal slack delivered" ] &&
	ok "update_sent: audience, channel, result" || fail "update_sent: $(grep update_sent "$L" | head -1)"
grep '"action":"update_sent"' "$L" | grep -q '"name":"carol"' && ok "update_sent: the actor" || fail "actor"
run inc show INC-W
expect_out "update_sent +root .*\"channel\":\"slack\"" "incident show lists the message sent"

# a customer message without approval: refused, nothing sent, nothing written
cp "$L" "$T_TMP/saved"
run msg INC-W --audience customer --send --text "Some pages load slowly"
expect_rc 2 "a customer message without approval is refused"
expect_err "needs a recorded approval" "the refusal says why"
cmp -s "$L" "$T_TMP/saved" && ok "nothing written" || fail "the ledger changed"
[ "$(nreq "$T_TMP/plain")" -eq 1 ] && ok "nothing sent" || fail "requests: $(nreq "$T_TMP/plain")"
run msg INC-W --audience customer --approve --text "Some pages load slowly" --as dana
expect_rc 0 "approval recorded"
sleep 1.1 # the approved text must not change with the clock (next_update, now)
run msg INC-W --audience customer --send --text "Some pages load slowly" --as carol
expect_rc 0 "the approved customer message goes"
B2="$T_TMP/plain/req-2.body"
same_sha INC-W 2 "$B2" "customer"
grep '"action":"update_sent"' "$L" | sed -n 2p | grep -q '"approver":{[^}]*"name":"dana"' && ok "update_sent names the approver" || fail "approver: $(grep update_sent "$L" | sed -n 2p)"
grep -q "We are sorry" "$B2" && ok "the customer template's words" || fail "customer body"
# a different text is not covered by that approval
run msg INC-W --audience customer --send --text "Everything is on fire"
expect_rc 2 "an approval covers only the text approved"

# executive: JSON payload, HTTPS with the test CA, untrusted HTTPS, world-readable token
run msg INC-W --audience executive --send --channel json --channel tls --text "Decision needed: fail over region"
expect_rc 0 "executive to json and tls"
J="$T_TMP/plain/req-3.body"
python3 - "$J" <<'EOP' && ok "JSON payload: incident, audience, subject, body" || fail "json payload: $(cat "$J")"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["type"] == "incident_message" and b["incident"] == "INC-W" and b["audience"] == "executive", b
assert "Executive summary" in b["subject"] and "Business impact" in b["body"], b
EOP
[ "$(nreq "$T_TMP/tls")" -eq 1 ] && ok "HTTPS verified against the test CA" || fail "tls requests: $(nreq "$T_TMP/tls"); $(tail -2 "$T_TMP/tls.err")"
same_sha INC-W 4 "$T_TMP/tls/req-1.body" "https"
due() { inc show INC-W --json | python3 -c "import json,sys; d=json.load(sys.stdin)['next_due']; print(d['what'], d['at'])"; }
DUE_BEFORE=$(due)
run msg INC-W --audience executive --send --channel tls-untrusted
expect_rc 1 "HTTPS without the CA fails"
expect_out "channel tls-untrusted: failed" "reported failed"
[ "$(nreq "$T_TMP/tls")" -eq 1 ] && ok "nothing reached the receiver without verification" || fail "an unverified request went through"
[ "$(sent_field INC-W 5 result)" = failed ] && ok "the failure is recorded" || fail "result: $(sent_field INC-W 5 result)"
[ -n "$DUE_BEFORE" ] && [ "$(due)" = "$DUE_BEFORE" ] && ok "a failed delivery does not reset the update cadence" ||
	fail "next update due moved from $DUE_BEFORE to $(due)"
run msg INC-W --audience executive --send --channel leaky
expect_rc 1 "a world-readable token file is refused"
expect_out "may be read or written by others" "the refusal names the token file"
[ "$(nreq "$T_TMP/plain")" -eq 3 ] && ok "nothing sent with a readable token" || fail "requests: $(nreq "$T_TMP/plain")"

# a site template with an error: FILE:LINE:COL
mkdir -p "$T_TMP/tpl"
printf 'Subject: {{id}}\n\nline two\nstatus {{stat}} here\n' >"$T_TMP/tpl/internal.txt"
printf 'notify:\n  templates_dir: %s/tpl\n' "$T_TMP" >"$T_TMP/site.yaml"
sed -i "s|^notify:|include: [$T_TMP/site.yaml]\nnotify:|" "$I_CONF"
run msg INC-W --audience internal
expect_rc 2 "a template error"
expect_err "tpl/internal.txt:4:8: unknown placeholder 'stat' \(did you mean 'state'\?\)" "names file, line, column and a suggestion"
done_testing
