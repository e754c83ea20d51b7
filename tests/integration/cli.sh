#!/bin/sh
# CLI skeleton: help, version, unknown commands and options, exit codes.
. "$EV_SRCDIR/tests/integration/lib.sh"

run "$EVIDENT" --version
expect_rc 0 "--version"
expect_out '^evident [0-9]+\.[0-9]+\.[0-9]+' "--version prints the version"
expect_out 'vectorscan=(yes|no)' "--version lists the vectorscan feature"
run "$EVIDENT" version --json
expect_rc 0 "version --json"
expect_out '"vectorscan":(true|false)' "version --json has features"

run "$EVIDENT" help
expect_rc 0 "help"
expect_out '^  config ' "help lists config"
expect_out 'Exit status: 0 success, 1 a finding' "help documents exit codes"
run "$EVIDENT" --help
expect_rc 0 "--help"

for cmd in $("$EVIDENT" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'); do
	run "$EVIDENT" "$cmd" --help
	expect_rc 0 "$cmd --help"
	expect_out '^Usage: evident' "$cmd --help shows usage"
	run "$EVIDENT" "$cmd" --no-such-option
	expect_rc 2 "$cmd with an unknown option"
	if grep -q "^\.SS $cmd\$" "$EV_SRCDIR/docs/evident.1"; then ok "man page documents $cmd"
	else fail "docs/evident.1 has no section for $cmd (run 'make man')"; fi
done

run "$EVIDENT"
expect_rc 2 "no command"
run "$EVIDENT" frobnicate
expect_rc 2 "unknown command"
expect_err "unknown command 'frobnicate'" "unknown command is named"
expect_err '^Usage: evident' "unknown command prints usage"
run "$EVIDENT" --frob
expect_rc 2 "unknown global option"
run "$EVIDENT" help nosuch
expect_rc 2 "help for an unknown command"
done_testing
