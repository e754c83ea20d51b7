#!/bin/sh
# --json means it: every command that accepts --json (found from `evident help` and
# `CMD --json --help`) documents it and prints JSON, parsed here by python3 -- one JSON
# document (an object, possibly indented over several lines) or JSON lines (one object a
# line), as its --help says. A command whose --json would be ignored fails here, and so
# does a command that accepts --json without a scenario below.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

COVERED=" "
# jcheck doc|lines RC DESC CMD...: run CMD (an evident command line), expect exit RC and
# stdout in the given JSON form.
jcheck() {
	_mode=$1 _rc=$2 _desc=$3
	shift 3
	COVERED="$COVERED$1 "
	run timeout 60 "$EVIDENT" "$@"
	expect_rc "$_rc" "$_desc"
	if printf '%s' "$T_OUT" | python3 -c '
import json, sys
mode, text = sys.argv[1], sys.stdin.read()
try:
    if mode == "doc":
        docs = [json.loads(text)]
    else:
        docs = [json.loads(l) for l in text.split("\n") if l.strip()]
        if not docs:
            raise ValueError("no line")
except ValueError as e:
    sys.exit("not %s: %s" % ("one JSON document" if mode == "doc" else "JSON lines", e))
if not all(isinstance(d, dict) for d in docs):
    sys.exit("not JSON objects")
' "$_mode" 2>"$T_TMP/jerr"; then ok "$_desc: stdout is $_mode JSON"
	else
		fail "$_desc: $(cat "$T_TMP/jerr")"
		printf '%s\n' "$T_OUT" | head -5 | cut -c1-200 | sed 's/^/  | /'
	fi
}

K="$T_TMP/keys"
S="$T_TMP/store"
LOG="$T_TMP/auth.log"
mkdir -p "$K" "$T_TMP/no-decoders"
printf 'Nov 27 02:40:00 host1 sshd[1]: Failed password for root from 10.1.1.1 port 22 ssh2\n' >"$LOG"

jcheck doc 0 "version --json" version --json
jcheck doc 0 "config check --json" config check --json
jcheck doc 0 "keygen --json" keygen --json --out "$K"
# A directory and a name with a quote and a backslash: the answer is still JSON, and names
# the files that were written.
QK="$T_TMP/q\"k\\d"
mkdir -p "$QK"
jcheck doc 0 "keygen --json, quote in the path" keygen --json --out "$QK" --name 'n"1'
printf '%s' "$T_OUT" | python3 -c 'import json,sys,os; d=json.load(sys.stdin); sys.exit(0 if os.path.isfile(d["private"]) and os.path.isfile(d["public"]) else 1)' &&
	ok "keygen --json names the files it wrote" || fail "keygen --json: the named files do not exist"
