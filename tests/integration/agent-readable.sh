#!/bin/sh
# Output people read: `status` shows the sources as a table (JSON only with --json);
# `custody` says what each control request asked (request, incident) and who refused
# peers were; an automatic seal is attributed to the rule that triggered it, not to the
# control socket; colour on a terminal (a pty made by script(1)) for findings and levels,
# none when piped or with NO_COLOR.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

LOG="$T_TMP/auth.log"
RULE_ID=4f1e2d3c-5b6a-4789-9abc-def012345678
agent_rule_config "$RULE_ID" "Readable failed password" "  lookahead: 1s"
"$EVIDENT" keygen --out "$T_TMP/keys" --name other >/dev/null 2>&1 || fail "keygen other"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }
printf 'Nov 27 02:40:00 host1 sshd[1]: Accepted password for alice from 10.1.1.1 port 22 ssh2\n' >>"$LOG"
wait_for "the file is read" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"records\":1[,}]'" ||
	fail "the agent did not read $LOG"

# --- status: a table of sources ---
run "$EVIDENT" status --socket "$A_SOCK"
expect_rc 0 "status"
expect_out '^    KIND +STATE +RECORDS +ERRORS +LAG +LAST EVENT +NAME$' "a header over the sources"
expect_out "^    file +open +1 +0 +0 B +20[0-9-]+T02:40:00Z +$LOG\$" "one row for the file: kind, state, records, errors, lag, last event, name"
printf '%s\n' "$T_OUT" | grep -q '{' && fail "raw JSON in the human status: $(printf '%s\n' "$T_OUT" | grep '{' | head -2)" ||
	ok "no raw JSON in the human status"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"sources":\[\{.*"name":"[^"]*auth.log"' "status --json keeps the source objects"

# --- an automatic seal: attributed to its rule ---
printf 'Nov 27 02:41:00 host1 sshd[2]: Failed password for root from 10.9.9.9 port 22 ssh2\n' >>"$LOG"
seals_ok() { "$EVIDENT" status --json --socket "$A_SOCK" | grep -q "\"seals\":{\"failed\":0,\"ok\":$1,"; }
wait_for "automatic seal" seals_ok 1 || { fail "no automatic seal"; sed 's/^/  | /' "$T_TMP/agent.err"; }
run "$EVIDENT" custody "$T_TMP/store"
expect_rc 0 "custody verifies"
line=$(printf '%s\n' "$T_OUT" | grep ' sealed ' | head -1)
case "$line" in
*"control socket"*) fail "the automatic seal is attributed to the control socket: $line" ;;
*" by rule $RULE_ID (Readable failed password), automatic seal by the agent (pid $A_PID)"*) ok "the automatic seal names its rule" ;;
*) fail "automatic seal line: $line" ;;
esac

# --- control requests in the ledger: what was asked, by whom ---
run "$EVIDENT" triage --socket "$A_SOCK" --incident INC-READ --impact service_outage --urgency low
expect_rc 0 "triage"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	chmod 755 "$T_TMP" "$T_TMP/run"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$EVIDENT" status --socket "$A_SOCK"
	expect_rc 1 "nobody is refused"
	REFUSED=1
fi
run "$EVIDENT" custody "$T_TMP/store"
expect_out "control_request +- by evident pid [0-9]+ \(uid 0, via control socket\): triage incident=INC-READ impact=service_outage" \
	"a control request names the request, its incident and the requesting process"
if [ -n "${REFUSED:-}" ]; then
	expect_out "control_refused +- by .* \(uid 65534, via control socket\): permission_denied, not root" \
		"a refusal names the peer and the reason"
fi
printf '%s\n' "$T_OUT" | grep -q 'by ? ' && fail "an entry without an actor: $(printf '%s\n' "$T_OUT" | grep 'by ? ')" ||
	ok "every entry names its actor"
agent_stop

# --- colour: on a terminal only, never piped, never with NO_COLOR ---
B=$(ls "$T_TMP/store/bundles/"*.tar.gz | head -1)
ESC=$(printf '\033')
if command -v script >/dev/null 2>&1; then
	script -qc "'$EVIDENT' verify --no-record --pub '$T_TMP/keys/other.pub' '$B'" /dev/null >"$T_TMP/tty.out" 2>&1 </dev/null
	grep -q "${ESC}\[[0-9;]*mUNKNOWN_KEY${ESC}\[0m" "$T_TMP/tty.out" && ok "a finding is coloured on a terminal" ||
		fail "no colour on a terminal: $(cat -v "$T_TMP/tty.out" | head -3)"
	NO_COLOR=1 script -qc "'$EVIDENT' verify --no-record --pub '$T_TMP/keys/other.pub' '$B'" /dev/null >"$T_TMP/tty.out" 2>&1 </dev/null
	grep -q UNKNOWN_KEY "$T_TMP/tty.out" && ! grep -q "$ESC" "$T_TMP/tty.out" && ok "NO_COLOR: no escape codes on a terminal" ||
		fail "NO_COLOR: $(cat -v "$T_TMP/tty.out" | head -3)"
	script -qc "'$EVIDENT' rules test --decoders '$EV_SRCDIR/conf/decoders' '$EV_SRCDIR/conf/rules/ssh_bruteforce.yml'" /dev/null >"$T_TMP/tty.out" 2>&1 </dev/null
	grep -q "${ESC}\[[0-9;]*mPASS${ESC}\[0m" "$T_TMP/tty.out" && ok "PASS is coloured on a terminal" ||
		fail "rules test on a terminal: $(cat -v "$T_TMP/tty.out" | head -3)"
	script -qc "'$EVIDENT' demo --data '$EV_SRCDIR/conf'" /dev/null >"$T_TMP/tty.out" 2>&1 </dev/null
	grep -q "ALERT .*\[${ESC}\[[0-9;]*mhigh${ESC}\[0m\]" "$T_TMP/tty.out" && ok "alert levels are coloured on a terminal" ||
		fail "demo on a terminal: $(grep ALERT "$T_TMP/tty.out" | cat -v | head -3)"
else
	echo "# no script(1): the terminal checks are skipped"
fi
run "$EVIDENT" verify --no-record --pub "$T_TMP/keys/other.pub" "$B"
expect_out UNKNOWN_KEY "the finding, piped"
printf '%s%s\n' "$T_OUT" "$T_ERR" | grep -q "$ESC" && fail "escape codes in piped output" || ok "no escape codes when piped"
run "$EVIDENT" demo --data "$EV_SRCDIR/conf"
expect_out 'ALERT .*\[high\]' "demo levels, piped"
printf '%s%s\n' "$T_OUT" "$T_ERR" | grep -q "$ESC" && fail "escape codes in piped demo output" || ok "no escape codes in piped demo output"
done_testing
