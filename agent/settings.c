/* Configuration schema: every key of evident.yaml with its type, range, default (written
 * as a string and parsed like a file value, so a default can never be of the wrong type)
 * and a one-line description, one table per section. The loader (agent/settings_load.c)
 * walks the YAML tree against these tables and the printer (agent/settings_print.c) walks
 * them to print the effective configuration. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "agent/settings.h"
#include "agent/settings_schema.h"

#define OFF(f)  offsetof(struct ev_config, f)
#define FOFF(f) offsetof(struct ev_cfg_file_source, f)
#define SEC(us) ((int64_t)(us)*1000000)
#define END                                                                                        \
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL }

const struct cfg_key ev_settings_file_keys[] = {
        {"path", CT_PATH, FOFF(path), 0, 0, NULL, NULL, NULL, "file path or glob (required)"},
        {"format", CT_STRING, FOFF(format), 0, 0, "auto", NULL, NULL,
         "line format: auto, rfc3164, rfc5424, iso, json, logfmt, audit, or a format of the "
         "library "
         "(evident formats)"},
        {"program", CT_STRING, FOFF(program), 0, 0, NULL, NULL, NULL,
         "program of the lines that carry none"},
        {"service", CT_STRING, FOFF(service), 0, 0, NULL, NULL, NULL,
         "Sigma logsource service of this file (rules of that service see its records)"},
        {"tz", CT_STRING, FOFF(tz), 0, 0, NULL, NULL, NULL,
         "time zone of times without an offset (default: local)"},
        {"max_line", CT_SIZE, FOFF(max_line), 256, 64 << 20, "64KiB", NULL, NULL,
         "longer lines are split into flagged parts"},
        END,
};

static const struct cfg_key agent_keys[] = {
        {"state_dir", CT_PATH, OFF(agent.state_dir), 0, 0, "/var/lib/evident", NULL, NULL,
         "positions, time index and chain head"},
        {"log_level", CT_ENUM, OFF(agent.log_level), 0, 0, "info",
         "debug|info|notice|warning|error", NULL, "least severe message the agent logs"},
        {"control_socket", CT_PATH, OFF(agent.control_socket), 0, 0, "/run/evident/control.sock",
         NULL, NULL, "control socket path"},
        {"control_group", CT_STRING, OFF(agent.control_group), 0, 0, "evident", NULL, NULL,
         "group whose members may use the control socket (root always may)"},
        {"audit_max_size", CT_SIZE, OFF(agent.audit_max_size), 4096, (int64_t)1 << 40, "64MiB",
         NULL, NULL, "size of STATE_DIR/control-audit.jsonl before it is rotated"},
        {"audit_files", CT_INT, OFF(agent.audit_files), 1, 100, "4", NULL, NULL,
         "rotated audit files kept (control-audit.jsonl.1 .. .N)"},
        END,
};

static const struct cfg_key sources_keys[] = {
        {"files", CT_FILES, OFF(sources.files), 0, 0, NULL, NULL, ev_settings_file_keys,
         "log files to tail: paths/globs, or mappings with path, format, program, service, tz, "
         "max_line"},
        {"journal", CT_BOOL, OFF(sources.journal), 0, 0, "true", NULL, NULL,
         "read the systemd journal"},
        {"journal_units", CT_STRV, OFF(sources.journal_units), 0, 0, NULL, NULL, NULL,
         "only these units (default: all)"},
        {"journal_identifiers", CT_STRV, OFF(sources.journal_identifiers), 0, 0, NULL, NULL, NULL,
         "only these SYSLOG_IDENTIFIERs (default: all)"},
        {"journal_dir", CT_PATH, OFF(sources.journal_dir), 0, 0, NULL, NULL, NULL,
         "read journal files from this directory instead of the system journal"},
        {"journal_max_priority", CT_INT, OFF(sources.journal_max_priority), 0, 7, "7", NULL, NULL,
         "least severe priority read (0 emerg .. 7 debug)"},
        {"journal_field_cap", CT_SIZE, OFF(sources.journal_field_cap), 1024, 64 << 20, "1MiB", NULL,
         NULL, "longest journal field kept whole"},
        {"max_line", CT_SIZE, OFF(sources.max_line), 256, 64 << 20, "64KiB", NULL, NULL,
         "default line cap for file sources"},
        {"checkpoint_interval", CT_DURATION, OFF(sources.checkpoint_interval), SEC(1) / 10,
         SEC(3600), "5s", NULL, NULL, "how often positions are saved"},
        {"stat_interval", CT_DURATION, OFF(sources.stat_interval), SEC(1) / 10, SEC(3600), "2s",
         NULL, NULL, "periodic stat check of tailed files"},
        {"index_interval", CT_SIZE, OFF(sources.index_interval), 512, 64 << 20, "16KiB", NULL, NULL,
         "bytes between two time index entries"},
        {"formats_dir", CT_PATH, OFF(sources.formats_dir), 0, 0, "/etc/evident/formats.d", NULL,
         NULL, "site format files (*.yaml) added to the shipped format library"},
        {"follow_symlinks", CT_BOOL, OFF(sources.follow_symlinks), 0, 0, "false", NULL, NULL,
         "follow symbolic links whose target is outside the directories of sources.files "
         "(never where others may write)"},
        END,
};

static const struct cfg_key rules_keys[] = {
        {"paths", CT_STRV, OFF(rules.paths), 0, 0, NULL, NULL, NULL,
         "Sigma rule files or directories (default: the starter pack)"},
        {"decoders", CT_STRV, OFF(rules.decoders), 0, 0, NULL, NULL, NULL,
         "decoder files or directories (default: the shipped decoders)"},
        {"engine", CT_ENUM, OFF(rules.engine), 0, 0, "auto", "auto|vectorscan|pcre2", NULL,
         "matcher: Vectorscan prefilter with PCRE2 confirmation, or PCRE2 alone"},
        {"allowed_lateness", CT_DURATION, OFF(rules.allowed_lateness), 0, SEC(86400), "10s", NULL,
         NULL, "how far out of order events may arrive and still give identical alerts"},
        {"max_groups", CT_INT, OFF(rules.max_groups), 1, 100000000, "100000", NULL, NULL,
         "group cap per correlation rule (least recently used is evicted)"},
        {"max_values", CT_INT, OFF(rules.max_values), 1, 100000000, "100000", NULL, NULL,
         "distinct values kept per value_count group (the one seen longest ago is dropped)"},
        {"max_future", CT_DURATION, OFF(rules.max_future), SEC(1), SEC(86400LL * 36525), "5m", NULL,
         NULL, "events further ahead of the clock are flagged and not correlated"},
        {"logsources", CT_STRV, OFF(rules.logsources), 0, 0, NULL, NULL, NULL,
         "logsource services added to (or replacing) the built-in table, each "
         "'SERVICE: PROGRAM... unit:UNIT... facility:N...'"},
        {"placeholders", CT_STRV, OFF(rules.placeholders), 0, 0, NULL, NULL, NULL,
         "values of %NAME% placeholders in Sigma '|expand' values, each 'NAME: VALUE...'"},
        {"cache", CT_BOOL, OFF(rules.cache), 0, 0, "true", NULL, NULL,
         "keep compiled Vectorscan databases (agent: STATE_DIR/cache; commands: "
         "$XDG_CACHE_HOME/evident)"},
        END,
};

static const struct cfg_key encrypt_keys[] = {
        {"recipients", CT_STRV, OFF(store.encrypt.recipients), 0, 0, NULL, NULL, NULL,
         "X25519 public keys evidence is encrypted to: PEM files (public key or X.509 "
         "certificate) or raw 32-byte keys in base64 (empty: not encrypted)"},
        {"cipher", CT_ENUM, OFF(store.encrypt.cipher), 0, 0, "aes-256-gcm",
         "aes-256-gcm|chacha20-poly1305", NULL, "AEAD cipher of the evidence members"},
        END,
};

static const struct cfg_key forward_keys[] = {
        {"address", CT_STRING, OFF(actions.forward.address), 0, 0, NULL, NULL, NULL,
         "alerts forwarded as RFC 5424 over TLS to HOST:PORT (default: off)"},
        {"ca_file", CT_PATH, OFF(actions.forward.ca_file), 0, 0, NULL, NULL, NULL,
         "CA certificates (PEM) the receiver's certificate is checked against (default: the "
         "system's)"},
        {"cert_file", CT_PATH, OFF(actions.forward.cert_file), 0, 0, NULL, NULL, NULL,
         "client certificate (PEM) presented to the receiver (default: none)"},
        {"key_file", CT_PATH, OFF(actions.forward.key_file), 0, 0, NULL, NULL, NULL,
         "private key (PEM) of cert_file"},
        {"server_name", CT_STRING, OFF(actions.forward.server_name), 0, 0, NULL, NULL, NULL,
         "name the receiver's certificate must carry (default: HOST of address)"},
        {"verify", CT_BOOL, OFF(actions.forward.verify), 0, 0, "true", NULL, NULL,
         "verify the receiver's certificate (false only for tests)"},
        {"queue_max", CT_INT, OFF(actions.forward.queue_max), 1, 10000000, "10000", NULL, NULL,
         "messages kept on disk while the receiver is away (then new ones are dropped)"},
        END,
};

const struct cfg_key ev_settings_upload_keys[] = {
        {"endpoint", CT_STRING, OFF(store.upload.endpoint), 0, 0, NULL, NULL, NULL,
         "S3 endpoint, http(s)://HOST[:PORT] (empty: bundles are not uploaded)"},
        {"region", CT_STRING, OFF(store.upload.region), 0, 0, "us-east-1", NULL, NULL,
         "region used in the SigV4 signature"},
        {"bucket", CT_STRING, OFF(store.upload.bucket), 0, 0, NULL, NULL, NULL,
         "bucket, created with Object Lock enabled"},
        {"prefix", CT_STRING, OFF(store.upload.prefix), 0, 0, "{host}/{chain}/", NULL, NULL,
         "key prefix; {host} is the host name, {chain} the chain id"},
        {"credentials", CT_PATH, OFF(store.upload.credentials), 0, 0, NULL, NULL, NULL,
         "file with aws_access_key_id and aws_secret_access_key (not world-readable); empty: "
         "the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables"},
        {"retention_mode", CT_ENUM, OFF(store.upload.retention_mode), 0, 0, "COMPLIANCE",
         "COMPLIANCE|GOVERNANCE", NULL, "object-lock mode of every uploaded version"},
        {"retention", CT_DURATION, OFF(store.upload.retention), SEC(1), SEC(86400LL * 36525),
         "365d", NULL, NULL, "how long each uploaded version stays locked"},
        {"tls_verify", CT_BOOL, OFF(store.upload.tls_verify), 0, 0, "true", NULL, NULL,
         "verify the server's TLS certificate"},
        {"multipart_threshold", CT_SIZE, OFF(store.upload.multipart_threshold), 5 << 20,
         (int64_t)5 << 30, "64MiB", NULL, NULL,
         "larger files go up as multipart uploads in parts of this size"},
        {"backoff_max", CT_DURATION, OFF(store.upload.backoff_max), SEC(1), SEC(86400), "1h", NULL,
         NULL, "longest wait before retrying a failed upload (doubles from 10s)"},
        {"interval", CT_DURATION, OFF(store.upload.interval), SEC(1), SEC(86400), "1m", NULL, NULL,
         "how often the agent looks for something to upload"},
        END,
};

static const struct cfg_key store_keys[] = {
        {"path", CT_PATH, OFF(store.path), 0, 0, "/var/lib/evident/store", NULL, NULL,
         "evidence store directory"},
        {"key", CT_PATH, OFF(store.key), 0, 0, "/var/lib/evident/keys/evident.key", NULL, NULL,
         "Ed25519 private key (PEM PKCS#8, mode 0600)"},
        {"compression_level", CT_INT, OFF(store.compression_level), 0, 9, "6", NULL, NULL,
         "gzip level of bundles"},
        {"max_member_size", CT_SIZE, OFF(store.max_member_size), 4096, INT64_MAX, "1GiB", NULL,
         NULL, "largest evidence member"},
        {"command_timeout", CT_DURATION, OFF(store.command_timeout), SEC(1) / 10, SEC(3600), "10s",
         NULL, NULL, "time limit of evidence commands"},
        {"command_output_cap", CT_SIZE, OFF(store.command_output_cap), 1024, 1LL << 32, "16MiB",
         NULL, NULL, "output cap of evidence commands"},
        {"encrypt", CT_SECTION, 0, 0, 0, NULL, NULL, encrypt_keys,
         "evidence encrypted to recipients (docs/FORMAT.md)"},
        {"upload", CT_SECTION, 0, 0, 0, NULL, NULL, ev_settings_upload_keys,
         "shipping bundles and ledgers to S3 under Object Lock"},
        END,
};

static const struct cfg_key actions_keys[] = {
        {"lookback", CT_DURATION, OFF(actions.lookback), 0, SEC(7 * 86400), "15m", NULL, NULL,
         "evidence window start before an alert's first event"},
        {"lookahead", CT_DURATION, OFF(actions.lookahead), 0, SEC(86400), "1m", NULL, NULL,
         "evidence window end after an alert's last event"},
        {"seal_rate_per_hour", CT_INT, OFF(actions.seal_rate_per_hour), 0, 3600, "6", NULL, NULL,
         "seals per rule per hour at most (0 = no automatic seals)"},
        {"queue_size", CT_INT, OFF(actions.queue_size), 1, 100000, "64", NULL, NULL,
         "pending slow work (seals, hooks) before new work is refused"},
        {"stdout", CT_BOOL, OFF(actions.stdout_alerts), 0, 0, "true", NULL, NULL,
         "alerts as JSON lines on stdout"},
        {"journal", CT_BOOL, OFF(actions.journal_alerts), 0, 0, "false", NULL, NULL,
         "alerts as structured journal entries"},
        {"syslog", CT_STRING, OFF(actions.syslog), 0, 0, NULL, NULL, NULL,
         "alerts as RFC 5424 syslog to udp://HOST:PORT or tcp://HOST:PORT (default: off)"},
        {"hook", CT_STRV, OFF(actions.hook), 0, 0, NULL, NULL, NULL,
         "command run for each alert, without a shell, the alert as JSON on stdin"},
        {"hook_timeout", CT_DURATION, OFF(actions.hook_timeout), SEC(1) / 10, SEC(3600), "10s",
         NULL, NULL, "time limit of the hook command (then it is killed)"},
        {"workers", CT_INT, OFF(actions.workers), 1, 64, "2", NULL, NULL,
         "worker threads for slow work (seals, hooks)"},
        {"seal_on", CT_STRV, OFF(actions.seal_on), 0, 0, NULL, NULL, NULL,
         "alerts sealed automatically: level:LEVEL, rule:ID or tag:TAG (empty: none)"},
        {"seal_commands", CT_STRV, OFF(actions.seal_commands), 0, 0,
         "ps=/bin/ps auxww\nsockets=/bin/ss -tanp\nlogins=/usr/bin/who\nmounts=/bin/findmnt -l",
         NULL, NULL,
         "evidence commands of every seal by the agent (automatic and requested): "
         "NAME=CMD ARGS..., run without a shell"},
        {"seal_files", CT_STRV, OFF(actions.seal_files), 0, 0, NULL, NULL, NULL,
         "files copied whole into every seal by the agent"},
        {"seal_journal_units", CT_STRV, OFF(actions.seal_journal_units), 0, 0, NULL, NULL, NULL,
         "journal units sealed (default: sources.journal_units, or the whole journal)"},
        {"open_incident", CT_STRV, OFF(actions.open_incident), 0, 0, NULL, NULL, NULL,
         "alerts that open or extend an incident: level:LEVEL, rule:ID or tag:TAG (empty: "
         "none)"},
        {"forward", CT_SECTION, 0, 0, 0, NULL, NULL, forward_keys,
         "alerts forwarded as RFC 5424 over TLS"},
        END,
};

#define INC_SEVERITY                                                                               \
	"data_breach: critical critical high high | critical critical critical critical\n"         \
	"security_violation: critical high high medium | critical critical high high\n"            \
	"service_outage: critical high medium medium | critical critical high medium\n"            \
	"compliance_issue: high high medium low | critical high high medium\n"                     \
	"service_degradation: high medium medium low | critical high medium low\n"                 \
	"user_complaints: medium medium low low | high medium medium low\n"                        \
	"internal_error: medium low low low | high medium low low"
#define INC_TEAMS                                                                                  \
	"critical: security-engineer devops-incident-responder sre-engineer\n"                     \
	"high: devops-incident-responder security-engineer backend-developer\n"                    \
	"medium: devops-incident-responder backend-developer\n"                                    \
	"low: backend-developer qa-expert"
#define INC_CONTAINMENT                                                                            \
	"data_breach: revoke-credentials isolate-host block-address\n"                             \
	"security_violation: revoke-credentials block-address\n"                                   \
	"service_outage: restart-service rollback\n"                                               \
	"service_degradation: rollback\n"                                                          \
	"compliance_issue: revoke-credentials\n"                                                   \
	"user_complaints: rollback\n"                                                              \
	"internal_error: restart-service"
#define INC_RUNBOOKS                                                                               \
	"data_breach: data-breach\n"                                                               \
	"security_violation: security-violation\n"                                                 \
	"service_outage: service-outage\n"                                                         \
	"service_degradation: service-degradation\n"                                               \
	"compliance_issue: compliance-issue\n"                                                     \
	"user_complaints: user-complaints\n"                                                       \
	"internal_error: internal-error"

static const struct cfg_key incidents_keys[] = {
        {"severity", CT_STRV, OFF(incidents.severity), 0, 0, INC_SEVERITY, NULL, NULL,
         "severity per impact type: 'IMPACT: IMMEDIATE HIGH MEDIUM LOW | the same for many "
         "affected users'"},
        {"many_users", CT_INT, OFF(incidents.many_users), 1, INT64_MAX, "100", NULL, NULL,
         "affected users at or above this count use the 'many' half of the matrix"},
        {"user_base", CT_INT, OFF(incidents.user_base), 0, INT64_MAX, "0", NULL, NULL,
         "total users (0: unknown); with it, many_share applies too"},
        {"many_share", CT_INT, OFF(incidents.many_share), 1, 100, "10", NULL, NULL,
         "percent of user_base at or above which the users are 'many'"},
        {"teams", CT_STRV, OFF(incidents.teams), 0, 0, INC_TEAMS, NULL, NULL,
         "teams routed per severity: 'SEVERITY: TEAM...'"},
        {"contacts", CT_STRV, OFF(incidents.contacts), 0, 0, NULL, NULL, NULL,
         "each team's contacts in escalation order: 'TEAM: FIRST, NEXT, ...'"},
        {"services", CT_STRV, OFF(incidents.services), 0, 0, NULL, NULL, NULL,
         "what a service is on this host: 'NAME: unit:UNIT program:PROG file:PATH ...'"},
        {"containment", CT_STRV, OFF(incidents.containment), 0, 0, INC_CONTAINMENT, NULL, NULL,
         "containment actions suggested per impact type: 'IMPACT: ACTION...'"},
        {"commands", CT_STRV, OFF(incidents.commands), 0, 0, NULL, NULL, NULL,
         "containment commands: 'ACTION=/path/cmd ARG {PARAM}...', run without a shell"},
        {"second_approver", CT_STRV, OFF(incidents.second_approver), 0, 0,
         "isolate-host\nrevoke-credentials", NULL, NULL,
         "actions that need a second person's --approve"},
        {"runbooks", CT_STRV, OFF(incidents.runbooks), 0, 0, INC_RUNBOOKS, NULL, NULL,
         "runbook per impact type: 'IMPACT: NAME'"},
        {"ack_within", CT_DURATION, OFF(incidents.ack_within), SEC(60), SEC(86400), "5m", NULL,
         NULL, "acknowledge deadline after detection"},
        {"update_critical", CT_DURATION, OFF(incidents.update_critical), SEC(60), SEC(86400), "15m",
         NULL, NULL, "update cadence of a critical incident"},
        {"update_high", CT_DURATION, OFF(incidents.update_high), SEC(60), SEC(86400), "30m", NULL,
         NULL, "update cadence of a high-severity incident"},
        {"action_timeout", CT_DURATION, OFF(incidents.action_timeout), SEC(1), SEC(3600), "60s",
         NULL, NULL, "time limit of a containment command (then it is killed)"},
        {"escalation", CT_STRV, OFF(incidents.escalation), 0, 0, "5m\n15m\n30m", NULL, NULL,
         "escalation steps: after each duration from detection without an ack, the next "
         "contact of every routed team is notified"},
        {"check_interval", CT_DURATION, OFF(incidents.check_interval), SEC(1), SEC(3600), "1m",
         NULL, NULL, "how often the agent checks the incidents' deadlines"},
        END,
};

static const struct cfg_key notify_keys[] = {
        {"channels", CT_CHANNELS, OFF(notify.channels), 0, 0, NULL, NULL, NULL,
         "notification channels: mappings with name, type (webhook, email, statuspage, "
         "command), audiences, events, retry policy (docs/notifications.md)"},
        {"templates_dir", CT_PATH, OFF(notify.templates_dir), 0, 0,
         "/etc/evident/templates/messages", NULL, NULL,
         "site message templates (AUDIENCE.txt), used before the shipped ones"},
        {"interval", CT_DURATION, OFF(notify.interval), SEC(1) / 10, SEC(3600), "5s", NULL, NULL,
         "how often the agent works through the delivery queue"},
        {"auto_internal", CT_BOOL, OFF(notify.auto_internal), 0, 0, "true", NULL, NULL,
         "send the internal update to internal channels taking update_due when one is due"},
        END,
};

static const struct cfg_key analyze_keys[] = {
        {"template_fields", CT_BOOL, OFF(analyze.template_fields), 0, 0, "false", NULL, NULL,
         "group every message with the template miner and give rules the fields "
         "template_id and template_new"},
        {"trace_fields", CT_STRV, OFF(analyze.trace_fields), 0, 0, "trace_id\nrequest_id", NULL,
         NULL, "fields naming a trace or request id (evident analyze follows them)"},
        END,
};

static const struct cfg_key maintenance_keys[] = {
        {"restart", CT_STRV, OFF(maintenance.restart), 0, 0, NULL, NULL, NULL,
         "\"SERVICE=CMD ARGS\": run (without a shell) by a rollback after the files are back"},
        {"check_timeout", CT_DURATION, OFF(maintenance.check_timeout), SEC(1), SEC(3600), "30s",
         NULL, NULL, "time limit of one health check or restart command"},
        {"health_wait", CT_DURATION, OFF(maintenance.health_wait), 0, SEC(3600), "30s", NULL, NULL,
         "how long a rollback retries the health checks until they pass"},
        {"window", CT_DURATION, OFF(maintenance.window), SEC(60), SEC(7 * 86400), "2h", NULL, NULL,
         "the longest a change window stays open when not finished"},
        END,
};

static const struct cfg_key drills_keys[] = {
        {"paths", CT_STRV, OFF(drills.paths), 0, 0, NULL, NULL, NULL,
         "directories of the site's drill scenarios, searched before the shipped ones"},
        END,
};

const struct cfg_key ev_settings_top_keys[] = {
        {"include", CT_STRV, 0, 0, 0, NULL, NULL, NULL,
         "further configuration files applied on top, in order (relative to this file)"},
        {"agent", CT_SECTION, 0, 0, 0, NULL, NULL, agent_keys, "the daemon"},
        {"sources", CT_SECTION, 0, 0, 0, NULL, NULL, sources_keys, "what is read"},
        {"rules", CT_SECTION, 0, 0, 0, NULL, NULL, rules_keys, "detection and correlation"},
        {"store", CT_SECTION, 0, 0, 0, NULL, NULL, store_keys, "evidence store"},
        {"actions", CT_SECTION, 0, 0, 0, NULL, NULL, actions_keys, "what alerts do"},
        {"incidents", CT_SECTION, 0, 0, 0, NULL, NULL, incidents_keys,
         "triage, routing, containment (docs/incidents.md)"},
        {"notify", CT_SECTION, 0, 0, 0, NULL, NULL, notify_keys,
         "notification channels and messages (docs/notifications.md)"},
        {"analyze", CT_SECTION, 0, 0, 0, NULL, NULL, analyze_keys,
         "templates and analysis (docs/analysis.md)"},
        {"maintenance", CT_SECTION, 0, 0, 0, NULL, NULL, maintenance_keys,
         "change windows and rollback (docs/maintenance.md)"},
        {"drills", CT_SECTION, 0, 0, 0, NULL, NULL, drills_keys, "game days (docs/maintenance.md)"},
        END,
};
