# Helpers for the incident-*.sh tests (sourced after lib.sh): a key, two log files, a
# configuration ($I_CONF) with the store, the state directory and the incidents section
# (contacts, a service mapped to one of the files), and ledger helpers.
# Bundles sealed as root get the immutable flag: lift it before the directory goes.
trap 'chattr -R -i "$T_TMP" 2>/dev/null; rm -rf "$T_TMP"' EXIT
I_CONF="$T_TMP/evident.yaml"
I_STATE="$T_TMP/state"
I_STORE="$T_TMP/store"
mkdir -p "$T_TMP/keys"
"$EVIDENT" keygen --out "$T_TMP/keys" --name k >/dev/null 2>&1 || fail "keygen"
now_syslog() { LC_ALL=C date -d "${1:-now}" '+%b %e %H:%M:%S'; }
printf '%s host api[7]: upstream timed out\n' "$(now_syslog '-2 min')" >"$T_TMP/api.log"
printf '%s host other[8]: unrelated\n' "$(now_syslog '-2 min')" >"$T_TMP/other.log"
# incident_config [YAML lines appended under incidents:]; $I_ACTIONS: more actions: lines,
# $I_CONTACTS: the contacts list's items
incident_config() {
	_contacts=${I_CONTACTS:-'"sre-engineer: sre-oncall@example.org, sre-lead@example.org"'}
	cat >"$I_CONF" <<EOC
agent:
  state_dir: $I_STATE
  control_socket: $T_TMP/run/control.sock
  control_group: evident-test-nonexistent
sources:
  journal: false
  files: [$T_TMP/api.log, $T_TMP/other.log]
store:
  path: $I_STORE
  key: $T_TMP/keys/k.key
actions:
  seal_commands: []
  lookback: 1h
${I_ACTIONS:-}
incidents:
  contacts: [$_contacts]
  services: ["api-service: file:$T_TMP/api.log"]
${1:-}
EOC
}
ledger() { echo "$I_STATE/incidents/$1/ledger.jsonl"; }
# kinds INC: the entry kinds of the ledger, one line
kinds() { sed 's/^{"action":"\([a-z_]*\)".*/\1/' "$(ledger "$1")" | tr '\n' ' '; }
# jfield JSON-TEXT PYTHON-EXPR: print a value from JSON text (d is the parsed object)
jfield() { printf '%s' "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }
inc() { "$EVIDENT" incident -c "$I_CONF" "$@"; }
