/* The daemon's state report: the last errors (kept for `status`), the STATUS= line
 * for the service manager, and error lists logged and kept. Called by every other part
 * of the daemon; calls none of them. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "agent/daemon/daemon.h"
#include "agent/daemon/daemon_log.h"

void ev_daemon_note_error(struct ev_daemon *d, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	char *m = ev_vasprintf(fmt, ap);
	va_end(ap);
	if (!m)
		return;
	if (d->n_last_errors == EV_DAEMON_LAST_ERRORS) {
		free(d->last_errors[0]);
		memmove(d->last_errors, d->last_errors + 1,
		        (EV_DAEMON_LAST_ERRORS - 1) * sizeof(char *));
		d->n_last_errors--;
	}
	d->last_errors[d->n_last_errors++] = m;
}

void ev_daemon_notify_status(struct ev_daemon *d) {
	struct ev_queue_stats qs;
	ev_queue_get_stats(d->queue, &qs);
	sd_notifyf(0,
	           "STATUS=running: %.0f lines/s, %" PRIu64 " lines, %" PRIu64 " alerts, %" PRIu64
	           " seals, queue %zu/%zu",
	           d->lines_per_sec, ev_seams_lines(d->seams), d->alerts, d->seals_ok,
	           qs.pending + qs.running, qs.capacity);
}

void ev_daemon_log_errors(const struct ev_errlist *errs, struct ev_daemon *d) {
	for (size_t i = 0; i < errs->n; i++) {
		char *m = ev_error_format(&errs->v[i]);
		if (!m)
			continue;
		ev_dlog(LOG_ERR, "%s", m);
		if (d)
			ev_daemon_note_error(d, "%s", m);
		free(m);
	}
	if (errs->dropped)
		ev_dlog(LOG_ERR, "... and %zu more errors", errs->dropped);
}
