#!/bin/sh
# Resource caps of docs/operations.md that had no test through the binary (issue 10),
# each driven to its limit and one past it, through the real CLI:
#   JSON field name 1 KiB (JSON_NAME_MAX)       replay: skipped, record flagged truncated
#   condition nesting 64 (COND_MAX_DEPTH)        rules check: the rule is rejected
#   YAML nesting 64 / 1 M nodes / 16 MiB input   config check: the file is rejected
#   1,000 messages per error list                rules check: the rest counted, not shown
#   256 words per evidence command (MAX_ARGS)    seal: refused, recorded in the manifest
#   store.max_member_size                        seal: the member cut, recorded
#   key file 64 KiB (KEY_FILE_CAP)               seal: refused with a message
#   ledger line 1 MiB (STORE_LEDGER_LINE_CAP)    custody, verify: CUSTODY_BROKEN "line too long"
#   ledger file 256 MiB (STORE_LEDGER_CAP)      custody, verify: refused, named
#   10,000 findings per verify (REPORT_CAP)      verify: the rest counted
#   a 4 MiB answer read by the client            status: fails with a message
. "$EV_SRCDIR/tests/integration/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to write the inputs"

# ---- JSON field names: 1,024 bytes kept, 1,025 skipped and flagged ----
python3 -c '
import json
print(json.dumps({"time": "2026-11-27T01:00:00Z", "message": "hi", "a" * 1024: "kept", "b" * 1025: "gone"}))' >"$T_TMP/j.log"
run "$EVIDENT" replay --format json --records "$T_TMP/j.log"
expect_rc 0 "a JSON record with a 1,025-byte field name"
expect_out "\"a{1024}\":\"kept\"" "a 1,024-byte name is kept"
printf '%s' "$T_OUT" | grep -q '"bbbbbbbb*":"gone"' && fail "a 1,025-byte name is kept" || ok "a 1,025-byte name is skipped"
expect_out '"flags":\["truncated"\]' "the record is flagged truncated"
expect_err ' 1 flagged' "replay counts it"

# ---- condition nesting ----
deep_rule() { # deep_rule N: a rule whose condition is sel in N pairs of parentheses
	python3 -c '
import sys
c = "sel"
for i in range(int(sys.argv[1])):
    c = "(" + c + ")"
print("title: t\nid: t\nlevel: low\nlogsource:\n  product: linux\ndetection:\n  sel:\n    message|contains: x\n  condition: " + c)' "$1" >"$T_TMP/deep.yml"
}
deep_rule 63
run "$EVIDENT" rules check "$T_TMP/deep.yml"
expect_rc 0 "a condition 64 levels deep is accepted"
deep_rule 64
run "$EVIDENT" rules check "$T_TMP/deep.yml"
expect_rc 1 "a condition 65 levels deep is rejected"
expect_out 'deep.yml:9:[0-9]+: condition: condition nested too deeply' "with a message naming the place"

# ---- configuration files: nesting, nodes, size ----
yaml_nest() { python3 -c 'import sys; n = int(sys.argv[1]); print("sources:\n  journal: false\nx: " + "[" * n + "]" * n)' "$1" >"$T_TMP/c.yaml"; }
yaml_nest 63
run "$EVIDENT" config check "$T_TMP/c.yaml"
# the top-level key `x` is unknown: that is the one error, not the nesting
expect_rc 1 "64 levels of YAML: config check fails on the unknown key"
expect_err "c.yaml:3:1: unknown key 'x' in the top level" "which is reported"
printf '%s%s' "$T_OUT" "$T_ERR" | grep -q 'nesting deeper' && fail "64 levels of YAML rejected as too deep" ||
	ok "64 levels of YAML are read (only the unknown key is reported)"
expect_err 'c.yaml: 1 error$' "and it is the only error"
yaml_nest 64
run "$EVIDENT" config check "$T_TMP/c.yaml"
expect_rc 1 "65 levels of YAML"
printf '%s%s' "$T_OUT" "$T_ERR" | grep -q 'c.yaml:3:[0-9]*: nesting deeper than 64 levels' &&
	ok "are rejected with a message" || fail "no nesting message: $T_OUT $T_ERR"
