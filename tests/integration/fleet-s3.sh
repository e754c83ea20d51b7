#!/bin/sh
# Evidence shipped to S3 under Object Lock, on a real Ceph radosgw on 127.0.0.1 (issue 16):
# two simulated hosts (two stores, two keys) seal and upload; the chain verifies straight
# from the bucket; deleting a locked version and shortening its retention are refused
# (403); an overwrite leaves the original version and verify reports OBJECT_REPLACED; an
# upload interrupted by stopping radosgw resumes after its restart with nothing lost and
# nothing uploaded twice (versions counted), also when the upload's record was lost; a
# bundle above the multipart threshold goes up in parts; a world-readable credentials
# file is refused; a responder imports both hosts' bundles into one incident.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/fleet-lib.sh"
rgw_start
BUCKET=fleet
[ "$(s3 -X PUT "$S3_ENDPOINT/$BUCKET" -H "x-amz-bucket-object-lock-enabled: true")" = 200 ] &&
	ok "bucket with Object Lock created" || fail "create bucket: $(cat "$T_TMP/s3.body")"

printf 'aws_access_key_id = %s\naws_secret_access_key = %s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >"$T_TMP/creds"
chmod 600 "$T_TMP/creds"
now_syslog() { LC_ALL=C date -d "${1:-now}" '+%b %e %H:%M:%S'; }
printf '%s host sshd[7]: Failed password for root\n' "$(now_syslog '-2 min')" >"$T_TMP/auth.log"
# host_config NAME [extra upload lines]: $T_TMP/NAME.yaml
host_config() {
	"$EVIDENT" keygen --out "$T_TMP/keys" --name "$1" >/dev/null 2>&1 || fail "keygen $1"
	cat >"$T_TMP/$1.yaml" <<EOC
agent:
  state_dir: $T_TMP/$1-state
sources:
  journal: false
  files: [$T_TMP/auth.log]
store:
  path: $T_TMP/$1-store
  key: $T_TMP/keys/$1.key
  upload:
    endpoint: $S3_ENDPOINT
    region: $S3_REGION
    bucket: $BUCKET
    prefix: "$1/{chain}/"
    credentials: $T_TMP/creds
    retention: 1d
${2:-}
EOC
}
seal() { # seal HOST [seal args]
	h=$1; shift
	"$EVIDENT" seal --offline --store "$T_TMP/$h-store" --key "$T_TMP/keys/$h.key" --no-immutable \
		--file "$T_TMP/auth.log" --since -1h "$@" >/dev/null 2>&1 || fail "seal on $h"
}
chain() { sed -n 's/^chain_id //p' "$T_TMP/$1-store/HEAD"; }
host_config hostA
host_config hostB "    multipart_threshold: 5MiB"
seal hostA; seal hostA; seal hostB

# credentials: a world-readable file is refused
chmod 644 "$T_TMP/creds"
run "$EVIDENT" upload -c "$T_TMP/hostA.yaml"
expect_rc 2 "a world-readable credentials file is refused"
expect_err "refusing the credentials .*readable or writable by everyone" "the refusal says why"
chmod 600 "$T_TMP/creds"

run "$EVIDENT" upload -c "$T_TMP/hostA.yaml" --json
expect_rc 0 "host A uploads (nothing left pending)"
nA=$(jfield "$T_OUT" 'len(d["uploaded"])' 2>/dev/null)
[ "${nA:-0}" -ge 5 ] && ok "host A: 2 bundles, key, HEAD and custody ledger uploaded ($nA objects)" || fail "uploaded: $T_OUT"
C="$T_TMP/hostA-store/custody.jsonl"
[ "$(grep -c '"action":"uploaded"' "$C")" -eq 2 ] && ok "two 'uploaded' custody entries" || fail "uploaded entries: $(grep -c '"action":"uploaded"' "$C")"
grep '"action":"uploaded"' "$C" | tail -1 | grep -q '"retention_mode":"COMPLIANCE".*"version_id":"[^"]' &&
	grep '"action":"uploaded"' "$C" | tail -1 | grep -q '"etag":"' && grep '"action":"uploaded"' "$C" | tail -1 | grep -q '"retain_until":"20' &&
	ok "the entry records version id, ETag and the COMPLIANCE retention" || fail "entry: $(grep '"action":"uploaded"' "$C" | tail -1 | cut -c1-600)"
KA="hostA/$(chain hostA)"
B1=$(ls "$T_TMP/hostA-store/bundles" | head -1)
s3 -I "$S3_ENDPOINT/$BUCKET/$KA/bundles/$B1" -D "$T_TMP/h" >/dev/null
grep -qi '^x-amz-object-lock-mode: COMPLIANCE' "$T_TMP/h" && ok "the bucket holds the bundle under COMPLIANCE lock" || fail "HEAD: $(cat "$T_TMP/h")"
run "$EVIDENT" upload -c "$T_TMP/hostA.yaml" --status
expect_rc 0 "upload --status: queue empty"
expect_out "0 pending, 2 bundles uploaded" "status counts the uploaded bundles"

