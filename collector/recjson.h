/* Records as JSON lines (the shape is documented in docs/records.md).
 *
 * Rendering goes to a growable byte buffer so that printing a record costs no allocation
 * once the buffer has grown. Strings are written as JSON strings: valid UTF-8 as is,
 * control characters and NUL escaped (\u0000), and each byte of invalid UTF-8 as U+FFFD;
 * such a record also gets "invalid_utf8": true (the original bytes are at offset/length
 * in the source file). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "collector/record.h"

struct collector_buf {
	char *p;
	size_t len, alloc;
};

int collector_buf_put(struct collector_buf *b, const void *p, size_t n);
void collector_buf_done(struct collector_buf *b);
/* Append a JSON string (with quotes). Returns 0, or -ENOMEM; sets *bad when a byte was not
 * valid UTF-8 (bad may be NULL). */
int collector_json_str(struct collector_buf *b, const char *p, size_t n, int *bad);
/* Whether p[0..n) is valid UTF-8 (NUL counts as valid). */
bool collector_utf8_valid(const char *p, size_t n);
/* Append one record as a JSON object and a newline. Returns 0 or -ENOMEM. */
int collector_record_to_json(const struct ev_record *r, struct collector_buf *b);