python3 -c 'print("sources:\n  journal: false\nx: [" + ",".join(["1"] * 1000001) + "]")' >"$T_TMP/c.yaml"
run "$EVIDENT" config check "$T_TMP/c.yaml"
expect_rc 1 "a YAML file of more than a million nodes"
printf '%s%s' "$T_OUT" "$T_ERR" | grep -q 'document too large (more than 1000000 nodes)' &&
	ok "is rejected with a message" || fail "no node-count message: $(printf '%s%s' "$T_OUT" "$T_ERR" | head -c 300)"
python3 -c 'print("sources:\n  journal: false\nx: \"" + "a" * (16 << 20) + "\"")' >"$T_TMP/c.yaml"
run "$EVIDENT" config check "$T_TMP/c.yaml"
expect_rc 2 "a 16 MiB configuration file"
expect_err 'c.yaml: cannot read: File too large' "is refused with a message"

# ---- error lists: 1,000 messages kept, the rest counted ----
python3 -c '
for i in range(1100):
    print("---\ntitle: t%d\nid: t%d\nlevel: low\nlogsource:\n  product: linux\ndetection:\n  sel:\n    message|contains: x\n  condition: nope" % (i, i))' >"$T_TMP/many.yml"
run "$EVIDENT" rules check "$T_TMP/many.yml"
expect_rc 1 "1,100 broken rules"
n=$(printf '%s\n' "$T_OUT" | grep -c "unknown identifier 'nope'")
[ "$n" -eq 1000 ] && ok "1,000 messages shown" || fail "$n messages shown, want 1,000"
expect_out '\(100 more errors not shown\)' "the rest are counted"
expect_out '0 rules loaded, 1100 errors' "every error is counted"

# ---- seals: command words, member size, key file ----
mkdir -p "$T_TMP/keys"
"$EVIDENT" keygen --out "$T_TMP/keys" --name k >/dev/null 2>&1 || fail "keygen"
NOW=$(date +'%b %e %H:%M:%S')
python3 -c '
import sys
for i in range(3000):
    print(sys.argv[1] + " h app[1]: line %05d " % i + "x" * 100)' "$NOW" >"$T_TMP/big.log"
