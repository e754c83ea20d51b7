#!/bin/sh
# Evidence collection against hostile or empty sources, through the real agent and in
# process: a FIFO in a watched log directory is refused (recorded), not waited on, and
# seals keep completing; a store path with '"' and '\' gives valid --json, direct and
# through the agent; `seal --config` with no agent seals the configured sources (or fails
# when there is nothing to seal, never an empty bundle with exit 0); a window without
# lines leaves a note in the manifest and the output instead of empty members, and such
# bundles verify with evident and verify-bundle.sh.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
command -v openssl >/dev/null 2>&1 || skip "openssl not installed"
VB="$EV_SRCDIR/packaging/verify-bundle.sh"

jget() { # jget KEY < JSON: a top-level value (python3: a real JSON parser)
	python3 -c 'import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print(v if isinstance(v,str) else json.dumps(v))' "$1"
}
manifest() { tar -xzOf "$1" MANIFEST.json; }

LOGS="$T_TMP/logs"
mkdir -p "$LOGS" "$T_TMP/keys"
NOW=$(date +'%b %e %H:%M:%S')
printf '%s host1 app[1]: hello in the window\n' "$NOW" >"$LOGS/app.log"
"$EVIDENT" keygen --out "$T_TMP/keys" --name agent >/dev/null 2>&1 || fail "keygen"
STORE="$T_TMP/st\"o\\re"
# YAML single quotes: '"' and '\' are literal
store_yaml() { printf "store:\n  path: '%s'\n  key: %s\n" "$STORE" "$T_TMP/keys/agent.key"; }
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: ['$LOGS/*.log']|" -e '/^store:/d' -e '/^  path: /d' "$T_TMP/evident.yaml"
{ store_yaml; printf 'actions:\n  lookback: 1h\n  seal_commands: []\n'; } >>"$T_TMP/evident.yaml"

# --- the store path: '"' and '\' in --json, in process ---
run "$EVIDENT" seal --store "$STORE" --key "$T_TMP/keys/agent.key" --no-immutable --json \
	--file "$LOGS/app.log"
expect_rc 0 "in-process seal into a store named with '\"' and '\\'"
B=$(printf '%s' "$T_OUT" | jget bundle 2>/dev/null)
case "$B" in "$STORE/"*.tar.gz) ok "--json parses and names the bundle in that store" ;;
*) fail "--json output: $T_OUT" ;; esac

# --- through the agent: the same store, and a FIFO among the watched files ---
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }
run timeout 60 "$EVIDENT" seal --socket "$A_SOCK" --json --no-immutable
expect_rc 0 "seal through the agent into that store"
B=$(printf '%s' "$T_OUT" | jget bundle 2>/dev/null)
case "$B" in "$STORE/"*.tar.gz) ok "the agent's answer parses and names the bundle" ;;
*) fail "agent answer: $T_OUT" ;; esac

mkfifo "$LOGS/evil.log"
for n in 1 2; do
	run timeout 30 "$EVIDENT" seal --socket "$A_SOCK" --json --no-immutable
	expect_rc 0 "seal $n with a FIFO in the watched directory completes"
	B=$(printf '%s' "$T_OUT" | jget bundle 2>/dev/null)
	M=$(manifest "$B" 2>/dev/null)
	case "$M" in *'"error":"a FIFO, not a regular file: not read","source":{"asked":"'"$LOGS"'/evil.log"'*) ok "seal $n records the FIFO as refused" ;;
	*) fail "seal $n: FIFO not recorded: $(printf '%s' "$M" | head -c 600)" ;; esac
	case "$M" in *'"path":"evidence/excerpts/'*'app.log"'*) ok "seal $n still holds the regular file" ;;
	*) fail "seal $n lacks app.log" ;; esac
done
agent_alive && ok "the agent is still running" || fail "the agent died"
agent_stop

