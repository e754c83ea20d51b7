#!/bin/sh
# Least privilege (issue 10): the shipped unit (packaging/systemd/evident.service) runs
# the agent as its own user with the journal groups, no capabilities and no_new_privs.
# systemd is not PID 1 here, so the agent is started the way the unit would start it as
# far as setpriv can (user, group, supplementary groups, empty bounding, inheritable and
# ambient sets, no_new_privs) and /proc/PID/status of the running agent is checked for
# exactly what the unit grants. It works that way: it tails a root:adm 0640 log through
# its group, and a 0640 root:root file in its sources is logged at start, not read. The unit passes
# `systemd-analyze verify` and `systemd-analyze security --offline` (exposure <= 2.0).
# Not reproduced here: the sandbox (ProtectSystem=, the system call filter, address
# families), which needs systemd as the service manager.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

UNIT="$EV_SRCDIR/packaging/systemd/evident.service"
key() { sed -n "s/^$1=//p" "$UNIT" | tail -1; }
[ "$(key User)" = evident ] && ok "unit: User=evident" || fail "unit: User=$(key User)"
[ "$(key Group)" = evident ] && ok "unit: Group=evident" || fail "unit: Group=$(key Group)"
[ "$(key SupplementaryGroups)" = "systemd-journal adm" ] && ok "unit: SupplementaryGroups=systemd-journal adm" ||
	fail "unit: SupplementaryGroups=$(key SupplementaryGroups)"
grep -qx 'CapabilityBoundingSet=' "$UNIT" && ok "unit: empty CapabilityBoundingSet" || fail "unit: capabilities in the bounding set"
grep -qx 'AmbientCapabilities=' "$UNIT" && ok "unit: no AmbientCapabilities" || fail "unit: ambient capabilities"
[ "$(key NoNewPrivileges)" = yes ] && ok "unit: NoNewPrivileges=yes" || fail "unit: NoNewPrivileges"
grep -q '^u *evident ' "$EV_SRCDIR/packaging/systemd/evident.sysusers" && ok "sysusers: the evident user" || fail "sysusers: no evident user"

# systemd-analyze on a copy whose ExecStart is the built binary (the path must exist)
if command -v systemd-analyze >/dev/null 2>&1; then
	sed "s|^ExecStart=/usr/bin/evident|ExecStart=$EVIDENT|" "$UNIT" >"$T_TMP/evident.service"
	if systemd-analyze verify --man=no "$T_TMP/evident.service" >"$T_TMP/verify.out" 2>&1; then
		ok "systemd-analyze verify"; else fail "systemd-analyze verify: $(cat "$T_TMP/verify.out")"; fi
	if systemd-analyze security --offline=true "$T_TMP/evident.service" >"$T_TMP/sec.out" 2>&1; then
		score=$(sed -n 's/.*Overall exposure level for evident.service: \([0-9.]*\).*/\1/p' "$T_TMP/sec.out")
		if [ -n "$score" ] && awk "BEGIN{exit !($score <= 2.0)}"; then
			ok "systemd-analyze security: exposure $score"; else fail "systemd-analyze security: exposure '$score'"; fi
	else skip_part "systemd-analyze security --offline does not work here"; fi
else skip_part "no systemd-analyze"; fi

[ "$(id -u)" = 0 ] || { skip_part "not root: cannot start the agent as another user"; done_testing; }
command -v setpriv >/dev/null 2>&1 || { skip_part "no setpriv"; done_testing; }
getent group systemd-journal >/dev/null && getent group adm >/dev/null ||
	{ skip_part "no systemd-journal or adm group"; done_testing; }
U=evident-privtest
CREATED=""
if ! id "$U" >/dev/null 2>&1; then
	useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$U" 2>"$T_TMP/useradd.err" ||
		{ skip_part "cannot create user $U: $(cat "$T_TMP/useradd.err")"; done_testing; }
	CREATED=1
