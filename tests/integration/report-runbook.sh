#!/bin/sh
# evident runbook: every impact type renders in md and html with the seed's eight phases,
# the configured contacts in escalation order and the suggested containment; then every
# `evident ...` command the generated runbook names is run, in order, in a temporary
# setup (its own store, state and configuration), and each must succeed: a runbook that
# names a command or option evident no longer has fails here.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
I_CONTACTS='"sre-engineer: sre-oncall@example.org, sre-lead@example.org", "devops-incident-responder: ops@example.org"'
incident_config '  commands: ["restart-service=/bin/true", "rollback=/bin/true"]'
for t in data_breach service_outage service_degradation security_violation compliance_issue \
	user_complaints internal_error; do
	for f in md html; do
		run "$EVIDENT" runbook -c "$I_CONF" --impact $t --format $f
		expect_rc 0 "runbook $t ($f)"
		n=0
		for p in Detect Triage Contain "Preserve evidence" Communicate Resolve Validate Postmortem; do
			printf '%s' "$T_OUT" | grep -q "[0-9]\. $p" && n=$((n + 1))
		done
		[ $n -eq 8 ] || fail "runbook $t ($f): $n of the 8 phases"
	done
done
ok "every impact type has the eight phases in md and html"
run "$EVIDENT" runbook -c "$I_CONF" --impact service_outage
expect_out "sre-engineer: sre-oncall@example.org sre-lead@example.org" "contacts in escalation order"
expect_out "evident incident run --config [^ ]* INC-ID restart-service" "a configured containment action with its command"
run "$EVIDENT" runbook -c "$I_CONF" --impact data_breach
expect_out "isolate-host: not configured here" "an action not configured is said so, with no command"
run "$EVIDENT" runbook --impact nosuch
expect_rc 2 "an unknown impact type"
run "$EVIDENT" runbook --impact data_breach --incident '../x'
expect_rc 2 "an incident id that is not one"
printf '{{#phases}}\n' >"$T_TMP/bad.md"
run "$EVIDENT" runbook --impact data_breach --template "$T_TMP/bad.md"
expect_err "bad.md:1:1:" "a template error names the file and line"

# run every command of the service_outage runbook, in order
"$EVIDENT" runbook -c "$I_CONF" --impact service_outage --incident RB-1 >"$T_TMP/rb.md" || fail runbook
"$EVIDENT" runbook -c "$I_CONF" --impact service_outage --incident RB-1 --format html >"$T_TMP/rb.html" || fail runbook
grep -o '`evident [^`]*`' "$T_TMP/rb.md" | tr -d '`' >"$T_TMP/cmds"
sed -n 's/.*<code>\(evident [^<]*\)<\/code>.*/\1/p' "$T_TMP/rb.html" | sed 's/&quot;/"/g' >"$T_TMP/hcmds"
[ "$(wc -l <"$T_TMP/cmds")" -ge 15 ] && ok "the runbook names $(wc -l <"$T_TMP/cmds") commands" || fail "commands: $(cat "$T_TMP/cmds")"
cmp -s "$T_TMP/cmds" "$T_TMP/hcmds" && ok "the HTML runbook names the same commands" || fail "md/html differ: $(diff "$T_TMP/cmds" "$T_TMP/hcmds")"
cd "$T_TMP" || fail cd

while IFS= read -r c; do
	eval "run \"\$EVIDENT\" ${c#evident }"
	[ "$T_RC" -eq 0 ] && ok "runs: $c" || fail "$c: exit $T_RC: $(printf '%s' "$T_ERR" | head -3)"
done <"$T_TMP/cmds"
[ -s "$T_TMP/postmortem-RB-1.md" ] && grep -q "^# Postmortem: RB-1" "$T_TMP/postmortem-RB-1.md" && ok "the runbook's postmortem was written" || fail "no postmortem"
run inc show RB-1 --json
[ "$(jfield "$T_OUT" 'd["state"]')" = closed ] && ok "following the runbook closed the incident" || fail "state: $T_OUT"
done_testing
