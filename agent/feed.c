/* Records and their category records to the engine (see feed.h). */
#include "config.h"

#include "agent/feed.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "collector/sysmon.h"
#include "correlate/miner.h"

int ev_feed_init(struct ev_feed *f, int64_t lateness_us) {
	f->horizon_us = (lateness_us < 0 ? 10 * 1000000LL : lateness_us) / 2;
	f->miner = NULL;
	f->audit = collector_audit_new(f->horizon_us);
	ev_record_init(&f->out);
	return f->audit ? 0 : -ENOMEM;
}

void ev_feed_done(struct ev_feed *f) {
	f->audit = collector_audit_free(f->audit);
	f->miner = miner_free(f->miner);
	ev_record_free(&f->out);
}

int ev_feed_enable_templates(struct ev_feed *f) {
	if (!f->miner)
		f->miner = miner_new();
	return f->miner ? 0 : -ENOMEM;
}

static int template_fields(struct miner *m, struct ev_record *rec) {
	size_t before = miner_count(m);
	int i = miner_add(m, rec->message.p ? rec->message.p : "", rec->message.len);
	if (i < 0)
		return i;
	char id[17];
	snprintf(id, sizeof(id), "%016" PRIx64, miner_template(m, (size_t)i)->id);
	bool is_new = (size_t)i >= before;
	int r = ev_record_add_field(rec, "template_id", 11, id, 16);
	return r < 0 ? r
	             : ev_record_add_field(rec, "template_new", 12, is_new ? "true" : "false",
	                                   is_new ? 4 : 5);
}

static int drain(struct ev_feed *f, struct correlate_engine *e) {
	int r = 0;
	while (collector_audit_pop(f->audit, &f->out) > 0) {
		f->out.seq = 0;
		int k = e ? correlate_engine_feed(e, &f->out) : 0;
		r = r < 0 ? r : k;
	}
	return r;
}

int ev_feed_record(struct ev_feed *f, struct correlate_engine *e, struct ev_record *rec) {
	if (rec->flags & EV_REC_QUIET) /* time only: no template, category or audit record */
		return e ? correlate_engine_feed(e, rec) : 0;
	int r = f->miner ? template_fields(f->miner, rec) : 0;
	if (r < 0)
		return r;
	if (collector_maybe_category(rec->message.p, rec->message.len)) {
		r = collector_sysmon_decode(rec);
		if (r == 0)
			r = collector_audit_from_syslog(rec);
		if (r < 0)
			return r;
	}
	if ((r = collector_audit_push(f->audit, rec)) < 0)
		return r;
	r = e ? correlate_engine_feed(e, rec) : 0;
	int k = drain(f, e);
	return r < 0 ? r : k;
}

int ev_feed_expire(struct ev_feed *f, struct correlate_engine *e, int64_t before_us) {
	int r = collector_audit_expire(f->audit, before_us);
	int k = drain(f, e);
	return r < 0 ? r : k;
}
