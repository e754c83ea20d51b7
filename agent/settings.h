/* evident.yaml: typed configuration, loaded with libyaml through a schema.
 *
 * The schema (agent/settings.c) lists every key with its type, range, default and a
 * one-line description; the loader walks the YAML tree against it, so an unknown key, a
 * wrong type, an out-of-range number or a bad duration is reported as FILE:LINE:COL with
 * a did-you-mean suggestion, and all errors of a file are reported at once.
 *
 * Durations are µs (syntax: 500ms, 30s, 15m, 2h, 1d, combinable: 1h30m). Sizes are bytes
 * (syntax: 512, 64KiB, 1MiB, 2GiB; K/M/G are 1024-based too). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"
#include "util/strdist.h" /* ev_edit_distance, did-you-mean */
#include "util/strv.h"    /* struct ev_strv: lists own their strings */

struct ev_cfg_file_source {
	char *path;    /* path or glob */
	char *format;  /* auto|rfc3164|rfc5424|iso|json|logfmt, or a format library name */
	char *program; /* program of lines that carry none; NULL = none */
	char *service; /* field "service" of every record; NULL = none */
	char *tz;      /* time zone for zone-less times; NULL = local */
	unsigned format_line, format_col; /* where format was set (messages) */
	uint64_t max_line;
};

struct ev_config {
	char *origin; /* file path, or "<embedded>" */
	struct {
		char *state_dir;
		char *log_level;
		char *control_socket;
		char *control_group;
		uint64_t audit_max_size; /* control-audit.jsonl rotated beyond this */
		int64_t audit_files;     /* rotated generations kept */
	} agent;
	struct {
		struct ev_cfg_file_source *files;
		size_t n_files;
		bool journal;
		struct ev_strv journal_units;
		struct ev_strv journal_identifiers;
		char *journal_dir;
		int64_t journal_max_priority;
		uint64_t journal_field_cap;
		uint64_t max_line;
		uint64_t checkpoint_interval;
		uint64_t stat_interval;
		uint64_t index_interval;
		bool follow_symlinks; /* links to targets outside the source directories */
		char *formats_dir;    /* site format files, added to the shipped library */
	} sources;
	struct {
		struct ev_strv paths;
		struct ev_strv decoders;
		char *engine; /* auto|vectorscan|pcre2 */
		uint64_t allowed_lateness;
		int64_t max_groups;
		int64_t max_values;  /* value_count: distinct values per group */
		uint64_t max_future; /* µs ahead of the clock that an event may be */
		struct ev_strv
		        logsources; /* "SERVICE: WORD..." (correlate_engine_add_logsource_spec) */
		struct ev_strv
		        placeholders; /* "NAME: VALUE..." (correlate_engine_add_placeholder_spec) */
		bool cache;           /* compiled Vectorscan databases kept (correlate/dbcache.h) */
	} rules;
	struct {
		char *path;
		char *key;
		int64_t compression_level;
		uint64_t max_member_size;
		uint64_t command_timeout;
		uint64_t command_output_cap;
		struct {
			struct ev_strv recipients; /* X25519 public keys: files or base64 */
			char *cipher;              /* "aes-256-gcm" or "chacha20-poly1305" */
		} encrypt;
		struct { /* store.upload: shipping to S3 under Object Lock (agent/fleet/) */
			char *endpoint; /* NULL: uploads off */
			char *region, *bucket, *prefix, *credentials, *retention_mode;
			uint64_t retention; /* µs */
			bool tls_verify;
			uint64_t multipart_threshold, backoff_max, interval;
		} upload;
	} store;
	struct {
		uint64_t lookback;
		uint64_t lookahead;
		int64_t seal_rate_per_hour;
		int64_t queue_size;
		bool stdout_alerts;
		bool journal_alerts;
		char *syslog;          /* "udp://HOST:PORT" or "tcp://HOST:PORT"; NULL = off */
		struct ev_strv hook;   /* argv of the hook command; empty = none */
		uint64_t hook_timeout; /* µs */
		int64_t workers;       /* worker threads for slow work */
		struct ev_strv
		        seal_on; /* "level:L", "rule:ID", "tag:T": alerts sealed automatically */
		struct ev_strv seal_commands;      /* "NAME=CMD ARGS..." run by every agent seal */
		struct ev_strv seal_files;         /* copied whole by every agent seal */
		struct ev_strv seal_journal_units; /* empty: sources.journal_units */
		struct ev_strv
		        open_incident;   /* "level:L", "rule:ID", "tag:T": alerts open incidents */
		struct {                 /* RFC 5424 over TLS (agent/daemon/forward.h) */
			char *address;   /* "HOST:PORT"; NULL = off */
			char *ca_file;   /* NULL: the system's CA store */
			char *cert_file; /* client certificate (PEM), optional */
			char *key_file;  /* its key (PEM), with cert_file */
			char *server_name; /* name checked in the certificate; NULL: HOST */
			bool verify;       /* verify the server certificate */
			int64_t queue_max; /* messages kept while the receiver is away */
		} forward;
	} actions;
	struct { /* the incident workflow (agent/incident/policy.h reads these lists) */
		struct ev_strv severity;        /* "IMPACT: I H M L | I H M L" (few | many users) */
		int64_t many_users;             /* affected users at or above: "many" */
		int64_t user_base;              /* total users (0: unknown) */
		int64_t many_share;             /* percent of user_base at or above: "many" */
		struct ev_strv teams;           /* "SEVERITY: TEAM..." */
		struct ev_strv contacts;        /* "TEAM: CONTACT, NEXT, ..." (escalation order) */
		struct ev_strv services;        /* "NAME: unit:U program:P file:F ..." */
		struct ev_strv containment;     /* "IMPACT: ACTION..." suggested by triage */
		struct ev_strv commands;        /* "ACTION=CMD ARG {PARAM}..." */
		struct ev_strv second_approver; /* actions that need a second person */
		struct ev_strv runbooks;        /* "IMPACT: RUNBOOK" */
		uint64_t ack_within, update_critical, update_high, action_timeout;
		struct ev_strv escalation; /* durations after t_detect, unacknowledged */
		uint64_t check_interval;   /* how often the agent checks the deadlines */
	} incidents;
	struct { /* communications (agent/notify/channel.h: the channels' JSON shape) */
		struct json_t *channels; /* array of checked channel objects (owned) */
		char *templates_dir;     /* site message templates, before the shipped ones */
		uint64_t interval;       /* how often the agent works through the outbox */
		bool auto_internal;      /* internal updates go when an update is due */
	} notify;
	struct { /* evident analyze and the template miner (docs/analysis.md) */
		bool template_fields;        /* records get template_id / template_new for rules */
		struct ev_strv trace_fields; /* fields naming a trace or request id */
	} analyze;
	struct {                        /* change windows (agent/maint/) */
		struct ev_strv restart; /* "SERVICE=CMD ARGS" run by a rollback */
		uint64_t check_timeout, health_wait, window;
	} maintenance;
	struct {
		struct ev_strv paths; /* the site's drill scenario directories */
	} drills;
};

