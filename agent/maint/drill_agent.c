/* Drills in the agent: the `drill` control request injects its records into the running
 * pipeline (ev_seams_inject: the engine, its decoders and correlations, as if a source
 * had read them) with the time of arrival and the source "drill:DRILL-ID", so that every
 * alert they raise is a drill alert (agent/maint/window.h) and is marked as one in the
 * sinks, its incident and that incident's bundle. The agent keeps the last
 * EV_DRILL_ALERTS_MAX drill alerts (rule, level, alert id, when, incident, change) and
 * answers every drill request with those of its drill: the scorecard's evidence
 * (agent/cmd/cmd_drill.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon/daemon.h"
#include "agent/daemon/daemon_log.h"
#include "agent/daemon/daemon_seams.h"
#include "agent/maint/window.h"
#include "collector/record.h"
#include "util/clock.h"
#include "util/io.h"
#include "util/mkdir.h"
#include "util/timefmt.h"

#define EV_DRILL_ALERTS_MAX 1024
#define EV_DRILLS_KEPT      64 /* drills remembered for status (the oldest forgotten) */

/* One record of the request into rec. 0 or -ENOMEM. */
static int build(struct ev_record *rec, const char *drill, json_t *in, int64_t now,
                 const char *host) {
	char src[128];
	snprintf(src, sizeof(src), EV_DRILL_SOURCE_PREFIX "%s", drill);
	rec->time_us = now;
	int r = ev_record_set(rec, "source", src, strlen(src));
	if (r >= 0 && !json_object_get(in, "host"))
		r = ev_record_set(rec, "host", host, strlen(host));
	const char *k;
	json_t *v;
	json_object_foreach(in, k, v) {
		if (r < 0)
			break;
		if (json_is_integer(v)) {
			if (!strcmp(k, "pid"))
				rec->pid = json_integer_value(v);
			else if (!strcmp(k, "priority") && json_integer_value(v) >= 0 &&
			         json_integer_value(v) <= 7)
				rec->priority = (int)json_integer_value(v);
			continue;
		}
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		if (!strcmp(k, "host") || !strcmp(k, "program") || !strcmp(k, "unit") ||
		    !strcmp(k, "message"))
			r = ev_record_set(rec, k, s, n);
		else if (strcmp(k, "source") != 0) /* the source says drill, always */
			r = ev_record_add_field(rec, k, strlen(k), s, n);
	}
	return r;
}

int ev_drill_log_path(const char *state_dir, const char *drill, char *buf, size_t len) {
	int n = snprintf(buf, len, "%s/drills/%s.log", state_dir, drill);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The drill's records as syslog-like lines in STATE/drills/DRILL-ID.log: the evidence a
 * drill incident's bundle holds (the records exist nowhere else). */
static int log_open(struct ev_daemon *d, const char *drill) {
	char p[4200];
	if (ev_drill_log_path(d->state_dir, drill, p, sizeof(p)) < 0)
		return -ENAMETOOLONG;
	char *slash = strrchr(p, '/');
	*slash = 0;
	int r = ev_mkdir_p(p, 0750, 0750);
	*slash = '/';
	if (r < 0)
		return r;
	int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
	return fd < 0 ? -errno : fd;
}

static void log_record(int fd, const struct ev_record *rec) {
	char t[EV_RFC3339_MAX], pid[32] = "";
	ev_format_rfc3339_us(rec->time_us, t, sizeof(t));
	if (rec->pid >= 0)
		snprintf(pid, sizeof(pid), "[%lld]", (long long)rec->pid);
	char *line = NULL;
	int n = asprintf(&line, "%s %.*s %.*s%s: %.*s\n", t, (int)rec->host.len,
	                 rec->host.p ? rec->host.p : "", (int)rec->program.len,
	                 rec->program.p ? rec->program.p : "-", pid, (int)rec->message.len,
	                 rec->message.p ? rec->message.p : "");
	if (n > 0)
		(void)ev_write_all(fd, line, (size_t)n);
	free(line);
}

/* Count n records injected for `drill` (for status), forgetting the drill last played
 * when EV_DRILLS_KEPT are known. */
static void drill_seen(struct ev_daemon *d, const char *drill, size_t n, int64_t now) {
	if (!d->drills && !(d->drills = json_object()))
		return;
	json_t *e = json_object_get(d->drills, drill);
	if (!e && json_object_size(d->drills) >= EV_DRILLS_KEPT) {
		const char *k, *old = NULL;
		json_t *v;
		json_object_foreach(d->drills, k, v) {
			if (!old || json_integer_value(json_object_get(v, "last_us")) <
			                    json_integer_value(json_object_get(
			                            json_object_get(d->drills, old), "last_us")))
				old = k;
		}
		json_object_del(d->drills, old);
	}
	if (!e) {
		e = json_pack("{s:I, s:I, s:I}", "injected", (json_int_t)0, "first_us",
		              (json_int_t)now, "last_us", (json_int_t)now);
		if (json_object_set_new(d->drills, drill, e) < 0)
			return;
	}
	json_object_set_new(
	        e, "injected",
	        json_integer(json_integer_value(json_object_get(e, "injected")) + (json_int_t)n));
	json_object_set_new(e, "last_us", json_integer((json_int_t)now));
}

static int cmp_last(const void *a, const void *b) {
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "last_us"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "last_us"));
	return x > y ? -1 : x < y;
}

