#!/bin/sh
# build-deb.sh [--version V] [--out DIR] [--log FILE] [--check] [SRCDIR]
# Build the Debian binary package of evident from a clean copy of the source tree
# (SRCDIR, default: this script's tree): the files git tracks or would track (or, outside a git checkout,
# the tree without build directories), with packaging/debian/ copied to debian/, then
# `dpkg-buildpackage -us -uc -b`. The .deb (and .buildinfo, .changes) land in DIR (default:
# the current directory); the path of the .deb is printed last.
#   --version V  build as version V (a changelog entry is added to the copy), e.g. to test
#                an upgrade
#   --log FILE   keep the build log (every compile and link command line) in FILE
#   --check      run the package's own tests (unit tests, man page check); default: nocheck,
#                since CI runs the whole suite on the same tree
# Needs: dpkg-dev, debhelper, fakeroot and the Build-Depends (packaging/install-deps.sh).
set -eu
version="" out=$PWD check=0 log=
while [ $# -gt 0 ]; do
	case "$1" in
	--version) version=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--check) check=1; shift ;;
	-h | --help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "build-deb.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
src=$(cd "${1:-$(dirname "$0")/..}" && pwd)
out=$(mkdir -p "$out" && cd "$out" && pwd)
for t in dpkg-buildpackage dh fakeroot; do
	command -v "$t" >/dev/null 2>&1 || { echo "build-deb.sh: $t missing (apt-get install dpkg-dev debhelper fakeroot)" >&2; exit 2; }
done
[ -f "$src/packaging/debian/control" ] || { echo "build-deb.sh: $src has no packaging/debian/" >&2; exit 2; }

work=$(mktemp -d /tmp/evident-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
tree="$work/evident"
mkdir "$tree"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# tracked and new (not ignored) files, as they are in the working tree
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		tar --null -T - --no-recursion --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$tree"
else
	(cd "$src" && tar -cf - --exclude='./build*' --exclude=./autom4te.cache --exclude=./debian .) | tar -xf - -C "$tree"
fi
cp -R "$src/packaging/debian" "$tree/debian"
if [ -n "$version" ]; then
	{
		printf 'evident (%s) unstable; urgency=medium\n\n  * Rebuilt as %s.\n\n' "$version" "$version"
		printf ' -- evident developers <evident-maintainers@example.org>  %s\n\n' "$(date -R)"
		cat "$src/packaging/debian/changelog"
	} >"$tree/debian/changelog"
fi
opts=nocheck
[ "$check" = 0 ] || opts=""
rc=0
(cd "$tree" && DEB_BUILD_OPTIONS="$opts${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}" \
	dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || rc=$?
[ -z "$log" ] || cp "$work/build.log" "$log"
[ "$rc" = 0 ] || {
	tail -40 "$work/build.log" >&2
	echo "build-deb.sh: dpkg-buildpackage failed (log above)" >&2
	exit 1
}
for f in "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes; do
	[ -e "$f" ] && mv -f "$f" "$out/"
done
ls "$out"/evident_"$(dpkg-parsechangelog -l "$tree/debian/changelog" -S Version)"_*.deb
