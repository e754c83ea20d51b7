#!/bin/sh
# Rotation of files configured by a glob whose name starts with a wildcard (logs/*.log):
# lines written just before a copytruncate (the agent had not read them yet: it is
# stopped with SIGSTOP meanwhile) are read from the copy (app.log.1), and lines written
# just before a rename rotation from the renamed file; none is lost or repeated.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

L="$T_TMP/logs"
mkdir -p "$L" "$T_TMP/rules"
cat >"$T_TMP/rules/every.yml" <<'EOF2'
title: every numbered line
id: 3c6b0d2f-4e5a-4f7b-9c8d-0e1f2a3b4c5d
level: low
logsource:
  product: linux
detection:
  sel:
    message|contains: 'GLOBLINE-'
  condition: sel
EOF2
agent_write_config "$T_TMP/evident.yaml"
sed -i "s|^  journal: false|  journal: false\n  files: ['$L/*.log']\n  checkpoint_interval: 200ms\n  stat_interval: 200ms|" "$T_TMP/evident.yaml"
printf 'rules:\n  paths: [%s/rules]\n' "$T_TMP" >>"$T_TMP/evident.yaml"

write_lines() { # write_lines FILE FROM TO
	python3 -c '
import sys
with open(sys.argv[1], "a") as f:
    for i in range(int(sys.argv[2]), int(sys.argv[3]) + 1):
        f.write("2026-11-27T02:00:00Z host1 app[1]: GLOBLINE-%06d payload\n" % i)
' "$@"
}
seen() { grep -o 'GLOBLINE-[0-9]*' "$T_TMP/agent.out" | sort -u | wc -l; }
seen_total() { grep -o 'GLOBLINE-[0-9]*' "$T_TMP/agent.out" | wc -l; }

# lines before the first start are not read (a fresh state starts at the end of a file)
write_lines "$L/a.log" 1 10
write_lines "$L/b.log" 1001 1010
agent_start --config "$T_TMP/evident.yaml"
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }
write_lines "$L/a.log" 11 20
write_lines "$L/b.log" 1011 1020
wait_for "first lines" sh -c "[ \$(grep -c GLOBLINE- '$T_TMP/agent.out') -ge 20 ]" || fail "first 20 lines not alerted"

# copytruncate while the agent cannot read: the new lines exist only in the copy
kill -STOP "$A_PID"
write_lines "$L/a.log" 21 60
cp "$L/a.log" "$L/a.log.1"
truncate -s 0 "$L/a.log"
# rename rotation likewise
write_lines "$L/b.log" 1021 1060
mv "$L/b.log" "$L/b.log.1"
write_lines "$L/b.log" 1061 1070
kill -CONT "$A_PID"
write_lines "$L/a.log" 61 70

if wait_for "all lines" sh -c "[ \$(grep -o 'GLOBLINE-[0-9]*' '$T_TMP/agent.out' | sort -u | wc -l) -ge 120 ]"; then
	ok "every line alerted across copytruncate and rename of globbed files (120 of 120)"
else
	fail "lines alerted: $(seen) of 120"
	for i in $(seq 11 70) $(seq 1011 1070); do grep -q "GLOBLINE-$(printf %06d "$i")" "$T_TMP/agent.out" || printf 'missing %s\n' "$i"; done | head -5
fi
sleep 0.5
[ "$(seen_total)" -eq "$(seen)" ] && ok "no line alerted twice" || fail "$(($(seen_total) - $(seen))) lines alerted twice"
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC on SIGTERM"
done_testing
