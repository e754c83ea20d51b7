#!/bin/bash
# (copy of the team tool ../shared/tools/ceph-rgw/stop-rgw.sh)
# Stop only the processes started by start-rgw.sh (PIDs recorded in $S3_DIR/pids),
# one at a time in reverse start order (rgw, osd, [mgr], mon): SIGTERM, wait up to 10 s,
# SIGKILL if still alive. Then wipe the data dir unless S3_KEEP=1.
set -uo pipefail
D=${S3_DIR:-$(dirname "$(mktemp -u)")/evident-rgw}
P=$D/pids
[ -f "$P" ] || { echo "[stop-rgw] no $P - nothing to stop"; exit 0; }

ours() { # pid is alive (not a zombie) and is one of our daemons (its cmdline names our ceph.conf)
  [ -r "/proc/$1/cmdline" ] || return 1
  grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null && return 1
  tr '\0' ' ' < "/proc/$1/cmdline" | grep -q -- "-c $D/ceph.conf"
}

tac "$P" | while read -r name pid; do
  ours "$pid" || continue
  t0=$(date +%s%N); kill -TERM "$pid" 2>/dev/null && echo "[stop-rgw] TERM $name ($pid)"
  for i in $(seq 1 100); do ours "$pid" || break; sleep 0.1; done
  echo "[stop-rgw]   $name: waited $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  if ours "$pid"; then kill -KILL "$pid" 2>/dev/null && echo "[stop-rgw] KILL $name ($pid)"; fi
done
rm -f "$P"
if [ "${S3_KEEP:-0}" != 1 ]; then rm -rf "$D"; echo "[stop-rgw] removed $D"; fi
