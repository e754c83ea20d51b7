#!/bin/sh
# Evidence encrypted to recipients (store.encrypt.recipients): a bundle's members are
# stored encrypted (no plaintext in the bundle), the bundle and the store still verify
# with no private key at all (evident verify and the openssl-only verify-bundle.sh);
# evident decrypt gives the exact bytes back to each recipient (PEM key file and raw
# base64 key), and so does an independent script that follows docs/FORMAT.md; a key that
# is not a recipient is refused; a flipped ciphertext byte is caught by verify and by
# decrypt; a recipient removed from the configuration later still opens the old bundles
# and is absent from the new ones; decrypt is recorded in the custody ledger.
. "$EV_SRCDIR/tests/integration/lib.sh"
S="$T_TMP/store"
K="$T_TMP/keys"
VB="$EV_SRCDIR/packaging/verify-bundle.sh"
mkdir -p "$K"
"$EVIDENT" keygen --out "$K" --name sign >/dev/null 2>&1 || fail "signing keygen"
run "$EVIDENT" keygen --x25519 --out "$K" --name alice --json
expect_rc 0 "keygen --x25519"
expect_out '"key_id":"[0-9a-f]{64}","private":".*/alice.x25519.key","public":".*/alice.x25519.pub"' "keygen --x25519 --json names both files"
[ "$(stat -c %a "$K/alice.x25519.key")" = 600 ] && ok "the private key is 0600" || fail "private key mode $(stat -c %a "$K/alice.x25519.key")"
grep -q 'BEGIN PUBLIC KEY' "$K/alice.x25519.pub" && ok "public key in PEM" || fail "public key not PEM"
"$EVIDENT" keygen --x25519 --out "$K" --name bob >/dev/null 2>&1 || fail "keygen bob"
"$EVIDENT" keygen --x25519 --out "$K" --name eve >/dev/null 2>&1 || fail "keygen eve"
run "$EVIDENT" keygen --x25519 --out "$K" --name bob
expect_rc 2 "keygen --x25519 never replaces a key"
# bob as a raw 32-byte key in base64 (the last 32 bytes of the DER public key)
BOB64=$(openssl pkey -pubin -in "$K/bob.x25519.pub" -outform DER | tail -c 32 | base64)

printf 'secret line: the password is hunter2\n' >"$T_TMP/secret.log"
head -c 3000000 /dev/urandom >"$T_TMP/big.bin"
conf() { # conf RECIPIENT...: the configuration with these recipients
	{
		printf 'store:\n  path: %s\n  key: %s/sign.key\n  encrypt:\n    recipients:\n' "$S" "$K"
		for r in "$@"; do printf '      - "%s"\n' "$r"; done
		printf 'actions:\n  seal_commands: []\n'
	} >"$T_TMP/evident.yaml"
}
seal() { # seal: run the seal (T_RC, T_OUT); the bundle's path in $B
	run "$EVIDENT" seal --config "$T_TMP/evident.yaml" --no-immutable --copy "$T_TMP/secret.log" --copy "$T_TMP/big.bin"
	B=$(printf '%s\n' "$T_OUT" | head -n 1)
}
M="evidence/files$T_TMP/secret.log"
MB="evidence/files$T_TMP/big.bin"

# an unencrypted bundle first: old bundles keep verifying beside the new format
conf
seal
B0=$B
expect_rc 0 "seal without recipients"
tar -xzOf "$B0" MANIFEST.json | grep -q '"format_version":1,' && ok "no recipients: format_version 1" || fail "format of a clear bundle"

conf "$K/alice.x25519.pub" "$BOB64"
seal
B1=$B
expect_rc 0 "seal encrypted to alice (PEM) and bob (base64)"
tar -xzOf "$B1" MANIFEST.json >"$T_TMP/m1.json"
grep -q '"format_version":2,' "$T_TMP/m1.json" && ok "encrypted: format_version 2" || fail "format version"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["encryption"]["recipients"]))' "$T_TMP/m1.json")
[ "$n" = 2 ] && ok "two wrapped keys" || fail "$n wrapped keys"
if tar -xzOf "$B1" "$M" | grep -q hunter2; then fail "plaintext in the bundle"; else ok "no plaintext in the bundle"; fi

# verification needs no private key
run "$EVIDENT" verify --no-record --pub "$K/sign.pub" "$S"
expect_rc 0 "evident verify: the store (clear and encrypted bundles) verifies without a private key"
run sh "$VB" -k "$K/sign.pub" "$S"
expect_rc 0 "verify-bundle.sh (coreutils, tar, openssl) verifies the store"

# round trips
run "$EVIDENT" decrypt --no-record --key "$K/alice.x25519.key" --to "$T_TMP/a" "$B1"
expect_rc 0 "alice decrypts"
cmp -s "$T_TMP/a/$M" "$T_TMP/secret.log" && cmp -s "$T_TMP/a/$MB" "$T_TMP/big.bin" &&
	ok "alice: byte-identical (text and 3 MB binary)" || fail "alice: plaintext differs"
run "$EVIDENT" decrypt --key "$K/bob.x25519.key" --sign-key "$K/sign.key" --actor bob-the-investigator --to "$T_TMP/b" "$B1" "$M"
expect_rc 0 "bob decrypts one member (key given as base64)"
cmp -s "$T_TMP/b/$M" "$T_TMP/secret.log" && ok "bob: byte-identical" || fail "bob: plaintext differs"
[ ! -e "$T_TMP/b/$MB" ] && ok "only the member asked for" || fail "other member written"
grep '"action":"decrypted"' "$S/custody.jsonl" | grep -q 'bob-the-investigator' &&
	ok "decrypt recorded in the custody ledger" || fail "no decrypted entry in the ledger"
