#!/bin/sh
# The same replay through two builds (one with Vectorscan, one --without-vectorscan) must
# give byte-identical alerts. The other build's binary comes from $EVIDENT_OTHER, e.g.
#   make check EVIDENT_OTHER=$PWD/../build-novs/agent/evident
# skipped when it is not set (or not runnable); .ci/run sets it in every build it tests.
# The two builds must differ in the matcher (one vectorscan=yes, one vectorscan=no), and
# the Vectorscan build must really use Vectorscan for these rules.
. "$EV_SRCDIR/tests/integration/lib.sh"
other=${EVIDENT_OTHER:-}
[ -n "$other" ] || skip "EVIDENT_OTHER not set (path of the evident binary of another build)"
"$other" version > /dev/null 2>&1 || skip "$other does not run"
EVIDENT_DATADIR="$EV_SRCDIR/conf"
EVIDENT_QUIET_WARNINGS=1
export EVIDENT_DATADIR EVIDENT_QUIET_WARNINGS
vs_this=$("$EVIDENT" version 2>&1 | grep -o 'vectorscan=[a-z]*')
vs_other=$("$other" version 2>&1 | grep -o 'vectorscan=[a-z]*')
echo "# this build: $vs_this, other build: $vs_other"
case "$vs_this/$vs_other" in
vectorscan=yes/vectorscan=no | vectorscan=no/vectorscan=yes) ok "one build with Vectorscan, one without" ;;
*) fail "EVIDENT_OTHER must be the other kind of build ($vs_this here, $vs_other there)"; done_testing ;;
esac

log="$T_TMP/in.log"
for f in "$EV_SRCDIR"/tests/integration/data/*.log; do [ -f "$f" ] && cat "$f" >> "$log"; done
{
	for i in 01 02 03 04 05 06; do
		echo "Mar  1 10:00:$i web1 sshd[100$i]: Failed password for root from 203.0.113.9 port 40$i ssh2"
	done
	for u in alice bob carol dave erin; do
		echo "Mar  1 10:01:00 web1 sshd[2000]: Invalid user $u from 198.51.100.7 port 5000"
	done
	echo "Mar  1 10:02:00 web1 sshd[2001]: Accepted password for root from 203.0.113.9 port 4100 ssh2"
	echo "Mar  1 10:05:00 web1 backup[77]: Backup job started: nightly"
} >> "$log"
rules="--rules $EV_SRCDIR/conf/rules --rules $EV_SRCDIR/tests/bench/rules-sec"
if [ -d "$EV_SHARED/data/sigma/sigmahq-rules" ]; then
	rules="$rules --rules $EV_SHARED/data/sigma/sigmahq-rules"
	for f in "$EV_SHARED"/data/loghub/Linux/Linux_2k.log "$EV_SHARED"/data/loghub/OpenSSH/OpenSSH_2k.log; do
		[ -f "$f" ] && cat "$f" >> "$log"
	done
fi
if [ -f "$EV_SHARED/bench/gen_corpus.py" ] && command -v python3 > /dev/null; then
	python3 "$EV_SHARED/bench/gen_corpus.py" 20000 >> "$log"
	python3 "$EV_SRCDIR/tests/bench/gen-rare-rules.py" 90 "$T_TMP/rare" "$T_TMP/rare.sec" "$T_TMP/rare.rg"
	rules="$rules --rules $T_TMP/rare"
fi
"$EVIDENT" replay --tz UTC --year 2024 $rules "$log" > "$T_TMP/a" 2> "$T_TMP/ae"
ra=$?
"$other" replay --tz UTC --year 2024 $rules "$log" > "$T_TMP/b" 2> "$T_TMP/be"
rb=$?
if [ $ra -eq 0 ] && [ $rb -eq 0 ]; then ok "both builds replay"; else fail "exit $ra / $rb"; tail -3 "$T_TMP/ae" "$T_TMP/be"; fi
# the summary names the matcher: vectorscan+pcre2 in one build, pcre2 alone in the other
if [ "$vs_this" = vectorscan=yes ]; then vs_err="$T_TMP/ae"; pc_err="$T_TMP/be"; else vs_err="$T_TMP/be"; pc_err="$T_TMP/ae"; fi
grep -q 'rules (vectorscan+pcre2' "$vs_err" && ok "the Vectorscan build matched with Vectorscan" ||
	fail "the Vectorscan build did not use Vectorscan: $(grep 'rules (' "$vs_err")"
grep -q 'rules (pcre2' "$pc_err" && ok "the PCRE2-only build matched with PCRE2 alone" ||
	fail "the PCRE2-only build: $(grep 'rules (' "$pc_err")"
n=$(wc -l < "$T_TMP/a")
if [ "$n" -gt 0 ]; then ok "alerts to compare ($n)"; else fail "no alerts"; fi
if cmp -s "$T_TMP/a" "$T_TMP/b"; then ok "identical alerts ($vs_this vs $vs_other)"
else fail "builds differ"; diff "$T_TMP/a" "$T_TMP/b" | head -5; fi
done_testing
