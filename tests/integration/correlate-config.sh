#!/bin/sh
# `evident replay --config FILE` and `evident rules --config FILE`: rules.logsources,
# rules.engine, rules.allowed_lateness and rules.max_groups come from the configuration
# (default: the embedded one); --engine and --logsource on the command line win.
. "$EV_SRCDIR/tests/integration/lib.sh"
EVIDENT_DATADIR="$EV_SRCDIR/conf"
export EVIDENT_DATADIR
conf="$EV_SRCDIR/conf/evident.yaml"
# cfg NAME SED-EXPRESSION: a copy of the shipped configuration with one change
cfg() { sed "$2" "$conf" > "$T_TMP/$1.yaml"; }
cfg ls 's/^  logsources: \[\]/  logsources:\n    - "myapp: myapp unit:myapp.service"/'
cfg badls 's/^  logsources: \[\]/  logsources:\n    - "myapp myapp"/'
cfg pcre 's/^  engine: auto/  engine: pcre2/'
cfg late0 's/^  allowed_lateness: 10s/  allowed_lateness: 0s/'
cfg cap1 's/^  max_groups: 100000/  max_groups: 1/'
cfg vals2 's/^  max_values: 100000/  max_values: 2/'

cat > "$T_TMP/myapp.yml" <<'YAML'
title: myapp boom
id: myapp-boom
logsource: {product: linux, service: myapp}
detection:
  k:
    - 'boom'
  condition: k
level: high
YAML
printf 'Nov 27 10:00:00 h1 myapp[3]: boom here\nNov 27 10:00:01 h1 other[3]: boom there\n' > "$T_TMP/my.log"

R="replay --tz UTC --year 2026"
run "$EVIDENT" $R --rules "$T_TMP/myapp.yml" "$T_TMP/my.log"
expect_rc 0 "replay, embedded configuration"
expect_err "unknown logsource service 'myapp'" "service unknown without the configuration"
expect_err "define it in rules.logsources, e.g. 'myapp: PROGRAM" "the hint names the configuration key"
# Every option a hint names exists on the command that printed it.
replay_help=$("$EVIDENT" replay --help)
for o in $(printf '%s\n' "$T_ERR" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	case "$replay_help" in *"$o"*) ok "replay hint option $o exists" ;;
	*) fail "replay's warning names $o, which replay does not have" ;; esac
done
expect_err ' 0 alerts' "no alert without the logsource"
run "$EVIDENT" $R --config "$T_TMP/ls.yaml" --rules "$T_TMP/myapp.yml" "$T_TMP/my.log"
expect_rc 0 "replay --config with rules.logsources"
expect_out '"message":"boom here"' "the myapp line matches"
if printf '%s\n' "$T_OUT" | grep -q 'boom there'; then fail "other program matched"; else ok "other program does not match"; fi
run "$EVIDENT" config check "$T_TMP/badls.yaml"
expect_rc 1 "config check rejects a bad rules.logsources entry"
expect_err "badls.yaml:[0-9]+:[0-9]+: logsource 'myapp myapp': expected" "positioned error"
run "$EVIDENT" config check "$T_TMP/ls.yaml"
expect_rc 0 "config check accepts rules.logsources"
run "$EVIDENT" $R --config "$T_TMP/badls.yaml" --rules "$T_TMP/myapp.yml" "$T_TMP/my.log"
expect_rc 2 "replay refuses a bad configuration"
expect_err "badls.yaml:[0-9]+:[0-9]+: logsource" "with the positioned error"
run "$EVIDENT" $R --config "$T_TMP/nonexistent.yaml" --rules "$T_TMP/myapp.yml" "$T_TMP/my.log"
expect_rc 2 "missing configuration"

run "$EVIDENT" rules --config "$T_TMP/ls.yaml" check "$T_TMP/myapp.yml"
expect_rc 0 "rules check --config"
expect_out '1 rule loaded, 0 errors, 0 warnings' "no warning with the configured logsource"
run "$EVIDENT" rules check "$T_TMP/myapp.yml"
expect_out '1 warning' "warning without it"
run "$EVIDENT" rules --config "$T_TMP/badls.yaml" check "$T_TMP/myapp.yml"
expect_rc 2 "rules check refuses a bad configuration"

