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
# The store the demo made verifies on its own, and a tampered copy does not.
run "$EVIDENT" verify --pub "$T_TMP/demo/keys/evident.pub" --no-record "$T_TMP/demo/store"
expect_rc 0 "demo store verifies"
cp -r "$T_TMP/demo/store" "$T_TMP/copy"
chmod -R u+w "$T_TMP/copy"
b=$(ls "$T_TMP/copy/bundles"/*.tar.gz | head -1)
printf 'X' | dd of="$b" bs=1 seek=100 conv=notrunc 2>/dev/null
run "$EVIDENT" verify --pub "$T_TMP/demo/keys/evident.pub" --no-record "$T_TMP/copy"
expect_rc 1 "a flipped byte in a demo bundle is caught"
chmod -R u+w "$T_TMP/demo"
done_testing
