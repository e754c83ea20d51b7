#!/bin/sh
# Issue 14: `evident analyze BUNDLE...` / `--bundle B` reads a sealed bundle: it is
# verified first and only its verified log members are analysed; a member whose bytes
# were changed is left out and the output says so (exit 1), a bundle whose manifest does
# not authenticate is left out whole, an encrypted bundle (format 2) is reported as not
# readable without a key (no crash), and replay over the same bundle gives the same ids.
. "$EV_SRCDIR/tests/integration/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to rewrite bundles"
mkdir -p "$T_TMP/tmp"
export TMPDIR="$T_TMP/tmp" # where analyze unpacks members: checked empty at the end
"$EVIDENT" keygen --out "$T_TMP/keys" --name k >/dev/null 2>&1 || fail "keygen"
S="$T_TMP/store"
syslog_t() { LC_ALL=C date -d "$1" '+%b %e %H:%M:%S'; }
{
	printf '%s web1 api[7]: upstream timed out after 30 ms\n' "$(syslog_t '-3 min')"
	printf '%s web1 api[7]: upstream timed out after 31 ms\n' "$(syslog_t '-2 min')"
	printf '%s web1 api[7]: ERROR request 17 failed: pool exhausted\n' "$(syslog_t '-2 min')"
} >"$T_TMP/api.log"
{
	printf '%s web1 db[9]: checkpoint complete: wrote 12 buffers\n' "$(syslog_t '-3 min')"
	printf '%s web1 db[9]: checkpoint complete: wrote 40 buffers\n' "$(syslog_t '-1 min')"
} >"$T_TMP/db.log"
"$EVIDENT" seal --offline --store "$S" --key "$T_TMP/keys/k.key" --no-immutable \
	--file "$T_TMP/api.log" --file "$T_TMP/db.log" --since -1h --json >"$T_TMP/seal.json" ||
	fail "seal: $(cat "$T_TMP/seal.json")"
