#!/bin/sh
# make bench: a change's rollback, from the command to verified health (issue 18; the
# seed's target: within 30 seconds). A change of BENCH_MAINT_FILES (default 100) files
# of a service stand-in (tests/integration/maint-lib.sh: health endpoint, configuration
# read on SIGHUP) is started (pre-change bundle, baseline), every file is changed and
# the service broken, then `evident maintenance rollback` verifies the bundle, seals
# what it replaces, restores the files, restarts (SIGHUP) and retries the health check
# until it passes. Wall time of the rollback command, BENCH_MAINT_RUNS (default 3) runs.
# Prints a Markdown table.
set -u
: "${EVIDENT:?EVIDENT must point at the built binary (run through make bench)}"
: "${EV_SRCDIR:=.}"
command -v python3 >/dev/null 2>&1 || { echo "bench-maintenance: python3 needed"; exit 0; }
. "$EV_SRCDIR/tests/integration/lib.sh"
. "$EV_SRCDIR/tests/integration/maint-lib.sh"
N=${BENCH_MAINT_FILES:-100}
RUNS=${BENCH_MAINT_RUNS:-3}
service_start
maint_config
mkdir -p "$M_SVC/conf.d"
i=0
while [ $i -lt "$N" ]; do
	[ $i -eq 0 ] && f="$M_SVC/app.conf" || f="$M_SVC/conf.d/part-$i.conf"
	[ $i -eq 0 ] || printf 'setting_%d = %d\n# %s\n' "$i" "$i" "$(head -c 600 /dev/zero | tr '\0' x)" >"$f"
	echo "$f"
	i=$((i + 1))
done >"$T_TMP/files"
M="$EVIDENT maintenance -c $M_CONF --no-immutable"
echo "| files | run | start (s) | rollback: command to verified health (s) | result |"
echo "|---|---|---|---|---|"
r=1
while [ $r -le "$RUNS" ]; do
	set -- start "BENCH-$r" --service svc --check "http=python3 $T_TMP/check.py $M_PORT"
	while read -r f; do set -- "$@" --copy "$f"; done <"$T_TMP/files"
	t0=$(date +%s.%N)
	$M "$@" >/dev/null || { echo "start failed"; exit 1; }
	t1=$(date +%s.%N)
	while read -r f; do echo "changed = $r" >>"$f"; done <"$T_TMP/files"
	printf 'mode = broken\n' >"$M_SVC/app.conf"
	kill -HUP "$M_PID"
	sleep 0.3
	t2=$(date +%s.%N)
	$M rollback "BENCH-$r" >"$T_TMP/rb.out"
	rc=$?
	t3=$(date +%s.%N)
	res="$(grep -o 'rolled back, [A-Za-z ]*' "$T_TMP/rb.out" | head -1), $(grep -o '[0-9]* files restored' "$T_TMP/rb.out")"
	[ $rc -eq 0 ] || res="exit $rc: $res"
	python3 -c "import sys; a=[float(x) for x in sys.argv[1:7]]; print('| %d | %d | %.2f | %.2f | %s |' % (int(a[4]), int(a[5]), a[1]-a[0], a[3]-a[2], sys.argv[7]))" \
		"$t0" "$t1" "$t2" "$t3" "$N" "$r" "$res"
	r=$((r + 1))
done
