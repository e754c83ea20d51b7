#!/bin/sh
# Install every Debian package evident needs to build, test and benchmark.
# Idempotent and non-interactive: does nothing when everything is present, runs
# `apt-get update` only when a package is missing. Needs root (or sudo).
set -eu
PKGS="build-essential autoconf automake libtool pkg-config clang
libsystemd-dev libpcre2-dev libyaml-dev libjansson-dev libarchive-dev zlib1g-dev libssl-dev
libvectorscan-dev libcunit1-dev
systemd systemd-journal-remote logrotate util-linux iproute2 procps
clang-format cppcheck libclang-rt-14-dev scdoc bash-completion
dpkg-dev debhelper fakeroot lintian man-db
sec ripgrep python3 time
libcurl4-openssl-dev openssl chromium python3-aiosmtpd rsyslog rsyslog-openssl
ceph-mon ceph-osd radosgw ceph-common"
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: run as root (missing:$missing)" >&2; exit 2; }
	SUDO="sudo"
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing </dev/null
