#!/bin/sh
# Issue 10, bug 5: a symbolic link in a watched (globbed) directory is not followed to a
# file outside the configured source paths unless sources.follow_symlinks says so, and
# never when the directory holding it is writable by others; each refusal is logged once
# and counted (the agent's status shows links_refused). A FIFO in a watched directory
# never blocks. The "secret" is a harmless file of the test's own, outside the sources.
. "${EV_SRCDIR:-.}/tests/integration/lib.sh"

D=$T_TMP/logs
S=$T_TMP/secret
TPID=
trap '[ -n "${TPID:-}" ] && kill -KILL "$TPID" 2>/dev/null; rm -rf "$T_TMP"' EXIT

line() { echo "Nov 27 00:00:00 h app[1]: $1"; }
config() { # config GLOB [extra sources lines]
	{
		printf 'sources:\n  files: ["%s"]\n  journal: false\n  stat_interval: 100ms\n  checkpoint_interval: 100ms\n' "$1"
		shift
		for l in "$@"; do echo "  $l"; done
	} >"$T_TMP/cfg.yaml"
}
reset() {
	rm -rf "$D" "$S" "$T_TMP/rec.jsonl" "$T_TMP/tail.err"
	mkdir -p "$D" "$S"
	chmod 0755 "$D"
	line "SECRET=hunter2" >"$S/shadow"
	line "n=1" >"$D/app.log"
}
# tail_run: `evident tail --from-start` for a few stat ticks, then a clean stop
tail_run() {
	"$EVIDENT" tail --config "$T_TMP/cfg.yaml" --from-start --json >"$T_TMP/rec.jsonl" 2>"$T_TMP/tail.err" &
	TPID=$!
	i=0
	while ! grep -q '"n=1"' "$T_TMP/rec.jsonl" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.5 # five more scans: a refusal is reported once, not once per scan
	kill -TERM "$TPID"; wait "$TPID"; st=$?; TPID=
	[ $st -eq 0 ] || fail "tail exited $st"
}
read_secret() { grep -q 'SECRET=hunter2' "$T_TMP/rec.jsonl"; }
refusals() { grep -c 'not read' "$T_TMP/tail.err"; }

# 1. a link to a file outside the sources is refused, once, with the reason
reset; config "$D/*.log"
ln -s "$S/shadow" "$D/evil.log"
tail_run
read_secret && fail "link to a file outside the sources was read" || ok "link to a file outside the sources not read"
grep -q '"n=1"' "$T_TMP/rec.jsonl" && ok "the real file beside it is read" || fail "the real file was not read"
[ "$(refusals)" -eq 1 ] && ok "refusal logged once" || { fail "refusal logged $(refusals) times"; cat "$T_TMP/tail.err"; }
grep -q "evil.log: not read: symbolic link to $S/shadow, outside the configured source paths" "$T_TMP/tail.err" &&
	ok "the message names the link, its target and why" || { fail "message"; cat "$T_TMP/tail.err"; }

# 2. a link to a file in the configured directory is followed (rotation schemes use them)
reset; config "$D/*.log"
line "n=2 inside" >"$D/current.txt"
ln -s current.txt "$D/cur.log"
tail_run
grep -q '"n=2 inside"' "$T_TMP/rec.jsonl" && ok "link within the source directory followed" || fail "link within the source directory not followed"
[ "$(refusals)" -eq 0 ] && ok "no refusal for it" || fail "refused a link inside the sources"

# 2b. a link the configuration names exactly (no glob) is followed wherever it leads
reset; config "$D/named.log"
ln -s "$S/shadow" "$D/named.log"
line "n=1" >>"$S/shadow"
tail_run
read_secret && ok "a configured path that is a link is followed" || { fail "configured link not followed"; cat "$T_TMP/tail.err"; }

# 3. a directory on the way that is a link out of the sources (glob over directories)
reset; config "$D/*/app.log"
mkdir -p "$D/real"; line "n=1" >"$D/real/app.log"
mkdir -p "$S/d"; line "SECRET=hunter2" >"$S/d/app.log"
ln -s "$S/d" "$D/evil"
tail_run
read_secret && fail "directory link out of the sources was followed" || ok "directory link out of the sources refused"
grep -q "evil/app.log: not read" "$T_TMP/tail.err" && ok "directory link refusal logged" || { fail "no refusal logged"; cat "$T_TMP/tail.err"; }

