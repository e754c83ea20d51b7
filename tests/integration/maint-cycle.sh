#!/bin/sh
# evident maintenance on a real service stand-in (issue 18): start seals and verifies a
# pre-change bundle and takes a health baseline; a broken configuration makes finish
# report the regression (exit 1); rollback puts back byte-identical files with their
# owners and modes and the health checks pass again; a change without a change passes;
# a corrupted pre-change bundle refuses the rollback and touches nothing.
. "${EV_SRCDIR:-.}/tests/integration/lib.sh"
. "${EV_SRCDIR:-.}/tests/integration/maint-lib.sh"
[ "$(id -u)" -eq 0 ] || skip "restoring owners needs root"

service_start
maint_config
M="$EVIDENT maintenance -c $M_CONF --no-immutable"
printf 'limit = 10\n' >"$M_SVC/extra.conf"
chown 65534:65534 "$M_SVC/app.conf"; chmod 0640 "$M_SVC/app.conf"; chmod 0600 "$M_SVC/extra.conf"
cp -p "$M_SVC/app.conf" "$T_TMP/app.conf.orig"; cp -p "$M_SVC/extra.conf" "$T_TMP/extra.conf.orig"
perms() { stat -c '%a %u %g' "$1"; }

# 1. start
run $M start CHG-1 --service svc --copy "$M_SVC/app.conf" --copy "$M_SVC/extra.conf" \
	--check "http=python3 $T_TMP/check.py $M_PORT"
expect_rc 0 "start seals the pre-change bundle and opens the window"
expect_out 'pre-change bundle .*\(2 files, verified\)' "the bundle holds the two files and verifies"
expect_out 'baseline http +ok' "the baseline health check passes"
LEDGER="$M_STATE/changes/CHG-1/ledger.jsonl"
BUNDLE=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1])][0]["details"]["bundle"])' "$LEDGER")
run "$EVIDENT" verify --pub "$T_TMP/keys/k.pub" "$BUNDLE"
expect_rc 0 "the pre-change bundle verifies on its own"
run "$EVIDENT" show --no-record "$BUNDLE"
expect_out 'svc.log' "the bundle holds the service's recent log"
expect_out 'processes' "the bundle holds volatile state (processes)"
run $M start CHG-1 --service svc --copy "$M_SVC/app.conf"
expect_rc 2 "a change id is used once"

# 2. the change breaks the configuration
printf 'mode = broken\nthis is not a setting\n' >"$M_SVC/app.conf"
chmod 0644 "$M_SVC/app.conf"; chown 0:0 "$M_SVC/app.conf"
echo 'limit = 99' >"$M_SVC/extra.conf"
kill -HUP "$M_PID"
T_DEADLINE=10 wait_for "the service to reload" grep -q 'is invalid' "$M_LOG"
run $M finish CHG-1
expect_rc 1 "finish reports the regression"
expect_out 'REGRESSION' "the result is a regression"
expect_out 'health http +FAILED' "the health check fails after the change"
expect_out 'new error template: ERROR configuration <\*> is invalid: cannot parse line <\*> \(1 line\)' \
	"the new error template is named: the miner's template, its variable parts masked"
printf '%s\n' "$T_OUT" | grep -q 'new error template: .*INFO' && fail "an INFO line named as an error template" ||
	ok "lines that are no errors are not error templates"
expect_out 'app.conf: changed' "the diff names the changed file"
run $M finish CHG-1
expect_rc 2 "a finished change cannot be finished again"

# 3. rollback
run $M rollback CHG-1
expect_rc 0 "rollback ends healthy"
expect_out 'rolled back, healthy' "the health checks pass again"
expect_out '2 files restored' "both files are restored"
cmp -s "$M_SVC/app.conf" "$T_TMP/app.conf.orig" && cmp -s "$M_SVC/extra.conf" "$T_TMP/extra.conf.orig" &&
	ok "the files are byte-identical to the originals" || fail "restored files differ"
