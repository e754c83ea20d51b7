#!/bin/sh
# evident message --send over SMTP to a real server on 127.0.0.1 (aiosmtpd, STARTTLS with a
# test CA made by openssl, mail refused before STARTTLS): the message arrives under TLS with
# RFC 5322 headers (Date, From, To, Subject, Message-ID, MIME UTF-8), the recipients of its
# audience, a UTF-8 body; the ledger's sha256 is that of the bytes the server got. A
# channel with starttls: false is refused by that server (and recorded failed), and a
# server certificate not signed by the configured CA fails verification.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
. "$EV_SRCDIR/tests/integration/notify-lib.sh"
PY=""
for p in python3 /usr/bin/python3; do
	command -v "$p" >/dev/null 2>&1 && "$p" -c 'import aiosmtpd' 2>/dev/null && { PY=$p; break; }
done
[ -n "$PY" ] || skip "python3-aiosmtpd is not installed"
make_ca
mkdir -p "$T_TMP/mail"
"$PY" "$EV_SRCDIR/tests/integration/notify-smtp-receiver.py" --out "$T_TMP/mail" \
	--port-file "$T_TMP/smtp.port" --cert "$T_TMP/srv.pem" --key "$T_TMP/srv.key" 2>"$T_TMP/smtp.err" &
N_PIDS="$N_PIDS $!"
wait_for "smtp server" test -s "$T_TMP/smtp.port" || { fail "smtp server: $(cat "$T_TMP/smtp.err")"; done_testing; }
SP=$(cat "$T_TMP/smtp.port")
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_TMP/other.key" -out "$T_TMP/other-ca.pem" -days 2 \
	-subj "/CN=another CA" >/dev/null 2>&1 || fail "openssl: another CA"
incident_config
cat >>"$I_CONF" <<EOC
notify:
  channels:
    - name: mail
      type: email
      url: smtp://127.0.0.1:$SP
      from: evident@example.org
      to:
        internal: [oncall@example.org, sre-lead@example.org]
        executive: [cto@example.org]
      ca_file: $T_TMP/ca.pem
      audiences: [internal, executive]
    - name: plain
      type: email
      url: smtp://127.0.0.1:$SP
      from: evident@example.org
      to: [oncall@example.org]
      starttls: false
      retry_max: 1
    - name: wrongca
      type: email
      url: smtp://127.0.0.1:$SP
      from: evident@example.org
      to: [oncall@example.org]
      ca_file: $T_TMP/other-ca.pem
      retry_max: 1
EOC
run "$EVIDENT" triage -c "$I_CONF" --offline --incident INC-M --impact service_outage --urgency high
expect_rc 0 "triage"
run msg INC-M --audience internal --send --channel mail --text "Bascule de la base: en cours (ÉTA 10 min) ✓"
expect_rc 0 "email sent"
expect_out "channel mail: delivered" "delivered"
M="$T_TMP/mail/mail-1.eml"
[ -s "$M" ] && ok "the server received one message" || fail "no mail: $(cat "$T_TMP/smtp.err")"
"$PY" - "$M" "$T_TMP/mail/mail-1.json" <<'EOP' && ok "STARTTLS, envelope, RFC 5322 headers, MIME UTF-8 body" || fail "mail: $(head -c 800 "$M")"
import email, email.policy, json, sys
raw = open(sys.argv[1], "rb").read()
env = json.load(open(sys.argv[2]))
assert env["tls"] is True, env
assert env["from"] == "evident@example.org", env
assert sorted(env["to"]) == ["oncall@example.org", "sre-lead@example.org"], env
m = email.message_from_bytes(raw, policy=email.policy.default)
for h in ("Date", "From", "To", "Subject", "Message-ID", "MIME-Version"):
    assert m[h], h
assert m["Message-ID"].startswith("<") and "@" in m["Message-ID"], m["Message-ID"]
assert m["Subject"].startswith("[high] Incident INC-M update"), m["Subject"]
assert m.get_content_type() == "text/plain" and m.get_content_charset() == "utf-8"
body = m.get_content()
assert "Bascule de la base: en cours (ÉTA 10 min) ✓" in body, body
assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), "CRLF line ends"
EOP
same_sha INC-M 1 "$M" "email"
run msg INC-M --audience executive --send --channel mail --text "Decision needed"
expect_rc 0 "executive email"
grep -q '"to": \["cto@example.org"\]' "$T_TMP/mail/mail-2.json" && ok "the executive audience's recipients" || fail "rcpt: $(cat "$T_TMP/mail/mail-2.json")"
run msg INC-M --audience internal --send --channel plain
expect_rc 1 "without STARTTLS the server refuses"
[ "$(sent_field INC-M 3 result)" = failed ] && ok "recorded failed" || fail "result: $(sent_field INC-M 3 result)"
run msg INC-M --audience internal --send --channel wrongca
expect_rc 1 "a server certificate from another CA fails verification"
[ ! -e "$T_TMP/mail/mail-3.eml" ] && ok "nothing was accepted without TLS or verification" || fail "a third mail arrived"
done_testing