B=$(sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p' "$T_TMP/seal.json")
[ -f "$B" ] && ok "a sealed bundle with two log members" || fail "no bundle"

run "$EVIDENT" analyze --json "$B"
expect_rc 0 "analyze BUNDLE"
printf '%s\n' "$T_OUT" >"$T_TMP/a1.json"
python3 - "$T_TMP/a1.json" <<'PY' && ok "both members verified and analysed: 5 lines, services api and db" || fail "analysis of the bundle (see above)"
import json, sys
d = json.load(open(sys.argv[1]))
b = d["bundles"]
assert len(b) == 2 and all(x["analysed"] for x in b), b
assert d["lines"] == 5, d["lines"]
assert sorted(s["service"] for s in d["services"]) == ["api", "db"], d["services"]
t = [x["template"] for x in d["templates"]]
assert "checkpoint complete: wrote <*> buffers" in t, t
PY
run "$EVIDENT" analyze --bundle "$B"
expect_rc 0 "--bundle B, text"
expect_out "^Bundle .*: verified" "the text output says the bundle verified"
expect_out "analysed evidence/excerpts/.*db.log" "and names the members analysed"

# replay: the same ids, with and without a template store
"$EVIDENT" analyze --assign "$B" >"$T_TMP/r1.txt" 2>/dev/null || fail "--assign BUNDLE"
"$EVIDENT" analyze --assign --state "$T_TMP/st" "$B" >"$T_TMP/r2.txt" 2>/dev/null || fail "--assign --state"
"$EVIDENT" analyze --assign --state "$T_TMP/st" "$B" >"$T_TMP/r3.txt" 2>/dev/null || fail "--assign --state again"
[ "$(wc -l <"$T_TMP/r1.txt")" -eq 5 ] && cmp -s "$T_TMP/r1.txt" "$T_TMP/r2.txt" && cmp -s "$T_TMP/r1.txt" "$T_TMP/r3.txt" &&
	ok "replay over the same bundle gives the same template ids" || fail "replay ids differ: $(cat "$T_TMP/r1.txt" "$T_TMP/r3.txt")"

# rewrite the bundle: same order and names, one member's bytes changed (tar.gz re-made)
rewrite() { # rewrite IN OUT MEMBER-SUFFIX PYTHON-EXPR(data)
	python3 - "$@" <<'PY'
import io, sys, tarfile
src, dst, suffix, expr = sys.argv[1:5]
with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz", format=tarfile.PAX_FORMAT) as tout:
    for m in tin.getmembers():
        data = tin.extractfile(m).read()
        if m.name.endswith(suffix):
            data = eval(expr)
            m.size = len(data)
        tout.addfile(m, io.BytesIO(data))
PY
}
mkdir -p "$T_TMP/x"
rewrite "$B" "$T_TMP/x/modified.tar.gz" db.log 'data.replace(b"wrote 40", b"wrote 99")' || fail "rewrite"
run "$EVIDENT" analyze --pub "$T_TMP/keys/k.pub" "$T_TMP/x/modified.tar.gz"
expect_rc 1 "a modified member: exit 1"
expect_out "member evidence/excerpts/.*db.log: NOT analysed: MEMBER_MODIFIED" "the output names the member left out and why"
expect_out "analysed evidence/excerpts/.*api.log" "the intact member is analysed"
printf '%s\n' "$T_OUT" | grep -q "checkpoint complete" && fail "lines of the modified member were analysed" ||
	ok "no line of the modified member is analysed"
run "$EVIDENT" analyze --json --pub "$T_TMP/keys/k.pub" "$T_TMP/x/modified.tar.gz"
printf '%s\n' "$T_OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
bad = [b for b in d["bundles"] if not b["analysed"]]
assert len(bad) == 1 and bad[0]["member"].endswith("db.log") and "MEMBER_MODIFIED" in bad[0]["reason"], d["bundles"]
assert d["lines"] == 3, d["lines"]
' && ok "--json: the member left out is listed with its finding; only 3 lines analysed" || fail "--json for a modified member: $T_OUT"

# the manifest changed: its signature fails, nothing of the bundle is analysed
rewrite "$B" "$T_TMP/x/manifest.tar.gz" MANIFEST.json 'data.replace(b"\"note\":null", b"\"note\":\"x\"")' || fail "rewrite"
run "$EVIDENT" analyze --pub "$T_TMP/keys/k.pub" "$T_TMP/x/manifest.tar.gz"
expect_rc 1 "a bundle whose signature fails: exit 1"
expect_out "manifest.tar.gz: NOT analysed: SIGNATURE_INVALID" "the bundle is left out, with the finding"
expect_out "^Window .*: 0 lines" "no line analysed"
run "$EVIDENT" analyze --pub "$T_TMP/keys/k.pub" "$T_TMP/x/manifest.tar.gz" "$T_TMP/db.log"
expect_rc 1 "a refused bundle next to a plain file: exit 1"
expect_out "^Window .*: 2 lines" "the plain file is still analysed"

# an encrypted bundle (store.encrypt.recipients: format_version 2), sealed for real and
# verified: reported as not readable without the recipient's key, no crash
"$EVIDENT" keygen --x25519 --out "$T_TMP/keys" --name r >/dev/null 2>&1 || fail "keygen --x25519"
printf 'store:\n  path: %s\n  key: %s\n  encrypt:\n    recipients: ["%s"]\nactions:\n  seal_commands: []\n' \
	"$T_TMP/encstore" "$T_TMP/keys/k.key" "$T_TMP/keys/r.x25519.pub" >"$T_TMP/enc.yaml"
"$EVIDENT" seal --config "$T_TMP/enc.yaml" --offline --no-immutable --file "$T_TMP/api.log" --since -1h \
	--json >"$T_TMP/encseal.json" 2>&1 || fail "encrypted seal: $(cat "$T_TMP/encseal.json")"
EB=$(sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p' "$T_TMP/encseal.json")
tar -xzOf "$EB" MANIFEST.json | grep -q '"format_version":2,' && ok "a real encrypted bundle (format 2)" || fail "not encrypted: $EB"
cp "$EB" "$T_TMP/x/enc.tar.gz"
run "$EVIDENT" analyze --pub "$T_TMP/keys/k.pub" "$T_TMP/x/enc.tar.gz"
expect_rc 1 "an encrypted bundle: exit 1"
expect_out "enc.tar.gz: NOT analysed: encrypted .*not readable without a key" "reported as not readable without a key"
run "$EVIDENT" analyze --assign --pub "$T_TMP/keys/k.pub" "$T_TMP/x/enc.tar.gz"
expect_rc 1 "--assign with an encrypted bundle: exit 1"
expect_err "not readable without a key" "--assign says so on stderr"

# not a bundle at all / no keys
printf 'garbage' >"$T_TMP/x/junk.tar.gz"
run "$EVIDENT" analyze --pub "$T_TMP/keys/k.pub" "$T_TMP/x/junk.tar.gz"
expect_rc 1 "garbage named .tar.gz: exit 1, no crash"
expect_out "junk.tar.gz: NOT analysed" "said so"
[ -z "$(ls -A "$TMPDIR")" ] && ok "no temporary file left behind" || fail "left in TMPDIR: $(ls -A "$TMPDIR")"
done_testing
