#!/bin/sh
# Every file tracked by git is either named in a Makefile.am/local.mk (so it is built,
# installed or put into the release tarball) or sits under a directory listed there
# whole. A file added without its local.mk line is found here, in the first suite, rather
# than by distcheck at the end of CI (a rule missing from conf/local.mk is neither
# installed nor shipped). Needs the git checkout: SKIP in an unpacked tarball.
. "$EV_SRCDIR/tests/integration/lib.sh"
command -v git >/dev/null || skip "git is not installed"
git -C "$EV_SRCDIR" rev-parse --is-inside-work-tree >/dev/null 2>&1 || skip "not a git checkout (an unpacked tarball)"
git -C "$EV_SRCDIR" ls-files >"$T_TMP/files" || skip "git ls-files failed"
(cd "$EV_SRCDIR" && cat Makefile.am $(git ls-files '*local.mk')) >"$T_TMP/mk"
unlisted() { # unlisted FILES MK: print the files of FILES that MK neither names nor covers
	while IFS= read -r f; do
		case "$f" in
		.* | */.* | configure.ac | m4/.keep) continue ;; # dotfiles; automake ships configure.ac itself
		esac
		grep -qF -- "$f" "$2" && continue
		d=$(dirname "$f") listed=0
		while [ "$d" != . ]; do
			if grep -qE -- "(^|[[:space:]])$d/?([[:space:]]|\\\\|\$)" "$2"; then listed=1; break; fi
			d=$(dirname "$d")
		done
		[ "$listed" = 1 ] || echo "$f"
	done <"$1"
}
# The check itself, on a made-up tree: a listed file, a file under a directory listed whole,
# and one named nowhere (only that one is reported).
printf 'conf/rules/a.yml\ntests/integration/data/x.yaml\nconf/rules/new.yml\n' >"$T_TMP/f0"
printf 'dist_rules_DATA = conf/rules/a.yml \\\n\tconf/rules/b.yml\nEXTRA_DIST += tests/integration/data\n' >"$T_TMP/mk0"
[ "$(unlisted "$T_TMP/f0" "$T_TMP/mk0")" = "conf/rules/new.yml" ] && ok "the check reports a file named nowhere, and only it" ||
	fail "self-check: got '$(unlisted "$T_TMP/f0" "$T_TMP/mk0" | tr '\n' ' ')'"
unlisted "$T_TMP/files" "$T_TMP/mk" >"$T_TMP/missing"
if [ -s "$T_TMP/missing" ]; then
	sed 's/^/  not in any Makefile.am or local.mk: /' "$T_TMP/missing"
	fail "$(wc -l <"$T_TMP/missing") tracked file(s) are listed nowhere (add them to their module's local.mk)"
else
	ok "every tracked file ($(wc -l <"$T_TMP/files")) is listed for build, install or dist"
fi

# The same question asked of automake itself: `make distdir` builds the tarball's tree, and
# every tracked file must be in it. A file named only in a variable automake does not
# distribute (doc_DATA without EXTRA_DIST) passes the textual check above and fails here.
if [ -f "$EV_BUILDDIR/Makefile" ] && command -v make >/dev/null; then
	if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$EV_BUILDDIR" distdir distdir="$T_TMP/dd" >"$T_TMP/dd.out" 2>&1; then
		while IFS= read -r f; do
			case "$f" in .* | */.*) continue ;; esac
			[ -e "$T_TMP/dd/$f" ] || echo "$f"
		done <"$T_TMP/files" >"$T_TMP/notdist"
		if [ -s "$T_TMP/notdist" ]; then
			sed 's/^/  not in the tarball: /' "$T_TMP/notdist"
			fail "$(wc -l <"$T_TMP/notdist") tracked file(s) are missing from 'make distdir' (add them to EXTRA_DIST or a dist_ variable)"
		else
			ok "'make distdir' holds every tracked file"
		fi
	else
		tail -20 "$T_TMP/dd.out"
		fail "make distdir failed"
	fi
	chmod -R u+w "$T_TMP/dd" 2>/dev/null
else
	skip_part "no build tree Makefile for 'make distdir'"
fi
exit $((T_FAILS > 0))
