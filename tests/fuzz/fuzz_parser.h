/* Shared body of the line-parser fuzz targets: the input is split into lines, each is
 * parsed with FUZZ_FORMAT (keeping the stream state: year inference across lines), only
 * its time is parsed too, and the record is rendered as JSON. FUZZ_SETUP(), when defined,
 * runs first (fuzz_formats.c loads the format library there). Nothing may crash, leak or
 * read out of bounds; every record must have a message.
 * The two parsers are set up once (loading a time zone's rules for each input took a fifth
 * of the time): each input starts from a struct copy of the untouched templates, so it
 * sees exactly the state of a fresh collector_parser_init, and frees only what parsing
 * allocated (the unescaping buffer, the match data), never the shared zone rules. The
 * JSON output buffer is reused likewise. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/format.h"
#include "collector/parse.h"
#include "collector/recjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_parser_release(struct collector_parser *p) {
	collector_format_match_free(p);
	free(p->scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static struct collector_parser p0, q0;
	static struct collector_buf b;
	static bool ready;
	if (!ready) {
		struct ev_errlist e = {0};
#ifdef FUZZ_SETUP
		FUZZ_SETUP();
#endif
		if (collector_parser_init(&p0, FUZZ_FORMAT, "UTC", 0, 1795737600000000LL, &e) < 0 ||
		    collector_parser_init(&q0, FUZZ_FORMAT, "Europe/Berlin", 0, 1795737600000000LL,
		                          &e) < 0)
			abort();
		ready = true;
	}
	struct collector_parser p = p0, q = q0;
	struct ev_record rec;
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
	ev_record_free(&rec);
	fuzz_parser_release(&p);
	fuzz_parser_release(&q);
	return 0;
}
