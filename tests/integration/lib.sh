# Shared helpers for integration tests (sourced). Each check prints ok/FAIL; the script
# exits 1 if any check failed, 77 (automake SKIP) via skip(), or at the end when a part
# could not run (skip_part) and nothing failed: a check that cannot run is never a PASS.
set -u
: "${EVIDENT:?EVIDENT must point at the built binary (run through make check)}"
: "${EV_SRCDIR:=.}"
T_FAILS=0
T_CHECKS=0
T_SKIPPED=""
T_TMP=$(mktemp -d /tmp/evident-it-XXXXXX)
trap 'rm -rf "$T_TMP"' EXIT
# compiled rule databases (rules.cache) go to the test's own directory, not ~/.cache
XDG_CACHE_HOME="$T_TMP/cache"
export XDG_CACHE_HOME

ok() { T_CHECKS=$((T_CHECKS + 1)); echo "ok - $*"; }
fail() { T_CHECKS=$((T_CHECKS + 1)); T_FAILS=$((T_FAILS + 1)); echo "FAIL - $*"; }
skip() { echo "SKIP: $*"; exit 77; }
skip_part() { echo "# SKIP (part): $*"; T_SKIPPED="$T_SKIPPED${T_SKIPPED:+; }$*"; }

# run CMD...: runs, captures stdout/stderr/exit in $T_OUT $T_ERR $T_RC
run() {
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	T_RC=$?
	T_OUT=$(cat "$T_TMP/out")
	T_ERR=$(cat "$T_TMP/err")
}
expect_rc() { # expect_rc N description
	if [ "$T_RC" -eq "$1" ]; then ok "$2 (exit $1)"; else
		fail "$2: exit $T_RC, expected $1"; echo "  stdout: $T_OUT" | head -20; echo "  stderr: $T_ERR" | head -20; fi
}
expect_out() { # expect_out PATTERN description  (grep -E on stdout)
	if printf '%s\n' "$T_OUT" | grep -Eq -- "$1"; then ok "$2"; else
		fail "$2: stdout lacks /$1/"; printf '%s\n' "$T_OUT" | head -20 | sed 's/^/  | /'; fi
}
expect_err() {
	if printf '%s\n' "$T_ERR" | grep -Eq -- "$1"; then ok "$2"; else
		fail "$2: stderr lacks /$1/"; printf '%s\n' "$T_ERR" | head -20 | sed 's/^/  | /'; fi
}
done_testing() {
	echo "# $T_CHECKS checks, $T_FAILS failed"
	[ "$T_CHECKS" -gt 0 ] || { echo "FAIL - no checks ran"; exit 1; }
	[ "$T_FAILS" -eq 0 ] || exit 1
	[ -z "$T_SKIPPED" ] || { echo "SKIP: $T_SKIPPED"; exit 77; }
	exit 0
}
# as_nobody CMD...: run CMD as uid/gid 65534 without supplementary groups; as_nonmember
# with gid 65000 (in no group evident uses). need_setpriv says why they cannot run.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_nonmember() { setpriv --reuid=65534 --regid=65000 --clear-groups "$@"; }
need_setpriv() {
	if [ "$(id -u)" -ne 0 ]; then echo "not root"
	elif ! command -v setpriv >/dev/null 2>&1; then echo "setpriv missing"
	elif ! setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then echo "setpriv cannot drop to uid 65534"
	fi
}
# pgrep_tree ROOT PATTERN: the pids (one a line) of the processes below ROOT whose command
# line matches PATTERN (pgrep -f), so that another test or agent running the same command
# at the same time is never taken for this test's.
pgrep_tree() {
	_d=$(ps -e -o pid=,ppid= | awk -v root="$1" '{ up[$1] = $2 }
		END { for (p in up) { q = up[p]; while (q != root && q in up && q > 1) q = up[q]; if (q == root) print p } }')
	for _p in $(pgrep -f "$2"); do
		printf '%s\n' "$_d" | grep -qx "$_p" && echo "$_p"
	done
	return 0
}
