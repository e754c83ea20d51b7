#!/bin/sh
# The Debian package (issue 15): packaging/build-deb.sh builds it from a clean copy of the
# tree; its file list, conffile and dependencies; lintian; installed with its maintainer
# scripts into a throwaway root (dpkg --root, scripts chrootless with DPKG_ROOT): the user,
# the directories and the signing key, the service enabled; then, seen at the real paths
# through overlay mounts in a private mount namespace, `evident --version`,
# `evident config check`, `evident demo` from the installed paths and `systemd-analyze
# verify` on the installed unit; an upgrade to a rebuilt higher version keeps the store, the
# keys and a locally edited /etc/evident/evident.yaml; purge keeps the sealed evidence.
# Builds the package twice (a minute or two each): runs when EV_PACKAGE_TEST=1, as the main
# suite of .ci/run sets it.
. "$EV_SRCDIR/tests/integration/lib.sh"
[ "${EV_PACKAGE_TEST:-0}" = 1 ] ||
	skip "builds the Debian package twice (minutes): set EV_PACKAGE_TEST=1 (.ci/run does in its main suite)"
[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg --root with maintainer scripts, mount namespace)"
for t in dpkg-buildpackage dh fakeroot dpkg-deb systemd-sysusers systemd-tmpfiles deb-systemd-helper unshare systemd-analyze; do
	command -v "$t" >/dev/null 2>&1 || skip "$t missing (packaging/install-deps.sh installs the packaging tools)"
done
unshare -m true 2>/dev/null || skip "cannot make a private mount namespace"

V=$(dpkg-parsechangelog -l "$EV_SRCDIR/packaging/debian/changelog" -S Version)
V2="$V.1"

# ---- build ----
if deb1=$("$EV_SRCDIR/packaging/build-deb.sh" --out "$T_TMP/deb1" --log "$T_TMP/build1.log" "$EV_SRCDIR" 2>"$T_TMP/build1.err" | tail -1) && [ -f "$deb1" ]; then
	ok "build-deb.sh builds evident $V ($(basename "$deb1"))"
else
	fail "build-deb.sh failed"; tail -30 "$T_TMP/build1.err"; done_testing
fi

# ---- the packaged binary is built as the benchmarks measure it (docs/HACKING.md, "Build
# options"): every object with -O3 (the last -O wins) and -flto=auto -ffat-lto-objects,
# agent/evident linked with -flto=auto and dpkg's hardening; with DEB_BUILD_OPTIONS=noopt
# (the rebuild below) -O0 and no LTO. Read from the compile and link lines of the log. ----
last_opt() { printf '%s\n' "$1" | tr ' ' '\n' | grep -E '^-O[0-9sgz]?$' | tail -1; }
has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }
check_flags() { # check_flags LOG OPT LTO(yes|no)
	compiles=$(grep -E ' -c -o [^ ]+\.o ' "$1" | grep -c .)
	bad=$(grep -E ' -c -o [^ ]+\.o ' "$1" | while read -r l; do
		if [ "$(last_opt "$l")" != "$2" ] || { [ "$3" = yes ] && ! has "$l" -ffat-lto-objects; } ||
			{ [ "$3" = no ] && has "$l" -flto=auto; }; then echo "$l"; fi; done | head -3)
	link=$(grep -E ' -o agent/evident( |$)' "$1" | tail -1)
	if [ "$compiles" -lt 50 ]; then fail "$1: only $compiles compile lines (silent rules?)"
	elif [ -n "$bad" ]; then fail "$1: compiled without $2 / LTO=$3: $bad"
	elif [ -z "$link" ]; then fail "$1: no link of agent/evident"
	elif [ "$(last_opt "$link")" != "$2" ] || ! has "$link" -Wl,-z,now; then fail "$1: agent/evident linked with: $link"
	elif [ "$3" = yes ] && { ! has "$link" -flto=auto || has "$link" -fno-lto; }; then fail "$1: agent/evident linked without LTO: $link"
	elif [ "$3" = no ] && has "$link" -flto=auto; then fail "$1: agent/evident linked with LTO: $link"
	else ok "$(basename "$1"): $compiles objects compiled with $2, LTO $3; agent/evident linked with $2, LTO $3, -Wl,-z,now"; fi
}
check_flags "$T_TMP/build1.log" -O3 yes

