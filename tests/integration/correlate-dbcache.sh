#!/bin/sh
# The compiled Vectorscan database cache (correlate/dbcache.h, rules.cache) through the
# real binary: a warm run gives byte-identical alerts (starter pack, SigmaHQ); the cache is
# really used (a file holding another rule set's database, owned by us, changes what is
# detected); the same file writable by the group, in a group-writable directory or owned by
# another user is refused with a warning and the rules compiled; a corrupt, truncated or
# foreign-version file is compiled again and replaced; EVIDENT_NO_CACHE and rules.cache
# turn it off; the agent keeps its databases in STATE_DIR/cache.
. "$EV_SRCDIR/tests/integration/lib.sh"
EVIDENT_DATADIR="$EV_SRCDIR/conf"
export EVIDENT_DATADIR
unset EVIDENT_NO_CACHE
"$EVIDENT" version 2>/dev/null | grep -q 'vectorscan=yes' || skip "a build without Vectorscan has no database to cache"
auth="$EV_SRCDIR/conf/demo/auth.log"

# replay_in DIR ARGS...: replay with XDG_CACHE_HOME=DIR
replay_in() {
	_d=$1
	shift
	run env XDG_CACHE_HOME="$_d" "$EVIDENT" replay --tz UTC --year 2026 "$@"
}
nfiles() { find "$1" -name '*.hsdb' 2>/dev/null | wc -l; }

# ---- warm run: the same bytes ----
replay_in "$T_TMP/c1" --rules "$EV_SRCDIR/conf/rules" "$auth"
expect_rc 0 "cold run, starter pack"
printf '%s\n' "$T_OUT" > "$T_TMP/cold.out"
[ "$(nfiles "$T_TMP/c1/evident")" -ge 1 ] && ok "cold run wrote the cache" || fail "no cache file in $T_TMP/c1/evident"
m=$(stat -c %a "$T_TMP/c1/evident")
[ "$m" = 700 ] && ok "cache directory made 0700" || fail "cache directory mode $m"
bad=$(find "$T_TMP/c1/evident" -name '*.hsdb' ! -perm 600 | wc -l)
[ "$bad" = 0 ] && ok "cache files 0600" || fail "$bad cache files not 0600"
[ -s "$T_TMP/cold.out" ] && grep -q '"rule"' "$T_TMP/cold.out" && ok "the demo log gives alerts" || fail "no alerts from the demo log"
replay_in "$T_TMP/c1" --rules "$EV_SRCDIR/conf/rules" "$auth"
expect_rc 0 "warm run, starter pack"
printf '%s\n' "$T_OUT" | cmp -s - "$T_TMP/cold.out" && ok "warm run: alerts byte-identical" || fail "warm run: alerts differ"

# ---- the cache is used: another rule set's database under this one's key ----
rule() { # rule FILE WORD
	cat > "$1" <<YAML
title: a word
id: 7d0c1a52-1f3c-4f8e-9b1a-5c2e8d9f0a$2
logsource: {product: linux, service: auth}
detection:
    sel:
        message|contains: '$3'
    condition: sel
level: high
YAML
}
mkdir -p "$T_TMP/rx" "$T_TMP/ry"
rule "$T_TMP/rx/r.yml" 01 FOOBAR1
rule "$T_TMP/ry/r.yml" 02 QUUXZZ9
printf 'Jan 26 11:20:12 web1 sshd[1]: here is FOOBAR1 again\n' > "$T_TMP/x.log"
replay_in "$T_TMP/cy" --rules "$T_TMP/ry" "$T_TMP/x.log"
ypay=$T_TMP/ypay
yf=$(find "$T_TMP/cy/evident" -name '*.hsdb')
[ "$(printf '%s\n' "$yf" | wc -l)" = 1 ] || fail "one database expected for a one-word rule: $yf"
tail -c +$(($(head -n 5 "$yf" | wc -c) + 1)) "$yf" > "$ypay"
# poison FILE: FILE keeps its key and gets rule set y's database
poison() {
	[ -f "$1" ] || { fail "no cache file to replace ('$1')"; return; }
	{ head -n 2 "$1"; echo "sha256 $(sha256sum < "$ypay" | cut -c1-64)"; echo "size $(wc -c < "$ypay")"; echo; cat "$ypay"; } > "$1.new"
	chmod 600 "$1.new"
	mv "$1.new" "$1"
}
xalerts() { printf '%s\n' "$T_OUT" | grep -c '"kind":"match"'; }
replay_in "$T_TMP/cx" --rules "$T_TMP/rx" "$T_TMP/x.log"
[ "$(xalerts)" = 1 ] && ok "cold: FOOBAR1 detected" || fail "cold: $(xalerts) alerts for FOOBAR1, want 1"
xf=$(find "$T_TMP/cx/evident" -name '*.hsdb')
poison "$xf"
replay_in "$T_TMP/cx" --rules "$T_TMP/rx" "$T_TMP/x.log"
[ "$(xalerts)" = 0 ] && ok "a file owned by us is used (another database in it changes the detection)" ||
	fail "the cache file was not used: $(xalerts) alerts"

