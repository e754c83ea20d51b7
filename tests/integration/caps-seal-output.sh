#!/bin/sh
# The seal child's output read by the agent (docs/operations.md, OUT_CAP; issue 10): a
# seal through the agent of 800 configured files without a line in the window gives 800
# notes. The agent read the child's JSON result through a 64 KiB cap, so the result was
# cut and a committed seal reported as failed ("printed no JSON result"). Now the result
# lists the first 200 notes and counts the rest (notes_omitted; the manifest has all).
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
mkdir -p "$T_TMP/logs" "$T_TMP/keys"
i=0
while [ $i -lt 800 ]; do
	echo "Jan  1 00:00:00 h app[1]: an old line" >"$T_TMP/logs/a-file-with-a-rather-long-name-$i.log"
	i=$((i + 1))
done
"$EVIDENT" keygen --out "$T_TMP/keys" --name agent >/dev/null 2>&1 || fail "keygen"
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: ['$T_TMP/logs/*.log']|" \
	-e "s|^  path: $T_TMP/store|  path: $T_TMP/store\n  key: $T_TMP/keys/agent.key|" "$T_TMP/evident.yaml"
printf 'actions:\n  lookback: 1h\n  seal_commands: []\n' >>"$T_TMP/evident.yaml"
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }

run "$EVIDENT" seal --socket "$A_SOCK" --json --no-immutable
expect_rc 0 "a seal of 800 quiet files through the agent succeeds"
printf '%s' "$T_OUT" >"$T_TMP/seal.json"
jq_() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); v=r.get(sys.argv[2]); print(len(v) if isinstance(v, list) else v)' "$T_TMP/seal.json" "$1" 2>/dev/null; }
[ "$(jq_ notes)" = 200 ] && [ "$(jq_ notes_omitted)" = 600 ] &&
	ok "the result lists 200 notes and counts the other 600" || fail "notes $(jq_ notes), omitted $(jq_ notes_omitted): $(head -c 300 "$T_TMP/seal.json")"
run "$EVIDENT" status --json --socket "$A_SOCK"
expect_out '"seals":\{"failed":0,"ok":1,' "status: one seal ok, none failed"
B=$(ls "$T_TMP/store/bundles"/*.tar.gz 2>/dev/null | head -1)
n=$(tar -xzOf "$B" MANIFEST.json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["notes"]))' 2>/dev/null)
[ "$n" = 800 ] && ok "the manifest keeps all 800 notes" || fail "the manifest has $n notes"
run "$EVIDENT" seal --socket "$A_SOCK" --no-immutable
expect_rc 0 "the same seal, human output"
expect_out 'note: 600 more notes in the manifest' "says how many notes are not shown"
run "$EVIDENT" verify "$T_TMP/store"
expect_rc 0 "the store verifies"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
