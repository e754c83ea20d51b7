/* The daemon's own messages: one line each on stderr, "evident: message", with a
 * "<N>" syslog priority prefix when stderr is connected to the journal ($JOURNAL_STREAM),
 * so journald files them at the right priority (or straight to the journal when
 * detached). Messages less severe than the level set
 * with ev_dlog_set_level() are dropped. Thread-safe (one fprintf per message). */
#pragma once
#include <stdbool.h>
#include <syslog.h>

#include "util/macro.h"

/* "debug", "info", "notice", "warning", "error"; unknown names leave the level as is. */
void ev_dlog_set_level(const char *name);
/* Send messages to the journal (sd_journal_print) instead of stderr: for the detached
 * mode, whose stderr is /dev/null once it is ready. */
void ev_dlog_to_journal(bool on);
void ev_dlog(int prio, const char *fmt, ...) _printf_(2, 3);
/* Log `fmt` with ": <strerror(-err)>" appended; returns err (negative errno). */
int ev_dlog_errno(int prio, int err, const char *fmt, ...) _printf_(3, 4);
