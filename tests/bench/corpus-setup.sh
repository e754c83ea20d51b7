# Sourced by bench-correlate.sh and bench-match.sh (not a benchmark itself): the checks
# both need, the scratch directory $T (removed at exit), and in it the 1M-line corpus
# ($T/corpus.log, $LINES lines), the 90 rare rules of the 100-rule set ($T/rare, and the
# same as SEC rules $T/rare.sec and ripgrep patterns $T/rare.rg) and the 100 rg patterns
# ($T/rg.pat). Expects BENCH_NAME; sets gen, secrules, EVIDENT, EV_SRCDIR, EV_SHARED.
: "${EV_SRCDIR:=.}"
: "${EVIDENT:=$EV_SRCDIR/build/agent/evident}"
: "${EV_SHARED:=$EV_SRCDIR/../shared}"
gen="$EV_SHARED/bench/gen_corpus.py"
secrules="$EV_SHARED/bench/sec-baseline.sec"
if [ ! -f "$gen" ] || [ ! -f "$secrules" ]; then echo "$BENCH_NAME: SKIP (no $EV_SHARED/bench)"; exit 0; fi
if [ ! -x "$EVIDENT" ]; then echo "$BENCH_NAME: SKIP (no $EVIDENT)"; exit 0; fi
command -v python3 >/dev/null || { echo "$BENCH_NAME: SKIP (no python3)"; exit 0; }
T=$(mktemp -d /tmp/evident-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT
EVIDENT_DATADIR="$EV_SRCDIR/conf"
EVIDENT_QUIET_WARNINGS=1
export EVIDENT_DATADIR EVIDENT_QUIET_WARNINGS

python3 "$gen" "$LINES" > "$T/corpus.log"
python3 "$EV_SRCDIR/tests/bench/gen-rare-rules.py" 90 "$T/rare" "$T/rare.sec" "$T/rare.rg"
grep '^pattern' "$secrules" | sed 's/^pattern2\{0,1\}=//' > "$T/rg.pat"
cat "$T/rare.rg" >> "$T/rg.pat"
