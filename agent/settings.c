/* Configuration loader: walks the YAML tree of evident.yaml against the schema below.
 * Defaults are written as strings and go through the same parsers as file values, so a
 * default can never be of the wrong type. Loading never stops at the first error: every
 * error of every file is collected, and a config is returned only when there are none. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "agent/paths.h"
#include "agent/settings.h"
#include "agent/incident/policy.h"
#include "agent/notify/channel.h"

#include "collector/format.h"
#include "collector/parse.h"
#include "correlate/engine.h"
#include "util/ytree.h"

enum cfg_type {
	CT_SECTION,
	CT_STRING,
	CT_PATH,
	CT_BOOL,
	CT_INT,
	CT_DURATION,
	CT_SIZE,
	CT_ENUM,
	CT_STRV,
	CT_FILES,
	CT_CHANNELS, /* notify.channels: checked by agent/notify/channel.c, kept as JSON */
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t offset;
	int64_t min, max;          /* CT_INT, CT_DURATION (µs), CT_SIZE (bytes) */
	const char *def;           /* default, parsed like a file value; NULL = unset */
	const char *choices;       /* CT_ENUM: "a|b|c" */
	const struct cfg_key *sub; /* CT_SECTION, CT_FILES */
	const char *doc;
};

#define OFF(f)  offsetof(struct ev_config, f)
#define FOFF(f) offsetof(struct ev_cfg_file_source, f)
#define SEC(us) ((int64_t)(us)*1000000)
#define END                                                                                        \
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL }

