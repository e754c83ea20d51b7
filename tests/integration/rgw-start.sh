#!/bin/bash
# (copy of the team tool ../shared/tools/ceph-rgw/start-rgw.sh, kept in the tree so that the S3 tests run on a fresh clone)
# Start a throwaway single-node Ceph cluster (1 mon, 1 osd, 1 radosgw; optional mgr)
# bound to 127.0.0.1 only, as plain background processes (no systemd), and create an
# S3 user. Tested with Debian 12 packages, Ceph 16.2.15 (pacific).
#
# Packages: apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common
#           (+ ceph-mgr only if S3_WITH_MGR=1)
#
# Env knobs:
#   S3_DIR         data/config dir, wiped and recreated  (default: evident-rgw in the temp folder)
#   S3_PORT        radosgw HTTP port on 127.0.0.1        (default 7480)
#   S3_MON_PORT / S3_MON_V1_PORT  mon msgr2 / msgr1 ports (default 3300 / 6789)
#   S3_STORE       memstore (RAM, fastest) | bluestore (sparse 10 GiB file)  (default memstore)
#   S3_ACCESS_KEY / S3_SECRET_KEY                        (defaults below)
#   S3_WITH_MGR    1 = also start ceph-mgr (not needed for S3; +~300 MiB RSS)  (default 0)
#
# Daemons run in the foreground (-f) under setsid (own session, so they survive the
# caller's process group); their PIDs go to $S3_DIR/pids for stop-rgw.sh.
# On success $S3_DIR/s3.env holds S3_ENDPOINT / S3_ACCESS_KEY / S3_SECRET_KEY / S3_REGION.
set -euo pipefail

T0=$(date +%s.%N)
D=${S3_DIR:-$(dirname "$(mktemp -u)")/evident-rgw}
PORT=${S3_PORT:-7480}
MON_V2=${S3_MON_PORT:-3300}
MON_V1=${S3_MON_V1_PORT:-6789}
STORE=${S3_STORE:-memstore}
AK=${S3_ACCESS_KEY:-TESTACCESSKEY0000001}
SK=${S3_SECRET_KEY:-testsecretkey00000000000000000000000001}
WITH_MGR=${S3_WITH_MGR:-0}
HERE=$(cd "$(dirname "$0")" && pwd)

elapsed() { echo "$(date +%s.%N) $T0" | awk '{printf "%.1f", $1-$2}'; }
log() { echo "[start-rgw +$(elapsed)s] $*"; }
die() {
  trap - ERR
  echo "[start-rgw] ERROR: $*" >&2
  # stop whatever we already started (by recorded PID); keep the dir for the logs
  if [ -f "$D/pids" ]; then S3_DIR="$D" S3_KEEP=1 "$HERE/rgw-stop.sh" >&2 || true; fi
  exit 1
}
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# ---- preflight (before touching anything) ----
for b in ceph-authtool monmaptool ceph-mon ceph-osd radosgw radosgw-admin ceph uuidgen curl ss setsid; do
  command -v "$b" >/dev/null || { echo "[start-rgw] ERROR: $b not found" >&2; exit 1; }
done
if [ "$WITH_MGR" = 1 ] && ! command -v ceph-mgr >/dev/null; then
  echo "[start-rgw] ERROR: S3_WITH_MGR=1 but ceph-mgr is not installed" >&2; exit 1
fi
case "$STORE" in memstore|bluestore) ;; *)
  echo "[start-rgw] ERROR: S3_STORE must be memstore or bluestore (ceph-osd silently falls back to bluestore on unknown values)" >&2; exit 1;;
esac
if [ -f "$D/pids" ]; then
  echo "[start-rgw] ERROR: $D/pids exists - a cluster may be running; run stop-rgw.sh first" >&2; exit 1
fi
if [ -d "$D" ] && [ -n "$(ls -A "$D")" ] && [ ! -f "$D/ceph.conf" ]; then
  echo "[start-rgw] ERROR: $D is not empty and not a previous cluster dir; refusing to wipe it" >&2; exit 1
fi
for p in "$MON_V2" "$MON_V1" "$PORT"; do
  if ss -Hltn "sport = :$p" | grep -q .; then
    echo "[start-rgw] ERROR: TCP port $p already in use" >&2; exit 1
  fi
done
trap 'die "command failed at line $LINENO"' ERR

rm -rf "$D"
mkdir -p "$D"/{run,log,crash,mon.a,osd.0,rgw.a}
CONF=$D/ceph.conf
C="-c $CONF"
FSID=$(uuidgen)

cat > "$CONF" <<EOF
[global]
fsid = $FSID
mon_host = [v2:127.0.0.1:$MON_V2,v1:127.0.0.1:$MON_V1]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
keyring = $D/keyring
run_dir = $D/run
admin_socket = $D/run/\$name.asok
pid_file = $D/run/\$name.pid
log_file = $D/log/\$name.log
crash_dir = $D/crash
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
mon_data_avail_warn = 1
mon_data_avail_crit = 1