# --- no agent, --config: the configured sources, not an empty bundle ---
run "$EVIDENT" seal --config "$T_TMP/evident.yaml" --json --no-immutable
expect_rc 0 "no agent: seal --config seals in process"
expect_err "no agent answers on $A_SOCK; sealing in-process" "and says so"
B=$(printf '%s' "$T_OUT" | jget bundle 2>/dev/null)
[ "$(printf '%s' "$T_OUT" | jget members 2>/dev/null)" -ge 1 ] 2>/dev/null &&
	ok "the in-process seal holds evidence" || fail "members: $T_OUT"
tar -tzf "$B" 2>/dev/null | grep -q '^evidence/excerpts/.*app\.log$' &&
	ok "the configured source (sources.files) is in it" || fail "configured source missing"
agent_write_config "$T_TMP/empty.yaml"
sed -i -e '/^store:/d' -e '/^  path: /d' "$T_TMP/empty.yaml"
{ store_yaml; printf 'actions:\n  seal_commands: []\n'; } >>"$T_TMP/empty.yaml"
run "$EVIDENT" seal --config "$T_TMP/empty.yaml" --no-immutable
expect_rc 2 "no agent and nothing configured: refused"
expect_err 'nothing to seal' "with a clear message"
[ "$(printf '%s' "$T_OUT" | wc -c)" -eq 0 ] && ok "and no bundle printed" || fail "printed: $T_OUT"

# --- a window without lines: a note, no empty member ---
rm -f "$LOGS/evil.log"
printf 'Jan  1 00:00:00 host1 app[1]: long ago\n' >"$T_TMP/old.log"
: >"$T_TMP/old.log.1"
SEAL="$EVIDENT seal --store $T_TMP/s2 --key $T_TMP/keys/agent.key --no-immutable"
run $SEAL --file "$T_TMP/old.log" --file "$LOGS/app.log" --since -1h
expect_rc 0 "a seal with empty windows"
B=$(printf '%s\n' "$T_OUT" | head -n 1)
expect_out "^note $T_TMP/old.log: no lines in the window\$" "the output names the empty source"
expect_out "^note $T_TMP/old.log.1: no lines in the window\$" "and the empty rotated generation"
tar -tzf "$B" >"$T_TMP/members"
grep -q 'old\.log' "$T_TMP/members" && fail "an empty member was sealed: $(grep old "$T_TMP/members")" ||
	ok "no member for the empty windows"
tar -tvzf "$B" | awk '$3 == 0 { print }' | grep -q . && fail "a 0-byte member: $(tar -tvzf "$B" | awk '$3 == 0')" ||
	ok "no 0-byte member at all"
M=$(manifest "$B")
case "$M" in *'"notes":[{"note":"no lines in the window","source":{"asked":"'"$T_TMP"'/old.log'*) ok "the manifest records the note per source" ;;
*) fail "manifest notes: $(printf '%s' "$M" | head -c 800)" ;; esac
run $SEAL --file "$T_TMP/old.log" --since -1h --json
expect_rc 0 "a seal whose only source is empty"
N=$(printf '%s' "$T_OUT" | jget notes 2>/dev/null)
case "$N" in *'"note": "no lines in the window"'*) ok "--json carries the notes" ;; *) fail "--json notes: $T_OUT" ;; esac
run "$EVIDENT" verify --pub "$T_TMP/keys/agent.pub" "$T_TMP/s2"
expect_rc 0 "evident verify accepts bundles with notes and without members"
run "$EVIDENT" show --pub "$T_TMP/keys/agent.pub" --no-record "$B"
[ "$T_RC" -eq 0 ] || run "$EVIDENT" show --pub "$T_TMP/keys/agent.pub" "$B"
expect_rc 0 "evident show accepts them"
expect_out "note: \[excerpt $T_TMP/old.log\] no lines in the window" "show lists the notes"
run sh "$VB" -k "$T_TMP/keys/agent.pub" "$T_TMP/s2"
expect_rc 0 "verify-bundle.sh accepts them"
done_testing
