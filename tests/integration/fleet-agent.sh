#!/bin/sh
# The agent ships the store to S3 by itself (store.upload, issue 16), on a real radosgw on
# 127.0.0.1: a bundle sealed while the agent runs is uploaded and recorded within a few
# intervals, in the worker (the control socket keeps answering); `status` shows the
# queue; with radosgw stopped the failure is queued with its error and retried with
# backoff; after radosgw's restart the agent uploads what was waiting, each bundle once.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
. "$EV_SRCDIR/tests/integration/fleet-lib.sh"
trap 'agent_stop; rgw_stop; chattr -R -i "$T_TMP" 2>/dev/null; rm -rf "$T_TMP"' EXIT
rgw_start
BUCKET=fleet
[ "$(s3 -X PUT "$S3_ENDPOINT/$BUCKET" -H "x-amz-bucket-object-lock-enabled: true")" = 200 ] &&
	ok "bucket with Object Lock created" || fail "create bucket: $(cat "$T_TMP/s3.body")"
mkdir -p "$T_TMP/keys"
"$EVIDENT" keygen --out "$T_TMP/keys" --name agent >/dev/null 2>&1 || fail "keygen"
printf 'aws_access_key_id = %s\naws_secret_access_key = %s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >"$T_TMP/creds"
chmod 600 "$T_TMP/creds"
echo "Nov 30 03:00:00 h sshd[1]: hello" >"$T_TMP/a.log"
agent_write_config "$T_TMP/evident.yaml" "  key: $T_TMP/keys/agent.key
  upload:
    endpoint: $S3_ENDPOINT
    bucket: $BUCKET
    prefix: \"h1/{chain}/\"
    credentials: $T_TMP/creds
    retention: 1d
    interval: 1s
    backoff_max: 1s"
seal() {
	"$EVIDENT" seal --offline --store "$T_TMP/store" --key "$T_TMP/keys/agent.key" --no-immutable \
		--file "$T_TMP/a.log" --since -1h >/dev/null 2>&1 || fail "seal"
}
uploaded() { grep -c '"action":"uploaded"' "$T_TMP/store/custody.jsonl" 2>/dev/null || echo 0; }
seal
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
T_DEADLINE=15 wait_for "the first upload" sh -c "[ \$(grep -c '\"action\":\"uploaded\"' '$T_TMP/store/custody.jsonl') -eq 1 ]" &&
	ok "the agent uploaded the bundle sealed before it started" || fail "uploaded entries: $(uploaded)"
seal
T_DEADLINE=15 wait_for "the second upload" sh -c "[ \$(grep -c '\"action\":\"uploaded\"' '$T_TMP/store/custody.jsonl') -eq 2 ]" &&
	ok "and the one sealed while it runs" || fail "uploaded entries: $(uploaded)"
T_DEADLINE=15 wait_for "an empty queue" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"pending\":\[\],'" &&
	ok "status: the upload queue is empty" || fail "status: $("$EVIDENT" status --json --socket "$A_SOCK" | grep -o '"upload":{[^}]*}')"

rgw_kill
seal
T_DEADLINE=15 wait_for "a queued failure" sh -c "'$EVIDENT' status --json --socket '$A_SOCK' | grep -q '\"last_error\":\"[^\"]*connect'" &&
	ok "with radosgw down, status shows the pending bundle and the error" || fail "status: $("$EVIDENT" status --json --socket "$A_SOCK" | grep -o '"upload":{.*')"
run "$EVIDENT" status --socket "$A_SOCK"
expect_out "upload +[1-9][0-9]* pending" "human status shows the queue"
rgw_restart && ok "radosgw restarted" || fail "radosgw restart"
T_DEADLINE=20 wait_for "the resumed upload" sh -c "[ \$(grep -c '\"action\":\"uploaded\"' '$T_TMP/store/custody.jsonl') -eq 3 ]" &&
	ok "after the restart the agent uploaded the waiting bundle" || fail "uploaded entries: $(uploaded)"
once=0
for b in $(ls "$T_TMP/store/bundles"); do
	[ "$(versions "h1/")" -ge 1 ] && [ "$(versions "h1/$(sed -n 's/^chain_id //p' "$T_TMP/store/HEAD")/bundles/$b")" -eq 1 ] && once=$((once + 1))
done
[ "$once" -eq 3 ] && ok "each of the 3 bundles has exactly one version in the bucket" || fail "$once of 3 with one version"
agent_stop
[ "$A_RC" -eq 0 ] && ok "the agent stops cleanly" || fail "agent exit $A_RC"
done_testing
