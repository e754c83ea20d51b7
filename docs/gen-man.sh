#!/bin/sh
# gen-man.sh EVIDENT > docs/evident.1
# Builds the man page from the binary's own help texts, so the page and `--help` never
# disagree. Run `make man` after changing a command's usage; tests/integration/cli.sh
# checks that every command has its section.
set -eu
ev=$1
esc() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/"; }
version=$("$ev" --version | sed -n '1s/^evident //p')
cat <<EOT
.TH EVIDENT 1 "$(date -u +%Y-%m-%d)" "evident $version" "User Commands"
.SH NAME
evident \\- per-host incident-response agent: detect, correlate, seal evidence
.SH SYNOPSIS
.B evident
.I COMMAND
.RI [ OPTIONS ]
.RI [ ARGS ]
.br
.B evident help
.RI [ COMMAND ]
.br
.B evident \\-\\-version
.SH DESCRIPTION
.B evident
tails journald and log files, matches every line against Sigma rules in one pass,
correlates matches over event-time windows, and seals the evidence of what it finds
(original log bytes, files, command output) into hash-chained, Ed25519-signed,
write-once bundles whose custody ledger records every access. Investigators verify
bundles offline with
.B evident verify
or with coreutils, tar and openssl alone (see
.IR /usr/share/evident/verify-bundle.sh ).
.PP
Every command accepts
.BR \\-\\-help ;
commands that print results accept
.B \\-\\-json
for one machine-readable object (or one per line); human-readable text is the default.
.SH COMMANDS
EOT
for c in $("$ev" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'); do
	summary=$("$ev" help | sed -n "s/^  $c  *//p")
	printf '.SS %s\n%s.\n.PP\n.nf\n' "$c" "$summary"
	"$ev" help "$c" | esc
	printf '.fi\n'
done
cat <<'EOT'
.SH CONFIGURATION
The configuration is
.I /etc/evident/evident.yaml
(the shipped file documents every key with its default). Without a file, the
configuration compiled into the binary applies, which is that same file.
Durations are a number and a unit (us, ms, s, m, h, d, w), combinable: 30s, 15m, 1h30m.
Sizes are bytes or a number with KiB, MiB, GiB.
.B evident config check
reports every error as
.IR FILE : LINE : COL ": message" .
.SH EXIT STATUS
.TP
.B 0
Success.
.TP
.B 1
A finding or a failed check: an invalid configuration or rule, a verification finding,
a failed rule test.
.TP
.B 2
A usage error (unknown command or option, missing argument) or an I/O error that stopped
the work.
.SH FILES
.TP
.I /etc/evident/evident.yaml
Configuration.
.TP
.I /var/lib/evident
State: positions, time index, chain head; the evidence store and keys by default.
.TP
.I /run/evident/control.sock
Control socket of the running agent.
.TP
.I /usr/share/evident/rules
The starter rule pack, each rule with its tests.
.SH SEE ALSO
.BR journalctl (1),
.BR systemd-journal-remote (8),
.BR openssl-pkeyutl (1)
EOT
