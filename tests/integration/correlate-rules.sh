#!/bin/sh
# evident rules check|list|test against the shipped starter pack, and error reporting on
# broken rules (FILE:LINE:COL, whole-rule rejection, exit codes).
. "$EV_SRCDIR/tests/integration/lib.sh"
EVIDENT_DATADIR="$EV_SRCDIR/conf"
export EVIDENT_DATADIR

run "$EVIDENT" rules test "$EV_SRCDIR/conf/rules"
expect_rc 0 "starter pack rule tests pass"
expect_out '^[0-9]+ passed, 0 failed$' "rules test summary"
if printf '%s\n' "$T_OUT" | grep -q '^FAIL'; then fail "a starter pack case failed"; else ok "no FAIL lines"; fi
for f in "$EV_SRCDIR"/conf/rules/*.yml; do
	case $f in *.test.yml) continue ;; esac
	t=${f%.yml}.test.yaml
	if [ -f "$t" ]; then ok "$(basename "$f") has a test"; else fail "$(basename "$f") has no test file"; fi
done
for e in pcre2 vectorscan; do
	if [ $e = vectorscan ] && ! "$EVIDENT" version 2>/dev/null | grep -q 'vectorscan=yes'; then continue; fi
	run "$EVIDENT" rules test --engine $e "$EV_SRCDIR/conf/rules"
	expect_rc 0 "starter pack tests pass with --engine $e"
done

# rule tests with raw log lines: mistakes in a `line` entry are positioned failures
mkdir -p "$T_TMP/lt"
cp "$EV_SRCDIR/conf/rules/ssh_bruteforce.yml" "$T_TMP/lt/"
cat > "$T_TMP/lt/ssh_bruteforce.test.yaml" <<'YAML'
cases:
  - name: raw lines alert
    input:
      - {line: "Mar  1 10:00:00 web1 sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2",
         year: 2024, repeat: 5, every: 1s}
    expect:
      - {kind: event_count, group: {src_ip: 192.0.2.1}, count: 5, time: 2024-03-01T10:00:04Z}
  - name: unknown key
    input:
      - {line: "Mar  1 10:00:00 web1 sshd[1]: x", colour: red}
    expect: []
  - name: no time in the line
    input:
      - {line: "no time here"}
    expect: []
  - name: time and line together
    input:
      - {line: "Mar  1 10:00:00 web1 sshd[1]: x", time: 2024-03-01T10:00:00Z}
    expect: []
YAML
run "$EVIDENT" rules test "$T_TMP/lt"
expect_rc 1 "bad line entries fail the run"
expect_out '^PASS .*raw lines alert$' "raw lines are parsed like a log file"
expect_out "ssh_bruteforce.test.yaml:10:[0-9]+: unknown key 'colour'" "unknown key, positioned"
expect_out 'test.yaml:14:[0-9]+: the line has no time' "line without a time"
expect_out "test.yaml:18:[0-9]+: an input event with 'line' takes its time from the line" "time with line"
expect_out '^1 passed, 3 failed$' "summary"

run "$EVIDENT" rules check "$EV_SRCDIR/conf/rules"
expect_rc 0 "starter pack checks clean"
expect_out '^[0-9]+ rules loaded, 0 errors' "rules check count"

# a failing expectation fails the run and shows the diff
mkdir -p "$T_TMP/rt"
cp "$EV_SRCDIR/conf/rules/oom_kill.yml" "$T_TMP/rt/"
sed 's/T10:00:00Z}/T10:00:09Z}/' "$EV_SRCDIR/conf/rules/oom_kill.test.yaml" > "$T_TMP/rt/oom_kill.test.yaml"
run "$EVIDENT" rules test "$T_TMP/rt"
expect_rc 1 "a wrong expectation fails"
expect_out '^FAIL ' "FAIL line"
expect_out '^  \+ got ' "diff shows the actual alert"

# broken rules: every error with its position, the good rule still loads
cat > "$T_TMP/bad.yml" <<'YAML'
title: typo
detection:
  sel:
    message|contans: x
  condition: sel
---
title: good
detection:
  sel:
    message|contains: x
  condition: sel
---
title: bad condition
detection:
  sel:
    message: x
  condition: sel and missing
---
title: sum
correlation:
  type: value_sum
  rules: [good]
  timespan: 1h
YAML
run "$EVIDENT" rules check "$T_TMP/bad.yml"
expect_rc 1 "rules with errors exit 1"
expect_out "bad.yml:4:5: unknown modifier 'contans' \(did you mean 'contains'\?\)" "modifier typo at 4:5"
expect_out "bad.yml:17:22: condition: unknown identifier 'missing'" "unknown identifier at 17:22"
expect_out "bad.yml:21:9: correlation type 'value_sum' is not supported" "value_sum named"
expect_out '^1 rule loaded, 3 errors' "only the good rule loads"
run "$EVIDENT" rules check --json "$T_TMP/bad.yml"
expect_out '"ok":false' "json check"
run "$EVIDENT" rules list --json "$EV_SRCDIR/conf/rules"
expect_rc 0 "rules list --json"
expect_out '"kind":"absence"' "absence rule listed"
run "$EVIDENT" rules check "$T_TMP/nope"
expect_rc 2 "a missing path is an I/O error (exit 2)"
expect_out "nope: cannot read: No such file or directory" "the missing path is named"
run "$EVIDENT" rules check "$T_TMP/bad.yml" "$T_TMP/nope"
expect_rc 2 "rule errors and a missing path: the I/O error wins (exit 2)"

# A rule with several mistakes: every one is reported, each with FILE:LINE:COL.
cat > "$T_TMP/three.yml" <<'YAML'
title: three mistakes
id: three-mistakes
level: hihg
logsource:
  service: sshd
detection:
  sel:
    message|contians: Failed
  other:
    program|startwith: sshd
  condition: sel and othr
YAML
run "$EVIDENT" rules check "$T_TMP/three.yml"
expect_rc 1 "a rule with three mistakes is rejected"
expect_out "three.yml:3:8: unknown level 'hihg'" "mistake 1 (level) at 3:8"
expect_out "three.yml:8:5: unknown modifier 'contians' \(did you mean 'contains'\?\)" "mistake 2 (modifier) at 8:5"
expect_out "three.yml:10:5: unknown modifier 'startwith' \(did you mean 'startswith'\?\)" "mistake 3 (modifier) at 10:5"
expect_out "three.yml:11:22: condition: unknown identifier 'othr'" "mistake 4 (condition) at 11:22"
expect_out '^0 rules loaded, 4 errors' "four errors counted"
cat > "$T_TMP/corr3.yml" <<'YAML'
title: three correlation mistakes
correlation:
  type: event_count
  rules: [a]
  group-by: [ip]
  timespan: 5 minutes
  condition: {gte: many}
  generate: maybe
YAML
run "$EVIDENT" rules check "$T_TMP/corr3.yml"
expect_rc 1 "a correlation with three mistakes is rejected"
expect_out "corr3.yml:6:13: invalid timespan '5 minutes'" "correlation mistake 1 (timespan)"
expect_out "corr3.yml:7:20: 'gte' needs a non-negative integer" "correlation mistake 2 (condition)"
expect_out "corr3.yml:8:13: 'generate' must be true or false" "correlation mistake 3 (generate)"
# test files that are not what they should be: each a failure with its position
mkdir -p "$T_TMP/bad"
printf 'foo: 1\n' >"$T_TMP/bad/nocases.test.yaml"
printf -- '- a\n- b\n' >"$T_TMP/bad/list.test.yaml"
printf 'cases:\n  - name: c1\n    input: 1\n' >"$T_TMP/bad/case.test.yaml"
run "$EVIDENT" rules test "$T_TMP/bad"
expect_rc 1 "broken rule test files fail"
expect_out "nocases.test.yaml:1:1: a rule test file needs a list 'cases'" "a test file without cases"
expect_out "list.test.yaml:1:1: a rule test file holds one mapping with 'cases'" "a test file that is a list"
expect_out "case.test.yaml:2:5: a case needs lists 'input' and 'expect'" "a case without expect, with its position"
expect_out '^0 passed, 3 failed$' "three failures counted"
run "$EVIDENT" rules frobnicate
expect_rc 2 "unknown subcommand"
done_testing
