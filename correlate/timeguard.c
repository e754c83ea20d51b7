/* Far-future events: one log line dated 2099 must not move the watermark, or every later
 * event would be "late" and every correlation blind until a restart.
 *
 * The reference clock:
 *  - the daemon gives one (correlate_engine_set_clock/advance): a record more than
 *    max_future ahead of it is far future at once (TG_FUTURE): its alerts are flagged,
 *    it is not correlated, it is counted, and the watermark keeps to the clock;
 *  - replay has only the input: a record more than max_future ahead of the largest
 *    accepted time (or the first record of all) is a suspect (TG_SUSPECT). Its detection
 *    alerts (rendered both plain and flagged) and its correlation events wait; the next
 *    record decides. It confirms the jump when it is also more than max_future ahead of
 *    the old reference and not more than max_future behind the suspect (the log really
 *    moved on, as after a quiet night): the suspect is then handled exactly as before
 *    (same alerts, same bytes, same order). Otherwise the suspect is refuted: its alerts
 *    go out flagged, its events are dropped and counted, and the watermark stays. A
 *    suspect at the end of input is accepted (nothing follows that it could hide).
 * Every decision depends only on the sequence of records, so replay stays byte-identical
 * however the input is chunked. The limit: in replay, two far-ahead lines in a row
 * confirm each other; the daemon, which has the host clock, is not fooled by any number. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"

static void held_clear(struct correlate_engine *e) {
	e->n_held = 0;
	e->n_halerts = 0;
	e->have_held = false;
	e->held_oom = false;
}

static void deliver(struct correlate_engine *e, struct held_alert *h, bool future) {
	e->st.alerts++;
	if (future)
		h->al->time_suspect_future = true;
	if (e->cb)
		e->cb(e->cb_ctx, h->al);
	h->al = correlate_alert_free(h->al);
}

/* An accepted event time: the largest so far moves the watermark. */
static void accept_time(struct correlate_engine *e, int64_t t) {
	if (e->have_time && t <= e->max_time)
		return;
	e->max_time = t;
	e->have_time = true;
	int64_t w = t - e->o.allowed_lateness_us;
	if (w > e->watermark)
		e->watermark = w;
}

static int confirm(struct correlate_engine *e) {
	int ret = 0;
	for (size_t i = 0; i < e->n_halerts; i++)
		deliver(e, &e->halerts[i], false);
	for (size_t i = 0; i < e->n_held; i++) {
		int r = pend_push(e, e->held[i]);
		if (r < 0) {
			cev_free(e, e->held[i]);
			ret = r;
		}
	}
	int64_t t = e->held_time;
	held_clear(e);
	accept_time(e, t);
	int r = window_release(e, e->watermark, false);
	return ret < 0 ? ret : r;
}

static void refute(struct correlate_engine *e) {
	for (size_t i = 0; i < e->n_halerts; i++)
		deliver(e, &e->halerts[i], true);
	for (size_t i = 0; i < e->n_held; i++)
		cev_free(e, e->held[i]);
	e->st.future++;
	e->st.last_future_us = e->held_time;
	held_clear(e);
}

static bool far_ahead(const struct correlate_engine *e, int64_t t, int64_t ref) {
	/* unsigned: the difference of two hostile times may not fit in an int64_t */
	return t > ref && (uint64_t)t - (uint64_t)ref > (uint64_t)e->o.max_future_us;
}

/* A record at t follows the suspect: does it confirm the suspect's time? */
static bool confirms(const struct correlate_engine *e, int64_t t) {
	if (e->held_oom)
		return false;
	if (e->have_clock)
		return !far_ahead(e, e->held_time, e->clock);
	if (e->have_time && !far_ahead(e, t, e->max_time))
		return false;                  /* back near the old reference */
	return !far_ahead(e, e->held_time, t); /* not far behind the suspect */
}

enum tg_class timeguard_begin(struct correlate_engine *e, int64_t t, int *ret) {
	*ret = 0;
	if (e->have_held) {
		if (confirms(e, t))
			*ret = confirm(e);
		else
			refute(e);
	}
	if (e->have_clock)
		return far_ahead(e, t, e->clock) ? TG_FUTURE : TG_NORMAL;
	if (!e->have_time || far_ahead(e, t, e->max_time))
		return TG_SUSPECT;
	return TG_NORMAL;
}

void timeguard_end(struct correlate_engine *e, enum tg_class cls, int64_t t) {
	switch (cls) {
	case TG_SUSPECT:
		e->have_held = true;
		e->held_time = t;
		break;
	case TG_FUTURE:
		e->st.future++;
		e->st.last_future_us = t;
		break;
	case TG_NORMAL:
		accept_time(e, t);
		break;
	}
}

int timeguard_flush(struct correlate_engine *e) {
	if (!e->have_held)
		return 0;
	if (e->held_oom) {
		refute(e);
		return 0;
	}
	return confirm(e);
}

int correlate_engine_set_clock(struct correlate_engine *e, int64_t now_us) {
	e->clock = now_us;
	e->have_clock = true;
	if (!e->have_held)
		return 0;
	if (confirms(e, now_us))
		return confirm(e);
	refute(e);
	return 0;
}

void correlate_engine_clock_stepped_back(struct correlate_engine *e, int64_t now_us) {
	int64_t w = now_us - e->o.allowed_lateness_us;
	if (w < e->watermark)
		e->watermark = w;
	if (e->have_time && e->max_time > now_us)
		e->max_time = now_us;
	e->clock = now_us;
	e->have_clock = true;
}

int timeguard_hold_cev(struct correlate_engine *e, struct cev *c) {
	if (e->n_held == e->alloc_held) {
		size_t na = e->alloc_held ? e->alloc_held * 2 : 8;
		struct cev **v = realloc(e->held, na * sizeof(*v));
		if (!v) {
			e->held_oom = true;
			return -ENOMEM;
		}
		e->held = v;
		e->alloc_held = na;
	}
	e->held[e->n_held++] = c;
	return 0;
}

void timeguard_hold_alert(struct correlate_engine *e, struct correlate_alert *al) {
	if (e->n_halerts == e->alloc_halerts) {
		size_t na = e->alloc_halerts ? e->alloc_halerts * 2 : 4;
		struct held_alert *v = realloc(e->halerts, na * sizeof(*v));
		if (!v) {
			/* cannot wait: out it goes now, flagged (its time is unconfirmed) */
			struct held_alert h = {al};
			e->held_oom = true;
			deliver(e, &h, true);
			return;
		}
		e->halerts = v;
		e->alloc_halerts = na;
	}
	e->halerts[e->n_halerts++] = (struct held_alert){al};
}

void timeguard_free(struct correlate_engine *e) {
	for (size_t i = 0; i < e->n_halerts; i++)
		correlate_alert_free(e->halerts[i].al);
	for (size_t i = 0; i < e->n_held; i++)
		cev_free(e, e->held[i]);
	free(e->halerts);
	free(e->held);
	e->halerts = NULL;
	e->held = NULL;
	held_clear(e);
}
