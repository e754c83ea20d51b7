#!/bin/sh
# The agent keeps its compiled Vectorscan databases in STATE_DIR/cache (rules.cache):
# the first start writes them (directory 0700, files 0600), a restart with the same rules
# writes nothing new and detects a line written while it tails; rules.cache: false keeps
# none. The cache's checks themselves: correlate-dbcache.sh.
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/agent-lib.sh"
"$EVIDENT" version 2>/dev/null | grep -q 'vectorscan=yes' || skip "a build without Vectorscan has no database to cache"

LOG="$T_TMP/auth.log"
RULES="$T_TMP/rules"
mkdir -p "$RULES/no-decoders"
agent_write_rule "$RULES/failed.yml" 6a0e0c2e-7f0b-4d43-9d1c-3c1f1e0b6a31 "Test failed password"
: >"$LOG"
write_config() { # write_config [YAML]
	agent_write_config "$T_TMP/evident.yaml"
	sed -i -e "s|^  journal: false|  journal: false\n  files: [$LOG]\n  stat_interval: 200ms|" "$T_TMP/evident.yaml"
	printf 'rules:\n  paths: [%s]\n  decoders: [%s/no-decoders]\n%s\n' "$RULES" "$RULES" "${1:-}" >>"$T_TMP/evident.yaml"
}
cached() { find "$A_STATE/cache" -name '*.hsdb' 2>/dev/null | wc -l; }
start() {
	: >"$T_TMP/agent.out"
	agent_start --config "$T_TMP/evident.yaml"
	wait_for "control socket" test -S "$A_SOCK" || { fail "agent did not start"; sed 's/^/  | /' "$T_TMP/agent.err"; done_testing; }
}

write_config
start
n=$(cached)
[ "$n" -ge 1 ] && ok "first start: $n database(s) in STATE_DIR/cache" || fail "nothing in $A_STATE/cache"
[ "$(stat -c %a "$A_STATE/cache" 2>/dev/null)" = 700 ] && ok "cache directory 0700" || fail "cache directory mode $(stat -c %a "$A_STATE/cache" 2>/dev/null)"
agent_stop
stat -c '%i %n' "$A_STATE"/cache/*.hsdb > "$T_TMP/n1"

rm -f "$A_SOCK"
start
# a file written again is a new inode (temporary file renamed into place)
stat -c '%i %n' "$A_STATE"/cache/*.hsdb > "$T_TMP/n2"
cmp -s "$T_TMP/n1" "$T_TMP/n2" && ok "restart: the same databases, nothing new written" || fail "restart changed the cache"
echo "$(LC_ALL=C date '+%b %e %H:%M:%S') host1 sshd[78]: Failed password for root from 10.0.0.9 port 2222 ssh2" >>"$LOG"
if wait_for "alert" grep -q '"title":"Test failed password"' "$T_TMP/agent.out"; then
	ok "restart with the cached database: the line is detected"; else fail "no alert after the restart"; sed 's/^/  | /' "$T_TMP/agent.err"; fi
agent_stop

rm -rf "$A_STATE/cache" "$A_SOCK"
write_config '  cache: false'
start
[ "$(cached)" = 0 ] && ok "rules.cache: false: nothing cached" || fail "rules.cache: false wrote $(cached) files"
agent_stop
done_testing
