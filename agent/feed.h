/* Records to the engine, with the Sigma category records derived from them: every
 * command that feeds records (replay, `rules test`, the daemon) goes through here, so a
 * rule of category process_creation, file_event or network_connection sees the same
 * events in a test as in production.
 *
 * For each record: a Sysmon for Linux event is decoded in place (collector/sysmon.h) and
 * fed; an audit record forwarded through syslog (audisp-syslog, the kernel's "audit:
 * type=" lines) gets its audit fields in place (collector_audit_from_syslog); any record
 * is then fed and offered to the audit assembler
 * (collector/audit.h), and the category records of the events it closed are fed after
 * it. ev_feed_expire() closes the events older than a time (the daemon's clock less
 * horizon_us) or, with INT64_MAX at the end of the input, all of them. */
#pragma once
#include <stdint.h>

#include "collector/audit.h"
#include "collector/record.h"
#include "correlate/engine.h"

struct miner;

struct ev_feed {
	struct collector_audit *audit;
	struct miner *miner; /* analyze.template_fields: owned; NULL (the default) = off */
	struct ev_record out;
	int64_t horizon_us; /* half the lateness: how long an incomplete event waits */
};

/* `lateness_us` (rules.allowed_lateness; < 0: the engine's default, 10 s): an incomplete
 * audit event is completed once records (or the clock) are half of it past its time,
 * so that its category records still reach the engine before its watermark passes them
 * (they are correlated, not counted late). Returns 0 or -ENOMEM. */
int ev_feed_init(struct ev_feed *f, int64_t lateness_us);
void ev_feed_done(struct ev_feed *f);
/* Give every record fed from now on the fields template_id (16 hex digits) and
 * template_new ("true" for the first line of a template this feed had not seen, else
 * "false") from a template miner the feed owns (correlate/miner.h; analyze.template_fields).
 * Returns 0 or -ENOMEM. */
int ev_feed_enable_templates(struct ev_feed *f);
/* Feed `rec` (writable: decoders and the Sysmon decoder add fields) and what it
 * completes. Returns 0 or -ENOMEM. */
int ev_feed_record(struct ev_feed *f, struct correlate_engine *e, struct ev_record *rec);
/* Close open audit events older than `before_us` (INT64_MAX: all) and feed what they
 * give. Returns 0 or -ENOMEM. */
int ev_feed_expire(struct ev_feed *f, struct correlate_engine *e, int64_t before_us);
