#!/bin/sh
# evident maintenance plan (issue 18) on a crafted traffic history: 28 days of a
# service's log with busy working hours, a quiet night everywhere, and Tuesday 02:00-04:00
# UTC nearly silent; the quietest 2-hour window must be Tuesday 02:00 with the traffic it
# really had, the next ones quieter than any working hour, and lines outside the history
# (older than --days) must not count. The history is rotated as logrotate leaves it: the
# last week in web.log, the week before in web.log.1, the older days in web.log.2.gz; every
# line of the 28 days counts, the compressed ones included.
. "${EV_SRCDIR:-.}/tests/integration/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to write the history"
mkdir -p "$T_TMP/keys"
"$EVIDENT" keygen --out "$T_TMP/keys" --name k >/dev/null 2>&1 || fail "keygen"
LOG="$T_TMP/web.log"
python3 - "$LOG" "$T_TMP/expected" <<'EOPY'
import calendar, gzip, sys, time
rows = []
class Out:
    def write(self, line):
        rows.append(line)
out = Out()
now = int(time.time()) // 3600 * 3600
# whole hours of the last 28 days (the current, partial hour left out)
for h in range(now - 28 * 86400 + 3600, now, 3600):
    t = time.gmtime(h)
    if t.tm_wday == 1 and t.tm_hour in (2, 3):
        n = 1                                   # Tuesday 02:00-04:00: one request an hour
    elif 9 <= t.tm_hour < 18:
        n = 60                                  # working hours
    else:
        n = 10                                  # nights and evenings
    for i in range(n):
        out.write("%s web nginx[1]: GET /index.html 200\n" % time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(h + i * 50)))
# older than 28 days: Tuesday 02:00 very busy, must be ignored
old = now - 40 * 86400
for h in range(old - 7 * 86400, old, 3600):
    if time.gmtime(h).tm_wday == 1 and time.gmtime(h).tm_hour in (2, 3):
        for i in range(500):
            out.write("%s web nginx[1]: GET / 200\n" % time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(h + i)))
def t(line):
    return calendar.timegm(time.strptime(line[:19], "%Y-%m-%dT%H:%M:%S"))
rows.sort(key=t)
with gzip.open(sys.argv[1] + ".2.gz", "wt") as f:
    f.writelines(r for r in rows if t(r) < now - 14 * 86400)
with open(sys.argv[1] + ".1", "w") as f:
    f.writelines(r for r in rows if now - 14 * 86400 <= t(r) < now - 7 * 86400)
with open(sys.argv[1], "w") as f:
    f.writelines(r for r in rows if t(r) >= now - 7 * 86400)
open(sys.argv[2], "w").write("%d\n" % sum(1 for r in rows if t(r) > now - 28 * 86400))
open(sys.argv[2] + ".hour", "w").write("%d\n" % now)
EOPY
cat >"$T_TMP/evident.yaml" <<EOC
agent:
  state_dir: $T_TMP/state
sources:
  journal: false
store:
  path: $T_TMP/store
  key: $T_TMP/keys/k.key
incidents:
  services: ["web: file:$LOG"]
EOC
M="$EVIDENT maintenance -c $T_TMP/evident.yaml"
run $M plan --service web --duration 2h --days 28 --json
expect_rc 0 "plan --json"
printf '%s\n' "$T_OUT" >"$T_TMP/plan.json"
python3 - "$T_TMP/plan.json" "$(cat "$T_TMP/expected")" "$(cat "$T_TMP/expected.hour")" <<'EOPY' && ok "every line of the 28 days counted (web.log.2.gz, web.log.1, web.log); Tuesday 02:00 (2 h) is the quietest window, with its real traffic; the next are night hours" || fail "plan: $T_OUT"
import json, sys
p = json.load(open(sys.argv[1]))
w = p["windows"]
assert p["service"] == "web" and p["days"] == 28, p
# the first hour may fall out when the clock passed an hour since the history was written
assert int(sys.argv[2]) - 60 <= p["lines"] <= int(sys.argv[2]), (p["lines"], sys.argv[2])
assert len(w) == 5, w
assert w[0]["start"] == "Tue 02:00" and w[0]["hours"] == 2, w[0]
# 1 line an hour, two hours: 2 a week (1.75 when the current hour is one of them)
assert 1.5 <= w[0]["expected_lines"] <= 2.0, w[0]
assert w[0]["peak_hour_lines"] <= 1.0, w[0]
# every other window holds at least one night hour of 10 lines, none a working hour (60);
# the current hour is not in the history, so a window holding it (Tuesday 01:00 or 04:00
# next to the quiet window) has that hour at 7.5, the mean of three weeks over four. The
# agent read its clock between the writing of the history and now: when an hour began in
# between, the hour it saw as current is either of the two (and the one left out of the
# history counts as an empty hour), so both are allowed the lower mean.
import time
days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
hours = {int(sys.argv[3]), int(time.time()) // 3600 * 3600}
def holds_now(x):
    start = days.index(x["start"][:3]) * 24 + int(x["start"][4:6])
    return any((time.gmtime(h).tm_wday * 24 + time.gmtime(h).tm_hour - start) % 168 < x["hours"]
               for h in hours)
for x in w[1:]:
    assert (7.5 if holds_now(x) else 10) <= x["expected_lines"] <= 20, (x, w)
assert [x["expected_lines"] for x in w] == sorted(x["expected_lines"] for x in w), w
assert w[0]["next"].endswith("Z") or "+" in w[0]["next"], w[0]
EOPY
run $M plan --service web --duration 1h
expect_rc 0 "plan, human output"
expect_out '1\. Tue 0[23]:00 for 1h' "the quietest hour is a Tuesday night hour"
run $M plan --service nosuch
expect_rc 2 "an unknown service is a usage error"
expect_err "not one of incidents.services" "the error names the setting"
run $M plan --service web --days 0
expect_rc 2 "--days 0 is refused"
done_testing