run "$EVIDENT" verify --no-record --pub "$K/sign.pub" "$S"
expect_rc 0 "the ledger with the decrypted entry verifies"

# the construction in docs/FORMAT.md, independently (Python's cryptography package)
if python3 -c 'import cryptography' 2>/dev/null; then
	if python3 - "$B1" "$K/alice.x25519.key" "$M" "$T_TMP/indep.out" <<'PY'
import json, sys, tarfile
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
bundle, keyf, member, out = sys.argv[1:]
t = tarfile.open(bundle, "r:gz")
man = json.loads(t.extractfile("MANIFEST.json").read())
enc = man["encryption"]
aead = {"aes-256-gcm": AESGCM, "chacha20-poly1305": ChaCha20Poly1305}[enc["cipher"]]
priv = serialization.load_pem_private_key(open(keyf, "rb").read(), None)
R = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
import hashlib
rec = [r for r in enc["recipients"] if r["key_id"] == hashlib.sha256(R).hexdigest()][0]
E = bytes.fromhex(rec["ephemeral"])
S = priv.exchange(X25519PublicKey.from_public_bytes(E))
W = HKDF(hashes.SHA256(), 32, E + R, b"evident-bundle-key-v1").derive(S)
wk = bytes.fromhex(rec["wrapped_key"])
dk = aead(W).decrypt(wk[:12], wk[12:], b"evident-bundle-key-v1")
blob = t.extractfile(member).read()
pt = aead(dk).decrypt(blob[:12], blob[12:], member.encode())
ent = [m for m in man["members"] if m["path"] == member][0]
assert hashlib.sha256(pt).hexdigest() == ent["plaintext_sha256"]
assert hashlib.sha256(blob).hexdigest() == ent["sha256"]
open(out, "wb").write(pt)
PY
	then cmp -s "$T_TMP/indep.out" "$T_TMP/secret.log" && ok "an independent script following docs/FORMAT.md decrypts" || fail "independent plaintext differs"
	else fail "the documented construction does not decrypt"; fi
else
	skip_part "python3-cryptography absent: the independent decryption is not checked"
fi

# a key that is not a recipient
run "$EVIDENT" decrypt --no-record --key "$K/eve.x25519.key" --to "$T_TMP/e" "$B1"
expect_rc 2 "eve (not a recipient) is refused"
expect_err "not a recipient" "the refusal says why"
[ -z "$(find "$T_TMP/e" -type f 2>/dev/null)" ] && ok "nothing written for eve" || fail "files written for eve"
run "$EVIDENT" decrypt --no-record --key "$K/sign.key" --to "$T_TMP/e" "$B1"
expect_rc 2 "an Ed25519 key is refused"
run "$EVIDENT" decrypt --no-record --key "$K/alice.x25519.key" --to "$T_TMP/e" "$B0"
expect_rc 2 "a clear bundle: nothing to decrypt"

# a flipped ciphertext byte (the bundle rebuilt around it)
python3 - "$B1" "$T_TMP/tampered.tar.gz" "$M" <<'PY'
import io, sys, tarfile
src, dst, member = sys.argv[1:]
t = tarfile.open(src, "r:gz")
o = tarfile.open(dst, "w:gz", format=tarfile.PAX_FORMAT)
for m in t.getmembers():
    b = t.extractfile(m).read()
    if m.name == member:
        b = b[:20] + bytes([b[20] ^ 1]) + b[21:]
    o.addfile(m, io.BytesIO(b))
o.close()
PY
run "$EVIDENT" verify --no-record --pub "$K/sign.pub" "$T_TMP/tampered.tar.gz"
expect_rc 1 "verify catches the flipped ciphertext byte (no private key needed)"
expect_out "MEMBER_MODIFIED" "as MEMBER_MODIFIED"
run "$EVIDENT" decrypt --no-record --pub "$K/sign.pub" --key "$K/alice.x25519.key" --to "$T_TMP/t" "$T_TMP/tampered.tar.gz"
expect_rc 1 "decrypt refuses the tampered bundle"
[ ! -e "$T_TMP/t/$M" ] && ok "no plaintext written from the tampered bundle" || fail "tampered member written"

# bob leaves the recipients: old bundles still open for him, new ones do not include him
conf "$K/alice.x25519.pub"
seal
B2=$B
expect_rc 0 "seal after removing bob"
run "$EVIDENT" decrypt --no-record --key "$K/bob.x25519.key" --to "$T_TMP/b1" "$B1"
expect_rc 0 "bob still decrypts the older bundle"
cmp -s "$T_TMP/b1/$MB" "$T_TMP/big.bin" && ok "bob: the older bundle byte-identical" || fail "bob: older bundle differs"
run "$EVIDENT" decrypt --no-record --key "$K/bob.x25519.key" --to "$T_TMP/b2" "$B2"
expect_rc 2 "bob is not a recipient of the new bundle"
run "$EVIDENT" decrypt --no-record --key "$K/alice.x25519.key" --to "$T_TMP/a2" "$B2"
expect_rc 0 "alice decrypts the new bundle"
run "$EVIDENT" verify --no-record --pub "$K/sign.pub" "$S"
expect_rc 0 "the whole store verifies without any private key"

# a recipient that cannot be read: nothing is sealed
conf "$T_TMP/missing.pub"
run "$EVIDENT" seal --config "$T_TMP/evident.yaml" --no-immutable --copy "$T_TMP/secret.log"
expect_rc 2 "an unreadable recipient refuses the seal"
expect_err "missing.pub" "naming the recipient"
[ "$(ls "$S/bundles" | grep -c 'tar.gz$')" -eq 3 ] && ok "nothing sealed in the clear instead" || fail "a bundle was sealed"
done_testing
