/* Fuzz target: audit.log lines, syslog-forwarded audit records and Sysmon for Linux XML
 * (collector/audit.h, collector/sysmon.h). Each line is parsed as an audit line and fed
 * to the event assembler (tiny lateness, so events open and close all the time), then
 * taken as the message of a syslog record (from_syslog, sysmon_decode); every derived
 * record is popped and rendered. Nothing may crash, leak or read out of bounds.
 * One assembler serves every input, reset (collector_audit_reset) before each: a new
 * one per input cleared its 4,096-entry process table in fresh pages every time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/audit.h"
#include "collector/recjson.h"
#include "collector/sysmon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static struct collector_audit *a;
	if (!a && !(a = collector_audit_new(1000)))
		abort();
	collector_audit_reset(a);
	struct ev_record rec, out;
	struct collector_buf b = {0};
	ev_record_init(&rec);
	ev_record_init(&out);
	const char *s = (const char *)data, *end = s + size;
	while (s <= end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		char *line = malloc(len ? len : 1); /* ASan sees reads past the line */
		if (!line)
			abort();
		memcpy(line, s, len);
		ev_record_reset(&rec);
		if (collector_audit_parse_line(line, len, &rec) > 0 &&
		    collector_audit_push(a, &rec) < 0)
			abort();
		ev_record_reset(&rec);
		ev_record_set(&rec, "program", "audisp-syslog", 13);
		ev_record_set(&rec, "message", line, len);
		if (collector_audit_from_syslog(&rec) == 0)
			collector_sysmon_decode(&rec);
		b.len = 0;
		collector_record_to_json(&rec, &b);
		while (collector_audit_pop(a, &out) > 0) {
			b.len = 0;
			collector_record_to_json(&out, &b);
		}
		free(line);
		if (!nl)
			break;
		s = nl + 1;
	}
	collector_audit_expire(a, INT64_MAX);
	while (collector_audit_pop(a, &out) > 0)
		collector_record_to_json(&out, &b);
	collector_buf_done(&b);
	ev_record_free(&rec);
	ev_record_free(&out);
	return 0;
}
