#!/bin/sh
# Issue 14: `evident analyze --assign` prints one result per input line, in order (text:
# "ID<TAB>TEMPLATE"; --json: {"id","line","template"}), the id is the FNV-1a 64 hash of
# the template text, ids are the same in two runs, and the template store
# (--state DIR) keeps them across a restart: it grows monotonically, a template that
# generalises records the id it absorbed, and that old id still resolves.
. "$EV_SRCDIR/tests/integration/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to check the output"

L="$T_TMP/auth.log"
cat >"$L" <<'LOG'
Nov 30 10:00:01 web1 sshd[100]: Failed password for root from 10.0.0.1 port 5001 ssh2
Nov 30 10:00:02 web1 sshd[101]: Accepted publickey for deploy from 10.0.0.2 port 5002 ssh2
Nov 30 10:00:03 web1 sshd[102]: Failed password for root from 10.0.0.3 port 5003 ssh2
Nov 30 10:00:04 web1 sshd[103]: session opened for user deploy by (uid=0)
Nov 30 10:00:05 web1 sshd[104]: Failed password for admin from 10.0.0.4 port 5004 ssh2
Nov 30 10:00:06 web1 sshd[105]: Connection closed by 10.0.0.5 port 5005 [preauth]
LOG

run "$EVIDENT" analyze --assign --tz UTC --now 2026-12-01T00:00:00Z "$L"
expect_rc 0 "--assign on a file"
printf '%s\n' "$T_OUT" >"$T_TMP/a1.txt"
[ "$(wc -l <"$T_TMP/a1.txt")" -eq 6 ] && ok "one line out per line in" || fail "lines out: $(wc -l <"$T_TMP/a1.txt")"
# lines 1, 3 and 5 are one template with the user masked; the others differ
python3 - "$T_TMP/a1.txt" <<'PY' && ok "text format: id TAB template; the failed-password lines grouped, the id is FNV-1a 64 of the text" || fail "text format or grouping (see above)"
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
def fnv(s):
    h = 1469598103934665603
    for b in s.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h
ok = all(len(r) == 2 and len(r[0]) == 16 and fnv(r[1]) == r[0] for r in rows)
ids = [r[0] for r in rows]
ok = ok and ids[0] == ids[2] == ids[4] and len({ids[0], ids[1], ids[3], ids[5]}) == 4
ok = ok and rows[0][1] == "Failed password for <*> from <*> port <*> ssh2"
print(rows)
sys.exit(0 if ok else 1)
PY

run "$EVIDENT" analyze --assign --json --tz UTC --now 2026-12-01T00:00:00Z "$L"
expect_rc 0 "--assign --json"
printf '%s\n' "$T_OUT" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert [r["line"] for r in rows] == list(range(1, 7)), rows
assert all(sorted(r) == ["id", "line", "template"] for r in rows), rows
' && ok "--json: one object per line with line, id, template, in input order" || fail "--json format"
printf '%s\n' "$T_OUT" | cut -d'"' -f4 >"$T_TMP/j1.ids"
cut -f1 "$T_TMP/a1.txt" >"$T_TMP/t1.ids"
cmp -s "$T_TMP/j1.ids" "$T_TMP/t1.ids" && ok "text and JSON give the same ids" || fail "text and JSON ids differ"

run "$EVIDENT" analyze --assign --tz UTC --now 2026-12-01T00:00:00Z "$L"
[ "$T_OUT" = "$(cat "$T_TMP/a1.txt")" ] && ok "a second run gives the same ids" || fail "second run differs"

# --- the template store across a restart ---
S="$T_TMP/state"
"$EVIDENT" analyze --assign --state "$S" --tz UTC --now 2026-12-01T00:00:00Z "$L" >"$T_TMP/s1.txt" || fail "run with --state"
[ -s "$S/templates/templates.jsonl" ] && ok "store written" || fail "no store"
n1=$(wc -l <"$S/templates/templates.jsonl")
"$EVIDENT" analyze --assign --state "$S" --tz UTC --now 2026-12-01T00:00:00Z "$L" >"$T_TMP/s2.txt" || fail "restart run"
cmp -s "$T_TMP/s1.txt" "$T_TMP/s2.txt" && ok "same ids after a restart (store reloaded)" || fail "ids changed after a restart"
cmp -s "$T_TMP/s1.txt" "$T_TMP/a1.txt" && ok "same ids with and without a store" || fail "store changed the ids"
n2=$(wc -l <"$S/templates/templates.jsonl")
[ "$n1" -eq "$n2" ] && ok "replay of the same input adds nothing to the store" || fail "store grew on replay: $n1 -> $n2"

