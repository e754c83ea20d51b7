/* Daemon logging: stderr lines with an optional journal priority prefix. The level is a
 * plain int read without a lock: a torn read is impossible for an aligned int, and a
 * message logged at the old level during a reload is harmless. */
#include "config.h"

#include "agent/daemon/daemon_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

static int log_max = LOG_INFO;
static bool log_journal;

void ev_dlog_to_journal(bool on) {
	log_journal = on;
}

void ev_dlog_set_level(const char *name) {
	static const struct {
		const char *name;
		int prio;
	} levels[] = {{"debug", LOG_DEBUG},
	              {"info", LOG_INFO},
	              {"notice", LOG_NOTICE},
	              {"warning", LOG_WARNING},
	              {"error", LOG_ERR}};
	for (size_t i = 0; name && i < ELEMENTSOF(levels); i++)
		if (strcmp(levels[i].name, name) == 0)
			log_max = levels[i].prio;
}

static void dlogv(int prio, const char *suffix, const char *fmt, va_list ap) {
	if (prio > log_max)
		return;
	/* room for the longest message a caller builds: a hook's path and its 4 KiB of
	 * stderr (HOOK_STDERR_CAP, agent/daemon/sinks.c), which a 4 KiB line cut short */
	char buf[12288];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_journal)
		sd_journal_print(prio, "%s%s%s", buf, suffix ? ": " : "", suffix ? suffix : "");
	else if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>evident: %s%s%s\n", prio, buf, suffix ? ": " : "",
		        suffix ? suffix : "");
	else
		fprintf(stderr, "evident: %s%s%s\n", buf, suffix ? ": " : "", suffix ? suffix : "");
}

void ev_dlog(int prio, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	dlogv(prio, NULL, fmt, ap);
	va_end(ap);
}

int ev_dlog_errno(int prio, int err, const char *fmt, ...) {
	char eb[128];
	const char *s = strerror_r(err < 0 ? -err : err, eb, sizeof(eb));
	va_list ap;
	va_start(ap, fmt);
	dlogv(prio, s, fmt, ap);
	va_end(ap);
	return err;
}
