/* Linux audit (auditd) records, and the Sigma categories assembled from their events.
 *
 * Records. collector_audit_parse_line() reads one audit.log line,
 *     [node=NODE ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): key=value ...
 * into a record (`program` "auditd", `host` NODE when given; a `hostname=` field never
 * becomes the host). Fields, with SigmaHQ's raw auditd names: `type`, `msg` (the stamp,
 * "audit(SECONDS.MILLIS:SERIAL)"), every key=value of the body with its quotes removed,
 * the key=value pairs inside a user-space record's msg='...' (op, exe, hostname, addr,
 * terminal, res, ...), and the interpreted fields that an ENRICHED log appends after
 * 0x1d (ARCH, SYSCALL, AUID, UID, ...). Values that audit hex-encodes (EXECVE aN,
 * proctitle, name, cwd, exe, comm, path, key, data, cmd, acct) are decoded when they are
 * unquoted hex (proctitle's NUL separators become spaces). An x86_64 SYSCALL record
 * without the ENRICHED `SYSCALL=` gets it from the syscall number (common calls only).
 * The message is the line as it is. collector_audit_from_journal() does the same for a
 * journal entry with _TRANSPORT=audit (MESSAGE "TYPE body", _AUDIT_ID, the source time).
 *
 * Events. The kernel writes one event as several records with the same stamp: SYSCALL,
 * then EXECVE, SOCKADDR, CWD, PATH..., PROCTITLE, EOE. The assembler keeps copies of the
 * records of open events (at most AUDIT_OPEN_MAX events of AUDIT_EVENT_RECORDS_MAX
 * records; past that the oldest event is closed early and extra records are dropped) and
 * closes an event at PROCTITLE or EOE, when a record arrives that is more than the
 * lateness younger than it, or when the caller expires it (end of input, the daemon's
 * clock). A closed event gives records flagged with its Sigma category:
 *  - execve/execveat: EV_REC_PROCESS_CREATION with Image, CommandLine, CurrentDirectory,
 *    User, LogonId (auid), ProcessId, ParentProcessId, and ParentImage and
 *    ParentCommandLine when the parent's own execve was seen (a table of the last
 *    AUDIT_PROCS_MAX programs by pid);
 *  - a PATH record with nametype=CREATE: EV_REC_FILE_EVENT with TargetFilename
 *    (absolute: joined to the CWD), Image, User, ProcessId;
 *  - connect with an inet SOCKADDR: EV_REC_NETWORK_CONNECTION with Image, User,
 *    ProcessId, DestinationIp, DestinationPort, Initiated "true".
 * User is the ENRICHED UID name, "root" for uid 0, else the uid number. A derived record
 * has program "auditd", the event time, host and source of its SYSCALL record, and a
 * message naming the category and the main field. Records are copied: the caller's stay
 * its own. Nothing here prints. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collector/record.h"

#define AUDIT_OPEN_MAX          256
#define AUDIT_EVENT_RECORDS_MAX 32
#define AUDIT_PROCS_MAX         4096
#define AUDIT_OUT_MAX           1024 /* derived records waiting for collector_audit_pop */

/* Whether a line looks like an audit.log line (cheap; for format detection). */
bool collector_audit_looks(const char *line, size_t len);
/* Parse one audit.log line into `rec` (reset by the caller). Returns 1 parsed (time from
 * the stamp), 0 not an audit line (rec may hold partial fields: reset it), -ENOMEM. */
int collector_audit_parse_line(const char *line, size_t len, struct ev_record *rec);
/* A journal record (collector/journal.c) whose _TRANSPORT is "audit": add the audit
 * fields and set program "auditd" and the event time. Returns 1 done, 0 not an audit
 * entry, -ENOMEM. */
int collector_audit_from_journal(struct ev_record *rec);

/* A record whose message is an audit record forwarded through syslog: audisp-syslog's
 * "[node=N ]type=T msg=audit(...): ..." or the kernel's own "audit: type=1300
 * audit(...): ..." (auditd not running; numeric types of syscall events are named).
 * The fields are added as for an audit.log line, program becomes "auditd" and the time
 * that of the stamp; the message, host and source stay. Returns 1 done, 0 not such a
 * record (rec unchanged), -ENOMEM. */
int collector_audit_from_syslog(struct ev_record *rec);
/* Can a syslog message be a record of a Sigma category: an audit line
 * (collector_audit_from_syslog: "type=", "node=" or "audit: type=" first) or a Sysmon
 * event (collector_sysmon_decode: "<Event" after spaces)? False means both of them would
 * return 0, so a caller may skip them; true means only "maybe". Cheap, inline: the first bytes. */
static inline bool collector_maybe_category(const char *msg, size_t len) {
	if (!msg || !len)
		return false;
	switch (msg[0]) {
	case 't': /* collector_audit_looks */
		return len >= 5 && !memcmp(msg, "type=", 5);
	case 'n':
		return len >= 5 && !memcmp(msg, "node=", 5);
	case 'a': /* the kernel's own line (kmsg_to_line) */
		return len >= 12 && !memcmp(msg, "audit: type=", 12);
	case ' ':
	case '<': { /* collector_sysmon_decode skips spaces before "<Event" */
		size_t i = 0;
		while (i < len && msg[i] == ' ')
			i++;
		return len - i >= 6 && !memcmp(msg + i, "<Event", 6);
	}
	default:
		return false;
	}
}

struct collector_audit;

/* An assembler; `lateness_us` (>= 0) is how much younger a record must be to close an
 * older open event. NULL when out of memory. */
struct collector_audit *collector_audit_new(int64_t lateness_us);
struct collector_audit *collector_audit_free(struct collector_audit *a);
/* Back to the state collector_audit_new left (same lateness): open events, processes,
 * waiting records and statistics dropped, the tables kept for reuse. */
void collector_audit_reset(struct collector_audit *a);
/* Offer a record: an auditd record of a syscall event is copied into its event (1);
 * any other record is left alone (0). -ENOMEM. */
int collector_audit_push(struct collector_audit *a, const struct ev_record *rec);
/* Close every open event whose time is before `before_us` (INT64_MAX: all of them, at
 * the end of the input). Returns 0 or -ENOMEM. */
int collector_audit_expire(struct collector_audit *a, int64_t before_us);
/* The next derived record into `rec` (reset here): 1, or 0 when none is waiting. */
int collector_audit_pop(struct collector_audit *a, struct ev_record *rec);
/* Derived records dropped at AUDIT_OUT_MAX, events closed early at AUDIT_OPEN_MAX,
 * records dropped past AUDIT_EVENT_RECORDS_MAX. */
struct collector_audit_stats {
	uint64_t events, derived, out_dropped, closed_early, records_dropped;
};
void collector_audit_get_stats(const struct collector_audit *a, struct collector_audit_stats *ret);
