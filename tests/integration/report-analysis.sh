#!/bin/sh
# evident report merges the incident's analysis into its timeline: the first error per
# service and the onset of each error template from the incident's evidence, at the times
# of their log lines, among the ledger's entries in time order (source "analysis"). The
# incident lives in the directory --state-dir names, not in the configured agent.state_dir:
# the report's analysis reads it (and its template store) from there.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/incident-lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read JSON answers"
syslog_t() { LC_ALL=C date -d "$1" '+%b %e %H:%M:%S'; }
# <11>: user.err, <14>: user.info
{
	printf '<14>%s web1 api[7]: request served in 12 ms\n' "$(syslog_t '-5 min')"
	printf '<11>%s web1 api[7]: upstream payments timed out after 3000 ms\n' "$(syslog_t '-4 min')"
	printf '<11>%s web1 api[7]: upstream payments timed out after 3100 ms\n' "$(syslog_t '-3 min')"
	printf '<11>%s web1 api[7]: disk /var full\n' "$(syslog_t '-2 min')"
} >"$T_TMP/api.log"
incident_config
run "$EVIDENT" triage -c "$I_CONF" --offline --incident INC-A --impact internal_error --urgency high \
	--impact-started -30m --detected -10m
expect_rc 0 "triage (seals this host's evidence)"
run inc resolve INC-A --root-cause "payments pool too small" --resolution "pool raised" --as alice
expect_rc 0 "resolved"
# the incident moves: the configuration's state directory no longer has it
mv "$I_STATE" "$T_TMP/moved-state"
run "$EVIDENT" report -c "$I_CONF" INC-A --json
expect_rc 2 "without --state-dir: the configured state directory has no such incident"
run "$EVIDENT" report -c "$I_CONF" --state-dir "$T_TMP/moved-state" INC-A --json
expect_rc 0 "report --state-dir --json"
printf '%s\n' "$T_OUT" >"$T_TMP/r.json"
python3 - "$T_TMP/r.json" <<'PY' && ok "the analysis's first error and template onsets are in the timeline, at their lines' times, in order with the ledger's entries" || fail "timeline (see above)"
import json, sys, datetime as dt
d = json.load(open(sys.argv[1]))
tl = d["timeline"]
an = [e for e in tl if e.get("source") == "analysis"]
assert an, tl
ev = {(e["event"], e["detail"]) for e in an}
assert ("first_error", "api: upstream payments timed out after <*> ms") in ev, ev
onsets = {e["detail"] for e in an if e["event"] in ("pattern_onset", "new_pattern")}
assert onsets == {"upstream payments timed out after <*> ms", "disk /var full"}, onsets
assert not any("request served" in e["detail"] for e in an), an
# at the times of the first lines of each: written 4 and 2 minutes ago (whole seconds)
now = dt.datetime.now(dt.timezone.utc).timestamp()
fe = [e for e in an if e["event"] == "first_error"]
assert len(fe) == 1 and now - fe[0]["at_us"] / 1e6 >= 235, fe
disk = [e for e in an if "disk" in e["detail"]][0]
assert 119 <= (disk["at_us"] - fe[0]["at_us"]) / 1e6 <= 121, (disk, fe)
# merged among the ledger's entries, by time
assert [e["at_us"] for e in tl] == sorted(e["at_us"] for e in tl), [(e["event"], e["at_us"]) for e in tl]
assert len(tl) > len(an), "no ledger entries"
PY
done_testing
