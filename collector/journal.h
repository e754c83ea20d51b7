/* Journal entries as records, shared by the reader, the tail and excerpts. */
#pragma once
#include <stdbool.h>
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

/* The steps of collector_journal_entry_to_record, for callers that hold an entry's fields
 * some other way (the fuzz target): add one "NAME=value" field (`data` of `len` bytes;
 * data without '=' is ignored) with the cut and the standard fields above; `have_ident`
 * starts false for each entry. Returns 0 or -ENOMEM. */
int collector_journal_field_to_record(struct ev_record *rec, const void *data, size_t len,
                                      size_t cap, bool *have_ident);
/* After the last field: an empty message where the entry had none, and the audit fields
 * of an audit entry. Returns 0 or -ENOMEM. */
int collector_journal_record_finish(struct ev_record *rec);
