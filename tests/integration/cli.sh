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
	# Exactly two lines: what is wrong, and where to look; no help text, no second report.
	want="evident: unrecognized option '--no-such-option'
Try 'evident $cmd --help'."
	if [ "$T_ERR" = "$want" ]; then ok "$cmd: an unknown option is one line and a hint"
	else fail "$cmd: unknown option output is not the two expected lines"; printf '%s\n' "$T_ERR" | head -5 | sed 's/^/  | /'; fi
	[ -z "$T_OUT" ] && ok "$cmd: nothing on stdout for a usage error" || fail "$cmd: usage error wrote to stdout"
	run "$EVIDENT" "$cmd" --json=x --help
	expect_rc 2 "$cmd: an argument to a flag is a usage error"
	if [ "$(printf '%s\n' "$T_ERR" | wc -l)" -eq 2 ] && printf '%s\n' "$T_ERR" | grep -q "^Try 'evident $cmd --help'.\$"; then
		ok "$cmd: --json=x is reported in two lines"
	else fail "$cmd: --json=x: $T_ERR"; fi
	# docs-man.sh checks that the man pages document every command and option
done

run "$EVIDENT"
expect_rc 2 "no command"
run "$EVIDENT" frobnicate
expect_rc 2 "unknown command"
expect_err "unknown command 'frobnicate'" "unknown command is named"
expect_err "^Try 'evident help'.\$" "unknown command points at the help"
[ "$(printf '%s\n' "$T_ERR" | wc -l)" -eq 2 ] && ok "unknown command: two lines" || fail "unknown command: $T_ERR"
run "$EVIDENT" --frob
expect_rc 2 "unknown global option"
expect_err "^Try 'evident help'.\$" "unknown global option points at the help"
# A missing argument and a bad argument value are reported once, with the hint.
run "$EVIDENT" seal --since
expect_rc 2 "seal --since without a value"
expect_err "^evident: option '--since' needs an argument\$" "missing argument is named"
expect_err "^Try 'evident seal --help'.\$" "missing argument points at seal --help"
run "$EVIDENT" tail -c
expect_rc 2 "tail -c without a value"
expect_err "^evident: option '-c' needs an argument\$" "missing short argument is named"
run "$EVIDENT" tail -Z
expect_rc 2 "tail -Z"
expect_err "^evident: invalid option '-Z'\$" "unknown short option is named"
run timeout 20 "$EVIDENT" tail --count 99999999999999999999999
expect_rc 2 "tail --count past the range of a 64-bit number"
expect_err "^evident: invalid --count '99999999999999999999999'\$" "the out-of-range count is named"
run "$EVIDENT" rules frob
expect_rc 2 "rules with an unknown subcommand"
[ "$(printf '%s\n' "$T_ERR" | wc -l)" -eq 2 ] && ok "rules frob: two lines" || fail "rules frob: $T_ERR"
run "$EVIDENT" help nosuch
expect_rc 2 "help for an unknown command"
done_testing
