#!/bin/sh
# Installing from source (issue 15): `make install DESTDIR=...` under the build's own
# prefix and under the other of /usr and /usr/local (a second configure and an -O0 build
# of the same source tree, some seconds). For each: the
# installed unit names the installed binary and configuration and passes
# `systemd-analyze verify`, and the installed binary reads the installed evident.yaml by
# default (`evident config check`). The installed tree is seen at its real paths through
# an overlay mount in a private mount namespace, so nothing on the host changes.
. "$EV_SRCDIR/tests/integration/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (a private mount namespace with an overlay of the install)"
command -v systemd-analyze >/dev/null 2>&1 || skip "systemd-analyze missing"
command -v unshare >/dev/null 2>&1 || skip "unshare missing"
unshare -m true 2>/dev/null || skip "cannot make a private mount namespace"

# the build's own prefix and sysconfdir, as configure saw them
mk() { make -s -C "$EV_BUILDDIR" --no-print-directory "$@"; }
prefix=$(sed -n 's/^prefix = //p' "$EV_BUILDDIR/Makefile")
sysconfdir=$(sed -n 's/^sysconfdir = //p' "$EV_BUILDDIR/Makefile" | sed "s|\${prefix}|$prefix|")

# check_install DESTDIR PREFIX SYSCONFDIR: the checks on one installed tree
check_install() {
	d=$1 p=$2 etc=$3 tag="prefix $2"
	unit="$p/lib/systemd/system/evident.service"
	for f in "$p/bin/evident" "$unit" "$etc/evident/evident.yaml" "$p/lib/sysusers.d/evident.conf" \
		"$p/lib/tmpfiles.d/evident.conf" "$p/share/man/man1/evident.1" "$p/share/man/man5/evident.yaml.5" \
		"$p/share/evident/rules/ssh_bruteforce.yml" "$p/share/evident/verify-bundle.sh" \
		"$p/share/doc/evident/FORMAT.md"; do
		[ -e "$d$f" ] || fail "$tag: $f not installed"
	done
	if grep -qx "ExecStart=$p/bin/evident agent --foreground --config $etc/evident/evident.yaml" "$d$unit"; then
		ok "$tag: the unit runs $p/bin/evident with $etc/evident/evident.yaml"
	else fail "$tag: ExecStart: $(grep '^ExecStart=' "$d$unit")"; fi
	sed 's/\\&//g' "$d$p/share/man/man5/evident.yaml.5" | grep -q "$etc/evident/evident.yaml" &&
		ok "$tag: evident.yaml(5) names $etc/evident/evident.yaml" || fail "$tag: evident.yaml(5) does not name $etc/evident/evident.yaml"
	# the installed tree at its real paths: overlays of the install over /usr (or
	# /usr/local) and /etc, in a private mount namespace
	lowers="$p"
	case "$etc" in "$p"/*) ;; *) lowers="$lowers $etc" ;; esac
	cat >"$T_TMP/in-ns.sh" <<EOS
set -e
for dir in $lowers; do
	[ -d "$d\$dir" ] || continue
	mkdir -p "\$dir" 2>/dev/null || true
	mount -t overlay overlay -o "lowerdir=$d\$dir:\$dir" "\$dir"
done
set +e
systemd-analyze verify --man=no "$unit" >"$T_TMP/verify.out" 2>&1; echo "verify \$?"
# man's default path covers /usr and /usr/local; another prefix (distcheck's) is named
case "$p" in /usr | /usr/local) ;; *) MANPATH="$p/share/man"; export MANPATH ;; esac
man -w 1 evident >/dev/null 2>&1 && man -w 5 evident.yaml >/dev/null 2>&1 && echo "man found"
"$p/bin/evident" config check --json >"$T_TMP/check.json" 2>"$T_TMP/check.err"; echo "check \$?"
"$p/bin/evident" --version >"$T_TMP/version.out" 2>&1; echo "version \$?"
EOS
	unshare -m sh "$T_TMP/in-ns.sh" >"$T_TMP/ns.out" 2>&1
	if grep -qx "verify 0" "$T_TMP/ns.out" && [ ! -s "$T_TMP/verify.out" ]; then
		ok "$tag: systemd-analyze verify $unit finds nothing"
	else fail "$tag: systemd-analyze verify $unit:"; sed 's/^/  | /' "$T_TMP/ns.out" "$T_TMP/verify.out" | head -20; fi
	grep -qx "man found" "$T_TMP/ns.out" && ok "$tag: man finds evident(1) and evident.yaml(5) (the unit's Documentation=)" ||
		fail "$tag: man does not find evident(1) or evident.yaml(5) under $p/share/man"
	if grep -qx "check 0" "$T_TMP/ns.out" && grep -q "\"origin\":\"$etc/evident/evident.yaml\"" "$T_TMP/check.json"; then
		ok "$tag: the installed evident reads $etc/evident/evident.yaml by default and finds it valid"
	else fail "$tag: evident config check: $(grep '^check' "$T_TMP/ns.out") $(cut -c1-200 "$T_TMP/check.json") $(cat "$T_TMP/check.err")"; fi
	grep -qx "version 0" "$T_TMP/ns.out" && ok "$tag: installed evident --version runs" || fail "$tag: installed evident --version: $(cat "$T_TMP/version.out")"
}

# 1. the build's own prefix (default /usr/local)
D1="$T_TMP/dest1"
if mk install DESTDIR="$D1" >"$T_TMP/install1.log" 2>&1; then
	ok "make install DESTDIR=... (prefix $prefix)"
	check_install "$D1" "$prefix" "$sysconfdir"
else
	fail "make install DESTDIR=... failed"; tail -20 "$T_TMP/install1.log"
fi

# 2. the other prefix, from a second configure of the same source tree
case "$prefix" in
/usr) other=/usr/local other_etc=/usr/local/etc other_args="--prefix=/usr/local" ;;
*) other=/usr other_etc=/etc other_args="--prefix=/usr --sysconfdir=/etc" ;;
esac
if [ -e "$EV_SRCDIR/config.status" ]; then
	skip_part "install under $other: the source tree is configured in place, so it cannot be configured again elsewhere"
else
	B2="$T_TMP/build2" D2="$T_TMP/dest2"
	mkdir -p "$B2"
	# shellcheck disable=SC2086
	if (cd "$B2" && "$EV_SRCDIR/configure" $other_args CFLAGS="-O0 -g0" >configure.log 2>&1 &&
		make -j2 install DESTDIR="$D2" >make.log 2>&1); then
		ok "configure $other_args && make install DESTDIR=..."
		check_install "$D2" "$other" "$other_etc"
	else
		fail "configure $other_args && make install failed"; tail -20 "$B2/configure.log" "$B2/make.log" 2>/dev/null
	fi
fi
done_testing