[ "$(perms "$M_SVC/app.conf")" = "$(perms "$T_TMP/app.conf.orig")" ] &&
	[ "$(perms "$M_SVC/extra.conf")" = "$(perms "$T_TMP/extra.conf.orig")" ] &&
	ok "owners and modes are the originals ($(perms "$M_SVC/app.conf"))" ||
	fail "owner/mode: $(perms "$M_SVC/app.conf"), expected $(perms "$T_TMP/app.conf.orig")"
python3 "$T_TMP/check.py" "$M_PORT" >/dev/null && ok "the service answers healthy" || fail "service unhealthy after rollback"
ls "$M_SVC" | grep -q evident-rollback && fail "temporary files left" || ok "no temporary file left beside the files"
run $M show CHG-1
expect_out 'started' "show lists the started entry"
expect_out 'finished +regression' "show lists the regression"
expect_out 'rolled_back +healthy' "show lists the rollback"
run "$EVIDENT" verify --pub "$T_TMP/keys/k.pub" "$LEDGER"
expect_rc 0 "the change's ledger verifies (signed, chained)"
REPL=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1])][-1]["details"]["replaced_bundle"])' "$LEDGER")
run "$EVIDENT" extract --no-record "$REPL" --to "$T_TMP/replaced"
grep -rqs 'this is not a setting' "$T_TMP/replaced" && ok "what the rollback replaced is sealed" || fail "replaced files not sealed"

# 4. a change that changes nothing passes
# an error before the change and the same error (other numbers) after it: one template,
# not new (and the error lines did not double). Both are likely stamped in the second the
# change starts: where each line is in the file decides, not its whole-second time.
printf '%s host svc[1]: ERROR upstream timeout after 120 ms\n' "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" >>"$M_LOG"
run $M start CHG-2 --service svc --copy "$M_SVC/app.conf" --check "http=python3 $T_TMP/check.py $M_PORT"
expect_rc 0 "start CHG-2"
printf '%s host svc[1]: ERROR upstream timeout after 345 ms\n' "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" >>"$M_LOG"
run $M finish CHG-2 --json
expect_rc 0 "finish without a regression passes"
expect_out '"result": *"pass"' "the result is pass"
printf '%s\n' "$T_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin)["errors"]; assert d["new_templates"] == [], d; assert d["after"]["error_lines"] == 1 <= d["before"]["error_lines"], d' &&
	ok "CHG-2: the same error template before and after it: no new template" || fail "CHG-2 errors: $T_OUT"

# 5. a corrupted pre-change bundle refuses the rollback
run $M start CHG-3 --service svc --copy "$M_SVC/app.conf" --check "http=python3 $T_TMP/check.py $M_PORT"
expect_rc 0 "start CHG-3"
B3=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1])][0]["details"]["bundle"])' "$M_STATE/changes/CHG-3/ledger.jsonl")
printf 'mode = broken\n' >"$M_SVC/app.conf"
cp -p "$M_SVC/app.conf" "$T_TMP/broken.copy"
BEFORE=$(stat -c '%Y %a %u %g %i' "$M_SVC/app.conf")
size=$(stat -c %s "$B3")
printf 'X' | dd of="$B3" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
run $M rollback CHG-3
expect_rc 1 "rollback from a corrupted bundle is refused"
expect_err 'rollback refused: the pre-change bundle .* does not verify' "the refusal says why"
cmp -s "$M_SVC/app.conf" "$T_TMP/broken.copy" && [ "$(stat -c '%Y %a %u %g %i' "$M_SVC/app.conf")" = "$BEFORE" ] &&
	ok "the file was not touched" || fail "the refused rollback touched the file"
run $M show CHG-3
expect_out 'rollback_refused' "the refusal is recorded in the ledger"

# 6. list
run $M list
expect_out 'CHG-1 +rolled_back +svc' "list shows CHG-1 rolled back"
expect_out 'CHG-2 +passed' "list shows CHG-2 passed"
run $M list --json
expect_out '^\{"changes":\[.*"change":"CHG-3"' "list --json"
done_testing