# engine: from the configuration, unless --engine says otherwise
run "$EVIDENT" $R --config "$T_TMP/pcre.yaml" --rules "$T_TMP/myapp.yml" "$T_TMP/my.log"
expect_err '\(pcre2 (JIT|interpreter)\)' "rules.engine: pcre2"
# ... which makes a difference where the default (auto) uses Vectorscan: the starter pack
if "$EVIDENT" version 2>/dev/null | grep -q 'vectorscan=yes'; then
	run "$EVIDENT" $R --rules "$EV_SRCDIR/conf/rules" "$EV_SRCDIR/conf/demo/auth.log"
	expect_err ' rules \(vectorscan\+pcre2' "the starter pack: vectorscan+pcre2 by default"
	run "$EVIDENT" $R --config "$T_TMP/pcre.yaml" --rules "$EV_SRCDIR/conf/rules" "$EV_SRCDIR/conf/demo/auth.log"
	expect_err ' rules \(pcre2 (JIT|interpreter)\)' "the starter pack: pcre2 alone with rules.engine: pcre2"
fi
case "$("$EVIDENT" rules --help 2>&1)" in *--config*) ok "rules --help names --config" ;; *) fail "rules --help lacks --config" ;; esac

# allowed_lateness and max_groups
ev="$T_TMP/ev.log"
{
	echo "Nov 27 10:00:05 h1 sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2"
	echo "Nov 27 10:00:01 h1 sshd[1]: Failed password for root from 10.0.0.2 port 22 ssh2"
	echo "Nov 27 10:00:06 h1 sshd[1]: Failed password for root from 10.0.0.3 port 22 ssh2"
} > "$ev"
cat > "$T_TMP/cnt.yml" <<'YAML'
title: f
name: f
logsource: {product: linux, service: sshd}
detection:
  s:
    message|re: 'from (?<ip>\S+) port'
  condition: s
---
title: per-address failures
correlation: {type: event_count, rules: [f], group-by: [ip], timespan: 1h, condition: {gte: 5}}
YAML
run "$EVIDENT" $R --rules "$T_TMP/cnt.yml" "$ev"
expect_err ' 0 late events, 0 evicted groups' "defaults: nothing late, nothing evicted"
run "$EVIDENT" $R --config "$T_TMP/late0.yaml" --rules "$T_TMP/cnt.yml" "$ev"
expect_err ' 1 late events' "rules.allowed_lateness: 0s makes the out-of-order event late"
run "$EVIDENT" $R --config "$T_TMP/cap1.yaml" --rules "$T_TMP/cnt.yml" "$ev"
expect_err ' 2 evicted groups' "rules.max_groups: 1 evicts"

# max_values: distinct values per value_count group, dropped at the cap and counted
cat > "$T_TMP/vals.yml" <<'YAML'
title: f
name: f
logsource: {product: linux, service: sshd}
detection:
  s:
    message|re: 'for (?<user>\S+) from (?<ip>\S+) port'
  condition: s
---
title: many users from one address
correlation: {type: value_count, rules: [f], group-by: [ip], timespan: 1h,
              condition: {field: user, gte: 3}}
YAML
for u in alice bob carol; do
	echo "Nov 27 10:00:0${#u} h1 sshd[1]: Failed password for $u from 10.0.0.9 port 22 ssh2"
done > "$T_TMP/vals.log"
run "$EVIDENT" $R --rules "$T_TMP/vals.yml" "$T_TMP/vals.log"
expect_err ' 0 values dropped' "defaults: no value dropped"
expect_out '"distinct":3,' "defaults: three users alert"
run "$EVIDENT" $R --config "$T_TMP/vals2.yaml" --rules "$T_TMP/vals.yml" "$T_TMP/vals.log"
expect_err ' 1 values dropped' "rules.max_values: 2 drops one value, counted"
if [ -z "$T_OUT" ]; then ok "rules.max_values: 2: no alert at 3 distinct"; else fail "alert despite the cap: $T_OUT"; fi