run "$EVIDENT" verify -c "$T_TMP/hostA.yaml" "s3://$BUCKET/$KA/"
expect_rc 0 "host A's chain verifies straight from the bucket"
expect_err "verified \(2 bundles\)" "both bundles verified"

# the lock holds: delete and shortened retention refused
V1=$(grep '"action":"uploaded"' "$C" | head -1 | sed 's/.*"version_id":"\([^"]*\)".*/\1/')
[ "$(s3 -X DELETE "$S3_ENDPOINT/$BUCKET/$KA/bundles/$B1?versionId=$V1")" = 403 ] &&
	ok "deleting the locked version is refused (403)" || fail "delete: $(cat "$T_TMP/s3.body")"
SHORT=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
printf '<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>COMPLIANCE</Mode><RetainUntilDate>%s</RetainUntilDate></Retention>' "$SHORT" >"$T_TMP/ret.xml"
[ "$(s3 -X PUT "$S3_ENDPOINT/$BUCKET/$KA/bundles/$B1?retention=&versionId=$V1" --data-binary @"$T_TMP/ret.xml" \
	-H "Content-MD5: $(openssl md5 -binary "$T_TMP/ret.xml" | base64)")" = 403 ] &&
	ok "shortening the retention is refused (403)" || fail "shorten: $(cat "$T_TMP/s3.body")"

# an overwrite: a second version; the original stays and is what verify checks
echo "forged bundle" >"$T_TMP/forged"
s3 -X PUT "$S3_ENDPOINT/$BUCKET/$KA/bundles/$B1" --data-binary @"$T_TMP/forged" >/dev/null
[ "$(versions "$KA/bundles/$B1")" -eq 2 ] && ok "the overwrite made a second version" || fail "versions after overwrite"
run "$EVIDENT" verify -c "$T_TMP/hostA.yaml" --json "s3://$BUCKET/$KA/"
expect_rc 1 "verify from the bucket reports the overwrite"
expect_out '"code":"OBJECT_REPLACED"' "as OBJECT_REPLACED"
codes=$(printf '%s' "$T_OUT" | grep -o '"code":"[A-Z_]*"' | sort -u | tr '\n' ' ')
[ "$codes" = '"code":"OBJECT_REPLACED" ' ] && ok "and nothing else: the original version verifies" || fail "codes: $codes"

# multipart: a bundle above host B's 5MiB threshold
head -c 6000000 /dev/urandom >"$T_TMP/big.bin"
seal hostB --copy "$T_TMP/big.bin"
run "$EVIDENT" upload -c "$T_TMP/hostB.yaml"
expect_rc 0 "host B uploads, a 6 MB bundle among them"
KB="hostB/$(chain hostB)"
BIG=$(ls -S "$T_TMP/hostB-store/bundles" | head -1)
s3 -I "$S3_ENDPOINT/$BUCKET/$KB/bundles/$BIG" -D "$T_TMP/h" >/dev/null
grep -qi '^etag: "[0-9a-f]*-2"' "$T_TMP/h" && ok "it went up in two parts (multipart ETag)" || fail "ETag: $(grep -i etag "$T_TMP/h")"

# an interrupted upload: radosgw stops with two new bundles sealed; restart; resume
seal hostB; seal hostB
cp -a "$T_TMP/hostB-store" "$T_TMP/hostB-lost" # a copy that never learns of the uploads below
rgw_kill
run "$EVIDENT" upload -c "$T_TMP/hostB.yaml"
expect_rc 1 "with radosgw down the upload fails and stays queued"
run "$EVIDENT" upload -c "$T_TMP/hostB.yaml" --status --json
n=$(jfield "$T_OUT" 'len(d["pending"])')
a=$(jfield "$T_OUT" 'd["pending"][0]["attempts"]')
[ "${n:-0}" -ge 2 ] && [ "${a:-0}" -ge 1 ] && ok "status shows $n pending, attempts and the last error" || fail "status: $T_OUT"
rgw_restart && ok "radosgw restarted" || fail "radosgw restart"
run "$EVIDENT" upload -c "$T_TMP/hostB.yaml"
expect_rc 0 "the upload resumes and completes"
# the copy whose custody ledger lacks the 'uploaded' entries: adopted, not sent again
sed -i "s|$T_TMP/hostB-store|$T_TMP/hostB-lost|; s|$T_TMP/hostB-state|$T_TMP/hostB-lost-state|" "$T_TMP/hostB.yaml"
run "$EVIDENT" upload -c "$T_TMP/hostB.yaml" --json
expect_rc 0 "an upload whose records were lost completes"
[ "$(jfield "$T_OUT" 'len(d["adopted"])')" -eq 2 ] && ok "its 2 bundles sealed after the last upload were found in the bucket and recorded, not sent" || fail "adopted: $T_OUT"
twice=0
for b in $(ls "$T_TMP/hostB-store/bundles"); do
	[ "$(versions "$KB/bundles/$b")" -eq 1 ] || twice=$((twice + 1))