[mon]
mon_data = $D/mon.\$id
mon_allow_pool_delete = true
mon_cluster_log_file = $D/log/cluster.log
# commit map changes every 0.1 s instead of 1 s (RGW creates its pools one map epoch at a
# time at first start; with the default this alone takes ~9 s)
paxos_propose_interval = 0.1
paxos_min_wait = 0.01

[mgr]
mgr_data = $D/mgr.\$id

[osd]
osd_data = $D/osd.\$id
osd_objectstore = $STORE
# memstore: objects live in the OSD's RAM, capped at this size (OSD reports full beyond)
memstore_device_bytes = 4294967296
# bluestore: sparse file $D/osd.0/block
bluestore_block_create = true
bluestore_block_size = 10737418240
bluestore_fsck_on_mkfs = false
bluestore_fsck_on_mount = false
osd_memory_target = 939524096
bluestore_cache_autotune = false
bluestore_cache_size = 134217728
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 1

[client.rgw.a]
rgw_data = $D/rgw.a
rgw_frontends = beast endpoint=127.0.0.1:$PORT
rgw_thread_pool_size = 64
EOF

: > "$D/pids"

# ---- keys (one shared keyring for the whole throwaway cluster) ----
ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$D/keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
ceph-authtool "$D/keyring" --gen-key -n osd.0 \
  --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd' >/dev/null
ceph-authtool "$D/keyring" --gen-key -n client.rgw.a \
  --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
ceph-authtool "$D/keyring" --gen-key -n mgr.x \
  --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *' >/dev/null

# ---- mon ----
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_V2,v1:127.0.0.1:$MON_V1]" "$D/monmap" >/dev/null
ceph-mon $C --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring"
setsid ceph-mon $C -f -i a </dev/null >"$D/log/mon.a.stdout" 2>&1 &
MON_PID=$!; echo "mon.a $MON_PID" >> "$D/pids"
for i in $(seq 1 60); do
  alive "$MON_PID" || die "ceph-mon exited (see $D/log/mon.a.log, $D/log/mon.a.stdout)"
  if timeout 10 ceph $C mon stat >/dev/null 2>&1; then break; fi
  [ "$i" = 60 ] && die "mon did not come up (see $D/log/mon.a.log)"
  sleep 0.5
done
log "mon up"

# ---- optional mgr ----
if [ "$WITH_MGR" = 1 ]; then
  mkdir -p "$D/mgr.x"
  setsid ceph-mgr $C -f -i x </dev/null >"$D/log/mgr.x.stdout" 2>&1 &
  echo "mgr.x $!" >> "$D/pids"
  log "mgr started"
fi

# ---- osd ----
OSD_UUID=$(uuidgen)
OSD_ID=$(ceph $C osd new "$OSD_UUID")
[ "$OSD_ID" = 0 ] || die "unexpected osd id '$OSD_ID'"
ceph-osd $C -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$D/log/osd.0.mkfs" 2>&1 \
  || die "osd mkfs failed: $(tail -5 "$D/log/osd.0.mkfs")"
setsid ceph-osd $C -f -i 0 </dev/null >"$D/log/osd.0.stdout" 2>&1 &
OSD_PID=$!; echo "osd.0 $OSD_PID" >> "$D/pids"
for i in $(seq 1 120); do
  alive "$OSD_PID" || die "ceph-osd exited (see $D/log/osd.0.log, $D/log/osd.0.stdout)"
  if ceph $C osd dump -f json 2>/dev/null | grep -q '"up":1'; then break; fi
  [ "$i" = 120 ] && die "osd did not come up (see $D/log/osd.0.log)"
  sleep 0.5
done
log "osd up"

# ---- radosgw ----
setsid radosgw $C -f -n client.rgw.a </dev/null >"$D/log/rgw.a.stdout" 2>&1 &
RGW_PID=$!; echo "rgw.a $RGW_PID" >> "$D/pids"
for i in $(seq 1 240); do
  alive "$RGW_PID" || die "radosgw exited (see $D/log/client.rgw.a.log, $D/log/rgw.a.stdout)"
  # anonymous ListBuckets answers 200 with an S3 XML body once RGW is serving
  if curl -s -m 5 "http://127.0.0.1:$PORT/" 2>/dev/null | grep -q ListAllMyBucketsResult; then break; fi
  [ "$i" = 240 ] && die "radosgw did not answer on 127.0.0.1:$PORT (see $D/log/client.rgw.a.log)"
  sleep 0.25
done
log "radosgw answering on http://127.0.0.1:$PORT"

radosgw-admin $C -n client.admin user create --uid=test --display-name="Test User" \
  --access-key="$AK" --secret-key="$SK" >"$D/user.json" 2>"$D/log/user-create.stderr" \
  || die "user create failed: $(cat "$D/log/user-create.stderr")"

cat > "$D/s3.env" <<EOF
S3_ENDPOINT=http://127.0.0.1:$PORT
S3_ACCESS_KEY=$AK
S3_SECRET_KEY=$SK
S3_REGION=us-east-1
EOF
trap - ERR
log "S3 ready: endpoint http://127.0.0.1:$PORT access_key=$AK secret_key=$SK (store=$STORE, dir=$D)"
