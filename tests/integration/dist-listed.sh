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
	# One awk pass (a shell loop with a grep per file took 90 s for 14,000 files): a file
	# is listed when MK contains its path, or when one of its directories is a word of MK
	# (with or without a trailing slash or line-continuation backslash).
	awk 'NR == FNR { mk = mk $0 "\n"; n = split($0, w, /[ \t]+/)
			for (i = 1; i <= n; i++) { t = w[i]; sub(/\\$/, "", t); sub(/\/$/, "", t); if (t != "") word[t] = 1 }
			next }
		/^\./ || /\/\./ || $0 == "configure.ac" || $0 == "m4/.keep" { next } # dotfiles; automake ships configure.ac
		index(mk, $0) { next }
		{ d = $0; listed = 0
		  while (sub(/\/[^\/]*$/, "", d)) if (d in word) { listed = 1; break }
		  if (!listed) print }' "$2" "$1"
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
