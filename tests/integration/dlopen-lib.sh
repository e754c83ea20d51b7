# Helpers for the tests of libraries loaded on first use instead of linked
# (notify-curl-load.sh, store-archive-load.sh, agent-forward-ssl-load.sh); sourced after
# lib.sh and agent-lib.sh.

# not_linked NAME: the binary has no NEEDED entry for NAME (a skipped part without readelf).
not_linked() {
	if ! command -v readelf >/dev/null 2>&1; then
		skip_part "readelf missing"
		return
	fi
	readelf -d "$EVIDENT" | grep NEEDED >"$T_TMP/needed"
	grep -q 'libc\.so' "$T_TMP/needed" || fail "readelf shows no NEEDED entries: $(cat "$T_TMP/needed")"
	grep -q "$1" "$T_TMP/needed" && fail "the binary links $1: $(grep "$1" "$T_TMP/needed")" ||
		ok "the binary does not link $1"
}

# replay_maps FILE: /proc/PID/maps of an `evident replay` of the starter pack that has read
# one line from a FIFO and waits for more, copied to FILE (checked to have started).
replay_maps() {
	mkfifo "$T_TMP/replay-in"
	"$EVIDENT" replay --rules "$EV_SRCDIR/conf/rules" "$T_TMP/replay-in" >/dev/null 2>&1 &
	_rp=$!
	exec 9>"$T_TMP/replay-in"
	echo "Nov 30 10:00:00 host sshd[1]: Accepted password for alice from 10.0.0.1 port 22 ssh2" >&9
	wait_for "replay running" grep -q libpcre2 "/proc/$_rp/maps"
	cp "/proc/$_rp/maps" "$1"
	exec 9>&-
	wait "$_rp"
	rm -f "$T_TMP/replay-in"
	grep -q libpcre2 "$1" && ok "replay started (its libraries mapped)" || fail "replay did not start"
}