# 4. sources.follow_symlinks: true follows it...
reset; config "$D/*.log" "follow_symlinks: true"
ln -s "$S/shadow" "$D/evil.log"
tail_run
read_secret && ok "follow_symlinks: true follows a link out of the sources" || fail "follow_symlinks: true did not follow"

# 5. ...but never where others may write: mode o+w (also with the sticky bit), a foreign
# group with g+w, a foreign owner
for how in o+w 1777 group owner; do
	reset; config "$D/*.log" "follow_symlinks: true"
	ln -s "$S/shadow" "$D/evil.log"
	case $how in
	group) { chgrp nogroup "$D" 2>/dev/null || chgrp 65534 "$D" 2>/dev/null; } &&
		[ "$(stat -c %g "$D")" != "$(id -g)" ] || { skip_part "the foreign group case: chgrp to nogroup failed"; continue; }
		chmod 0775 "$D" ;;
	owner) chown 65534 "$D" 2>/dev/null || { skip_part "the foreign owner case: chown needs root"; continue; } ;;
	*) chmod "$how" "$D" ;;
	esac
	tail_run
	read_secret && fail "followed a link in a directory others may write ($how)" || ok "no link followed in a directory others may write ($how)"
	grep -q "never followed where others may write" "$T_TMP/tail.err" && ok "refusal says why ($how)" || { fail "refusal reason ($how)"; cat "$T_TMP/tail.err"; }
done

# 5b. not even to a target inside the sources, in a directory everyone may write
reset; config "$D/*.log"
line "n=4 planted" >"$D/current.txt"
ln -s current.txt "$D/cur.log"
chmod 1777 "$D"
tail_run
grep -q '"n=4 planted"' "$T_TMP/rec.jsonl" && fail "followed a link inside the sources in a world-writable directory" ||
	ok "no link followed in a world-writable directory, even to a target inside the sources"

# 6. a FIFO (and a link to one) in a watched directory: never opened for reading, no hang
reset; config "$D/*.log"
mkfifo "$D/pipe.log"
ln -s pipe.log "$D/pipe2.log"
"$EVIDENT" tail --config "$T_TMP/cfg.yaml" --from-start --json >"$T_TMP/rec.jsonl" 2>"$T_TMP/tail.err" &
TPID=$!
i=0
while ! grep -q '"n=1"' "$T_TMP/rec.jsonl" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
grep -q '"n=1"' "$T_TMP/rec.jsonl" && ok "FIFO beside: the real file is read" || fail "FIFO blocked the tail"
line "n=3" >>"$D/app.log"
i=0
while ! grep -q '"n=3"' "$T_TMP/rec.jsonl" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
grep -q '"n=3"' "$T_TMP/rec.jsonl" && ok "FIFO beside: appends still read" || fail "FIFO: appends not read"
kill -TERM "$TPID"; wait "$TPID"; st=$?; TPID=
[ $st -eq 0 ] && ok "FIFO: clean stop" || fail "FIFO: tail exited $st"

# 7. the agent logs the refusal and counts it in status
if command -v python3 >/dev/null 2>&1; then
	. "$EV_SRCDIR/tests/integration/agent-lib.sh"
	reset
	ln -s "$S/shadow" "$D/evil.log"
	agent_write_config "$T_TMP/evident.yaml" "$(printf 'sources:\n  files: ["%s/*.log"]\n  journal: false\n  stat_interval: 100ms' "$D")"
	# the generated config has two sources: blocks; keep the last one's keys only
	python3 - "$T_TMP/evident.yaml" <<'PY'
import sys
p = sys.argv[1]
t = open(p).read().replace("sources:\n  journal: false\n", "", 1)
open(p, "w").write(t)
PY
	agent_start --config "$T_TMP/evident.yaml"
	wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; }
	sleep 0.3
	run "$EVIDENT" status --json --socket "$A_SOCK"
	expect_out '"links_refused": *1' "status counts the refused link"
	expect_out 'app.log' "status lists the real file"
	printf '%s\n' "$T_OUT" | grep -q 'evil.log' && fail "status lists the link as a source" ||
		ok "the link is not a source"
	agent_stop
	grep -q "evil.log: not read: symbolic link" "$T_TMP/agent.err" "$T_TMP/agent.out" &&
		ok "agent logged the refusal" || { fail "agent did not log the refusal"; tail -5 "$T_TMP/agent.err"; }
fi

done_testing
