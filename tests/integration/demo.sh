#!/bin/sh
# The README's demo: replay the bundled sample logs through the bundled rules, seal the
# evidence of the alerts, verify the store.
. "$EV_SRCDIR/tests/integration/lib.sh"

run "$EVIDENT" demo --data "$EV_SRCDIR/conf" --workdir "$T_TMP/demo"
expect_rc 0 "demo runs"
expect_out 'ALERT .* SSH brute force from one address \(event_count\) group \{"src_ip":"203.0.113.45"\}' "brute force alert"
expect_out 'ALERT .* New user or group with UID or GID 0' "uid 0 alert"
expect_out 'store verified' "store verified"
n=$(ls "$T_TMP/demo/store/bundles" | grep -c '\.tar\.gz$')
a=$(grep -c . "$T_TMP/demo/alerts.jsonl")
if [ "$n" -ge 3 ] && [ "$n" = "$a" ]; then ok "one bundle per alert ($n)"; else fail "bundles $n, alerts $a"; fi
# The store the demo made verifies on its own; tampered copies do not, and the finding
# names what was changed.
run "$EVIDENT" verify --pub "$T_TMP/demo/keys/evident.pub" --no-record "$T_TMP/demo/store"
expect_rc 0 "demo store verifies"
PUB="$T_TMP/demo/keys/evident.pub"
fresh() { rm -rf "$T_TMP/copy"; cp -r "$T_TMP/demo/store" "$T_TMP/copy"; chmod -R u+w "$T_TMP/copy"; }
# A flipped bit in the first bundle file: the sealed file hash no longer matches.
fresh
b=$(ls "$T_TMP/copy/bundles"/*.tar.gz | head -1)
name=$(basename "$b")
python3 -c 'import sys; f=open(sys.argv[1],"r+b"); f.seek(100); c=f.read(1); f.seek(100); f.write(bytes([c[0]^1]))' "$b"
run "$EVIDENT" verify --pub "$PUB" --no-record "$T_TMP/copy"
expect_rc 1 "a flipped bit in a demo bundle is a finding"
expect_out "^BUNDLE_MODIFIED $name: bundle file differs from the one sealed" "BUNDLE_MODIFIED names the flipped bundle"
# An edited excerpt (the attacker's address replaced), the bundle rebuilt around it.
fresh
b=$(ls "$T_TMP/copy/bundles"/*.tar.gz | sed -n 2p)
name=$(basename "$b")
X="$T_TMP/x"
mkdir -p "$X"
tar -xzf "$b" -C "$X" && chmod -R u+w "$X"
m=$(sed -n 's/^[0-9a-f]*  \(evidence\/excerpts\/.*\)/\1/p' "$X/SHA256SUMS" | head -1)
sed -i 's/203\.0\.113\.45/198.51.100.99/' "$X/$m"
(cd "$X" && tar --format=pax -czf "$b.new" "$m" SHA256SUMS MANIFEST.json MANIFEST.sig) && mv -f "$b.new" "$b"
run "$EVIDENT" verify --pub "$PUB" --no-record "$T_TMP/copy"
expect_rc 1 "an edited excerpt is a finding"
expect_out "^MEMBER_MODIFIED $m: content differs from the manifest" "MEMBER_MODIFIED names the edited member ($m)"
expect_out "^BUNDLE_MODIFIED $name: " "BUNDLE_MODIFIED names the rebuilt bundle"
chmod -R u+w "$T_TMP/demo"

# A new user runs the binary of the build tree with no --data: it finds the source tree's
# bundled data, as `make demo` does, instead of the not yet installed package directory.
case "$EVIDENT" in
"$EV_BUILDDIR"/*)
	run env -u EVIDENT_DATADIR "$EVIDENT" demo --workdir "$T_TMP/demo2"
	expect_rc 0 "demo without --data runs from the build tree"
	expect_out 'store verified' "demo without --data: store verified"
	chmod -R u+w "$T_TMP/demo2" 2>/dev/null
	;;
*) skip_part "the binary under test is not the build tree's" ;;
esac
done_testing
