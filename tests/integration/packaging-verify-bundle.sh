#!/bin/sh
# packaging/verify-bundle.sh as a newcomer meets it: a real --help, one-line usage errors,
# and a missing tool is reported instead of hanging (it once looped forever without mv).
. "$EV_SRCDIR/tests/integration/lib.sh"
VB="$EV_SRCDIR/packaging/verify-bundle.sh"
command -v openssl >/dev/null 2>&1 || skip "openssl is needed"
TIMEOUT=$(command -v timeout) || skip "timeout(1) is needed"

run sh "$VB" --help
expect_rc 0 "--help"
expect_out "^Usage: verify-bundle.sh \[-m BYTES\] -k PUBKEY.pem" "--help prints the usage"
expect_out "Exit status: 0" "--help documents the exit status"
case "$T_OUT$T_ERR" in *llegal*) fail "--help is still an illegal option" ;; *) ok "--help is not an error" ;; esac
run sh "$VB" -h
expect_rc 0 "-h"
run sh "$VB" --frob
expect_rc 2 "an unknown option"
[ "$T_ERR" = "verify-bundle.sh: unrecognized option '--frob'
Try 'verify-bundle.sh --help'." ] && ok "two lines: what is wrong, where to look" || fail "unknown option: $T_ERR"
run sh "$VB" -k
expect_rc 2 "-k without a key"
expect_err "option -k needs an argument" "names the missing argument"
run sh "$VB" somewhere
expect_rc 2 "no key"
expect_err "at least one -k PUBKEY.pem is needed" "says a key is needed"

# a real bundle with several members (the Merkle loop runs more than once)
"$EVIDENT" keygen --out "$T_TMP/keys" >/dev/null 2>&1 || { fail "keygen"; done_testing; }
for i in 1 2 3; do echo "line $i" > "$T_TMP/f$i.log"; done
"$EVIDENT" seal --offline --no-immutable --store "$T_TMP/st" --key "$T_TMP/keys/evident.key" \
	--copy "$T_TMP/f1.log" --copy "$T_TMP/f2.log" --copy "$T_TMP/f3.log" >/dev/null 2>&1 || { fail "seal"; done_testing; }
B=$(ls "$T_TMP"/st/bundles/*.tar.gz)
run sh "$VB" -k "$T_TMP/keys/evident.pub" "$B"
expect_rc 0 "the bundle verifies with the full PATH"

# PATH with only the tools the script needs, and one of them left out
tools="sh openssl tar gzip sha256sum base64 awk sed grep cut tr od sort uniq comm wc head tail cat rm mkdir mktemp chmod basename df"
mkbin() { # mkbin DIR LEFT-OUT
	mkdir -p "$1"
	for t in $tools; do
		[ "$t" = "$2" ] && continue
		p=$(command -v "$t") || return 1
		ln -sf "$p" "$1/$t"
	done
}
mkbin "$T_TMP/nomv" mv || skip "a tool is missing on this host"
[ -e "$T_TMP/nomv/mv" ] && fail "mv in the test PATH" || ok "no mv in the test PATH"
run "$TIMEOUT" 60 env PATH="$T_TMP/nomv" sh "$VB" -k "$T_TMP/keys/evident.pub" "$B"
expect_rc 0 "verifies without mv (no endless loop)"
expect_out "^OK$" "and says OK"
mkbin "$T_TMP/nood" od
run "$TIMEOUT" 60 env PATH="$T_TMP/nood" sh "$VB" -k "$T_TMP/keys/evident.pub" "$B"
expect_rc 2 "without od: a usage error"
expect_err "verify-bundle.sh: od is required" "names the missing tool"

# Hostile bundles: every size is checked in the listing, before anything is extracted.
run sh "$VB" -m 12x -k "$T_TMP/keys/evident.pub" "$B"
expect_rc 2 "-m with a non-number"
expect_err "-m needs a size in bytes" "says what -m takes"
command -v python3 >/dev/null 2>&1 || { skip_part "python3 is needed to build hostile bundles"; done_testing; }
# mk NAME MEMBER:SIZE[:DECLARED]...: a tar.gz of regular members of zeros; DECLARED, when
# given, is the size written in the header (GNU base-256 above 8 GiB), the data stays SIZE
mk() {
	out="$T_TMP/$1.tar.gz"; shift
	python3 - "$out" "$@" <<'PY'
import gzip, sys, tarfile
out = sys.argv[1]
with gzip.open(out, "wb", compresslevel=1) as g:
    for spec in sys.argv[2:]:
        parts = spec.split(":")
        name, size = parts[0], int(parts[1])
        ti = tarfile.TarInfo(name)
        ti.size = int(parts[2]) if len(parts) > 2 else size
        ti.mode = 0o644
        g.write(ti.tobuf(tarfile.GNU_FORMAT))
        chunk = b"\0" * (1 << 20)
        left = size
        while left > 0:
            g.write(chunk[:min(left, len(chunk))])
            left -= min(left, len(chunk))
        if size % 512:
            g.write(b"\0" * (512 - size % 512))
    g.write(b"\0" * 1024)
PY
}
# a member that declares 10 GB (followed by only 1 MiB): refused by its declared size
mk decl MANIFEST.json:10 evidence/bomb:1048576:10737418240
run sh "$VB" -k "$T_TMP/keys/evident.pub" "$T_TMP/decl.tar.gz"
expect_rc 1 "a member declaring 10 GB"
expect_out "^FAIL FORMAT_INVALID .*decl.tar.gz: member evidence/bomb declares 10737418240 bytes, over the cap of 1073741824; not extracted" \
	"is refused by its declared size, before extraction"
# a real 4 MiB member with -m 1 MiB; under a file size limit of 2 MiB for the whole run,
# an extraction would be killed ("cannot extract"), so the message shows none was tried
mk big MANIFEST.json:10 MANIFEST.sig:64 SHA256SUMS:10 evidence/big:4194304
run sh -c 'ulimit -f 4096 && exec "$@"' sh sh "$VB" -m 1048576 -k "$T_TMP/keys/evident.pub" "$T_TMP/big.tar.gz"
expect_rc 1 "a 4 MiB member with -m 1048576"
expect_out "member evidence/big declares 4194304 bytes, over the cap of 1048576; not extracted" "names the member, its size and the cap"
run sh "$VB" -m 8388608 -k "$T_TMP/keys/evident.pub" "$T_TMP/big.tar.gz"
expect_rc 1 "the same bundle with -m 8 MiB"
expect_out "FAIL UNKNOWN_KEY|FAIL SIGNATURE_INVALID|FAIL FORMAT_INVALID .*merkle" "is extracted and checked further"
case $T_OUT in *"over the cap"*) fail "-m 8 MiB still refused the 4 MiB member" ;; *) ok "-m raises the cap" ;; esac
# the metadata members and the member count have their own caps, the same in
# verify-bundle.sh and in the reader of `evident verify` (exactly at the cap: accepted)
pub="$T_TMP/keys/evident.pub"
both() { # both BUNDLE SCRIPT-PATTERN EVIDENT-PATTERN WHAT
	run sh "$VB" -k "$pub" "$T_TMP/$1.tar.gz"
	expect_out "$2" "verify-bundle.sh: $4"
	run "$EVIDENT" verify --pub "$pub" "$T_TMP/$1.tar.gz"
	expect_rc 1 "evident verify: $4"
	expect_out "$3" "evident verify: $4 (named)"
}
neither() { # neither BUNDLE PATTERN WHAT: no cap finding from either verifier
	run sh "$VB" -k "$pub" "$T_TMP/$1.tar.gz"
	case $T_OUT in *"$2"*) fail "verify-bundle.sh: $3: $T_OUT" ;; *) ok "verify-bundle.sh: $3" ;; esac
	run "$EVIDENT" verify --pub "$pub" "$T_TMP/$1.tar.gz"
	case $T_OUT in *"$2"*) fail "evident verify: $3: $T_OUT" ;; *) ok "evident verify: $3" ;; esac
}
mk sums MANIFEST.json:10 SHA256SUMS:16777217
both sums "member SHA256SUMS declares 16777217 bytes, over the cap of 16777216" \
	"^FORMAT_INVALID SHA256SUMS: unreadable or too large" "SHA256SUMS one byte over 16 MiB"
mk sums16 MANIFEST.json:10 SHA256SUMS:16777216
neither sums16 "too large" "SHA256SUMS of exactly 16 MiB is read"
neither sums16 "over the cap" "SHA256SUMS of exactly 16 MiB is read (the script's wording)"
mk man MANIFEST.json:16777217
both man "member MANIFEST.json declares 16777217 bytes, over the cap of 16777216" \
	"^FORMAT_INVALID MANIFEST.json: unreadable or too large" "MANIFEST.json one byte over 16 MiB"
mk sig MANIFEST.json:10 MANIFEST.sig:4097
run sh "$VB" -k "$pub" "$T_TMP/sig.tar.gz"
expect_out "member MANIFEST.sig declares 4097 bytes, over the cap of 4096" "verify-bundle.sh: MANIFEST.sig over 4 KiB"
# N empty members (python's tarfile, GNU headers)
many() {
	python3 - "$T_TMP/$1.tar.gz" "$2" <<'PY'
import gzip, sys, tarfile
with gzip.open(sys.argv[1], "wb", compresslevel=1) as g:
    for i in range(int(sys.argv[2])):
        g.write(tarfile.TarInfo("evidence/m%06d" % i).tobuf(tarfile.GNU_FORMAT))
    g.write(b"\0" * 1024)
PY
}
many many 100001
both many "FAIL FORMAT_INVALID .*many.tar.gz: more than 100000 members" \
	"^FORMAT_INVALID .*many.tar.gz: more than 100000 members" "100001 members"
many many0 100000
neither many0 "more than 100000" "100000 members are read"

# HEAD and the custody ledger are bounded before they are read
cp -r "$T_TMP/st" "$T_TMP/st2"
head -c 9000 /dev/zero >> "$T_TMP/st2/HEAD"
run sh "$VB" -k "$T_TMP/keys/evident.pub" "$T_TMP/st2"
expect_out "FAIL FORMAT_INVALID .*st2/HEAD: chain head is over 8 KiB" "a HEAD over 8 KiB"
cp -r "$T_TMP/st" "$T_TMP/st3"
head -c 1100000 /dev/zero | tr '\0' x >> "$T_TMP/st3/custody.jsonl"
echo >> "$T_TMP/st3/custody.jsonl"
n=$(wc -l < "$T_TMP/st3/custody.jsonl")
run sh "$VB" -k "$T_TMP/keys/evident.pub" "$T_TMP/st3"
expect_out "FAIL CUSTODY_BROKEN .*st3/custody.jsonl:$n: line is over 1 MiB; ledger not read" "a ledger line over 1 MiB"

# members that need more than TMPDIR has free: a clear error, nothing half-extracted
if [ "$(id -u)" != 0 ]; then skip_part "the TMPDIR check needs root to mount a tmpfs"
else
	M="$T_TMP/small"
	mkdir "$M"
	if mount -t tmpfs -o size=2m evident-vb "$M" 2>/dev/null; then
		trap 'umount "$M" 2>/dev/null; rm -rf "$T_TMP"' EXIT
		mk fits MANIFEST.json:10 evidence/three:3145728
		run env TMPDIR="$M" sh "$VB" -k "$T_TMP/keys/evident.pub" "$T_TMP/fits.tar.gz"
		expect_rc 2 "3 MiB of members, 2 MiB of TMPDIR"
		expect_err "fits.tar.gz: its members need 3145738 bytes, TMPDIR \($M/verify-bundle\.[A-Za-z0-9]*\) has [0-9]+ KiB free" "says how much is needed and how much is free"
		[ -z "$(ls -A "$M")" ] && ok "and leaves nothing in TMPDIR" || fail "TMPDIR holds: $(ls -A "$M")"
		umount "$M"
	else skip_part "cannot mount a tmpfs here"; fi
fi
done_testing
