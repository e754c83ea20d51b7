# Rule texts shared by the reliability tests (agent-clock.sh, replay-clock.sh, caps.sh),
# sourced after lib.sh. Each prints one YAML document on stdout.

# rule_failed: the detection "failed" (level low) on 'Failed password'.
rule_failed() {
	printf '%s\n' 'title: Failed password' 'id: failed' 'level: low' 'logsource:' \
		'  product: linux' 'detection:' '  sel:' "    message|contains: 'Failed password'" \
		'  condition: sel'
}

# rule_over_failed ID TYPE TIMESPAN CONDITION: a correlation (level high) over "failed",
# grouped by host; CONDITION is the flow mapping, e.g. '{gte: 3}'.
rule_over_failed() {
	printf '%s\n' "title: Correlation $1" "id: $1" 'level: high' 'correlation:' "  type: $2" \
		'  rules: [failed]' '  group-by: [host]' "  timespan: $3" "  condition: $4"
}

# brute_rules: rule_failed, then "brute" (3 failures from one host in a minute).
brute_rules() {
	rule_failed
	echo ---
	rule_over_failed brute event_count 1m '{gte: 3}'
}