fi
cleanup() {
	agent_cleanup
	[ -n "$CREATED" ] && userdel "$U" 2>/dev/null
	return 0
}
trap cleanup EXIT
UID_=$(id -u "$U")
GID_=$(id -g "$U")
JG=$(getent group systemd-journal | cut -d: -f3)
AG=$(getent group adm | cut -d: -f3)

# a log readable through adm (as in /var/log), and one only root reads
chmod 755 "$T_TMP"
mkdir -p "$T_TMP/logs" "$A_STATE" "$T_TMP/run" "$T_TMP/store"
LOG="$T_TMP/logs/auth.log"
SECRET="$T_TMP/logs/secret.log"
echo "$(date -u '+%b %e %H:%M:%S') web1 sshd[1]: Failed password for root from 203.0.113.9 port 1 ssh2" >"$SECRET"
: >"$LOG"
chown root:adm "$LOG"
chmod 0640 "$LOG" "$SECRET"
chown "$UID_:$GID_" "$A_STATE" "$T_TMP/run" "$T_TMP/store"
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG, $SECRET]|" "$T_TMP/evident.yaml"
chmod 644 "$T_TMP/evident.yaml"
mkdir -p "$T_TMP/rules"
agent_write_rule "$T_TMP/rules/failed.yml" failed-priv "Failed password"
chmod -R a+rX "$T_TMP/rules"
printf 'rules:\n  paths: [%s/rules]\n' "$T_TMP" >>"$T_TMP/evident.yaml"

setpriv --reuid="$UID_" --regid="$GID_" --groups="$JG,$AG" --inh-caps=-all --ambient-caps=-all \
	--bounding-set=-all --no-new-privs \
	"$EVIDENT" agent --foreground --state-dir "$A_STATE" --config "$T_TMP/evident.yaml" \
	>"$T_TMP/agent.out" 2>"$T_TMP/agent.err" &
A_PID=$!
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start as $U"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }

st() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$A_PID/status" | tr -s ' \t' ' ' | sed 's/ $//'; }
[ "$(st Uid)" = "$UID_ $UID_ $UID_ $UID_" ] && ok "Uid: $U in every slot" || fail "Uid: $(st Uid)"
[ "$(st Gid)" = "$GID_ $GID_ $GID_ $GID_" ] && ok "Gid: its own group in every slot" || fail "Gid: $(st Gid)"
want=$(printf '%s\n' "$JG" "$AG" | sort -n | tr '\n' ' ' | sed 's/ $//')
got=$(st Groups | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$want" ] && ok "Groups: exactly systemd-journal and adm ($got)" || fail "Groups: '$got', want '$want'"
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
	[ "$(st $c)" = 0000000000000000 ] && ok "$c: none" || fail "$c: $(st $c)"
done
[ "$(st NoNewPrivs)" = 1 ] && ok "NoNewPrivs: 1" || fail "NoNewPrivs: $(st NoNewPrivs)"

# it works with that: the adm log is tailed, the root-only file is reported
echo "$(date -u '+%b %e %H:%M:%S') web1 sshd[2]: Failed password for admin from 203.0.113.10 port 2 ssh2" >>"$LOG"
wait_for "alert from the adm log" grep -q 'for admin from 203.0.113.10' "$T_TMP/agent.out" &&
	ok "the agent reads a root:adm 0640 log through its group" || fail "no alert from the adm log"
grep -q '203.0.113.9' "$T_TMP/agent.out" && fail "the root-only file was read" || ok "the root-only file was not read"
grep -q "sources.files: $SECRET: not readable by uid $UID_: Permission denied" "$T_TMP/agent.err" &&
	ok "the unreadable source is logged at start" || { fail "the unreadable source is silent"; sed 's/^/  | /' "$T_TMP/agent.err"; }
agent_stop
[ "$A_RC" -eq 0 ] && ok "exit 0 on SIGTERM" || fail "exit $A_RC"
done_testing
