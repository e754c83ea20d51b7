/* Journal entry -> record. Fields are enumerated with sd_journal_enumerate_data (the data
 * threshold is expected to be 0, so values are whole); each "NAME=value" becomes a field
 * and the well-known names also fill the standard record fields. */
#include "collector/journal.h"

#include "collector/audit.h"

#include <errno.h>
#include <string.h>

static int64_t parse_num(const char *p, size_t n, int64_t max) {
	if (n == 0 || n > 18)
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v > max ? -1 : v;
}

int collector_journal_field_to_record(struct ev_record *rec, const void *data, size_t len,
                                      size_t cap, bool *have_ident) {
	const char *d = data;
	const char *eq = memchr(d, '=', len);
	if (!eq)
		return 0;
	size_t nlen = (size_t)(eq - d);
	const char *v = eq + 1;
	size_t vlen = len - nlen - 1;
	if (vlen > cap) {
		vlen = cap;
		rec->flags |= EV_REC_TRUNCATED;
	}
	if (ev_record_add_field(rec, d, nlen, v, vlen) < 0)
		return -ENOMEM;
	const struct ev_str *val = &rec->fields[rec->n_fields - 1].value;
#define IS(s) (nlen == sizeof(s) - 1 && memcmp(d, s, sizeof(s) - 1) == 0)
	if (IS("MESSAGE"))
		rec->message = *val;
	else if (IS("_HOSTNAME"))
		rec->host = *val;
	else if (IS("SYSLOG_IDENTIFIER")) {
		rec->program = *val;
		*have_ident = true;
	} else if (IS("_COMM") && !*have_ident)
		rec->program = *val;
	else if (IS("_PID"))
		rec->pid = parse_num(v, vlen, INT32_MAX);
	else if (IS("PRIORITY"))
		rec->priority = (int)parse_num(v, vlen, 7);
	else if (IS("SYSLOG_FACILITY"))
		rec->facility = (int)parse_num(v, vlen, 23);
	else if (IS("_SYSTEMD_UNIT"))
		rec->unit = *val;
#undef IS
	return 0;
}

int collector_journal_record_finish(struct ev_record *rec) {
	if (!rec->message.p)
		rec->message = ev_record_strdup(rec, "", 0);
	int r = collector_audit_from_journal(rec);
	return r < 0 ? r : 0;
}

int collector_journal_entry_to_record(sd_journal *j, size_t cap, struct ev_record *rec) {
	uint64_t usec;
	int r = sd_journal_get_realtime_usec(j, &usec);
	if (r < 0)
		return r;
	rec->time_us = (int64_t)usec;
	rec->source = ev_record_strdup(rec, "journal", 7);
	const void *data;
	size_t len;
	bool have_ident = false;
	sd_journal_restart_data(j);
	while ((r = sd_journal_enumerate_data(j, &data, &len)) > 0)
		if ((r = collector_journal_field_to_record(rec, data, len, cap, &have_ident)) < 0)
			return r;
	if (r < 0)
		return r;
	return collector_journal_record_finish(rec);
}
