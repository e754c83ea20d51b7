#!/bin/sh
# The README's guide stays true (issue 15): every ```sh block preceded by the line
# "<!-- runnable -->" runs, in order, each as `sh -e` in one scratch directory (files made
# by one block are there for the next), with the built evident first on the PATH and the
# installed data directory /usr/share/evident read as the source tree's conf/ (rules,
# decoders) and packaging/ (verify-bundle.sh). A block that fails is named by its number
# and first line.
. "$EV_SRCDIR/tests/integration/lib.sh"
README="$EV_SRCDIR/README.md"

mkdir -p "$T_TMP/blocks" "$T_TMP/bin" "$T_TMP/work"
ln -s "$EVIDENT" "$T_TMP/bin/evident"
# blocks/N.sh: the runnable blocks
awk -v dir="$T_TMP/blocks" '
	/^<!-- runnable -->$/ { want = 1; next }
	want && /^```sh$/ { n++; inblock = 1; want = 0; next }
	inblock && /^```$/ { inblock = 0; close(f); next }
	inblock { f = sprintf("%s/%02d.sh", dir, n); print > f; next }
	{ want = 0 }
' "$README"
n=$(find "$T_TMP/blocks" -name '*.sh' | wc -l)
[ "$n" -ge 5 ] && ok "README has $n runnable blocks" || fail "README has only $n runnable blocks (marked <!-- runnable --> before \`\`\`sh)"

for b in "$T_TMP/blocks"/*.sh; do
	sed -i -e "s|/usr/share/evident/verify-bundle.sh|$EV_SRCDIR/packaging/verify-bundle.sh|g" \
		-e "s|/usr/share/evident/|$EV_SRCDIR/conf/|g" "$b"
	num=$(basename "$b" .sh)
	first=$(grep -v '^ *$' "$b" | head -1)
	if (cd "$T_TMP/work" && PATH="$T_TMP/bin:$PATH" EVIDENT_CONFIG='' sh -e "$b") >"$T_TMP/out" 2>&1 </dev/null; then
		ok "README block $num ($first)"
	else
		fail "README block $num ($first) failed:"; tail -15 "$T_TMP/out" | sed 's/^/  | /'
	fi
done
# what the guide promises on the way
[ "$(cat "$T_TMP/work/alerts.jsonl" 2>/dev/null | wc -l)" = 1 ] && ok "the guide's replay gives one alert" ||
	fail "the guide's replay: $(cat "$T_TMP/work/alerts.jsonl" 2>/dev/null)"
[ -n "$(find "$T_TMP/work/investigator/handoff/extracted" -type f 2>/dev/null)" ] &&
	ok "the investigator extracted the evidence" || fail "nothing extracted"
done_testing
