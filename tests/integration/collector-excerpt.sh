#!/bin/sh
# Issue 10: sealed excerpts are cut by position where the tail's time index covers the
# file, so lines with wrong dates inside the window are kept; the manifest records how
# each excerpt was cut ("cut": method, byte range, lines, lines_off_window). Without an
# index the file is cut by each line's time (and says so). The seal reads only the
# indexed byte range around the window (widened by rules.allowed_lateness): a line
# stamped inside the window but written 40 minutes later is outside the cut, as
# documented; scanning the file (no index) finds it.
. "${EV_SRCDIR:-.}/tests/integration/lib.sh"

D=$T_TMP/logs
mkdir -p "$D"
printf 'sources:\n  files: ["%s/app.log"]\n  journal: false\n  stat_interval: 100ms\n  checkpoint_interval: 100ms\n' "$D" >"$T_TMP/cfg.yaml"

# an hour of lines, one a second; inside the window 00:20:00..00:29:59, after n=1500, a
# line stamped 1999 and one stamped 2099 (a broken clock, a hostile writer)
awk 'BEGIN { for (i = 0; i < 3600; i++) {
	printf "2026-11-27T00:%02d:%02dZ h app[1]: n=%d\n", i / 60, i % 60, i
	if (i == 1500) { print "1999-01-01T00:00:00Z h app[1]: n=wrong1999"; print "2099-01-01T00:00:00Z h app[1]: n=wrong2099" }
} }' >"$D/app.log"
echo "2026-11-27T00:20:30Z h app[1]: n=late" >>"$D/app.log"
"$EVIDENT" tail --config "$T_TMP/cfg.yaml" --state-dir "$T_TMP/state" --from-start --json >"$T_TMP/rec.jsonl" 2>"$T_TMP/tail.err" &
TPID=$!
count() { n=$(cat "$T_TMP/rec.jsonl" 2>/dev/null | wc -l); echo "$n"; }
i=0
while [ "$(count)" -lt 3603 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
i=0 # and a checkpoint after the last line (the index goes with it)
while ! grep -q "\"offset\":$(wc -c <"$D/app.log")," "$T_TMP/state/positions.json" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM "$TPID"; wait "$TPID" || fail "tail exited $?"
grep -q '"index":\[\[' "$T_TMP/state/positions.json" && ok "the tail saved a time index" || fail "no time index saved"

K=$T_TMP/keys; mkdir -p "$K"
"$EVIDENT" keygen --out "$K" >/dev/null 2>&1 || fail "keygen"
excerpt() { # excerpt STATE-DIR OUT: seal 00:20:00..00:29:59; excerpt to OUT, manifest to OUT.manifest
	rm -rf "$T_TMP/ext"
	b=$("$EVIDENT" seal --config "$T_TMP/cfg.yaml" --store "$T_TMP/store" --key "$K/evident.key" \
		--no-immutable --state-dir "$1" --file "$D/app.log" \
		--since 2026-11-27T00:20:00Z --until 2026-11-27T00:29:59Z 2>>"$T_TMP/seal.err" | head -n 1)
	"$EVIDENT" extract --key "$K/evident.key" --to "$T_TMP/ext" "$b" >/dev/null 2>&1 || fail "extract $b"
	find "$T_TMP/ext" -path '*excerpts*' -type f -exec cat {} + >"$2"
	tar -xzOf "$b" MANIFEST.json >"$2.manifest" 2>/dev/null || fail "no manifest in $b"
}

# by position: exactly the original bytes from n=1200 to n=1799, the two wrong lines included
excerpt "$T_TMP/state" "$T_TMP/indexed"
sed -n '/ n=1200$/,/ n=1799$/p' "$D/app.log" >"$T_TMP/want"
cmp -s "$T_TMP/indexed" "$T_TMP/want" &&
	ok "indexed: the byte range of the window, wrong-dated lines kept, the late line not" ||
	fail "indexed excerpt differs from the window's bytes ($(grep -c . "$T_TMP/indexed") lines, wrong ones: $(grep -c wrong "$T_TMP/indexed"))"
python3 - "$T_TMP/indexed.manifest" "$(grep -b ' n=1200$' "$D/app.log" | cut -d: -f1)" "$(wc -c <"$T_TMP/want")" <<'PY' && ok "indexed: the manifest records the cut by position" || fail "indexed: manifest cut record"
import json, sys
m = json.load(open(sys.argv[1]))
start = int(sys.argv[2]); size = int(sys.argv[3])
c = [x for x in m["members"] if x["source"].get("kind") == "excerpt"][0]["cut"]
want = {"method": "position", "start": start, "end": start + size, "lines": 602, "lines_off_window": 2}
if c != want:
    print("  cut:", c, "want:", want)
    sys.exit(1)
PY

# by time (no index): the window's own lines only, and the record says so
excerpt "$T_TMP/no-state" "$T_TMP/scanned"
{ grep -v wrong "$T_TMP/want"; tail -n 1 "$D/app.log"; } | cmp -s - "$T_TMP/scanned" &&
	ok "scanned: the lines whose time is in the window, the late one included" ||
	fail "scanned excerpt: $(grep -c . "$T_TMP/scanned") lines"
python3 - "$T_TMP/scanned.manifest" <<'PY' && ok "scanned: the manifest records the cut by time" || fail "scanned: manifest cut record"
import json, sys
m = json.load(open(sys.argv[1]))
c = [x for x in m["members"] if x["source"].get("kind") == "excerpt"][0]["cut"]
if c.get("method") != "time" or c.get("lines") != 601 or c.get("lines_off_window") != 0:
    print("  cut:", c)
    sys.exit(1)
PY
# a FIFO named as evidence (issue 10, bug 4's open): never waited on, recorded as an error
mkfifo "$D/pipe.log"
timeout 20 "$EVIDENT" seal --config "$T_TMP/cfg.yaml" --store "$T_TMP/store" --key "$K/evident.key" \
	--no-immutable --file "$D/pipe.log" --since 2026-11-27T00:20:00Z --until 2026-11-27T00:29:59Z \
	>"$T_TMP/fifo.out" 2>"$T_TMP/fifo.err"
rc=$?
[ $rc -ne 124 ] && ok "seal of a FIFO does not hang (exit $rc)" || fail "seal of a FIFO hung"
grep -q "pipe.log: .*not a regular file" "$T_TMP/fifo.err" && ok "the FIFO is recorded as not a regular file" ||
	{ fail "FIFO not reported"; cat "$T_TMP/fifo.err"; }
"$EVIDENT" verify --pub "$K/evident.pub" "$T_TMP/store" >/dev/null 2>&1 && ok "the store verifies" || fail "verify failed"

done_testing