poison "$xf"
chmod 620 "$xf"
replay_in "$T_TMP/cx" --rules "$T_TMP/rx" "$T_TMP/x.log"
[ "$(xalerts)" = 1 ] && ok "a group-writable cache file is refused: still detected" || fail "group-writable file used: $(xalerts) alerts"
expect_err "warning: rule database cache .*$(basename "$xf").* not used" "the refusal is a warning naming the file"
m=$(stat -c %a "$xf")
[ "$m" = 600 ] && ok "the refused file was replaced by a fresh one" || fail "refused file left mode $m"

poison "$xf"
chmod 606 "$xf"
replay_in "$T_TMP/cx" --rules "$T_TMP/rx" "$T_TMP/x.log"
[ "$(xalerts)" = 1 ] && ok "an other-writable cache file is refused" || fail "other-writable file used: $(xalerts) alerts"

poison "$xf"
chmod 770 "$T_TMP/cx/evident"
replay_in "$T_TMP/cx" --rules "$T_TMP/rx" "$T_TMP/x.log"
[ "$(xalerts)" = 1 ] && ok "a group-writable cache directory is refused" || fail "group-writable directory used: $(xalerts) alerts"
expect_err "warning: rule database cache $T_TMP/cx/evident: .*mode 0770" "the refusal names the directory"
n=$(printf '%s\n' "$T_ERR" | grep -c 'rule database cache')
[ "$n" = 1 ] && ok "logged once" || fail "the refusal logged $n times"
chmod 700 "$T_TMP/cx/evident"

if [ -z "$(need_setpriv)" ]; then
	poison "$xf"
	chown 65534 "$xf"
	replay_in "$T_TMP/cx" --rules "$T_TMP/rx" "$T_TMP/x.log"
	[ "$(xalerts)" = 1 ] && ok "a cache file owned by another user is refused" || fail "another user's file used: $(xalerts) alerts"
	# nobody, given root's cache directory: refused, still detects
	poison "$xf"
	chmod 755 "$T_TMP" "$T_TMP/cx" "$T_TMP/cx/evident" "$T_TMP/rx"
	chmod 644 "$T_TMP/x.log" "$T_TMP/rx/r.yml" "$xf"
	# the binary itself comes right after setpriv: a program between them (env) would have to
	# reach it as nobody, and a build directory need not be searchable by nobody
	XDG_CACHE_HOME="$T_TMP/cx"
	run as_nobody "$EVIDENT" replay --tz UTC --year 2026 --rules "$T_TMP/rx" "$T_TMP/x.log"
	XDG_CACHE_HOME="$T_TMP/cache"
	[ "$(xalerts)" = 1 ] && ok "another user's cache directory is refused (as nobody)" || fail "nobody used root's cache: $(xalerts) alerts"
	expect_err "rule database cache $T_TMP/cx/evident: owned by uid 0" "nobody is told whose directory it is"
	chmod 700 "$T_TMP"
else
	skip_part "ownership by another user: $(need_setpriv)"
fi

