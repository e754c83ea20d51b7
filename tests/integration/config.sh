#!/bin/sh
# evident config check: the shipped example passes, a misspelt key fails with line:col.
. "$EV_SRCDIR/tests/integration/lib.sh"
D="$EV_SRCDIR/tests/integration/data"

run "$EVIDENT" config check "$EV_SRCDIR/conf/evident.yaml"
expect_rc 0 "conf/evident.yaml is valid"
expect_out '^  lookback: 15m' "effective configuration is printed"
run "$EVIDENT" config check
expect_rc 0 "embedded configuration is valid"
expect_out 'from <embedded>' "embedded origin shown"

# The embedded configuration and conf/evident.yaml give the same effective settings.
"$EVIDENT" config check --json | sed 's/"origin":"[^"]*"//' >"$T_TMP/a"
"$EVIDENT" config check --json "$EV_SRCDIR/conf/evident.yaml" | sed 's/"origin":"[^"]*"//' >"$T_TMP/b"
if grep -q '"lookback":"15m"' "$T_TMP/a" && cmp -s "$T_TMP/a" "$T_TMP/b"; then ok "embedded == conf/evident.yaml"
else fail "embedded differs from conf/evident.yaml (or no effective configuration printed)"; fi

run "$EVIDENT" config check --json "$EV_SRCDIR/conf/evident.yaml"
expect_out '^\{.*"actions":\{.*"lookback":"15m"' "--json prints one JSON object"

run "$EVIDENT" config check "$D/typo.yaml"
expect_rc 1 "misspelt key fails"
expect_err "typo.yaml:4:3: unknown key 'lookbak' in actions \(did you mean 'lookback'\?\)" "misspelt key has line, column and suggestion"
expect_err "typo.yaml:7:22: 'compression_level': 11 is out of range \(0..9\)" "out of range value located"
expect_err "typo.yaml: 2 errors" "error count"

run "$EVIDENT" config check --json "$D/typo.yaml"
expect_rc 1 "--json on errors"
expect_out '"errors":\[\{"column":3,"file":"[^"]*typo.yaml","line":4' "--json errors carry positions"

run "$EVIDENT" config check /nonexistent/evident.yaml
expect_rc 2 "missing file is an I/O error"
expect_err "/nonexistent/evident.yaml: cannot read: No such file or directory" "missing file named"

printf '' >"$T_TMP/empty.yaml"
run "$EVIDENT" config check "$T_TMP/empty.yaml"
expect_rc 1 "empty file"
expect_err "empty.yaml: empty file" "empty file message"

head -c 64 "$EVIDENT" >"$T_TMP/bin.yaml"
run "$EVIDENT" config check "$T_TMP/bin.yaml"
expect_rc 1 "binary file"
expect_err "binary data" "binary file message"

run "$EVIDENT" config check "$T_TMP"
expect_rc 2 "a directory is an I/O error"

run "$EVIDENT" config frob
expect_rc 2 "unknown config subcommand"
done_testing
