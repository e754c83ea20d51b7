#!/bin/sh
# The rest of Sigma through the real binary: keywords that search the program tag
# (SigmaHQ's PwnKit rule), `expand` with rules.placeholders from the configuration, the
# UTF-16 modifiers and fieldref in a replay, and `rules check` counting every finding,
# saying how many are not shown (text and JSON) instead of stopping at 1,000.
. "$EV_SRCDIR/tests/integration/lib.sh"
EVIDENT_DATADIR="$EV_SRCDIR/conf"
export EVIDENT_DATADIR
engines=pcre2
if "$EVIDENT" version 2>/dev/null | grep -q 'vectorscan=yes'; then engines="pcre2 vectorscan"; fi

# ---- keywords: message and program tag ----
cat > "$T_TMP/pk.log" <<'LOG'
Jan 26 11:20:12 web1 pkexec[12345]: mallory: The value for environment variable XAUTHORITY contains suspicious content [USER=root] [TTY=/dev/pts/0] [CWD=/home/mallory] [COMMAND=GCONV_PATH=./pwnkit.so:. PATH=GCONV_PATH=. CHARSET=PWNKIT]
Jan 26 11:20:13 web1 sudo[12346]: mallory: The value for environment variable XAUTHORITY contains suspicious content [USER=root] [TTY=/dev/pts/0] [CWD=/home/mallory]
Jan 26 11:20:14 web1 pkexec[12347]: mallory: Executing command [USER=root] [TTY=/dev/pts/0] [CWD=/home/mallory] [COMMAND=/usr/bin/id]
LOG
cat > "$T_TMP/kw.yml" <<'YAML'
title: pkexec refuses a suspicious environment
id: 5f0c9d5e-2b7e-4d7c-9a0e-0a6b2f1d9c11
logsource: {product: linux, service: auth}
detection:
    keywords:
        '|all':
            - 'pkexec'
            - 'contains suspicious content'
    condition: keywords
level: high
YAML
pwnkit="$EV_SHARED/data/sigma/sigmahq-rules-emerging-threats/2021/Exploits/CVE-2021-4034/lnx_auth_exploit_cve_2021_4034_pwnkit_lpe.yml"
for e in $engines; do
	run "$EVIDENT" replay --engine $e --rules "$T_TMP/kw.yml" "$T_TMP/pk.log"
	expect_rc 0 "replay with a keyword rule ($e)"
	n=$(printf '%s\n' "$T_OUT" | grep -c '"kind":"match"')
	[ "$n" = 1 ] && ok "keyword 'pkexec' found in the program tag, once ($e)" ||
		fail "keyword over the program tag: $n alerts, want 1 ($e)"
	printf '%s\n' "$T_OUT" | grep -q '"program":"pkexec","source"\|12345' &&
		ok "the alert is the pkexec line ($e)" || fail "the alert is not the pkexec line ($e)"
	if [ -f "$pwnkit" ]; then
		run "$EVIDENT" replay --engine $e --rules "$pwnkit" "$T_TMP/pk.log"
		n=$(printf '%s\n' "$T_OUT" | grep -c 'PwnKit Local Privilege Escalation')
		[ "$n" = 1 ] && ok "SigmaHQ PwnKit rule fires on the pkexec line ($e)" ||
			fail "SigmaHQ PwnKit rule: $n alerts, want 1 ($e)"
	else
		skip_part "SigmaHQ PwnKit rule (no \$EV_SHARED data)"
	fi
done

# ---- legacy PAM tags: sshd(pam_unix) lines belong to service sshd (real Linux log) ----
linux="$EV_SHARED/data/loghub/Linux/Linux_2k.log"
cat > "$T_TMP/legacy.yml" <<'YAML'
title: sshd authentication failure
logsource: {product: linux, service: sshd}
detection:
    k: ['authentication failure;']
    condition: k
YAML
if [ -f "$linux" ]; then
	want=$(grep -c 'sshd(pam_unix)\[[0-9]*\]: authentication failure;' "$linux")
	for e in $engines; do
		run "$EVIDENT" replay --engine $e --rules "$T_TMP/legacy.yml" "$linux"
		n=$(printf '%s\n' "$T_OUT" | grep -c '"kind":"match"')
		[ "$n" = "$want" ] && [ "$n" -gt 400 ] &&
			ok "all $want sshd(pam_unix) failures are in service sshd ($e)" ||
			fail "sshd(pam_unix) in service sshd: $n of $want ($e)"
		run "$EVIDENT" replay --engine $e --rules "$EV_SRCDIR/conf/rules" "$linux"
		n=$(printf '%s\n' "$T_OUT" | grep -c '"title":"PAM authentication failure burst"')
		[ "$n" -gt 0 ] && ok "the starter pack alerts on the real PAM failures: $n bursts ($e)" ||
			fail "no PAM burst alert on the real Linux log ($e)"
	done
else
	skip_part "real Linux log (no \$EV_SHARED data)"
fi

# ---- expand: placeholders from the configuration ----
cat > "$T_TMP/ph.yaml" <<'YAML'
rules:
  placeholders:
    - 'admins: root toor'
YAML
cat > "$T_TMP/expand.yml" <<'YAML'
title: sudo to an admin account
logsource: {product: linux, service: sudo}
detection:
    s:
        target_user|expand: '%admins%'
    condition: s
