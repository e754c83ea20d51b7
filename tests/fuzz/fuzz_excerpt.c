/* Fuzz target: the evidence excerpt cutter. The input is a log file (any bytes, any
 * format the auto-detector picks); the first 8 bytes choose the window. The cut must
 * never crash, and what it writes must be a subsequence of the file's bytes (lines cut
 * from it in order, nothing invented, nothing repeated).
 * Most inputs are cut from memory (collector_excerpt_mem: the same line reader and
 * parsers, no file and no 1 MiB read buffer per input); a gzip file (magic bytes) and
 * one input size in 32 still go through a real file and collector_excerpt_file. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/excerpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
	const uint8_t *file;
	size_t file_len, pos;
};

/* Each byte written must match a byte of the file after the previous match. */
static int check_write(void *userdata, const void *buf, size_t len) {
	struct sink *s = userdata;
	const uint8_t *p = buf;
	for (size_t i = 0; i < len; i++) {
		while (s->pos < s->file_len && s->file[s->pos] != p[i])
			s->pos++;
		if (s->pos >= s->file_len)
			abort(); /* the excerpt holds bytes that are not the file's, in its order */
		s->pos++;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	if (size < 8)
		return 0;
	static char path[64];
	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/evident-fuzz-excerpt-%ld.log", (long)getpid());
	}
	/* window: two 32-bit offsets (seconds) around 2026-11-27, so RFC 3164 and ISO lines of
	 * the corpus fall inside or outside it */
	uint32_t a, b;
	memcpy(&a, data, 4);
	memcpy(&b, data + 4, 4);
	int64_t base = INT64_C(1764201600) * 1000000;
	int64_t since = base + (int64_t)(a % 172800) * 1000000 - INT64_C(86400000000);
	int64_t until = since + (int64_t)(b % 86400) * 1000000;
	struct collector_reader_opts o = {.year = 2026, .now_us = base, .tz = "UTC"};
	struct sink s = {data + 8, size - 8, 0};
	struct ev_errlist errs = {0};
	bool gz = size >= 10 && data[8] == 0x1f && data[9] == 0x8b;
	if (!gz && size % 32 != 0) {
		(void)collector_excerpt_mem("fuzz.log", (const char *)data + 8, size - 8, &o, since,
		                            until, check_write, &s, &errs);
		ev_errlist_clear(&errs);
		return 0;
	}
	FILE *f = fopen(path, "we");
	if (!f)
		return 0;
	fwrite(data + 8, 1, size - 8, f);
	fclose(f);
	(void)collector_excerpt_file(path, &o, since, until, check_write, &s, &errs);
	ev_errlist_clear(&errs);
	unlink(path);
	return 0;
}
