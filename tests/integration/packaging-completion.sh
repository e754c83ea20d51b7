#!/bin/sh
# Bash completion (packaging/bash-completion/evident, issue 15): commands, subcommands,
# options and their A|B|C values from the help texts, configuration files, incident ids
# from STATE/incidents/*/ and rule ids, completed by the real bash-completion framework.
. "$EV_SRCDIR/tests/integration/lib.sh"
BC=/usr/share/bash-completion/bash_completion
command -v bash >/dev/null 2>&1 || skip "bash missing"
[ -r "$BC" ] || skip "bash-completion missing ($BC; apt-get install bash-completion)"

mkdir -p "$T_TMP/state/incidents/INC-2026-0001" "$T_TMP/state/incidents/INC-2026-0002" "$T_TMP/cfgs"
: >"$T_TMP/cfgs/site.yaml"
: >"$T_TMP/cfgs/other.yaml"

# comp LINE...: the completions of the last word of LINE (words split on blanks; a
# trailing blank completes an empty word), one per line, sorted
comp() {
	bash -c '
		. "$1"; . "$2"; shift 2
		ev=$1; shift
		COMP_WORDS=("$ev" "$@"); COMP_CWORD=$(($# ))
		COMP_LINE="$ev $*"; COMP_POINT=${#COMP_LINE}
		_evident evident "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' \
		sh "$BC" "$EV_SRCDIR/packaging/bash-completion/evident" "$EVIDENT" "$@"
}
# want DESC EXPECTED WORD...: the completion of WORD... includes each line of EXPECTED
want() {
	desc=$1 expected=$2; shift 2
	got=$(EVIDENT_STATE_DIR="$T_TMP/state" comp "$@")
	missing=$(printf '%s\n' "$expected" | while read -r w; do
		printf '%s\n' "$got" | grep -qxF -- "$w" || printf ' %s' "$w"; done)
	if [ -z "$missing" ]; then ok "$desc"; else
		fail "$desc: missing$missing; got: $(printf '%s' "$got" | tr '\n' ' ')"; fi
}

cmds=$("$EVIDENT" help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
want "every command of 'evident help'" "$cmds" ""
want "a command prefix" "seal" "se"
got=$(comp "se")
[ "$(printf '%s\n' "$got" | grep -c .)" = 1 ] && ok "'se' completes to seal alone" || fail "'se' gives: $got"
want "subcommands of rules" "check
list
test" rules ""
want "options of seal" "--no-immutable
--max-bundle-size
--config" seal --
want "the choices of --engine" "auto
vectorscan
pcre2" replay --engine ""
want "configuration files after --config" "$T_TMP/cfgs/site.yaml
$T_TMP/cfgs/other.yaml" status --config "$T_TMP/cfgs/"
want "configuration files for config check" "$T_TMP/cfgs/site.yaml" config check "$T_TMP/cfgs/s"
want "incident ids from STATE/incidents/" "INC-2026-0001
INC-2026-0002" triage --incident ""
want "an incident id prefix" "INC-2026-0002" triage --incident "INC-2026-0002"
# the state directory from the configuration when EVIDENT_STATE_DIR is not set
printf 'agent:\n  state_dir: %s\n' "$T_TMP/state" >"$T_TMP/cfgs/state.yaml"
got=$(comp triage --config "$T_TMP/cfgs/state.yaml" --incident "")
printf '%s\n' "$got" | grep -qx INC-2026-0001 && ok "incident ids from agent.state_dir of --config" ||
	fail "incident ids with --config: $got"
# rule ids and names, as `evident rules list --json` gives them
got=$(bash -c '. "$1"; . "$2"; _evident_rules "$3"' sh "$BC" "$EV_SRCDIR/packaging/bash-completion/evident" "$EVIDENT")
id=$("$EVIDENT" rules list --json | sed -n '1s/.*"id":"\([^"]*\)".*/\1/p')
if [ -n "$id" ] && printf '%s\n' "$got" | grep -qxF "$id" && printf '%s\n' "$got" | grep -qx ssh_failed_password; then
	ok "rule ids and names (for --rule)"
else fail "rule ids: $(printf '%s' "$got" | head -5 | tr '\n' ' ')"; fi
done_testing