# generalisation: a template seen with one user, then with others, absorbs its old id
G1="$T_TMP/g1.log"; G2="$T_TMP/g2.log"
printf 'Nov 30 11:00:0%d web1 app[7]: cache warmup done for tenant alpha\n' 1 2 >"$G1"
printf 'Nov 30 11:01:0%d web1 app[7]: cache warmup done for tenant beta\n' 1 2 >"$G2"
old=$("$EVIDENT" analyze --assign --state "$S" --tz UTC --now 2026-12-01T00:00:00Z "$G1" | head -1 | cut -f1)
new=$("$EVIDENT" analyze --assign --state "$S" --tz UTC --now 2026-12-01T00:00:00Z "$G2" | head -1 | cut -f1)
[ -n "$old" ] && [ "$old" != "$new" ] && ok "the template generalised to a new id ($old -> $new)" || fail "no generalisation: $old $new"
python3 - "$S/templates/templates.jsonl" "$old" "$new" <<'PY' && ok "the store keeps the old id and records it as absorbed by the new one; it only grew" || fail "store after generalisation"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ids = [r["id"] for r in rows]
new = [r for r in rows if r["id"] == sys.argv[3]]
sys.exit(0 if sys.argv[2] in ids and new and sys.argv[2] in new[-1]["absorbed"]
         and new[-1]["template"] == "cache warmup done for tenant <*>" else 1)
PY
n3=$(wc -l <"$S/templates/templates.jsonl")
[ "$n3" -gt "$n2" ] && ok "store grew monotonically ($n2 -> $n3 lines)" || fail "store did not grow"
again=$("$EVIDENT" analyze --assign --state "$S" --tz UTC --now 2026-12-01T00:00:00Z "$G1" | head -1 | cut -f1)
[ "$again" = "$new" ] && ok "after the restart the first file's lines go to the generalised template" || fail "reload: $again, want $new"

# undecodable bytes are data: every output line stays JSON, the store stays readable
B="$T_TMP/bytes.log"
printf 'Nov 30 12:00:01 web1 app[1]: bad input \377\376 from client\nNov 30 12:00:02 web1 app[1]: odd \303\251t\351\n' >"$B"
printf '{"time":"2026-11-30T12:00:03Z","service":"s\\u00ff\\u0000x","level":"error","message":"m \\u0000 \\u00e9","trace_id":"t\\u0000"}\n' >>"$B"
"$EVIDENT" analyze --assign --json --state "$S" --tz UTC --now 2026-12-01T00:00:00Z "$B" >"$T_TMP/b.json" || fail "--assign on undecodable bytes"
python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if len(r) == 3 else 1)' "$T_TMP/b.json" &&
	ok "undecodable bytes: one valid JSON line per input line" || fail "undecodable bytes: $(cat "$T_TMP/b.json")"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$S/templates/templates.jsonl" &&
	ok "the store stays valid JSON" || fail "store not JSON"
run "$EVIDENT" analyze --json --svg "$T_TMP/b.svg" "$B"
expect_rc 0 "analyze over undecodable bytes and NULs in names"
printf '%s\n' "$T_OUT" | python3 -c 'import json,sys; json.load(sys.stdin)' && python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$T_TMP/b.svg" &&
	ok "JSON and SVG stay well-formed" || fail "JSON or SVG broken by the bytes"

run "$EVIDENT" analyze --assign --svg "$T_TMP/x.svg" "$L"
expect_rc 2 "--assign with --svg is a usage error"
run "$EVIDENT" analyze --assign
expect_rc 2 "no input is a usage error"
done_testing