/* Load `path`: NULL for the default configuration (ev_config_default_path(): the
 * installed evident.yaml when there is one, else the embedded one); EV_CONFIG_EMBEDDED
 * for the embedded one. Every error goes to errs as
 * FILE:LINE:COL: message. Returns 0 and a config, -EINVAL when errs has errors (no
 * config is returned then), or another -errno. */
#define EV_CONFIG_EMBEDDED ""
int ev_config_load(const char *path, struct ev_config **ret, struct ev_errlist *errs);
struct ev_config *ev_config_free(struct ev_config *c);
/* The embedded default configuration (conf/evident.yaml), NUL-terminated. */
extern const char ev_default_config[];
extern const size_t ev_default_config_len;

/* Print the effective configuration: YAML-like text, or one JSON object. */
void ev_config_print(const struct ev_config *c, FILE *f, bool json);

/* Parsers for the shared value types; each returns 0 or -EINVAL / -ERANGE. */
int ev_parse_duration(const char *s, uint64_t *ret_usec);
int ev_parse_size(const char *s, uint64_t *ret_bytes);
/* Format a duration as the shortest exact form ("15m", "1h30m", "250ms"). */
void ev_format_duration(uint64_t usec, char *buf, size_t len);
void ev_format_size(uint64_t bytes, char *buf, size_t len);