# ---- file list, conffile, dependencies ----
dpkg-deb -c "$deb1" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' >"$T_TMP/files"
missing=""
for f in /usr/bin/evident /lib/systemd/system/evident.service /usr/lib/sysusers.d/evident.conf \
	/usr/lib/tmpfiles.d/evident.conf /etc/evident/evident.yaml \
	/usr/share/evident/rules/ssh_bruteforce.yml /usr/share/evident/rules/ssh_bruteforce.test.yaml \
	/usr/share/evident/decoders/sshd.yml /usr/share/evident/demo/auth.log /usr/share/evident/verify-bundle.sh \
	/usr/share/man/man1/evident.1.gz /usr/share/man/man5/evident.yaml.5.gz /usr/share/man/man5/evident-rules.5.gz \
	/usr/share/man/man5/evident-bundle.5.gz /usr/share/bash-completion/completions/evident \
	/usr/share/doc/evident/FORMAT.md.gz /usr/share/doc/evident/copyright; do
	grep -qxF "$f" "$T_TMP/files" || missing="$missing $f"
done
[ -z "$missing" ] && ok "the package ships binary, unit, sysusers, tmpfiles, configuration, rules, decoders, man pages, completion, FORMAT.md, verify-bundle.sh" ||
	fail "the package lacks:$missing"
stray=$(grep -vE '^/($|etc($|/evident)|lib($|/systemd)|usr($|/bin|/lib($|/systemd|/sysusers.d|/tmpfiles.d)|/share($|/evident|/man|/doc|/bash-completion)))' "$T_TMP/files")
[ -z "$stray" ] && ok "nothing outside the expected directories (no /usr/local, no state)" || fail "unexpected paths: $stray"
dpkg-deb -I "$deb1" conffiles >"$T_TMP/conffiles" 2>&1
[ "$(cat "$T_TMP/conffiles")" = /etc/evident/evident.yaml ] && ok "conffile: /etc/evident/evident.yaml" ||
	fail "conffiles: $(cat "$T_TMP/conffiles")"
dep=$(dpkg-deb -f "$deb1" Depends)
case "$dep" in *libsystemd0*systemd* | *systemd*libsystemd0*) ok "Depends: $dep" ;; *) fail "Depends lacks libsystemd0/systemd: $dep" ;; esac
case "$dep" in *libcurl4*) ok "Depends names libcurl4 (dlopen()ed when sending, not linked)" ;; *) fail "Depends lacks libcurl4: $dep" ;; esac
case "$dep" in *libssl3*) ok "Depends names libssl3 (libssl dlopen()ed for forwarding; libcrypto.so.3 linked)" ;; *) fail "Depends lacks libssl3: $dep" ;; esac
case "$dep" in *libarchive13*) ok "Depends names libarchive13 (dlopen()ed for bundles, not linked)" ;; *) fail "Depends lacks libarchive13: $dep" ;; esac

# ---- lintian: no error, no warning (the remaining notes are in README.source) ----
if command -v lintian >/dev/null 2>&1; then
	if lintian --fail-on error,warning "$deb1" >"$T_TMP/lintian.out" 2>&1; then ok "lintian: no errors or warnings"
	else fail "lintian:"; grep -E '^[EW]:' "$T_TMP/lintian.out" | head -20; fi
else
	skip_part "lintian missing"
fi

# ---- install into a throwaway root ----
R="$T_TMP/root"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
: >"$R/var/lib/dpkg/status"
: >"$R/var/lib/dpkg/available"
# systemctl and deb-systemd-invoke as stubs that record any call: nothing may be started
# or restarted for a root that is not the running system
mkdir -p "$T_TMP/stubs"
for s in systemctl deb-systemd-invoke; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/started"\n' "$s" "$T_TMP" >"$T_TMP/stubs/$s"
	chmod +x "$T_TMP/stubs/$s"
done
dpkg_root() { PATH="$T_TMP/stubs:$PATH" dpkg --root="$R" --log=/dev/null --force-script-chrootless \
	--force-depends --force-confold "$@" </dev/null >>"$T_TMP/dpkg.log" 2>&1; }