static const struct cfg_key file_keys[] = {
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
        {"files", CT_FILES, OFF(sources.files), 0, 0, NULL, NULL, file_keys,
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

static const struct cfg_key upload_keys[] = {
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
        {"upload", CT_SECTION, 0, 0, 0, NULL, NULL, upload_keys,
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

static const struct cfg_key top_keys[] = {
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

/* ---- value parsers ---- */

struct duration_unit {
	const char *suffix;
	uint64_t mult;
};
static const struct duration_unit duration_units[] = {
        {"us", 1},
        {"ms", 1000},
        {"s", 1000000},
        {"m", 60000000ULL},
        {"h", 3600000000ULL},
        {"d", 86400000000ULL},
        {"w", 604800000000ULL},
};

/* Other spellings accepted on input (systemd.time's), never printed. */
static const struct duration_unit duration_aliases[] = {
        {"usec", 1},
        {"msec", 1000},
        {"sec", 1000000},
        {"second", 1000000},
        {"seconds", 1000000},
        {"min", 60000000ULL},
        {"minute", 60000000ULL},
        {"minutes", 60000000ULL},
        {"hr", 3600000000ULL},
        {"hour", 3600000000ULL},
        {"hours", 3600000000ULL},
        {"day", 86400000000ULL},
        {"days", 86400000000ULL},
        {"week", 604800000000ULL},
        {"weeks", 604800000000ULL},
};

static uint64_t unit_mult(const struct duration_unit *t, size_t n, const char *s, size_t len) {
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].suffix) == len && strncmp(s, t[i].suffix, len) == 0)
			return t[i].mult;
	return 0;
}

int ev_parse_duration(const char *s, uint64_t *ret_usec) {
	uint64_t total = 0;
	if (!*s)
		return -EINVAL;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		uint64_t v = 0;
		while (isdigit((unsigned char)*s)) {
			if (v > UINT64_MAX / 10)
				return -ERANGE;
			v = v * 10 + (uint64_t)(*s++ - '0');
		}
		size_t ul = 0;
		while (isalpha((unsigned char)s[ul]))
			ul++;
		if (ul == 0)
			return -EINVAL; /* a unit is required */
		uint64_t mult = unit_mult(duration_units, ELEMENTSOF(duration_units), s, ul);
		if (!mult)
			mult = unit_mult(duration_aliases, ELEMENTSOF(duration_aliases), s, ul);
		if (!mult)
			return -EINVAL;
		if (v > (UINT64_MAX - total) / mult)
			return -ERANGE;
		total += v * mult;
		s += ul;
	}
	*ret_usec = total;
	return 0;
}

void ev_format_duration(uint64_t usec, char *buf, size_t len) {
	size_t o = 0;
	buf[0] = '\0';
	if (usec == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (size_t i = ELEMENTSOF(duration_units); i-- > 0 && o < len;) {
		uint64_t m = duration_units[i].mult;
		if (usec >= m && (i != 6 || usec % m == 0)) {
			int k = snprintf(buf + o, len - o, "%" PRIu64 "%s", usec / m,
			                 duration_units[i].suffix);
			if (k < 0)
				return;
			o += (size_t)k;
			usec %= m;
		}
	}
}

int ev_parse_size(const char *s, uint64_t *ret_bytes) {
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	uint64_t v = 0;
	while (isdigit((unsigned char)*s)) {
		if (v > UINT64_MAX / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s++ - '0');
	}
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {{"", 1},
	             {"B", 1},
	             {"K", 1024},
	             {"KB", 1024},
	             {"KiB", 1024},
	             {"M", 1024 * 1024},
	             {"MB", 1024 * 1024},
	             {"MiB", 1024 * 1024},
	             {"G", 1024ULL * 1024 * 1024},
	             {"GB", 1024ULL * 1024 * 1024},
	             {"GiB", 1024ULL * 1024 * 1024},
	             {"T", 1024ULL * 1024 * 1024 * 1024},
	             {"TiB", 1024ULL * 1024 * 1024 * 1024}};
	for (size_t i = 0; i < ELEMENTSOF(units); i++)
		if (strcmp(s, units[i].suffix) == 0) {
			if (v > UINT64_MAX / units[i].mult)
				return -ERANGE;
			*ret_bytes = v * units[i].mult;
			return 0;
		}
	return -EINVAL;
}

void ev_format_size(uint64_t b, char *buf, size_t len) {
	static const char *u[] = {"TiB", "GiB", "MiB", "KiB"};
	for (int i = 0; i < 4; i++) {
		uint64_t m = 1ULL << (10 * (4 - i));
		if (b >= m && b % m == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", b / m, u[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, b);
}

/* ---- loading ---- */

struct loader {
	struct ev_errlist *errs;
	const char *file;
	int depth; /* include depth */
};

static void err_at(struct loader *L, const struct ytree_node *n, const char *fmt, ...)
        _printf_(3, 4);
static void err_at(struct loader *L, const struct ytree_node *n, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	ev_errlist_addv(L->errs, L->file, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
}

static const struct cfg_key *key_find(const struct cfg_key *keys, const char *name) {
	for (const struct cfg_key *k = keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

static void unknown_key(struct loader *L, const struct cfg_key *keys, const char *where,
                        const struct ytree_node *kn) {
	struct ev_suggest sg = ev_suggest_init(kn->str);
	for (const struct cfg_key *k = keys; k->name; k++)
		ev_suggest_add(&sg, k->name);
	const char *best = ev_suggest_best(&sg);
	if (best)
		err_at(L, kn, "unknown key '%s' in %s (did you mean '%s'?)", kn->str, where, best);
	else
		err_at(L, kn, "unknown key '%s' in %s", kn->str, where);
}

static const char *type_name(enum cfg_type t) {
	switch (t) {
	case CT_SECTION:
		return "a mapping";
	case CT_STRING:
	case CT_ENUM:
		return "a string";
	case CT_PATH:
		return "a path";
	case CT_BOOL:
		return "true or false";
	case CT_INT:
		return "an integer";
	case CT_DURATION:
		return "a duration such as 30s, 15m or 2h";
	case CT_SIZE:
		return "a size such as 4096, 64KiB or 1MiB";
	case CT_STRV:
		return "a list of strings";
	case CT_FILES:
		return "a list of paths or mappings";
	case CT_CHANNELS:
		return "a list of channel mappings";
	}
	return "?";
}

static char *path_resolve(const struct loader *L, const char *p) {
	if (p[0] == '/' || !L->file || L->file[0] == '<')
		return strdup(p);
	_cleanup_free_ char *dup = strdup(L->file);
	if (!dup)
		return NULL;
	char *s = NULL;
	if (asprintf(&s, "%s/%s", dirname(dup), p) < 0)
		return NULL;
	return s;
}

/* Parse one scalar value `s` (from node n, NULL for defaults) into dst. */
/* A duration or a size: parsed, range-checked against the key's min..max (both >= 0),
 * written as uint64_t. `what` and `hint` name the kind and its syntax in the message. */
static int set_unit(struct loader *L, const struct cfg_key *k, const struct ytree_node *n,
                    const char *s, int (*parse)(const char *, uint64_t *),
                    void (*format)(uint64_t, char *, size_t), const char *what, const char *hint,
                    void *dst) {
	uint64_t v;
	if (parse(s, &v) < 0) {
		err_at(L, n, "'%s': invalid %s '%s' (%s)", k->name, what, s, hint);
		return -EINVAL;
	}
	if (v < (uint64_t)k->min || v > (uint64_t)k->max) {
		char lo[32], hi[32];
		format((uint64_t)k->min, lo, sizeof(lo));
		format((uint64_t)k->max, hi, sizeof(hi));
		err_at(L, n, "'%s': %s is out of range (%s..%s)", k->name, s, lo, hi);
		return -ERANGE;
	}
	*(uint64_t *)dst = v;
	return 0;
}

static int set_scalar(struct loader *L, const struct cfg_key *k, void *dst, const char *s,
                      const struct ytree_node *n) {
	switch (k->type) {
	case CT_STRING:
	case CT_PATH: {
		if (!*s) {
			err_at(L, n, "'%s' must not be empty", k->name);
			return -EINVAL;
		}
		if (k->type == CT_PATH && strlen(s) >= PATH_MAX) {
			err_at(L, n, "'%s': path longer than %d bytes", k->name, PATH_MAX - 1);
			return -EINVAL;
		}
		char *v = strdup(s);
		if (!v)
			return -ENOMEM;
		free(*(char **)dst);
		*(char **)dst = v;
		return 0;
	}
	case CT_ENUM: {
		size_t sl = strlen(s);
		for (const char *c = k->choices; c && *c;) {
			const char *e = strchr(c, '|');
			size_t cl = e ? (size_t)(e - c) : strlen(c);
			if (cl == sl && strncmp(c, s, cl) == 0) {
				char *v = strdup(s);
				if (!v)
					return -ENOMEM;
				free(*(char **)dst);
				*(char **)dst = v;
				return 0;
			}
			c = e ? e + 1 : c + cl;
		}
		err_at(L, n, "'%s': invalid value '%s' (expected one of: %s)", k->name, s,
		       k->choices);
		return -EINVAL;
	}
	case CT_BOOL:
		if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
			*(bool *)dst = true;
		else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
			*(bool *)dst = false;
		else {
			err_at(L, n, "'%s': expected true or false, got '%s'", k->name, s);
			return -EINVAL;
		}
		return 0;
	case CT_INT: {
		char *end = NULL;
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (!*s || *end || errno == ERANGE) {
			err_at(L, n, "'%s': expected an integer, got '%s'", k->name, s);
			return -EINVAL;
		}
		if (v < k->min || v > k->max) {
			err_at(L, n, "'%s': %lld is out of range (%" PRId64 "..%" PRId64 ")",
			       k->name, v, k->min, k->max);
			return -ERANGE;
		}
		*(int64_t *)dst = v;
		return 0;
	}
	case CT_DURATION:
		return set_unit(L, k, n, s, ev_parse_duration, ev_format_duration, "duration",
		                "use a number and a unit: 500ms, 30s, 15m, 2h, 1d", dst);
	case CT_SIZE:
		return set_unit(L, k, n, s, ev_parse_size, ev_format_size, "size",
		                "use bytes or a unit: 4096, 64KiB, 1MiB, 2GiB", dst);
	default:
		return -EINVAL;
	}
}

static void apply_defaults(const struct cfg_key *keys, void *base) {
	for (const struct cfg_key *k = keys; k->name; k++) {
		if (k->type == CT_SECTION) {
			apply_defaults(k->sub, base);
			continue;
		}
		if (!k->def)
			continue;
		if (k->type == CT_STRV) { /* a list default: one item per line */
			struct ev_strv *v = (struct ev_strv *)((char *)base + k->offset);
			size_t n = 1;
			for (const char *p = k->def; *p; p++)
				n += *p == '\n';
			v->v = calloc(n + 1, sizeof(char *));
			for (const char *p = k->def; v->v && *p;) { /* OOM: a shorter list */
				size_t len = strcspn(p, "\n");
				if (!(v->v[v->n] = strndup(p, len)))
					break;
				v->n++;
				p += len + (p[len] == '\n');
			}
			continue;
		}
		struct loader L = {0};
		struct ev_errlist e = {0};
		L.errs = &e;
		int r = set_scalar(&L, k, (char *)base + k->offset, k->def, NULL);
		/* A default that does not parse is a programming error caught by the tests. */
		if (r < 0)
			abort();
		ev_errlist_clear(&e);
	}
}

/* rules.logsources and rules.placeholders: each item must be a line the engine accepts
 * ("SERVICE: WORD...", "NAME: VALUE..."), so a bad one is reported here with its position
 * rather than when rules are built. */
static int check_engine_lines(struct loader *L, const struct ytree_node *n, bool placeholders) {
	if (n->kind != YTREE_SEQ)
		return 0;
	struct correlate_engine *e = NULL;
	struct ev_errlist errs = {0};
	if (correlate_engine_new(NULL, &e, &errs) < 0) {
		ev_errlist_clear(&errs);
		return -ENOMEM;
	}
	int ret = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct ytree_node *it = n->items[i];
		if (it->kind != YTREE_SCALAR || it->len == 0)
			continue; /* load_strv said so */
		int r = placeholders
		                ? correlate_engine_add_placeholder_spec(e, it->str, NULL, &errs)
		                : correlate_engine_add_logsource_spec(e, it->str, NULL, &errs);
		if (r == -ENOMEM) {
			ret = r;
			break;
		}
		if (r < 0) {
			err_at(L, it, "%s", errs.n ? errs.v[errs.n - 1].msg : "invalid entry");
			ret = -EINVAL;
		}
	}
	ev_errlist_clear(&errs);
	correlate_engine_free(e);
	return ret;
}

/* actions.seal_on: each item is level:LEVEL (a Sigma level), rule:ID or tag:TAG. Whether a
 * rule or tag exists depends on the rules loaded, checked later (agent/selectors.c). */
static int check_seal_on(struct loader *L, const struct ytree_node *n, const char *key) {
	static const char *const levels[] = {"informational", "low", "medium", "high", "critical"};
	int ret = 0;
	for (size_t i = 0; n->kind == YTREE_SEQ && i < n->n; i++) {
		const struct ytree_node *it = n->items[i];
		if (it->kind != YTREE_SCALAR || it->len == 0)
			continue; /* load_strv said so */
		const char *colon = strchr(it->str, ':');
		size_t kl = colon ? (size_t)(colon - it->str) : 0;
		bool known = colon && ((kl == 5 && !strncmp(it->str, "level", 5)) ||
		                       (kl == 4 && !strncmp(it->str, "rule", 4)) ||
		                       (kl == 3 && !strncmp(it->str, "tag", 3)));
		if (!known || !colon[1]) {
			err_at(L, it, "%s '%s': expected level:LEVEL, rule:ID or tag:TAG", key,
			       it->str);
			ret = -EINVAL;
			continue;
		}
		if (kl != 5)
			continue;
		struct ev_suggest sg = ev_suggest_init(colon + 1);
		bool found = false;
		for (size_t j = 0; j < ELEMENTSOF(levels); j++) {
			found = found || !strcmp(colon + 1, levels[j]);
			ev_suggest_add(&sg, levels[j]);
		}
		if (found)
			continue;
		const char *best = ev_suggest_best(&sg);
		if (best)
			err_at(L, it, "%s '%s': unknown level '%s' (did you mean '%s'?)", key,
			       it->str, colon + 1, best);
		else
			err_at(L, it,
			       "%s '%s': unknown level '%s' (informational, low, medium, "
			       "high or critical)",
			       key, it->str, colon + 1);
		ret = -EINVAL;
	}
	return ret;
}

static int load_strv(struct loader *L, const struct cfg_key *k, struct ev_strv *v,
                     const struct ytree_node *n, bool resolve) {
	if (n->kind == YTREE_SCALAR && !ytree_is_null(n)) {
		err_at(L, n, "'%s' must be a list (write it as [%s] or one '- item' per line)",
		       k->name, n->str);
		return -EINVAL;
	}
	ev_strv_clear(v);
	if (ytree_is_null(n))
		return 0;
	if (n->kind != YTREE_SEQ) {
		err_at(L, n, "'%s' must be a list of strings, found %s", k->name,
		       ytree_kind_name(n->kind));
		return -EINVAL;
	}
	v->v = calloc(n->n + 1, sizeof(char *));
	if (!v->v)
		return -ENOMEM;
	int ret = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct ytree_node *it = n->items[i];
		if (it->kind != YTREE_SCALAR || it->len == 0) {
			err_at(L, it, "'%s' item %zu must be a non-empty string", k->name, i + 1);
			ret = -EINVAL;
			continue;
		}
		char *s = resolve ? path_resolve(L, it->str) : strdup(it->str);
		if (!s)
			return -ENOMEM;
		v->v[v->n++] = s;
	}
	return ret;
}

static void files_clear(struct ev_config *c) {
	for (size_t i = 0; i < c->sources.n_files; i++) {
		free(c->sources.files[i].path);
		free(c->sources.files[i].format);
		free(c->sources.files[i].tz);
		free(c->sources.files[i].program);
		free(c->sources.files[i].service);
	}
	free(c->sources.files);
	c->sources.files = NULL;
	c->sources.n_files = 0;
}

static int load_files(struct loader *L, const struct cfg_key *k, struct ev_config *c,
                      const struct ytree_node *n) {
	files_clear(c);
	if (ytree_is_null(n))
		return 0;
	if (n->kind != YTREE_SEQ) {
		err_at(L, n, "'%s' must be %s, found %s", k->name, type_name(k->type),
		       ytree_kind_name(n->kind));
		return -EINVAL;
	}
	c->sources.files = calloc(n->n + 1, sizeof(*c->sources.files));
	if (!c->sources.files)
		return -ENOMEM;
	int ret = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct ytree_node *it = n->items[i];
		struct ev_cfg_file_source *f = &c->sources.files[c->sources.n_files];
		apply_defaults(file_keys, f);
		f->max_line = c->sources.max_line;
		c->sources.n_files++;
		if (it->kind == YTREE_SCALAR) {
			if (set_scalar(L, &file_keys[0], &f->path, it->str, it) < 0)
				ret = -EINVAL;
			continue;
		}
		if (it->kind != YTREE_MAP) {
			err_at(L, it, "'%s' item %zu must be a path or a mapping", k->name, i + 1);
			ret = -EINVAL;
			continue;
		}
		for (size_t j = 0; j < it->n; j++) {
			const struct ytree_node *kn = it->pairs[j].key, *vn = it->pairs[j].value;
			const struct cfg_key *fk = key_find(file_keys, kn->str);
			if (!fk) {
				unknown_key(L, file_keys, "sources.files", kn);
				ret = -EINVAL;
				continue;
			}
			if (vn->kind != YTREE_SCALAR || ytree_is_null(vn)) {
				err_at(L, vn, "'%s' must be %s", fk->name, type_name(fk->type));
				ret = -EINVAL;
				continue;
			}
			if (set_scalar(L, fk, (char *)f + fk->offset, vn->str, vn) < 0)
				ret = -EINVAL;
			if (strcmp(fk->name, "format") == 0)
				f->format_line = vn->line, f->format_col = vn->col;
		}
		if (!f->path) {
			err_at(L, it, "'%s' item %zu has no 'path'", k->name, i + 1);
			ret = -EINVAL;
		}
	}
	return ret;
}

/* incidents.*: each list item in its own syntax (agent/incident/policy.c says which). */
static int check_incidents(struct loader *L, const char *key, const struct ytree_node *n) {
	int ret = 0;
	for (size_t i = 0; n->kind == YTREE_SEQ && i < n->n; i++) {
		const struct ytree_node *it = n->items[i];
		char msg[300];
		if (it->kind != YTREE_SCALAR || it->len == 0)
			continue; /* load_strv said so */
		if (ev_incident_policy_check_item(key, it->str, msg, sizeof(msg)) < 0) {
			err_at(L, it, "incidents.%s '%s': %s", key, it->str, msg);
			ret = -EINVAL;
		}
	}
	return ret;
}

static int load_section(struct loader *L, const struct cfg_key *sec, struct ev_config *c,
                        const struct ytree_node *n) {
	if (ytree_is_null(n))
		return 0;
	if (n->kind != YTREE_MAP) {
		err_at(L, n, "'%s' must be a mapping, found %s", sec->name,
		       ytree_kind_name(n->kind));
		return -EINVAL;
	}
	int ret = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct ytree_node *kn = n->pairs[i].key, *vn = n->pairs[i].value;
		const struct cfg_key *k = key_find(sec->sub, kn->str);
		if (!k) {
			unknown_key(L, sec->sub,
			            sec->sub == upload_keys ? "store.upload" : sec->name, kn);
			ret = -EINVAL;
			continue;
		}
		void *dst = (char *)c + k->offset;
		int r;
		if (k->type == CT_SECTION) /* a nested section (store.upload) */
			r = load_section(L, k, c, vn);
		else if (k->type == CT_STRV) {
			/* rules.paths and rules.decoders are paths (relative to the file) */
			bool rules = !strcmp(sec->name, "rules");
			bool ls = rules && !strcmp(k->name, "logsources");
			bool ph = rules && !strcmp(k->name, "placeholders");
			r = load_strv(L, k, dst, vn, rules && !ls && !ph);
			if (r >= 0 && (ls || ph))
				r = check_engine_lines(L, vn, ph);
			if (r >= 0 && !strcmp(sec->name, "actions") &&
			    (!strcmp(k->name, "seal_on") || !strcmp(k->name, "open_incident")))
				r = check_seal_on(L, vn, k->name);
			if (r >= 0 && !strcmp(sec->name, "incidents"))
				r = check_incidents(L, k->name, vn);
		} else if (k->type == CT_FILES)
			r = load_files(L, k, c, vn);
		else if (k->type == CT_SECTION) /* a section inside a section */
			r = load_section(L, k, c, vn);
		else if (k->type == CT_CHANNELS) {
			json_t *chs = NULL;
			r = ev_notify_channels_load(vn, L->file, &chs, L->errs);
			if (r >= 0) {
				json_decref(c->notify.channels);
				c->notify.channels = chs;
			}
		} else if (vn->kind != YTREE_SCALAR) {
			err_at(L, vn, "'%s.%s' must be %s, found %s", sec->name, k->name,
			       type_name(k->type), ytree_kind_name(vn->kind));
			r = -EINVAL;
		} else if (ytree_is_null(vn) && (k->type == CT_STRING || k->type == CT_PATH)) {
			free(*(char **)dst);
			*(char **)dst = NULL;
			r = 0;
		} else if (ytree_is_null(vn)) {
			err_at(L, vn, "'%s.%s' must be %s, found an empty value", sec->name,
			       k->name, type_name(k->type));
			r = -EINVAL;
		} else
			r = set_scalar(L, k, dst, vn->str, vn);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			ret = r;
	}
	return ret;
}

static int load_buffer(struct loader *L, struct ev_config *c, const char *buf, size_t len);

static int load_file(struct loader *L, struct ev_config *c, const char *path,
                     const struct ytree_node *from) {
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = ev_read_file(path, YTREE_MAX_INPUT, &buf, &len);
	if (r < 0) {
		if (from) {
			err_at(L, from, "cannot read included file '%s': %s", path, strerror(-r));
			return -EINVAL;
		} else
			ev_errlist_add(L->errs, path, 0, 0, "cannot read: %s", strerror(-r));
		return r;
	}
	struct loader sub = {.errs = L->errs, .file = path, .depth = L->depth + 1};
	return load_buffer(&sub, c, buf, len);
}

static int load_buffer(struct loader *L, struct ev_config *c, const char *buf, size_t len) {
	struct ytree_docs docs = {0};
	int r = ytree_parse_buffer(L->file, buf, len, &docs, L->errs);
	if (r < 0)
		return r;
	int ret = 0;
	if (docs.n == 0 || !docs.v[0].root) {
		ev_errlist_add(L->errs, L->file, 0, 0,
		               "empty file: expected a mapping of sections (agent, sources, rules, "
		               "store, actions)");
		ret = -EINVAL;
		goto out;
	}
	if (docs.n > 1) {
		ev_errlist_add(L->errs, L->file, docs.v[1].line, docs.v[1].col,
		               "a configuration file holds one YAML document, found %zu", docs.n);
		ret = -EINVAL;
		goto out;
	}
	const struct ytree_node *root = docs.v[0].root;
	if (root->kind != YTREE_MAP) {
		err_at(L, root, "expected a mapping of sections, found %s",
		       ytree_kind_name(root->kind));
		ret = -EINVAL;
		goto out;
	}
	const struct ytree_node *inc = NULL;
	for (size_t i = 0; i < root->n; i++) {
		const struct ytree_node *kn = root->pairs[i].key, *vn = root->pairs[i].value;
		const struct cfg_key *k = key_find(top_keys, kn->str);
		if (!k) {
			unknown_key(L, top_keys, "the top level", kn);
			ret = -EINVAL;
			continue;
		}
		if (k->type == CT_STRV) {
			inc = vn; /* includes apply after this file */
			continue;
		}
		r = load_section(L, k, c, vn);
		if (r == -ENOMEM) {
			ret = r;
			goto out;
		}
		if (r < 0)
			ret = r;
	}
	if (inc) {
		struct ev_strv files = {0};
		r = load_strv(L, &top_keys[0], &files, inc, true);
		if (r < 0)
			ret = r;
		if (L->depth >= 8 && files.n) {
			err_at(L, inc, "includes nested more than 8 levels deep");
			ret = -EINVAL;
		} else
			for (size_t i = 0; i < files.n; i++) {
				r = load_file(L, c, files.v[i],
				              inc->kind == YTREE_SEQ ? inc->items[i] : inc);
				if (r < 0)
					ret = r;
			}
		ev_strv_clear(&files);
	}
out:
	ytree_docs_free(&docs);
	return ret;
}

static void free_keys(const struct cfg_key *keys, void *base) {
	for (const struct cfg_key *k = keys; k->name; k++) {
		void *p = (char *)base + k->offset;
		switch (k->type) {
		case CT_SECTION:
			free_keys(k->sub, base);
			break;
		case CT_STRING:
		case CT_PATH:
		case CT_ENUM:
			free(*(char **)p);
			*(char **)p = NULL;
			break;
		case CT_STRV:
			if (k != &top_keys[0]) /* include lists are not kept */
				ev_strv_clear(p);
			break;
		default:
			break;
		}
	}
}

struct ev_config *ev_config_free(struct ev_config *c) {
	if (!c)
		return NULL;
	files_clear(c);
	json_decref(c->notify.channels);
	free_keys(top_keys, c);
	free(c->origin);
	free(c);
	return NULL;
}

/* sources.formats_dir joins the process format library (once per directory), and every
 * file's format must be a built-in name or a format of that library. */
static void check_formats(const struct ev_config *c, struct ev_errlist *errs) {
	enum collector_format f;
	if (c->sources.formats_dir)
		(void)collector_formats_default_add_dir(c->sources.formats_dir, errs);
	for (size_t i = 0; i < c->sources.n_files; i++) {
		const struct ev_cfg_file_source *s = &c->sources.files[i];
		if (s->format && collector_format_from_string(s->format, &f) < 0 &&
		    !collector_formats_find(collector_formats_default(), s->format))
			ev_errlist_add(errs, c->origin, s->format_line, s->format_col,
			               "unknown format '%s' (auto, rfc3164, rfc5424, iso, json, "
			               "logfmt, or a format that 'evident formats' lists)",
			               s->format);
	}
}

int ev_config_load(const char *path, struct ev_config **ret, struct ev_errlist *errs) {
	struct ev_config *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	apply_defaults(top_keys, c);
	if (!path)
		path = ev_config_default_path();
	if (!*path)
		path = NULL; /* the embedded configuration */
	size_t before = ev_errlist_count(errs);
	struct loader L = {.errs = errs, .file = path ? path : "<embedded>"};
	int r;
	if (path)
		r = load_file(&L, c, path, NULL);
	else
		r = load_buffer(&L, c, ev_default_config, ev_default_config_len);
	c->origin = strdup(L.file);
	if (r == -ENOMEM || !c->origin) {
		ev_config_free(c);
		return -ENOMEM;
	}
	if (r == 0)
		check_formats(c, errs);
	if (r < 0 || ev_errlist_count(errs) > before) {
		ev_config_free(c);
		/* an unreadable top-level file is an I/O error; everything else is -EINVAL */
		return r < 0 && r != -EINVAL && r != -ERANGE ? r : -EINVAL;
	}
	*ret = c;
	return 0;
}

/* ---- printing ---- */

static json_t *value_json(const struct cfg_key *k, const void *p) {
	switch (k->type) {
	case CT_SECTION: { /* a section inside a section: its offset is 0, p is the base */
		json_t *o = json_object();
		for (const struct cfg_key *sk = k->sub; o && sk->name; sk++)
			json_object_set_new(o, sk->name,
			                    value_json(sk, (const char *)p + sk->offset));
		return o;
	}
	case CT_STRING:
	case CT_PATH:
	case CT_ENUM:
		return *(char *const *)p ? json_string(*(char *const *)p) : json_null();
	case CT_BOOL:
		return json_boolean(*(const bool *)p);
	case CT_INT:
		return json_integer(*(const int64_t *)p);
	case CT_DURATION: {
		char b[64];
		ev_format_duration(*(const uint64_t *)p, b, sizeof(b));
		return json_string(b);
	}
	case CT_SIZE: {
		char b[64];
		ev_format_size(*(const uint64_t *)p, b, sizeof(b));
		return json_string(b);
	}
	case CT_STRV: {
		const struct ev_strv *v = p;
		json_t *a = json_array();
		for (size_t i = 0; i < v->n; i++)
			json_array_append_new(a, json_string(v->v[i]));
		return a;
	}
	case CT_CHANNELS:
		return *(json_t *const *)p ? json_deep_copy(*(json_t *const *)p) : json_array();
	default:
		return json_null();
	}
}

static json_t *config_json(const struct ev_config *c) {
	json_t *root = json_object();
	json_object_set_new(root, "origin", json_string(c->origin));
	for (const struct cfg_key *s = top_keys; s->name; s++) {
		if (s->type != CT_SECTION)
			continue;
		json_t *o = json_object();
		for (const struct cfg_key *k = s->sub; k->name; k++) {
			if (k->type == CT_FILES) {
				json_t *a = json_array();
				for (size_t i = 0; i < c->sources.n_files; i++) {
					json_t *fo = json_object();
					for (const struct cfg_key *fk = file_keys; fk->name; fk++)
						json_object_set_new(
						        fo, fk->name,
						        value_json(
						                fk,
						                (const char *)&c->sources.files[i] +
						                        fk->offset));
					json_array_append_new(a, fo);
				}
				json_object_set_new(o, k->name, a);
				continue;
			}
			json_object_set_new(o, k->name, value_json(k, (const char *)c + k->offset));
		}
		json_object_set_new(root, s->name, o);
	}
	return root;
}

void ev_config_print(const struct ev_config *c, FILE *f, bool json) {
	json_t *j = config_json(c);
	if (json) {
		char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
		fprintf(f, "%s\n", s ? s : "{}");
		free(s);
		json_decref(j);
		return;
	}
	fprintf(f, "# effective configuration (from %s)\n", c->origin);
	for (const struct cfg_key *s = top_keys; s->name; s++) {
		if (s->type != CT_SECTION)
			continue;
		fprintf(f, "%s:\n", s->name);
		json_t *o = json_object_get(j, s->name);
		for (const struct cfg_key *k = s->sub; k->name; k++) {
			json_t *v = json_object_get(o, k->name);
			if (json_is_array(v) || json_is_object(v)) {
				char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
				fprintf(f, "  %s: %s\n", k->name, t ? t : "[]");
				free(t);
			} else if (json_is_string(v))
				fprintf(f, "  %s: %s\n", k->name, json_string_value(v));
			else if (json_is_null(v))
				fprintf(f, "  %s: null\n", k->name);
			else {
				char *t = json_dumps(v, JSON_ENCODE_ANY);
				fprintf(f, "  %s: %s\n", k->name, t ? t : "");
				free(t);
			}
		}
	}
	json_decref(j);
}
