#!/bin/sh
# Issue 12: every Loghub sample in $EV_SHARED/data/loghub (SKIP when absent) is read by
# `evident replay` with auto-detection: every line parsed, every line timed, and each
# line's time equal to the one in the set's ground-truth structured CSV (the fields the
# CSV carries: sets without a year are compared without it). Prints a table.
. "$EV_SRCDIR/tests/integration/lib.sh"

LOGHUB="${EV_SHARED:-$EV_SRCDIR/../shared}/data/loghub"
[ -d "$LOGHUB" ] || skip "no Loghub data in $LOGHUB"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read the CSVs"

printf '# %-10s %6s %8s %6s %12s  %s\n' SET LINES UNPARSED UNTIMED "TIME=CSV" FORMAT
n_sets=0
for log in "$LOGHUB"/*/*_2k.log; do
	[ -f "$log" ] || continue
	set=$(basename "$log" _2k.log)
	csv="${log}_structured_corrected.csv"
	"$EVIDENT" replay --tz UTC --now 2026-11-30T00:00:00Z "$log" >"$T_TMP/$set.json" 2>"$T_TMP/$set.err" ||
		{ fail "$set: replay failed: $(cat "$T_TMP/$set.err")"; continue; }
	format=$(sed -n 's/^evident: replay: .*: format //p' "$T_TMP/$set.err")
	python3 - "$set" "$log" "$csv" "$T_TMP/$set.json" "$format" >"$T_TMP/$set.res" <<'PY' ||
import csv, json, sys, datetime
name, log, csvp, js, fmt = sys.argv[1:6]
recs = [json.loads(l) for l in open(js, encoding="utf-8")]
lines = sum(1 for _ in open(log, "rb"))
unparsed = sum(1 for r in recs if "unparsed" in r.get("flags", []))
untimed = sum(1 for r in recs if "no_time" in r.get("flags", []))
rows = list(csv.DictReader(open(csvp, newline="", encoding="utf-8", errors="replace")))
M = {m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}

def want(row):
    """(format of the record's time to compare, expected text) from the CSV's columns."""
    t = row.get("Time", "")
    if name == "Apache":
        d = datetime.datetime.strptime(t, "%a %b %d %H:%M:%S %Y")
        return "%Y-%m-%dT%H:%M:%S", d.strftime("%Y-%m-%dT%H:%M:%S")
    if name == "HDFS":
        d = datetime.datetime.strptime(row["Date"].zfill(6) + t.zfill(6), "%y%m%d%H%M%S")
        return "%Y-%m-%dT%H:%M:%S", d.strftime("%Y-%m-%dT%H:%M:%S")
    if name == "Zookeeper":
        return "%Y-%m-%dT%H:%M:%S.%f", row["Date"] + "T" + t.replace(",", ".") + "000"
    if name == "Proxifier":
        md, hms = t.split(" ")
        return "%m-%dT%H:%M:%S", md.replace(".", "-") + "T" + hms
    if name in ("Linux", "OpenSSH"):
        mon = row["Month"] if name == "Linux" else row["Date"]
        day = row["Date"] if name == "Linux" else row["Day"]
        return "%m-%dT%H:%M:%S", "%02d-%02dT%s" % (M[mon], int(day), t)
    return None, None

same = checked = 0
bad = []
for row, r in zip(rows, recs):
    f, w = want(row)
    if f is None:
        continue
    checked += 1
    got = datetime.datetime.strptime(r["time"], "%Y-%m-%dT%H:%M:%S.%fZ").strftime(f)
    if got == w:
        same += 1
    elif len(bad) < 3:
        bad.append("line %s: %s, CSV %s" % (row["LineId"], got, w))
print("%-10s %6d %8d %6d %5d/%-6d  %s" % (name, len(recs), unparsed, untimed, same, checked, fmt))
for b in bad:
    print("   " + b)
ok = len(recs) == lines and unparsed == 0 and untimed == 0 and len(rows) == lines and same == checked and checked > 0
sys.exit(0 if ok else 1)
PY
		{ sed 's/^/# /' "$T_TMP/$set.res"; fail "$set: every line parsed and timed as in the CSV"; continue; }
	sed 's/^/# /' "$T_TMP/$set.res"
	ok "$set: every line parsed, times as in the CSV ($format)"
	n_sets=$((n_sets + 1))
done
[ "$n_sets" -gt 0 ] || [ "$T_FAILS" -gt 0 ] || skip "no Loghub set found in $LOGHUB"
done_testing