if dpkg_root -i "$deb1"; then ok "dpkg --root -i: installs, maintainer scripts succeed"
else fail "dpkg -i failed"; tail -20 "$T_TMP/dpkg.log"; done_testing; fi
uid=$(sed -n 's/^evident:x:\([0-9]*\):.*/\1/p' "$R/etc/passwd")
[ -n "$uid" ] && ok "postinst: user evident ($uid) made by systemd-sysusers" || fail "no user evident in the root's /etc/passwd"
key="$R/var/lib/evident/keys/evident.key"
if [ -f "$key" ] && [ "$(stat -c '%a %u' "$key")" = "600 $uid" ] && [ -d "$R/var/lib/evident/store" ]; then
	ok "postinst: state, store and keys directories, and a signing key (0600, user evident)"
else fail "postinst: key $(stat -c '%a %u' "$key" 2>&1), store $(ls -d "$R/var/lib/evident/store" 2>&1)"; fi
[ -L "$R/etc/systemd/system/multi-user.target.wants/evident.service" ] &&
	ok "postinst: evident.service enabled (deb-systemd-helper)" || fail "evident.service not enabled"
[ -e "$T_TMP/started" ] && fail "the maintainer scripts called: $(cat "$T_TMP/started")" ||
	ok "install: no systemctl or deb-systemd-invoke call for a root that is not the running system"

# in_root SCRIPT: run SCRIPT (sh) with the root's /usr, /lib, /etc and /var/lib laid over
# the host's (read-only overlays) in a private mount namespace
in_root() {
	cat >"$T_TMP/ns.sh" <<EOS
set -e
mount -t overlay overlay -o "lowerdir=$R/usr:/usr" /usr
mount -t overlay overlay -o "lowerdir=$R/lib:/usr/lib" /usr/lib
mount -t overlay overlay -o "lowerdir=$R/etc:/etc" /etc
mount -t overlay overlay -o "lowerdir=$R/var/lib:/var/lib" /var/lib
set +e
$1
EOS
	unshare -m sh "$T_TMP/ns.sh"
}
in_root '
/usr/bin/evident --version >'"$T_TMP"'/version.out 2>&1; echo "version $?"
/usr/bin/evident config check --json >'"$T_TMP"'/check.json 2>&1; echo "check $?"
/usr/bin/evident demo --json >'"$T_TMP"'/demo.json 2>'"$T_TMP"'/demo.err; echo "demo $?"
systemd-analyze verify --man=no /lib/systemd/system/evident.service >'"$T_TMP"'/verify.out 2>&1; echo "verify $?"
for p in 1/evident 1/evident-store 5/evident.yaml 5/evident-rules 5/evident-bundle; do
	man -w "${p%/*}" "${p#*/}" >/dev/null 2>&1 && echo "man $p"
done
' >"$T_TMP/ns.out" 2>&1
grep -qx "version 0" "$T_TMP/ns.out" && grep -q "^evident $V" "$T_TMP/version.out" &&
	ok "installed evident --version: $(head -1 "$T_TMP/version.out")" || fail "evident --version: $(cat "$T_TMP/ns.out" "$T_TMP/version.out")"
grep -qx "check 0" "$T_TMP/ns.out" && grep -q '"origin":"/etc/evident/evident.yaml"' "$T_TMP/check.json" &&
	ok "installed evident config check reads /etc/evident/evident.yaml" || fail "config check: $(cut -c1-300 "$T_TMP/check.json")"
if grep -qx "demo 0" "$T_TMP/ns.out" && grep -q '"ok":true' "$T_TMP/demo.json"; then
	ok "installed evident demo runs on /usr/share/evident"
else fail "evident demo: $(grep demo "$T_TMP/ns.out") $(tail -5 "$T_TMP/demo.err")"; fi
if grep -qx "verify 0" "$T_TMP/ns.out" && [ ! -s "$T_TMP/verify.out" ]; then ok "systemd-analyze verify on the installed unit"
else fail "systemd-analyze verify: $(cat "$T_TMP/verify.out")"; fi
# the unit's Documentation=man:evident(1) and the other pages, found by man
[ "$(grep -c '^man ' "$T_TMP/ns.out")" = 5 ] && ok "man finds evident(1), evident-store(1), evident.yaml(5), evident-rules(5), evident-bundle(5)" ||
	fail "man pages not found: $(grep '^man ' "$T_TMP/ns.out" | tr '\n' ' ')"

