/* Records and their category records to the engine (see feed.h). */
#include "config.h"

#include "agent/feed.h"

#include <errno.h>

#include "collector/sysmon.h"

int ev_feed_init(struct ev_feed *f, int64_t lateness_us) {
	f->horizon_us = (lateness_us < 0 ? 10 * 1000000LL : lateness_us) / 2;
	f->audit = collector_audit_new(f->horizon_us);
	ev_record_init(&f->out);
	return f->audit ? 0 : -ENOMEM;
}

void ev_feed_done(struct ev_feed *f) {
	f->audit = collector_audit_free(f->audit);
	ev_record_free(&f->out);
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
	int r = collector_sysmon_decode(rec);
	if (r == 0)
		r = collector_audit_from_syslog(rec);
	if (r < 0 || (r = collector_audit_push(f->audit, rec)) < 0)
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