jcheck doc 0 "keygen --x25519 --json, quote in the path" keygen --x25519 --json --out "$QK" --name 'x"1'
jcheck doc 0 "seal --json" seal --json --offline --store "$S" --key "$K/evident.key" --no-immutable --file "$LOG" --since 2020-01-01T00:00:00Z
B=$(ls "$S"/bundles/*.tar.gz | head -1)
M=$(tar -tzf "$B" | grep '^evidence/' | head -1)
jcheck doc 0 "verify --json" verify --json --no-record --pub "$K/evident.pub" "$S"
jcheck doc 0 "show --json" show --json --no-record --pub "$K/evident.pub" "$B"
"$EVIDENT" keygen --out "$K" --name other >/dev/null 2>&1 || fail "a second key"
jcheck doc 1 "show --json, untrusted key" show --json --no-record --pub "$K/other.pub" "$B"
jcheck doc 0 "extract --json" extract --json --no-record --pub "$K/evident.pub" --to "$T_TMP/x" "$B"
"$EVIDENT" keygen --x25519 --out "$K" --name rcpt >/dev/null 2>&1 || fail "an X25519 key"
printf 'store:\n  path: %s/encstore\n  key: %s/evident.key\n  encrypt:\n    recipients: [%s/rcpt.x25519.pub]\n' "$T_TMP" "$K" "$K" >"$T_TMP/enc.yaml"
"$EVIDENT" seal --config "$T_TMP/enc.yaml" --offline --no-immutable --copy "$LOG" >/dev/null 2>&1 || fail "an encrypted seal"
jcheck doc 0 "decrypt --json" decrypt --json --no-record --pub "$K/evident.pub" --key "$K/rcpt.x25519.key" --to "$T_TMP/dx" "$(ls "$T_TMP"/encstore/bundles/*.tar.gz | head -1)"
jcheck doc 0 "prove --json" prove --json --no-record --pub "$K/evident.pub" "$B" "$M"
jcheck doc 0 "prove --json --out" prove --json --no-record --pub "$K/evident.pub" --out "$T_TMP/proof" "$B" "$M"
jcheck doc 0 "verify --proof --json" verify --json --proof "$T_TMP/proof" --pub "$K/evident.pub"
jcheck doc 0 "custody --json" custody --json --pub "$K/evident.pub" "$S"
jcheck doc 0 "prune --json" prune --json --key "$K/evident.key" --before 2000-01-01T00:00:00Z --reason test "$S"

R="$EV_SRCDIR/conf/rules"
D="$EV_SRCDIR/conf/decoders"
jcheck doc 0 "rules check --json" rules check --json --decoders "$D" "$R"
jcheck lines 0 "rules list --json" rules list --json --decoders "$D" "$R"
jcheck doc 0 "rules test --json" rules test --json --decoders "$D" "$R"
jcheck lines 0 "replay --json (alerts)" replay --json --rules "$R" --decoders "$D" "$EV_SRCDIR/conf/demo/auth.log"
jcheck lines 0 "replay --json --records" replay --json --records "$LOG"
jcheck doc 0 "demo --json" demo --json --data "$EV_SRCDIR/conf"
jcheck doc 0 "formats --json" formats --json
jcheck doc 0 "analyze --json" analyze --json --tz UTC "$LOG"
jcheck lines 0 "analyze --assign --json" analyze --assign --json --tz UTC "$LOG"
jcheck doc 0 "analyze --json BUNDLE" analyze --json --tz UTC --pub "$K/evident.pub" "$B"
printf 'sources:\n  journal: false\n  files: [%s]\n' "$LOG" >"$T_TMP/analyze.yaml"
jcheck doc 0 "analyze --json --since (configured sources)" analyze --json --tz UTC --config "$T_TMP/analyze.yaml" --since 2020-01-01T00:00:00Z

# the agent: tail (the configured sources), status, reload, triage
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]|" \
	-e "s|^  path: $T_TMP/store|  path: $T_TMP/agent-store\n  key: $K/evident.key|" "$T_TMP/evident.yaml"
printf 'rules:\n  decoders: [%s]\n' "$T_TMP/no-decoders" >>"$T_TMP/evident.yaml"
jcheck lines 0 "tail --json" tail --json --config "$T_TMP/evident.yaml" --from-start --count 1
jcheck doc 0 "upload --status --json" upload --status --json --config "$T_TMP/evident.yaml"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }
jcheck doc 0 "status --json" status --json --socket "$A_SOCK"
jcheck doc 0 "reload --json" reload --json --socket "$A_SOCK"
jcheck doc 0 "triage --json" triage --json --socket "$A_SOCK" --incident INC-JSON --impact service_outage --urgency high
jcheck doc 0 "incident show --json" incident --config "$T_TMP/evident.yaml" show INC-JSON --json
jcheck doc 0 "incident list --json" incident --config "$T_TMP/evident.yaml" list --json
jcheck doc 0 "metrics --json" metrics --config "$T_TMP/evident.yaml" --json
jcheck doc 0 "message --json" message --config "$T_TMP/evident.yaml" INC-JSON --audience internal --json
jcheck doc 0 "impact --json" impact --json --affected-users 10 --downtime 5m --sla 99.9
jcheck doc 0 "report --json" report --config "$T_TMP/evident.yaml" INC-JSON --json
jcheck doc 0 "runbook --json" runbook --json --impact service_outage
jcheck doc 0 "incident action list --json" incident --config "$T_TMP/evident.yaml" action list INC-JSON --json
jcheck doc 0 "maintenance list --json" maintenance --config "$T_TMP/evident.yaml" list --json
jcheck doc 0 "drill --list --json" drill --config "$T_TMP/evident.yaml" --list --json
jcheck doc 0 "analyze --json --incident" analyze --config "$T_TMP/evident.yaml" --incident INC-JSON --json
agent_stop

# every command: --json accepted means documented and covered above; else refused
for cmd in $("$EVIDENT" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'); do
	if "$EVIDENT" "$cmd" --json --help >/dev/null 2>&1; then
		"$EVIDENT" "$cmd" --help | grep -q -- '--json' && ok "$cmd: --json is documented" ||
			fail "$cmd accepts --json but its --help does not say what it prints"
		case "$COVERED" in
		*" $cmd "*) ok "$cmd: --json output checked" ;;
		*) fail "$cmd accepts --json: add a scenario to tests/integration/json.sh" ;;
		esac
	else
		run "$EVIDENT" "$cmd" --json
		expect_rc 2 "$cmd does not take --json and says so"
	fi
done
done_testing