json_t *ev_daemon_maint_status(struct ev_daemon *d) {
	json_t *drills[EV_DRILLS_KEPT] = {0};
	size_t n = 0, i;
	const char *k;
	json_t *v, *a;
	json_object_foreach(d->drills, k, v) {
		if (n == EV_DRILLS_KEPT)
			break;
		json_int_t alerts = 0;
		json_array_foreach(d->drill_alerts, i, a) alerts +=
		        !strcmp(json_string_value(json_object_get(a, "drill")) ?: "", k);
		drills[n] = json_pack("{s:s, s:O, s:O, s:O, s:I}", "drill", k, "injected",
		                      json_object_get(v, "injected"), "first_us",
		                      json_object_get(v, "first_us"), "last_us",
		                      json_object_get(v, "last_us"), "alerts", alerts);
		if (drills[n])
			n++;
	}
	qsort(drills, n, sizeof(drills[0]), cmp_last);
	json_t *arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, drills[i]);
	if (!d->maint) /* made at the first alert, or here */
		d->maint = ev_maint_windows_new();
	json_t *windows =
	        d->maint ? ev_maint_windows_status(d->maint, d->cfg, d->state_dir) : json_array();
	return json_pack("{s:o, s:o}", "windows", windows, "drills", arr);
}

json_t *ev_daemon_drill(struct ev_daemon *d, const json_t *req, const struct ev_peer *peer) {
	const char *drill = json_string_value(json_object_get(req, "drill"));
	json_t *records = json_object_get(req, "records");
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	int64_t now = ev_now_realtime_us();
	struct ev_record rec;
	ev_record_init(&rec);
	size_t i, n = 0;
	json_t *in;
	int r = 0;
	int fd = json_array_size(records) ? log_open(d, drill) : -1;
	if (fd < 0 && json_array_size(records))
		ev_dlog(LOG_WARNING, "drill %s: cannot write its log under %s/drills: %s", drill,
		        d->state_dir, strerror(-fd));
	json_array_foreach(records, i, in) {
		ev_record_reset(&rec);
		if ((r = build(&rec, drill, in, now, host)) < 0)
			break;
		if (fd >= 0)
			log_record(fd, &rec);
		if ((r = ev_seams_inject(d->seams, &rec)) < 0)
			break;
		n++;
	}
	if (fd >= 0)
		close(fd);
	ev_record_free(&rec);
	if (n)
		drill_seen(d, drill, n, now);
	if (n)
		ev_dlog(LOG_NOTICE, "drill %s: %zu records injected by uid %u pid %d", drill, n,
		        (unsigned)peer->uid, (int)peer->pid);
	if (r < 0)
		return ev_control_error(r == -EAGAIN ? "unavailable" : "failed",
		                        "drill %s: %zu of %zu records injected: %s", drill, n,
		                        json_array_size(records),
		                        r == -EAGAIN ? "the rules are not loaded" : strerror(-r));
	json_t *alerts = json_array();
	json_t *a;
	json_array_foreach(d->drill_alerts, i, a) {
		if (!strcmp(json_string_value(json_object_get(a, "drill")) ?: "", drill))
			json_array_append(alerts, a);
	}
	return json_pack("{s:b, s:s, s:I, s:I, s:o}", "ok", 1, "drill", drill, "injected",
	                 (json_int_t)n, "now_us", (json_int_t)ev_now_realtime_us(), "alerts",
	                 alerts);
}

void ev_daemon_drill_alert(struct ev_daemon *d, const struct correlate_alert *a,
                           const char *alert_id, const char *drill, const char *incident,
                           const char *change) {
	if (!d->drill_alerts && !(d->drill_alerts = json_array()))
		return;
	if (json_array_size(d->drill_alerts) >= EV_DRILL_ALERTS_MAX)
		json_array_remove(d->drill_alerts, 0);
	json_array_append_new(
	        d->drill_alerts,
	        json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:I, s:I, s:s?, s:s?}", "drill", drill,
	                  "alert_id", alert_id, "rule_id", a->rule_id, "rule", a->rule_title,
	                  "level", a->level, "detected_us", (json_int_t)ev_now_realtime_us(),
	                  "event_us", (json_int_t)a->time_us, "incident",
	                  incident && incident[0] ? incident : NULL, "maintenance", change));
}
