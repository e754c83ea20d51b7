#!/bin/sh
# Benchmark: sealing log files into a bundle vs plain tar | gzip (same level), vs that
# plus sha256sum; verifying a bundle vs gzip -dc | sha256sum. Prints a Markdown table.
#   BENCH_STORE_BYTES  total size of the log files (default 1 GiB)
#   BENCH_STORE_FILES  number of files (default 8)
#   EVIDENT            the binary (set by make bench)
set -u
: "${EVIDENT:?EVIDENT must point at the built binary (run through make bench)}"
BYTES=${BENCH_STORE_BYTES:-1073741824}
NF=${BENCH_STORE_FILES:-8}
LEVEL=6
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-store.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }

# Log-like data: an 8 MiB chunk of syslog-style lines with varying fields, repeated
# (repeats are far beyond gzip's 32 KiB window, so compression sees no shortcut).
awk 'BEGIN { srand(42); n = 0
	while (n < 8388608) {
		l = sprintf("2026-01-%02d %02d:%02d:%02d.%06d host%d app[%d]: request id=%08x user=u%d path=/api/v1/items/%d status=%d latency_ms=%d",
			1 + int(rand() * 28), int(rand() * 24), int(rand() * 60), int(rand() * 60), int(rand() * 1000000),
			int(rand() * 8), 1000 + int(rand() * 30000), int(rand() * 4294967295), int(rand() * 5000),
			int(rand() * 100000), (rand() < 0.9 ? 200 : 500), int(rand() * 900))
		print l; n += length(l) + 1 } }' > "$T/chunk"
chunk=$(stat -c %s "$T/chunk")
per=$((BYTES / NF))
files=""
i=1
while [ $i -le "$NF" ]; do
	f="$T/app$i.log"
	k=0
	while [ $((k * chunk)) -lt $per ]; do cat "$T/chunk"; k=$((k + 1)); done | head -c $per > "$f"
	files="$files $f"
	i=$((i + 1))
done
rm -f "$T/chunk"
total=$((per * NF))
sync
cat $files > /dev/null # warm the page cache for every contender alike

"$EVIDENT" keygen --out "$T" >/dev/null 2>&1 || { echo "keygen failed" >&2; exit 2; }
copies=""
for f in $files; do copies="$copies --copy $f"; done

a=$(now); tar -cf - $files 2>/dev/null | gzip -$LEVEL > "$T/plain.tar.gz"; b=$(now)
t_tar=$(elapsed "$a" "$b")
a=$(now); { tar -cf - $files 2>/dev/null | gzip -$LEVEL > "$T/plain2.tar.gz"; sha256sum $files > "$T/sums"; }; b=$(now)
t_tarsum=$(elapsed "$a" "$b")
rm -f "$T/plain2.tar.gz"
a=$(now); "$EVIDENT" seal --store "$T/store" --key "$T/evident.key" --no-immutable --level $LEVEL $copies > "$T/seal.out" 2>/dev/null; b=$(now)
t_seal=$(elapsed "$a" "$b")
bundle=$(head -n 1 "$T/seal.out")
[ -f "$bundle" ] || { echo "seal failed" >&2; exit 2; }
a=$(now); gzip -dc "$bundle" | sha256sum > /dev/null; b=$(now)
t_floor=$(elapsed "$a" "$b")
a=$(now); "$EVIDENT" verify --no-record --pub "$T/evident.pub" "$bundle" > /dev/null 2>&1; rc=$?; b=$(now)
t_verify=$(elapsed "$a" "$b")
[ $rc -eq 0 ] || echo "verify failed (exit $rc)" >&2

mib=$((total / 1048576))
echo "| operation ($mib MiB in $NF log files, gzip -$LEVEL) | seconds | vs baseline |"
echo "|---|---|---|"
echo "| tar -cf - FILES \| gzip -$LEVEL (baseline) | $t_tar | 1.000 |"
echo "| tar \| gzip -$LEVEL, then sha256sum FILES | $t_tarsum | $(ratio "$t_tarsum" "$t_tar") |"
echo "| evident seal --copy FILES... | $t_seal | $(ratio "$t_seal" "$t_tar") |"
echo "| gzip -dc BUNDLE \| sha256sum (verify baseline) | $t_floor | 1.000 |"
echo "| evident verify --pub KEY BUNDLE | $t_verify | $(ratio "$t_verify" "$t_floor") |"
echo
echo "Sizes: plain tar.gz $(stat -c %s "$T/plain.tar.gz") bytes, bundle $(stat -c %s "$bundle") bytes."