# ---- corrupt, truncated, foreign version: compiled again, replaced ----
rm -rf "$T_TMP/cx"
replay_in "$T_TMP/cx" --rules "$T_TMP/rx" "$T_TMP/x.log"
xf=$(find "$T_TMP/cx/evident" -name '*.hsdb')
cp "$xf" "$T_TMP/good"
hl=$(head -n 5 "$xf" | wc -c)
size=$(wc -c < "$xf")
# flip one byte in the middle of the payload
off=$((hl + (size - hl) / 2))
printf '\377' | dd of="$xf" bs=1 seek="$off" conv=notrunc 2>/dev/null
cmp -s "$xf" "$T_TMP/good" && fail "the byte flip changed nothing"
replay_in "$T_TMP/cx" --rules "$T_TMP/rx" "$T_TMP/x.log"
expect_rc 0 "a corrupt cache file is not fatal"
[ "$(xalerts)" = 1 ] && ok "corrupt file: still detected" || fail "corrupt file: $(xalerts) alerts"
cmp -s "$xf" "$T_TMP/good" && ok "corrupt file compiled again and replaced" || fail "corrupt file not replaced"
head -c $((hl + 100)) "$T_TMP/good" > "$xf"
replay_in "$T_TMP/cx" --rules "$T_TMP/rx" "$T_TMP/x.log"
[ "$(xalerts)" = 1 ] && cmp -s "$xf" "$T_TMP/good" && ok "truncated file: detected, replaced" || fail "truncated file: $(xalerts) alerts"
# a payload Vectorscan refuses (its header says another version), with a matching hash
tail -c +$((hl + 1)) "$T_TMP/good" > "$T_TMP/pay"
printf '\377\377\377\377' | dd of="$T_TMP/pay" bs=1 seek=4 conv=notrunc 2>/dev/null
ypay_save=$ypay
ypay=$T_TMP/pay
poison "$xf"
ypay=$ypay_save
replay_in "$T_TMP/cx" --rules "$T_TMP/rx" "$T_TMP/x.log"
expect_rc 0 "a foreign-version cache file is not fatal"
[ "$(xalerts)" = 1 ] && cmp -s "$xf" "$T_TMP/good" && ok "foreign-version file: detected, replaced" ||
	fail "foreign-version file: $(xalerts) alerts"

# ---- turned off ----
run env XDG_CACHE_HOME="$T_TMP/off" EVIDENT_NO_CACHE=1 "$EVIDENT" replay --tz UTC --year 2026 --rules "$T_TMP/rx" "$T_TMP/x.log"
[ "$(xalerts)" = 1 ] && [ "$(nfiles "$T_TMP/off")" = 0 ] && ok "EVIDENT_NO_CACHE=1: no cache written" || fail "EVIDENT_NO_CACHE: $(nfiles "$T_TMP/off") files"
printf 'rules:\n  cache: false\n' > "$T_TMP/nocache.yaml"
run env XDG_CACHE_HOME="$T_TMP/off" "$EVIDENT" replay --config "$T_TMP/nocache.yaml" --tz UTC --year 2026 --rules "$T_TMP/rx" "$T_TMP/x.log"
[ "$(xalerts)" = 1 ] && [ "$(nfiles "$T_TMP/off")" = 0 ] && ok "rules.cache: false: no cache written" || fail "rules.cache false: $(nfiles "$T_TMP/off") files"

# ---- SigmaHQ rules/linux: warm = cold ----
sigma="${EV_SHARED:-$EV_SRCDIR/../shared}/data/sigma/sigmahq-linux-full/rules/linux"
lh="${EV_SHARED:-$EV_SRCDIR/../shared}/data/loghub/Linux/Linux_2k.log"
if [ -d "$sigma" ] && [ -f "$lh" ]; then
	cat "$lh" "$auth" > "$T_TMP/sig.log"
	for i in cold warm; do
		EVIDENT_QUIET_WARNINGS=1 XDG_CACHE_HOME="$T_TMP/cs" "$EVIDENT" replay --tz UTC --year 2026 \
			--rules "$sigma" "$T_TMP/sig.log" > "$T_TMP/sig.$i" 2> "$T_TMP/sig.$i.err"
	done
	[ "$(nfiles "$T_TMP/cs")" -ge 1 ] && ok "SigmaHQ: databases cached" || fail "SigmaHQ: nothing cached"
	cmp -s "$T_TMP/sig.cold" "$T_TMP/sig.warm" && cmp -s "$T_TMP/sig.cold.err" "$T_TMP/sig.warm.err" &&
		ok "SigmaHQ: warm run byte-identical ($(wc -l < "$T_TMP/sig.warm") alerts)" || fail "SigmaHQ: warm run differs"
else
	skip_part "SigmaHQ rules or the Loghub sample absent"
fi
done_testing
