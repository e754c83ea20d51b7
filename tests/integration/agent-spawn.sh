#!/bin/sh
# Children of the real agent run with least privilege: evidence commands (in the seal
# child the agent starts) and the alert hook see only fds 0-2 (not a descriptor the agent
# inherited), a clean environment (PATH and LANG=C, nothing of the agent's), their own
# process group killed at the time limit (recorded), and their output capped (the cut
# and the bytes produced recorded). Neither runs through a shell: arguments holding `;`,
# `$(...)`, backquotes, a redirection or a glob arrive as they were written, and the
# commands a shell would have run leave no file behind.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"

LOG="$T_TMP/auth.log"
OUT="$T_TMP/hook-out"
# the system python3 itself, not a wrapper that sets its own variables (pyenv shims)
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is needed for the hook"
# what a shell would make of the literal arguments lands in $SIDE; glob-match is what
# its glob would expand to
SIDE="$T_TMP/side"
mkdir -p "$T_TMP/rules" "$T_TMP/keys" "$T_TMP/no-decoders" "$OUT" "$SIDE"
: >"$SIDE/glob-match"
: >"$LOG"
RULE_ID=5d0c1e2f-3a4b-4c5d-8e6f-708192a3b4c5
agent_write_rule "$T_TMP/rules/failed.yml" "$RULE_ID" "Test failed password"
"$EVIDENT" keygen --out "$T_TMP/keys" --name agent >/dev/null 2>&1 || fail "keygen"
agent_write_config "$T_TMP/evident.yaml"
sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]|" \
	-e "s|^  path: $T_TMP/store|  path: $T_TMP/store\n  key: $T_TMP/keys/agent.key\n  command_timeout: 1s\n  command_output_cap: 1024|" \
	"$T_TMP/evident.yaml"
cat >>"$T_TMP/evident.yaml" <<EOF
rules:
  paths: [$T_TMP/rules]
  decoders: [$T_TMP/no-decoders]
actions:
  seal_commands: []
  seal_rate_per_hour: 0
  hook: [/usr/bin/python3, -I, $T_TMP/hook.py, $OUT, 'a;touch $SIDE/hook-semi', '\$(touch $SIDE/hook-subst)', '\`touch $SIDE/hook-tick\`', '$SIDE/glob*', '>$SIDE/hook-redir']
  hook_timeout: 5s
EOF

# the hook records its descriptors ("FD TARGET"), the environment it was started with
# and its arguments after OUT (one a line)
cat >"$T_TMP/hook.py" <<'EOF'
import os, sys
with open(sys.argv[1] + "/argv", "w") as a:
    a.write("".join(x + "\n" for x in sys.argv[2:]))
out = []
for f in sorted(os.listdir("/proc/self/fd"), key=int):
    try:
        out.append(f + " " + os.readlink("/proc/self/fd/" + f))
    except OSError:
        pass  # the listing's own descriptor, closed by now
with open(sys.argv[1] + "/env.tmp", "wb") as e:
    e.write(open("/proc/self/environ", "rb").read().replace(b"\0", b"\n"))
with open(sys.argv[1] + "/fds", "w") as o:
    o.write("\n".join(out) + "\n")
import resource
with open(sys.argv[1] + "/proc", "w") as p:  # "PID PGID SID PARENT-PGID CORE-SOFT CORE-HARD"
    p.write("%d %d %d %d %d %d\n" % ((os.getpid(), os.getpgid(0), os.getsid(0), os.getpgid(os.getppid()))
                                     + resource.getrlimit(resource.RLIMIT_CORE)))
os.rename(sys.argv[1] + "/env.tmp", sys.argv[1] + "/env")
EOF

# the agent inherits a descriptor and a variable that no child of it may see
export EVIDENT_TEST_SECRET=leaked
exec 7>"$T_TMP/inherited-fd"
# core dumps allowed for the agent (the soft limit up to the hard one), so that the
# children's limit of 0 is the spawner's doing, not the environment's default
ulimit -S -c "$(ulimit -H -c)" 2>/dev/null
CORE=$(ulimit -c)
agent_start --config "$T_TMP/evident.yaml"
exec 7>&-
unset EVIDENT_TEST_SECRET
wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; cat "$T_TMP/agent.err"; done_testing; }

