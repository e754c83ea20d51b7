#!/bin/sh
# Issue 10, bug 1: a copytruncate rotation while `evident tail` runs from a fresh state
# directory (no positions file; daemon default "from end") must lose no line. The tail is
# stopped (SIGSTOP) while lines are written and the file is copied and truncated, so the
# lines are certainly unread when the rotation happens; every numbered line must then be
# seen exactly once, from the copy (app.log.1) and the truncated original.
. "${EV_SRCDIR:-.}/tests/integration/lib.sh"

D=$T_TMP/logs
TPID=
trap '[ -n "${TPID:-}" ] && kill -KILL "$TPID" 2>/dev/null; rm -rf "$T_TMP"' EXIT

config() { # config GLOB
	printf 'sources:\n  files: ["%s"]\n  journal: false\n  stat_interval: 100ms\n  checkpoint_interval: 100ms\n' \
		"$1" >"$T_TMP/cfg.yaml"
}
reset() {
	[ -n "${TPID:-}" ] && { kill -KILL "$TPID" 2>/dev/null; wait "$TPID" 2>/dev/null; TPID=; }
	rm -rf "$D" "$T_TMP/state" "$T_TMP/rec.jsonl"
	mkdir -p "$D"
}
start_fresh() { # no --from-start: files without a saved position are read from their end
	"$EVIDENT" tail --config "$T_TMP/cfg.yaml" --state-dir "$T_TMP/state" --json \
		>>"$T_TMP/rec.jsonl" 2>>"$T_TMP/tail.err" &
	TPID=$!
	# ready once the first checkpoint is written (the initial scan is done by then)
	i=0
	while [ ! -s "$T_TMP/state/positions.json" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
}
stop() {
	kill -TERM "$TPID" 2>/dev/null; wait "$TPID"; st=$?; TPID=
	[ $st -eq 0 ] || { fail "tail exited $st on SIGTERM"; tail -5 "$T_TMP/tail.err"; }
}
count() { if [ -s "$T_TMP/rec.jsonl" ]; then grep -c . "$T_TMP/rec.jsonl"; else echo 0; fi; }
wait_count() {
	i=0
	while [ "$(count)" -lt "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
numbers() { grep -o '"message":"n=[0-9]*' "$T_TMP/rec.jsonl" | sed 's/.*n=//'; }
lines() {
	i=$1
	while [ "$i" -le "$2" ]; do echo "Nov 27 00:00:00 h app[1]: n=$i"; i=$((i + 1)); done
}
expect_exactly() {
	want=$(seq 1 "$1")
	got=$(numbers | sort -n)
	if [ "$got" = "$want" ]; then ok "$2: 1..$1 exactly once"; else
		fail "$2: numbers differ from 1..$1 ($(numbers | wc -l) records)"
		numbers | sort -n | uniq -c | awk '$1 != 1' | head -5 | sed 's/^/  dup: /'
		printf '%s\n' "$want" | sort >"$T_TMP/want"
		numbers | sort | comm -23 "$T_TMP/want" - | head -5 | sed 's/^/  missing: /'
	fi
}

# old lines before the start are skipped (from end); the numbered ones come after
for glob in "$D/app.log" "$D/app.log*"; do
	for old in 0 3; do
		reset; config "$glob"
		: >"$D/app.log"
		[ "$old" -gt 0 ] && printf 'Nov 26 00:00:00 h app[1]: old %s\n' 1 2 3 >>"$D/app.log"
		start_fresh
		kill -STOP "$TPID"
		lines 1 10 >>"$D/app.log"
		cp "$D/app.log" "$D/app.log.1"
		truncate -s 0 "$D/app.log"
		lines 11 15 >>"$D/app.log"
		kill -CONT "$TPID"
		wait_count 15; sleep 0.3; stop
		expect_exactly 15 "fresh state, copytruncate with unread lines (glob $(basename "$glob"), $old old lines)"
		grep -q '"message":"old' "$T_TMP/rec.jsonl" && fail "old lines before the start were read" || true
	done
done

# lines written right before the rotation, the tail running (no stop)
reset; config "$D/app.log"
: >"$D/app.log"
start_fresh
lines 1 200 >>"$D/app.log"
cp "$D/app.log" "$D/app.log.1"; truncate -s 0 "$D/app.log"
lines 201 210 >>"$D/app.log"
wait_count 210; sleep 0.3; stop
expect_exactly 210 "fresh state, copytruncate right after writing"

# logrotate's own copytruncate, the tail stopped meanwhile
if command -v logrotate >/dev/null 2>&1; then
	reset; config "$D/app.log"
	: >"$D/app.log"
	printf '%s {\n  copytruncate\n  rotate 3\n  missingok\n}\n' "$D/app.log" >"$T_TMP/logrotate.conf"
	start_fresh
	kill -STOP "$TPID"
	lines 1 20 >>"$D/app.log"
	logrotate -f -s "$T_TMP/logrotate.state" "$T_TMP/logrotate.conf" 2>"$T_TMP/lr.err" ||
		{ fail "logrotate failed"; cat "$T_TMP/lr.err"; }
	[ -s "$D/app.log.1" ] && [ ! -s "$D/app.log" ] && ok "logrotate copied and truncated" ||
		fail "logrotate did not copytruncate"
	lines 21 25 >>"$D/app.log"
	kill -CONT "$TPID"
	wait_count 25; sleep 0.3; stop
	expect_exactly 25 "fresh state, logrotate copytruncate with unread lines"
else
	skip_part "the logrotate copytruncate case: logrotate not installed"
fi

done_testing