YAML
cat > "$T_TMP/sudo.log" <<'LOG'
Mar  1 10:00:00 web1 sudo[1]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=toor ; COMMAND=/bin/sh
Mar  1 10:00:01 web1 sudo[2]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=postgres ; COMMAND=/bin/sh
LOG
run "$EVIDENT" rules check "$T_TMP/expand.yml"
expect_rc 1 "a rule with an undefined placeholder does not load"
expect_out "expand.yml:5:29: placeholder '%admins%' is not defined" "and says which placeholder"
run "$EVIDENT" rules check --config "$T_TMP/ph.yaml" "$T_TMP/expand.yml"
expect_rc 0 "the same rule loads with rules.placeholders"
for e in $engines; do
	run "$EVIDENT" replay --engine $e --config "$T_TMP/ph.yaml" --rules "$T_TMP/expand.yml" "$T_TMP/sudo.log"
	n=$(printf '%s\n' "$T_OUT" | grep -c 'USER=toor')
	m=$(printf '%s\n' "$T_OUT" | grep -c '"kind"')
	[ "$n" = 1 ] && [ "$m" = 1 ] && ok "%admins% expands to toor, not postgres ($e)" ||
		fail "expand: $m alerts, $n for toor ($e)"
done
printf 'rules:\n  placeholders: ["admins root"]\n' > "$T_TMP/bad-ph.yaml"
run "$EVIDENT" config check "$T_TMP/bad-ph.yaml"
expect_rc 1 "config check refuses a placeholder without NAME:"
expect_err 'bad-ph.yaml:2:18: placeholder' "at the entry's position"

# ---- wide + base64offset, fieldref ----
cat > "$T_TMP/more.yml" <<'YAML'
title: encoded whoami
logsource: {product: linux}
detection:
    s:
        message|wide|base64offset|contains: 'whoami'
    condition: s
---
title: sudo to oneself
logsource: {product: linux, service: sudo}
detection:
    s:
        user|fieldref: target_user
    condition: s
YAML
cat > "$T_TMP/more.log" <<'LOG'
Mar  1 10:00:00 web1 bash[1]: pwsh -enc VwByAGkAdABlADsAIAB3AGgAbwBhAG0AaQAgAC8AYQBsAGwA
Mar  1 10:00:01 web1 bash[1]: echo d2hvYW1p | base64 -d
Mar  1 10:00:02 web1 sudo[2]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=alice ; COMMAND=/bin/id
Mar  1 10:00:03 web1 sudo[2]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/id
LOG
for e in $engines; do
	run "$EVIDENT" replay --engine $e --rules "$T_TMP/more.yml" "$T_TMP/more.log"
	got=$(printf '%s\n' "$T_OUT" | grep -o '"title":"[^"]*"' | tr '\n' ' ')
	[ "$got" = '"title":"encoded whoami" "title":"sudo to oneself" ' ] &&
		ok "wide|base64offset and fieldref fire once each ($e)" || fail "got: $got ($e)"
	printf '%s\n' "$T_OUT" | grep '"sudo to oneself"' | grep -q 'USER=alice' &&
		ok "fieldref picked USER=alice ($e)" || fail "fieldref picked the wrong line ($e)"
done

# ---- rules check: every finding counted, the ones not shown said ----
i=0
: > "$T_TMP/many.yml"
while [ $i -lt 1100 ]; do
	printf 'title: w%d\nlogsource: {product: windows}\ndetection: {k: [x%d], condition: k}\n---\n' $i $i >> "$T_TMP/many.yml"
	i=$((i + 1))
done
sed '$d' "$T_TMP/many.yml" > "$T_TMP/many-ok.yml"
printf 'title: broken\ndetection: {k: {f|contans: x}, condition: k}\n' >> "$T_TMP/many.yml"
run "$EVIDENT" rules check "$T_TMP/many.yml"
expect_rc 1 "rules check with an error"
expect_out '^1100 rules loaded, 1 error, 1100 warnings$' "the summary counts all 1,100 warnings"
expect_out '^\(100 more warnings not shown\)$' "and says that 100 are not shown"
n=$(printf '%s\n' "$T_OUT" | grep -c '(warning)$')
[ "$n" = 1000 ] && ok "1,000 warnings listed" || fail "$n warnings listed"
run "$EVIDENT" rules check --json "$T_TMP/many.yml"
expect_out '"error_count":1,' "JSON error_count"
expect_out '"warning_count":1100,' "JSON warning_count"
expect_out '"warnings_not_shown":100' "JSON warnings_not_shown"
expect_out '"errors_not_shown":0,' "JSON errors_not_shown"
: > "$T_TMP/empty.log"
run "$EVIDENT" replay --rules "$T_TMP/many-ok.yml" "$T_TMP/empty.log"
expect_err '^warning: \(100 more warnings not shown\)$' "replay says how many warnings it did not show"
run "$EVIDENT" rules check "$EV_SRCDIR/conf/rules"
expect_out 'rules loaded, 0 errors, 0 warnings$' "nothing said as not shown when all is shown"
if printf '%s\n' "$T_OUT" | grep -q 'not shown'; then fail "'not shown' without a cap"; else ok "no 'not shown' line"; fi

done_testing