# fds: 0-2 and, for ls itself, the directory it lists; nothing else
fds_ok() { # fds_ok FILE: the `ls -l /proc/PID/fd` listing
	awk '$1 ~ /^l/ { print $9, $11 }' "$1" | while read -r fd target; do
		case "$fd" in 0 | 1 | 2) ;; 3) case "$target" in /proc/*/fd) ;; *) echo "fd 3 -> $target" ;; esac ;;
		*) echo "fd $fd -> $target" ;; esac
	done
}

T0=$(date +%s)
run timeout 60 "$EVIDENT" seal --socket "$A_SOCK" --json --no-immutable \
	--command 'fds=/bin/ls -l /proc/self/fd' --command 'env=env' \
	--command "slow=/bin/sh -c \"sleep 31337.$$ & exec sleep 31338.$$\"" --command 'big=seq 100000' \
	--command "lit=printf '%s\\n' 'a;touch $SIDE/semi' '\$(touch $SIDE/subst)' '\`touch $SIDE/tick\`' '$SIDE/glob*' '>$SIDE/redir'"
T1=$(date +%s)
expect_rc 0 "a seal with evidence commands through the agent"
B=$(printf '%s' "$T_OUT" | sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p')
mkdir -p "$T_TMP/x" && tar -xzf "$B" -C "$T_TMP/x" 2>/dev/null || fail "cannot unpack '$B'"
C="$T_TMP/x/evidence/commands"
BAD=$(fds_ok "$C/fds")
[ -s "$C/fds" ] && [ -z "$BAD" ] && ok "a command sees fds 0-2 only" || { fail "a command's fds: $BAD"; cat "$C/fds"; }
grep -q ' 0 -> /dev/null$' "$C/fds" && grep -q ' 1 -> pipe:' "$C/fds" &&
	ok "stdin /dev/null, stdout a pipe" || fail "stdio: $(cat "$C/fds")"
printf 'LANG=C\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n' >"$T_TMP/want-env"
sort "$C/env" | cmp -s - "$T_TMP/want-env" && ok "a command's environment is PATH and LANG=C only" ||
	fail "a command's environment: $(tr '\n' ' ' <"$C/env")"
M=$(tar -xzOf "$B" MANIFEST.json)
slow=$(printf '%s' "$M" | python3 -c 'import json,sys; m=json.load(sys.stdin); print(json.dumps([e for e in m["members"] if e["path"]=="evidence/commands/slow"]))')
case "$slow" in *'"error": "killed after the 1000 ms time limit"'*'"timed_out": true'*) ok "the slow command is killed at the time limit and recorded" ;;
*) fail "slow command: $slow" ;; esac
[ $((T1 - T0)) -lt 20 ] && ok "the seal did not wait for it ($((T1 - T0)) s)" || fail "the seal took $((T1 - T0)) s"
# The slow command's sleeps carry this test's pid ($$) in their arguments: a survivor would
# be an orphan (outside this test's process tree), and a test or agent running beside this
# one has sleeps of its own that must neither count here nor be killed from here.
LEFT=$(pgrep -f "sleep 3133[78]\\.$$\$")
[ -n "$LEFT" ] && { fail "the slow command's process group survived: $LEFT"; kill $LEFT; } ||
	ok "its whole process group was killed"
big=$(printf '%s' "$M" | python3 -c 'import json,sys; m=json.load(sys.stdin); e=[e for e in m["members"] if e["path"]=="evidence/commands/big"][0]; print(e["size"], e["output_truncated"], e.get("output_bytes"))')
[ "$big" = "1024 True 588895" ] && ok "output over the cap: cut at 1024 bytes, the 588895 produced recorded" ||
	fail "big command (size truncated produced): $big"
# the arguments a shell would have interpreted, word by word as the command got them
printf '%s\n' "a;touch $SIDE/semi" "\$(touch $SIDE/subst)" "\`touch $SIDE/tick\`" "$SIDE/glob*" ">$SIDE/redir" >"$T_TMP/want-argv"
cmp -s "$C/lit" "$T_TMP/want-argv" && ok "a command's arguments arrive literally (no shell: ; \$() \`\` > and * untouched)" ||
	{ fail "a command's arguments:"; printf '%s\n' "$(cat "$C/lit")" | sed 's/^/  | /'; }

# the hook, run by a worker of the agent for an alert
printf 'Nov 27 02:41:00 host1 sshd[2]: Failed password for root from 10.9.9.9 port 22 ssh2\n' >>"$LOG"
if wait_for "hook output" test -s "$OUT/env"; then
	[ "$(cut -d' ' -f1 "$OUT/fds" | tr '\n' ' ')" = "0 1 2 " ] && ok "the hook sees fds 0-2 only" ||
		fail "hook fds: $(cat "$OUT/fds")"
	grep -q '^1 /dev/null$' "$OUT/fds" && grep -q '^0 pipe:' "$OUT/fds" && grep -q '^2 pipe:' "$OUT/fds" &&
		ok "the hook: the alert on stdin, stdout /dev/null, stderr to the agent" || fail "hook stdio: $(cat "$OUT/fds")"
	read -r hpid hpgid hsid ppgid csoft chard <"$OUT/proc"
	[ "$hpgid" = "$hpid" ] && [ "$hsid" = "$hpid" ] && [ "$ppgid" != "$hpgid" ] &&
		ok "the hook leads its own session and process group (not the agent's)" ||
		fail "hook pid $hpid, pgid $hpgid, sid $hsid, its parent's pgid $ppgid"
	if [ "$CORE" = 0 ]; then skip_part "the core limit cannot be raised here, so the hook's 0 proves nothing"
	else [ "$csoft $chard" = "0 0" ] && ok "the hook runs with no core dumps (RLIMIT_CORE 0; the agent's is $CORE)" || fail "hook core limit: $csoft $chard"; fi
	sort "$OUT/env" | cmp -s - "$T_TMP/want-env" && ok "the hook's environment is PATH and LANG=C only" ||
		fail "hook environment: $(tr '\n' ' ' <"$OUT/env")"
	sed 's|/side/|/side/hook-|; s|hook-glob|glob|' "$T_TMP/want-argv" | cmp -s "$OUT/argv" - &&
		ok "the hook's arguments arrive literally" ||
		{ fail "the hook's arguments:"; printf '%s\n' "$(cat "$OUT/argv")" | sed 's/^/  | /'; }
else
	fail "the hook did not run"
	sed 's/^/  | /' "$T_TMP/agent.err"
fi
agent_stop
# nothing a shell would have run: only the file the glob would have matched is there
LEFT=$(ls "$SIDE" | tr '\n' ' ')
[ "$LEFT" = "glob-match " ] && ok "no command a shell would have run left a file" || fail "files a shell made: $LEFT"
done_testing
