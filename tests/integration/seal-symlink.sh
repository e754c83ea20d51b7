#!/bin/sh
# `evident seal --file` and symbolic links (issue 10): evidence collection reads a name
# that is, or passes through, a symbolic link exactly as the tail would (one policy,
# collector/tail_policy.c): a link the configuration names exactly is followed (it was
# refused with O_NOFOLLOW while the tail followed it); a link matched by a glob only to
# a target inside the configured source directories (or with sources.follow_symlinks);
# never a link in a directory others may write. A refusal is recorded in the manifest's
# errors with its reason. The "secret" is a harmless file of the test's own.
. "$EV_SRCDIR/tests/integration/lib.sh"

D="$T_TMP/logs"
S="$T_TMP/secret"
K="$T_TMP/keys/k.key"
mkdir -p "$T_TMP/keys"
"$EVIDENT" keygen --out "$T_TMP/keys" --name k >/dev/null 2>&1 || skip "keygen failed"
NOW=$(date +'%b %e %H:%M:%S')
line() { echo "$NOW h app[1]: $1"; }
n=0
reset() { # reset PATTERN [extra sources lines]: fresh logs, secret and configuration
	rm -rf "$D" "$S"
	mkdir -p "$D" "$S"
	chmod 0755 "$D"
	line "SECRET=hunter2" >"$S/shadow"
	line "n=1" >"$D/app.log"
	{
		printf 'sources:\n  files: ["%s"]\n  journal: false\n' "$1"
		shift
		for l in "$@"; do echo "  $l"; done
		printf 'actions:\n  lookback: 1h\n  seal_commands: []\n'
	} >"$T_TMP/cfg.yaml"
}
# seal FILE: an in-process seal of that --file name (a glob is the seal's to expand);
# B the bundle
seal() {
	n=$((n + 1))
	run "$EVIDENT" seal --offline --config "$T_TMP/cfg.yaml" --store "$T_TMP/store$n" --key "$K" \
		--no-immutable --json --since '1 hour ago' --file "$1"
	B=$(printf '%s' "$T_OUT" | sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p')
}
members() { tar -xzOf "$B" --wildcards 'evidence/*' 2>/dev/null; }
manifest() { tar -xzOf "$B" MANIFEST.json 2>/dev/null; }
has_secret() { members | grep -q 'SECRET=hunter2'; }

# 1. a link the configuration names exactly: the tail follows it, so does the seal
reset "$D/named.log"
ln -s "$S/shadow" "$D/named.log"
seal "$D/named.log"
expect_rc 0 "seal of a configured path that is a symbolic link"
has_secret && ok "the configured link is read through its target" ||
	{ fail "the configured link was not read"; manifest | head -c 600; echo; }
tar -tzf "$B" | grep -q '^evidence/excerpts/.*named\.log$' &&
	ok "the member is named after the configured path" || fail "member name: $(tar -tzf "$B" | tr '\n' ' ')"

# 2. a glob: a link to a file outside the sources is refused and recorded; beside it the
# real file and a link to a file inside the sources are read
reset "$D/*.log"
ln -s "$S/shadow" "$D/evil.log"
line "n=2 inside" >"$D/current.txt"
ln -s current.txt "$D/cur.log"
seal "$D/*.log"
expect_rc 0 "seal of a glob with links in it"
has_secret && fail "a link out of the sources was sealed" || ok "a link out of the sources is not read"
members | grep -q 'n=2 inside' && ok "a link inside the source directory is followed" || fail "the link inside the sources was not read"
members | grep -q 'n=1' && ok "the real file beside them is read" || fail "the real file was not read"
manifest | grep -q "symbolic link to $S/shadow, outside the configured source paths" &&
	ok "the manifest records the refusal and why" || { fail "no refusal in the manifest"; manifest | head -c 800; echo; }
expect_err 'evil.log: symbolic link to' "the refusal is on stderr"

# 2b. the same link named on the command line (not configured exactly): still refused
seal "$D/evil.log"
expect_rc 0 "seal of a glob-matched link named on the command line"
has_secret && fail "a glob-matched link named on the command line was followed" ||
	ok "naming a glob-matched link exactly on the command line does not lift the policy"
manifest | grep -q "symbolic link to $S/shadow, outside the configured source paths" &&
	ok "and the refusal is recorded in the manifest" || { fail "no refusal in the manifest"; manifest | head -c 800; echo; }

# 3. sources.follow_symlinks: true follows it
reset "$D/*.log" "follow_symlinks: true"
ln -s "$S/shadow" "$D/evil.log"
seal "$D/*.log"
expect_rc 0 "seal of a glob with follow_symlinks: true"
has_secret && ok "follow_symlinks: true follows a link out of the sources" || fail "follow_symlinks: true did not follow"

# 4. never in a directory others may write, even a configured link
reset "$D/named.log"
ln -s "$S/shadow" "$D/named.log"
chmod 1777 "$D"
seal "$D/named.log"
has_secret && fail "followed a link in a world-writable directory" || ok "no link followed in a world-writable directory"
manifest | grep -q "never followed where others may write" && ok "the manifest says why" ||
	{ fail "refusal reason"; manifest | head -c 800; echo; }
done_testing