printf 'sources:\n  journal: false\nstore:\n  max_member_size: 100000\nactions:\n  lookback: 1h\n  seal_commands: []\n' >"$T_TMP/cfg.yaml"
n=0
seal() { # seal KEY ARGS...: an in-process seal into a new store; B the bundle
	n=$((n + 1))
	_k=$1
	shift
	run "$EVIDENT" seal --offline --config "$T_TMP/cfg.yaml" --store "$T_TMP/st$n" --key "$_k" \
		--no-immutable --json --since '1 hour ago' "$@"
	B=$(printf '%s' "$T_OUT" | sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p')
}
manifest() { tar -xzOf "$B" MANIFEST.json 2>/dev/null; }
w255=$(python3 -c 'print(" ".join(["w"] * 255))')
seal "$T_TMP/keys/k.key" --command "ok=/bin/echo $w255" --command "many=/bin/echo $w255 w" --file "$T_TMP/big.log"
expect_rc 0 "a seal with a 256-word and a 257-word command"
[ "$(tar -xzOf "$B" evidence/commands/ok 2>/dev/null | wc -w)" -eq 255 ] &&
	ok "the 256-word command ran" || fail "the 256-word command did not run: $(tar -tzf "$B" | tr '\n' ' ')"
tar -tzf "$B" | grep -q '^evidence/commands/many$' && fail "the 257-word command ran" || ok "the 257-word command did not run"
manifest | grep -q '"error":"bad --command: too many arguments","source":{[^}]*"name":"many"' &&
	ok "its refusal is recorded in the manifest" || fail "no refusal in the manifest: $(manifest | head -c 400)"
manifest | grep -q '"error":"cut at 100000 bytes (size cap)","path":"evidence/excerpts/[^"]*big.log"' &&
	ok "a 300 KB excerpt is cut at store.max_member_size and says so" || fail "no cut recorded: $(manifest | head -c 600)"
[ "$(tar -xzOf "$B" --wildcards 'evidence/excerpts/*big.log' | wc -c)" -eq 100000 ] &&
	ok "the member holds exactly 100,000 bytes" || fail "member size $(tar -xzOf "$B" --wildcards 'evidence/excerpts/*big.log' | wc -c)"
run "$EVIDENT" verify --pub "$T_TMP/keys/k.pub" --no-record "$B"
expect_rc 0 "the bundle with the cut member verifies"

cp "$T_TMP/keys/k.key" "$T_TMP/big.key"
head -c 70000 /dev/zero | tr '\0' '#' >>"$T_TMP/big.key"
seal "$T_TMP/big.key" --file "$T_TMP/big.log"
expect_rc 2 "a key file over 64 KiB"
expect_err 'big.key: key file too large' "is refused with a message"

# ---- ledger lines: a line over 1 MiB is a finding, not a crash ----
seal "$T_TMP/keys/k.key" --file "$T_TMP/big.log"
expect_rc 0 "a seal to have a ledger"
python3 -c 'print("{\"x\":\"" + "a" * (1 << 20) + "\"}")' >>"$T_TMP/st$n/custody.jsonl"
run "$EVIDENT" custody "$T_TMP/st$n"
expect_out 'CUSTODY_BROKEN .*custody.jsonl:2: line too long' "custody: a 1 MiB ledger line is CUSTODY_BROKEN"
run "$EVIDENT" verify --pub "$T_TMP/keys/k.pub" --no-record "$T_TMP/st$n"
expect_rc 1 "verify of the store fails"
expect_out 'CUSTODY_BROKEN custody.jsonl:2: line too long' "and names the line"

# ---- ledger file: over 256 MiB (sparse) cannot be read, said so ----
seal "$T_TMP/keys/k.key" --file "$T_TMP/big.log"
truncate -s 257M "$T_TMP/st$n/custody.jsonl"
run "$EVIDENT" custody "$T_TMP/st$n"
expect_rc 2 "custody of a 257 MiB ledger"
expect_err "cannot read .*st$n/custody.jsonl: File too large" "names the file and why"
run "$EVIDENT" verify --pub "$T_TMP/keys/k.pub" --no-record "$T_TMP/st$n"
expect_rc 1 "verify of that store fails"
expect_out 'CUSTODY_BROKEN custody.jsonl: cannot read the custody ledger: File too large' "with a finding"
rm -f "$T_TMP/st$n/custody.jsonl"

# ---- findings per verify: 10,000 kept, the rest counted ----
seal "$T_TMP/keys/k.key" --file "$T_TMP/big.log"
i=0
python3 -c 'print("\n".join("garbage %d" % i for i in range(10050)))' >>"$T_TMP/st$n/custody.jsonl"
run "$EVIDENT" verify --pub "$T_TMP/keys/k.pub" --no-record "$T_TMP/st$n"
expect_rc 1 "a store whose ledger has 10,050 broken lines"
expect_out 'CUSTODY_BROKEN x10000: ' "10,000 findings are reported"
expect_out '\.\.\. and 50 more findings' "the 50 past the cap are counted"
expect_err '10050 findings \(CUSTODY_BROKEN x10000\)' "the summary counts all 10,050"

# ---- an answer over 4 MiB read by the client: it fails with a message ----
python3 - "$T_TMP/fake.sock" <<'EOPY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(30)
c, _ = s.accept()
c.recv(65536)
try:
    c.sendall(b'{"ok":true,"x":"' + b"a" * (5 << 20) + b'"}\n')
except OSError:
    pass
c.close()
EOPY
FAKE=$!
i=0
while [ ! -e "$T_TMP/fake.sock.ready" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
run "$EVIDENT" status --json --socket "$T_TMP/fake.sock"
wait "$FAKE"
[ "$T_RC" -ne 0 ] && ok "a 5 MiB answer: the client fails (exit $T_RC)" || fail "a 5 MiB answer was taken"
expect_err 'fake.sock: Message too long' "with a message"
done_testing
