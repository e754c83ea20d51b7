# Helpers for the fleet-*.sh tests (sourced after lib.sh): a real Ceph radosgw with Object
# Lock on 127.0.0.1 (the team's tool $EV_SHARED/tools/ceph-rgw: start-rgw.sh, stop-rgw.sh;
# packages ceph-mon ceph-osd radosgw ceph-common), started on free ports under $T_TMP and
# stopped in the EXIT trap. rgw_start: SKIP (77) with a message when the tool or the
# binaries are absent.
RGW_DIR="$T_TMP/rgw"
RGW_TOOL="${EV_SHARED:-}/tools/ceph-rgw"
rgw_stop() {
	[ -f "$RGW_TOOL/stop-rgw.sh" ] && [ -f "$RGW_DIR/pids" ] || return 0
	S3_DIR="$RGW_DIR" bash "$RGW_TOOL/stop-rgw.sh" >/dev/null 2>&1 || true
}
trap 'rgw_stop; chattr -R -i "$T_TMP" 2>/dev/null; rm -rf "$T_TMP"' EXIT
free_port() { # a TCP port nothing listens on (no $RANDOM: these tests also run under dash)
	while :; do
		p=$(( $(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000 ))
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
rgw_start() {
	[ -f "$RGW_TOOL/start-rgw.sh" ] && [ -f "$RGW_TOOL/stop-rgw.sh" ] ||
		skip "no Ceph radosgw tool at ${RGW_TOOL} (start-rgw.sh, stop-rgw.sh: the team's ../shared/tools/ceph-rgw; set EV_SHARED)"
	for b in ceph-mon ceph-osd radosgw radosgw-admin ceph-authtool monmaptool ceph curl ss setsid uuidgen; do
		command -v "$b" >/dev/null 2>&1 || skip "$b not installed (apt-get install ceph-mon ceph-osd radosgw ceph-common)"
	done
	for try in 1 2 3; do
		RGW_PORT=$(free_port)
		if S3_DIR="$RGW_DIR" S3_PORT=$RGW_PORT S3_MON_PORT=$(free_port) S3_MON_V1_PORT=$(free_port) \
			bash "$RGW_TOOL/start-rgw.sh" >"$T_TMP/rgw-start.log" 2>&1; then
			set -a; . "$RGW_DIR/s3.env"; set +a
			return 0
		fi
		rgw_stop
	done
	fail "radosgw did not start: $(tail -3 "$T_TMP/rgw-start.log")"
	done_testing
}
# The radosgw process alone (the cluster keeps the objects): stop and start again.
rgw_pid() { awk '$1 == "rgw.a" {print $2}' "$RGW_DIR/pids"; }
rgw_kill() {
	p=$(rgw_pid); kill -TERM "$p" 2>/dev/null
	for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
}
rgw_restart() {
	setsid radosgw -c "$RGW_DIR/ceph.conf" -f -n client.rgw.a </dev/null >>"$RGW_DIR/log/rgw.a.stdout" 2>&1 &
	sed -i "s/^rgw.a .*/rgw.a $!/" "$RGW_DIR/pids"
	for i in $(seq 1 120); do
		curl -s -m 2 "$S3_ENDPOINT/" 2>/dev/null | grep -q ListAllMyBucketsResult && return 0
		sleep 0.25
	done
	return 1
}
# s3 CURL-ARGS...: a signed request (prints the HTTP status; body in $T_TMP/s3.body)
s3() {
	curl -s --aws-sigv4 "aws:amz:${S3_REGION}:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -o "$T_TMP/s3.body" -w '%{http_code}' "$@"
}
# versions KEY-PREFIX: how many versions (not delete markers) the bucket holds under it
versions() {
	s3 "$S3_ENDPOINT/$BUCKET?prefix=$(printf %s "$1" | sed 's|/|%2F|g')&versions=" >/dev/null
	grep -o '<Version>' "$T_TMP/s3.body" | wc -l
}
# jfield JSON-TEXT PYTHON-EXPR: print a value from JSON text (d is the parsed object)
jfield() { printf '%s' "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }
