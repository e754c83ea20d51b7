/* Shared body of the line-parser fuzz targets: the input is split into lines, each is
 * parsed with FUZZ_FORMAT (keeping the stream state: year inference across lines), only
 * its time is parsed too, and the record is rendered as JSON. FUZZ_SETUP(), when defined,
 * runs first (fuzz_formats.c loads the format library there). Nothing may crash, leak or
 * read out of bounds; every record must have a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/parse.h"
#include "collector/recjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	struct collector_parser p, q;
	struct ev_errlist e = {0};
#ifdef FUZZ_SETUP
	FUZZ_SETUP();
#endif
	if (collector_parser_init(&p, FUZZ_FORMAT, "UTC", 0, 1795737600000000LL, &e) < 0)
		abort();
	if (collector_parser_init(&q, FUZZ_FORMAT, "Europe/Berlin", 0, 1795737600000000LL, &e) < 0)
		abort();
	struct ev_record rec;
	struct collector_buf b = {0};
	ev_record_init(&rec);
	const char *s = (const char *)data, *end = s + size;
	while (s <= end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		/* a private copy, so that reads past the line are caught by ASan */
		char *line = malloc(len ? len : 1);
		if (!line)
			abort();
		memcpy(line, s, len);
		ev_record_reset(&rec);
		if (collector_parse_line(&p, line, len, 42, &rec) == 0) {
			if (!rec.message.p)
				abort();
			b.len = 0;
			collector_record_to_json(&rec, &b);
		}
		int64_t t;
		collector_parse_time(&q, line, len, &t);
		free(line);
		if (!nl)
			break;
		s = nl + 1;
	}
	collector_buf_done(&b);
	ev_record_free(&rec);
	collector_parser_done(&p);
	collector_parser_done(&q);
	return 0;
}