# ---- state an upgrade must keep: a sealed bundle, the keys, a local edit ----
echo "Nov 30 10:00:00 host sshd[1]: Accepted password for alice" >"$T_TMP/auth.log"
store="$R/var/lib/evident/store"
"$R/usr/bin/evident" seal --store "$store" --key "$key" --file "$T_TMP/auth.log" --since -1h \
	--no-immutable --actor test >"$T_TMP/seal.out" 2>&1 || fail "seal into the installed store: $(cat "$T_TMP/seal.out")"
sed -i 's/^  log_level: info$/  log_level: debug # edited by the admin/' "$R/etc/evident/evident.yaml"
echo '{"files":{}}' >"$R/var/lib/evident/positions.json"
(cd "$R/var/lib/evident" && find keys store -type f -exec sha256sum {} + | sort) >"$T_TMP/before.sums"
grep -q 'bundles/' "$T_TMP/before.sums" || fail "no bundle in the store before the upgrade"

# ---- upgrade to a rebuilt, higher version ----
if deb2=$(DEB_BUILD_OPTIONS="noopt noautodbgsym" "$EV_SRCDIR/packaging/build-deb.sh" --version "$V2" \
	--out "$T_TMP/deb2" --log "$T_TMP/build2.log" "$EV_SRCDIR" 2>"$T_TMP/build2.err" | tail -1) && [ -f "$deb2" ]; then
	ok "rebuilt as $V2"
else fail "rebuild as $V2 failed"; tail -30 "$T_TMP/build2.err"; done_testing; fi
check_flags "$T_TMP/build2.log" -O0 no
if dpkg_root -i "$deb2"; then ok "dpkg -i: upgrade $V -> $V2"
else fail "upgrade failed"; tail -20 "$T_TMP/dpkg.log"; fi
[ -e "$T_TMP/started" ] && fail "the upgrade called: $(cat "$T_TMP/started")" || ok "upgrade: nothing restarted under dpkg --root"
[ "$(dpkg --root="$R" -s evident 2>/dev/null | sed -n 's/^Version: //p')" = "$V2" ] && ok "$V2 installed" || fail "version after upgrade: $(dpkg --root="$R" -s evident | grep Version)"
(cd "$R/var/lib/evident" && find keys store -type f -exec sha256sum {} + | sort) >"$T_TMP/after.sums"
if cmp -s "$T_TMP/before.sums" "$T_TMP/after.sums"; then ok "upgrade: the store and the keys are untouched ($(wc -l <"$T_TMP/after.sums") files, same bytes)"
else fail "upgrade changed the store or keys:"; diff "$T_TMP/before.sums" "$T_TMP/after.sums" | head; fi
grep -q 'log_level: debug # edited by the admin' "$R/etc/evident/evident.yaml" && [ ! -e "$R/etc/evident/evident.yaml.dpkg-new" ] &&
	ok "upgrade: the locally edited evident.yaml is kept" || fail "upgrade: the local edit of evident.yaml is gone"
"$R/usr/bin/evident" verify --no-record --pub "$R/var/lib/evident/keys/evident.pub" "$store" >"$T_TMP/verify-store.out" 2>&1 &&
	ok "the store verifies after the upgrade" || fail "evident verify after upgrade: $(tail -3 "$T_TMP/verify-store.out")"

# ---- purge: configuration and state go, sealed evidence stays, and it says so ----
: >"$T_TMP/dpkg.log"
dpkg_root --purge evident || fail "dpkg --purge failed: $(tail -5 "$T_TMP/dpkg.log")"
[ ! -e "$R/etc/evident" ] && [ ! -e "$R/var/lib/evident/positions.json" ] && [ ! -e "$R/usr/bin/evident" ] &&
	ok "purge removes the configuration and the state" || fail "purge left: $(ls "$R/etc/evident" "$R/var/lib/evident" 2>&1 | tr '\n' ' ')"
if (cd "$R/var/lib/evident" && find keys store -type f -exec sha256sum {} + | sort) | cmp -s - "$T_TMP/before.sums"; then
	ok "purge keeps the sealed evidence and the keys"
else fail "purge touched the store or the keys"; fi
grep -q "kept the sealed evidence in $R/var/lib/evident/store" "$T_TMP/dpkg.log" && ok "purge says where the evidence stays" ||
	fail "purge did not say it kept the evidence: $(cat "$T_TMP/dpkg.log")"
done_testing
