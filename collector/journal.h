/* Journal entries as records, shared by the reader, the tail and excerpts. */
#pragma once
#include <stddef.h>
#include <systemd/sd-journal.h>

#include "collector/record.h"

/* Fill `rec` (already reset) from the current entry of `j`: every field under its own
 * name (values longer than `cap` bytes are cut and the record flagged
 * EV_REC_TRUNCATED), plus the standard fields (MESSAGE, _HOSTNAME, SYSLOG_IDENTIFIER or
 * _COMM, _PID, PRIORITY, SYSLOG_FACILITY, _SYSTEMD_UNIT) and the realtime timestamp.
 * The caller should have called sd_journal_set_data_threshold(j, 0).
 * Returns 0 or -errno. */
int collector_journal_entry_to_record(sd_journal *j, size_t cap, struct ev_record *rec);