# event_count keeps at most 65,535 event times per group (a 16-bit count): a threshold
# the group could never reach is refused when the rule loads, never silently dead.
# thr N OP: the rule of cnt.yml with condition {OP: N}
thr() { sed "s/condition: {gte: 5}/condition: {$2: $1}/" "$T_TMP/cnt.yml" > "$T_TMP/thr.yml"; }
thr 65535 gte
run "$EVIDENT" rules check "$T_TMP/thr.yml"
expect_rc 1 "rules check: gte 65535"
expect_out "event_count thresholds above 65534 are not supported" "is refused with the reason"
thr 65535 gt
run "$EVIDENT" rules check "$T_TMP/thr.yml"
expect_out "event_count thresholds above 65534 are not supported" "gt 65535 as well"
thr 100000 lt
run "$EVIDENT" rules check "$T_TMP/thr.yml"
expect_rc 0 "lt 100000 is accepted (an upper bound needs no times kept past it)"
thr 65534 gte
run "$EVIDENT" rules check "$T_TMP/thr.yml"
expect_rc 0 "gte 65534 is accepted"
awk 'BEGIN { for (i = 0; i < 65534; i++) printf "Nov 27 10:00:00 h1 sshd[1]: Failed password for root from 10.0.0.7 port 22 ssh2\n" }' > "$T_TMP/many.log"
run "$EVIDENT" $R --rules "$T_TMP/thr.yml" "$T_TMP/many.log"
expect_out '"count":65534' "and fires at exactly 65,534 events"
head -n 65533 "$T_TMP/many.log" > "$T_TMP/fewer.log"
run "$EVIDENT" $R --rules "$T_TMP/thr.yml" "$T_TMP/fewer.log"
case $T_OUT in *'"correlation"'*|*'"count":'*) fail "an alert at 65,533 events: $(printf '%s' "$T_OUT" | head -c 300)" ;; *) ok "and not at 65,533" ;; esac

# rules.placeholders: 1,024 values per placeholder; one `expand` value stands for at most
# 1,024 strings (SIGMA_PH_VALUES_MAX, SIGMA_EXPAND_MAX): beyond, a message, never a crash
# ph FILE NAME COUNT [NAME COUNT]: a configuration with placeholders of COUNT words each
ph() {
	f=$1; shift
	{ printf 'rules:\n  placeholders:\n'
	  while [ $# -gt 1 ]; do
		printf "    - '%s:" "$1"; i=0
		while [ "$i" -lt "$2" ]; do printf ' %s%d' "$1" "$i"; i=$((i + 1)); done
		printf "'\n"; shift 2
	  done; } > "$T_TMP/$f"
}
cat > "$T_TMP/exp.yml" <<'YAML'
title: expand
logsource: {product: linux, service: sshd}
detection:
  s:
    user|expand: '%a%-%b%'
  condition: s
YAML
ph ph1024.yaml a 1024 b 1
run "$EVIDENT" rules check --config "$T_TMP/ph1024.yaml" "$T_TMP/exp.yml"
expect_rc 0 "a placeholder of 1,024 values (1,024 strings) loads"
ph ph1025.yaml a 1025 b 1
run "$EVIDENT" config check "$T_TMP/ph1025.yaml"
expect_rc 1 "config check: a placeholder of 1,025 values"
expect_err "placeholder 'a' has more than 1024 values" "is refused, named"
ph ph32.yaml a 32 b 33
run "$EVIDENT" rules check --config "$T_TMP/ph32.yaml" "$T_TMP/exp.yml"
expect_rc 1 "32 x 33 = 1,056 combinations"
expect_out "'%a%-%b%' expands to more than 1024 values" "the rule is refused, naming the value"
ph ph32b.yaml a 32 b 32
run "$EVIDENT" rules check --config "$T_TMP/ph32b.yaml" "$T_TMP/exp.yml"
expect_rc 0 "32 x 32 = 1,024 combinations load"
done_testing
