#!/bin/sh
# The man pages (docs/man/*.scd, issue 15) cannot fall behind the binary: every command
# that `evident help` lists has a section "## evident NAME" in a section-1 page, every
# option its --help prints appears in that section, every key of the embedded default
# configuration is in evident.yaml(5) with the same default, and the pages built by make
# carry the configured paths (no @PLACEHOLDER@ left).
. "$EV_SRCDIR/tests/integration/lib.sh"
MAN="$EV_SRCDIR/docs/man"
command -v python3 >/dev/null 2>&1 || skip "python3 missing (needed to read config check --json)"

# section FILE CMD: the lines of "## evident CMD" up to the next heading
section() {
	awk -v h="## evident $2" '$0 == h {on = 1; next} on && /^##? / {exit} on {print}' "$1"
}

cmds=$("$EVIDENT" help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
[ -n "$cmds" ] && ok "evident help lists commands" || fail "evident help lists no command"
for cmd in $cmds; do
	page=$(grep -lx "## evident $cmd" "$MAN"/*.1.scd 2>/dev/null | head -1)
	if [ -z "$page" ]; then
		fail "command '$cmd' (listed by 'evident help') has no section '## evident $cmd' in any docs/man/*.1.scd: add one to the page of its group"
		continue
	fi
	section "$page" "$cmd" >"$T_TMP/sec"
	"$EVIDENT" help "$cmd" >"$T_TMP/help"
	# long options anywhere in the help, short ones where an option line starts
	opts=$( (grep -oE -- '--[a-z][a-z0-9-]*' "$T_TMP/help"; sed -n 's/^ *\(-[a-zA-Z]\)[ ,].*/\1/p' "$T_TMP/help") | sort -u)
	missing=""
	for o in $opts; do
		grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9-]|\$)" "$T_TMP/sec" || missing="$missing $o"
	done
	if [ -z "$missing" ]; then ok "evident $cmd: every option of its --help is in ${page#"$EV_SRCDIR"/}"
	else fail "evident $cmd: option(s)$missing printed by 'evident $cmd --help' missing from section '## evident $cmd' of ${page#"$EV_SRCDIR"/}"; fi
done

# every key of the embedded configuration, with its default, in evident.yaml(5)
if EVIDENT_CONFIG='' "$EVIDENT" config check --json >"$T_TMP/cfg.json" 2>"$T_TMP/cfg.err"; then
	python3 - "$T_TMP/cfg.json" "$MAN/evident.yaml.5.scd" >"$T_TMP/keys.out" <<'PY'
import json, re, sys
cfg = json.load(open(sys.argv[1]))
page = open(sys.argv[2]).read()
def render(v):
    if v is None: return "null"
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, list): return "[" + ", ".join(render(x) for x in v) + "]"
    return str(v)
def walk(prefix, o):
    for k, v in o.items():
        if isinstance(v, dict): yield from walk(prefix + k + ".", v)
        else: yield prefix + k, v
n = 0
for key, v in walk("", {k: v for k, v in cfg.items() if k != "origin"}):
    n += 1
    m = re.search(r"^\*" + re.escape(key) + r"\* \(default: (.*)\)$", page, re.M)
    if not m:
        print("FAIL - evident.yaml(5) (docs/man/evident.yaml.5.scd) lacks the key %s "
              "(default: %s) of the embedded configuration: add '*%s* (default: %s)'" % (key, render(v), key, render(v)))
    elif m.group(1) != render(v):
        print("FAIL - evident.yaml(5) gives %s the default '%s'; the embedded configuration has '%s'" % (key, m.group(1), render(v)))
print("keys %d" % n)
PY
	n=$(sed -n 's/^keys //p' "$T_TMP/keys.out")
	if grep -q '^FAIL' "$T_TMP/keys.out"; then
		grep '^FAIL' "$T_TMP/keys.out" | while read -r l; do echo "$l"; done
		fail "evident.yaml(5) is behind the embedded configuration"
	elif [ "${n:-0}" -gt 30 ]; then ok "evident.yaml(5) documents all $n keys with their defaults"
	else fail "only ${n:-0} configuration keys found in config check --json"; fi
else
	fail "config check --json on the embedded configuration: $(cat "$T_TMP/cfg.err")"
fi

# the pages make built: one per source, configured paths substituted, roff that man reads
built=0
for src in "$MAN"/*.scd; do
	b=$(basename "$src" .scd)
	page="$EV_BUILDDIR/docs/man/$b"
	if [ ! -s "$page" ]; then fail "make did not build docs/man/$b"; continue; fi
	built=$((built + 1))
	grep -q '@[A-Z]*@' "$page" && fail "docs/man/$b keeps a placeholder: $(grep -o '@[A-Z]*@' "$page" | head -1)"
	grep -q '^\.TH ' "$page" || fail "docs/man/$b is not roff (no .TH)"
done
[ "$built" -ge 7 ] && ok "$built man pages built with the configured paths" || fail "only $built man pages built"
done_testing