done
[ "$twice" -eq 0 ] && ok "every bundle of host B has exactly one version (nothing uploaded twice)" || fail "$twice bundles with more than one version"
run "$EVIDENT" verify -c "$T_TMP/hostA.yaml" "s3://$BUCKET/$KB/"
expect_rc 0 "host B's chain verifies from the bucket"
expect_err "verified \(4 bundles\)" "all 4 bundles are there (nothing lost)"

# a responder's machine: both hosts' bundles into one incident
"$EVIDENT" keygen --out "$T_TMP/keys" --name resp >/dev/null 2>&1
cat >"$T_TMP/resp.yaml" <<EOC
agent:
  state_dir: $T_TMP/resp-state
sources:
  journal: false
  files: [$T_TMP/auth.log]
store:
  path: $T_TMP/resp-store
  key: $T_TMP/keys/resp.key
  upload:
    endpoint: $S3_ENDPOINT
    region: $S3_REGION
    credentials: $T_TMP/creds
actions:
  seal_commands: []
EOC
run "$EVIDENT" triage -c "$T_TMP/resp.yaml" --offline --incident INC-9 --impact data_breach --urgency immediate
expect_rc 0 "triage on the responder's machine"
L="$T_TMP/resp-state/incidents/INC-9/ledger.jsonl"
run "$EVIDENT" incident -c "$T_TMP/resp.yaml" import INC-9 "s3://$BUCKET/" --pub "$T_TMP/keys/hostA.pub"
expect_rc 2 "import with host B's key not pinned is refused"
n0=$(grep -c '"why":"import"' "$L")
run "$EVIDENT" incident -c "$T_TMP/resp.yaml" import INC-9 "s3://$BUCKET/" --pub "$T_TMP/keys/hostA.pub" --until '-1d'
expect_rc 2 "import of a window with no bundle is refused"
run "$EVIDENT" incident -c "$T_TMP/resp.yaml" import INC-9 "s3://$BUCKET/" --host hostA --pub "$T_TMP/keys/hostA.pub" --since -1h
expect_rc 0 "import --host hostA"
[ "$(grep -c '"why":"import"' "$L")" -eq $((n0 + 2)) ] && ok "host A's 2 bundles joined" || fail "imports: $(grep -c '"why":"import"' "$L")"
run "$EVIDENT" incident -c "$T_TMP/resp.yaml" import INC-9 "s3://$BUCKET/" --host hostB --pub "$T_TMP/keys/hostB.pub" --since -1h
expect_rc 0 "import --host hostB"
[ "$(grep -c '"why":"import"' "$L")" -eq $((n0 + 6)) ] && ok "host B's 4 bundles joined: the incident holds both hosts' evidence" || fail "imports: $(grep -c '"why":"import"' "$L")"
grep '"why":"import"' "$L" | grep -q "\"s3_key\":\"$KA/bundles/$B1\"" && ok "the entry names the S3 key and version" || fail "no s3_key in the ledger"
[ "$(grep -c '"action":"imported"' "$T_TMP/resp-store/custody.jsonl")" -eq 6 ] && ok "6 'imported' entries in the responder's custody ledger" || fail "custody imported entries"
run "$EVIDENT" verify "$T_TMP/resp-state/incidents"
expect_rc 0 "the incident ledger verifies"

# prune removes only bundles whose upload is confirmed (here: host A's first two)
seal hostA; seal hostA
run "$EVIDENT" prune -c "$T_TMP/hostA.yaml" --before "@$(( $(date +%s) + 86400 ))" --reason test --json "$T_TMP/hostA-store"
expect_rc 0 "prune with uploads configured"
expect_out '"pruned":2' "it removed the 2 uploaded bundles"
[ "$(ls "$T_TMP/hostA-store/bundles" | wc -l)" -eq 2 ] && ok "the bundle not yet uploaded (and the head) are kept" || fail "left: $(ls "$T_TMP/hostA-store/bundles")"

# an incident opened on host A: its ledger goes up too, as a new version each time it changes
run "$EVIDENT" triage -c "$T_TMP/hostA.yaml" --offline --incident INC-A --impact data_breach --urgency immediate
expect_rc 0 "triage on host A"
run "$EVIDENT" upload -c "$T_TMP/hostA.yaml"
expect_rc 0 "upload after the triage"
[ "$(versions "$KA/incidents/INC-A/ledger.jsonl")" -eq 1 ] && ok "the incident ledger is in the bucket" || fail "no incident ledger in the bucket"
"$EVIDENT" incident -c "$T_TMP/hostA.yaml" note INC-A "more" >/dev/null 2>&1 || fail "incident note"
run "$EVIDENT" upload -c "$T_TMP/hostA.yaml"
[ "$(versions "$KA/incidents/INC-A/ledger.jsonl")" -eq 2 ] && ok "its change went up as a second version" || fail "versions: $(versions "$KA/incidents/INC-A/ledger.jsonl")"
done_testing
