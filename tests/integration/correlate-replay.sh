#!/bin/sh
# evident replay --rules end to end: alerts as JSON lines, byte-identical across runs,
# across engines (vectorscan vs pcre2), and between a file and the same bytes on stdin.
. "$EV_SRCDIR/tests/integration/lib.sh"
EVIDENT_DATADIR="$EV_SRCDIR/conf"
export EVIDENT_DATADIR
log="$T_TMP/auth.log"
{
	for i in 01 02 03 04 05 06; do
		echo "Mar  1 10:00:$i web1 sshd[100$i]: Failed password for root from 203.0.113.9 port 40$i ssh2"
	done
	for u in alice bob carol dave erin; do
		echo "Mar  1 10:01:00 web1 sshd[2000]: Invalid user $u from 198.51.100.7 port 5000"
	done
	echo "Mar  1 10:02:00 web1 sshd[2001]: Accepted password for root from 203.0.113.9 port 4100 ssh2"
	echo "Mar  1 10:03:00 web1 useradd[3000]: new user: name=toor, UID=0, GID=0, home=/root, shell=/bin/bash"
	echo "Mar  1 10:04:00 web1 kernel: Out of memory: Killed process 4242 (java) total-vm:1kB"
	echo "Mar  1 10:05:00 web1 backup[77]: Backup job started: nightly"
} > "$log"
run "$EVIDENT" replay --tz UTC --year 2024 --rules "$EV_SRCDIR/conf/rules" "$log"
expect_rc 0 "replay with the starter pack"
printf '%s\n' "$T_OUT" > "$T_TMP/a1"
expect_out '"group":{"src_ip":"203.0.113.9"},"kind":"event_count"' "brute force alert"
expect_out '"distinct":5,.*"kind":"value_count"' "spraying alert"
expect_out '"kind":"temporal_ordered"' "login after failures"
expect_out '"New user or group with UID or GID 0"' "uid 0 account"
expect_out '"group":{"src_ip":"198.51.100.7"},"kind":"event_count".*"SSH invalid-user brute force from one address"' "invalid-user brute force from one address"
expect_out '"kind":"absence".*"time":"2024-03-01T16:05:00.000000Z"' "absence fires at end of input"
expect_err 'alerts' "summary on stderr"
n=$(wc -l < "$T_TMP/a1")
if [ "$n" -eq 7 ]; then ok "seven alerts"; else fail "expected 7 alerts, got $n"; cat "$T_TMP/a1"; fi
if printf '%s\n' "$T_OUT" | python3 -c 'import sys,json; [json.loads(l) for l in sys.stdin]' 2>/dev/null; then
	ok "every line is JSON"; else fail "invalid JSON line"; fi

run "$EVIDENT" replay --tz UTC --year 2024 --rules "$EV_SRCDIR/conf/rules" "$log"
printf '%s\n' "$T_OUT" > "$T_TMP/a2"
if cmp -s "$T_TMP/a1" "$T_TMP/a2"; then ok "second run byte-identical"; else fail "runs differ"; fi
run sh -c "cat '$log' | '$EVIDENT' replay --tz UTC --year 2024 --rules '$EV_SRCDIR/conf/rules' -"
printf '%s\n' "$T_OUT" | sed 's#"source":"[^"]*"#"source":"X"#g' > "$T_TMP/a3"
sed 's#"source":"[^"]*"#"source":"X"#g' "$T_TMP/a1" > "$T_TMP/a1s"
if cmp -s "$T_TMP/a1s" "$T_TMP/a3"; then ok "stdin gives the same alerts"; else fail "stdin differs"; fi

# both engines on the same input, including the SigmaHQ rules when present
rules="--rules $EV_SRCDIR/conf/rules"
if [ -d "$EV_SHARED/data/sigma/sigmahq-rules" ]; then
	rules="$rules --rules $EV_SHARED/data/sigma/sigmahq-rules --rules $EV_SHARED/data/sigma/sigmahq-rules-emerging-threats"
	for f in "$EV_SHARED"/data/loghub/Linux/Linux_2k.log "$EV_SHARED"/data/loghub/OpenSSH/OpenSSH_2k.log; do
		[ -f "$f" ] && cat "$f" >> "$log"
	done
fi
run "$EVIDENT" replay --tz UTC --year 2024 --engine pcre2 $rules "$log"
expect_rc 0 "pcre2 engine"
printf '%s\n' "$T_OUT" > "$T_TMP/p"
if "$EVIDENT" version 2>/dev/null | grep -q 'vectorscan=yes'; then
	run "$EVIDENT" replay --tz UTC --year 2024 --engine vectorscan $rules "$log"
	expect_rc 0 "vectorscan engine"
	printf '%s\n' "$T_OUT" > "$T_TMP/v"
	if cmp -s "$T_TMP/p" "$T_TMP/v"; then ok "vectorscan and pcre2 give identical alerts ($(wc -l < "$T_TMP/p") lines)"
	else fail "engines differ"; diff "$T_TMP/p" "$T_TMP/v" | head -5; fi
else
	run "$EVIDENT" replay --tz UTC --year 2024 --engine vectorscan $rules "$log"
	expect_rc 2 "vectorscan refused in a PCRE2-only build"
fi

# rule errors stop the replay with exit 1
printf 'title: x\ndetection:\n  s:\n    message|nope: y\n  condition: s\n' > "$T_TMP/bad.yml"
run "$EVIDENT" replay --rules "$T_TMP/bad.yml" "$log"
expect_rc 1 "bad rules exit 1"
expect_err 'bad.yml:4:5: unknown' "positioned error"
done_testing
