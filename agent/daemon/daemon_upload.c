/* Uploads in the agent (store.upload, agent/fleet/upload.h): every store.upload.interval
 * (and a second after start, so a restart resumes the queue at once) one upload pass is
 * submitted to the worker queue, never run in the loop thread. At most one pass is in
 * flight. The worker loads its own copy of the configuration (a reload may free the
 * loop's meanwhile), with the daemon's effective state directory; the queue's backoff is
 * honoured (only items whose next try is due are attempted). The pass's outcome comes
 * back to the loop thread, which logs failures and keeps the last result for `status`. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/daemon/daemon.h"
#include "agent/daemon/daemon_log.h"
#include "agent/fleet/upload.h"

struct ev_upload_clock {
	sd_event_source *timer;
	bool running;
	uint64_t passes, failed_passes, refused;
	json_t *last; /* the last pass's summary */
};

struct upload_work {
	struct ev_work w;
	struct ev_daemon *d;
	char *config_path, *state_dir;
	json_t *report;
};

static int upload_work_run(struct ev_work *w, struct ev_queue *q, char **msg) {
	struct upload_work *u = (struct upload_work *)w;
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	int r = ev_config_load(u->config_path, &cfg, &errs);
	ev_errlist_clear(&errs);
	if (r < 0) {
		*msg = strdup("the configuration cannot be loaded");
		return r;
	}
	free(cfg->agent.state_dir);
	cfg->agent.state_dir = strdup(u->state_dir);
	char err[1024] = "";
	struct ev_upload *up = NULL;
	if (cfg->agent.state_dir)
		r = ev_upload_open(cfg, &up, err, sizeof(err));
	else
		r = -ENOMEM;
	if (r == 0) {
		ev_upload_set_stop(up, ev_queue_stopping_cb, q); /* the agent stops: give up */
		r = ev_upload_pass(up, false, &u->report, err, sizeof(err));
	}
	if (r < 0 && err[0])
		*msg = strdup(err);
	ev_upload_free(up);
	ev_config_free(cfg);
	return r;
}

static void upload_work_done(struct ev_work *w, int result, char *msg) {
	struct upload_work *u = (struct upload_work *)w;
	struct ev_upload_clock *c = u->d->upload_clock;
	if (c) {
		c->running = false;
		c->passes++;
		json_decref(c->last);
		size_t i;
		json_t *f;
		json_array_foreach(json_object_get(u->report, "failed"), i, f)
		        ev_dlog(LOG_WARNING, "upload of %s failed (retried later): %s",
		                json_string_value(json_object_get(f, "file")),
		                json_string_value(json_object_get(f, "error")));
		if (result < 0) {
			c->failed_passes++;
			ev_dlog(LOG_WARNING, "upload pass failed: %s", msg ?: strerror(-result));
		}
		c->last = json_pack(
		        "{s:i, s:s?, s:I, s:I, s:I, s:I}", "result", result, "error", msg,
		        "uploaded",
		        (json_int_t)json_array_size(json_object_get(u->report, "uploaded")),
		        "adopted",
		        (json_int_t)json_array_size(json_object_get(u->report, "adopted")),
		        "failed", (json_int_t)json_array_size(json_object_get(u->report, "failed")),
		        "pending", json_integer_value(json_object_get(u->report, "pending")));
	}
	json_decref(u->report);
	free(u->config_path);
	free(u->state_dir);
	free(msg);
	free(u);
}

static void submit(struct ev_daemon *d) {
	struct ev_upload_clock *c = d->upload_clock;
	const char *ep = d->cfg->store.upload.endpoint;
	if (c->running || !ep || !*ep || !d->queue)
		return;
	struct upload_work *u = calloc(1, sizeof(*u));
	if (!u)
		return;
	u->w.kind = "upload";
	u->w.run = upload_work_run;
	u->w.done = upload_work_done;
	u->d = d;
	u->config_path = d->opts.config_path ? strdup(d->opts.config_path) : NULL;
	u->state_dir = strdup(d->state_dir);
	if (!u->state_dir || ev_queue_submit(d->queue, &u->w) < 0) {
		c->refused++; /* the queue is full of seals: next tick */
		free(u->config_path);
		free(u->state_dir);
		free(u);
		return;
	}
	c->running = true;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
	struct ev_daemon *d = userdata;
	submit(d);
	sd_event_source_set_time(s, usec + d->cfg->store.upload.interval);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

int ev_upload_clock_start(struct ev_daemon *d) {
	d->upload_clock = calloc(1, sizeof(*d->upload_clock));
	if (!d->upload_clock)
		return -ENOMEM;
	return sd_event_add_time_relative(d->event, &d->upload_clock->timer, CLOCK_MONOTONIC,
	                                  1000000, 100000, on_tick, d);
}

void ev_upload_clock_stop(struct ev_daemon *d) {
	if (!d->upload_clock)
		return;
	sd_event_source_disable_unref(d->upload_clock->timer);
	json_decref(d->upload_clock->last);
	free(d->upload_clock);
	d->upload_clock = NULL;
}

json_t *ev_upload_clock_status(const struct ev_daemon *d) {
	const struct ev_upload_clock *c = d->upload_clock;
	json_t *o = ev_upload_queue_json(d->cfg, d->state_dir);
	if (!o || !c)
		return o;
	json_object_set_new(o, "running", json_boolean(c->running));
	json_object_set_new(o, "passes", json_integer((json_int_t)c->passes));
	json_object_set_new(o, "failed_passes", json_integer((json_int_t)c->failed_passes));
	if (c->last)
		json_object_set(o, "last_pass", c->last);
	return o;
}
