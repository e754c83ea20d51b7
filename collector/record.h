/* The one record type that flows through evident (see DESIGN.md).
 *
 * A record is built by a parser or a source and owns every byte it points to: all strings
 * live in the record's own arena, so a record stays valid until ev_record_reset() or
 * ev_record_free(). Messages are bytes: they may contain NUL, invalid UTF-8 and control
 * characters; every string carries its length.
 *
 * Standard fields (always answered by ev_record_get): message, host, program, pid,
 * priority, facility, unit, source. Further named fields (journal fields, JSON/logfmt
 * keys, decoder captures) are added with ev_record_add_field(); names are matched
 * exactly. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum {
	EV_REC_NO_TIME = 1u << 0,   /* no parseable time: time_us is the arrival time */
	EV_REC_PART = 1u << 1,      /* one part of a line longer than max_line */
	EV_REC_UNPARSED = 1u << 2,  /* no known format: the whole line is the message */
	EV_REC_TRUNCATED = 1u << 3, /* a field was cut at its cap */
	/* A record of a Sigma category (collector/audit.h, collector/sysmon.h): seen by the
	 * rules of that category only. */
	EV_REC_PROCESS_CREATION = 1u << 4,
	EV_REC_FILE_EVENT = 1u << 5,
	EV_REC_NETWORK_CONNECTION = 1u << 6,
	EV_REC_CATEGORIES = EV_REC_PROCESS_CREATION | EV_REC_FILE_EVENT | EV_REC_NETWORK_CONNECTION,
	/* A line no rule can match (the engine said so before it was parsed,
	 * correlate_engine_line_quiet): only its time, source, offset and length are set,
	 * and the engine only keeps time with it. */
	EV_REC_QUIET = 1u << 7,
};

struct ev_str {
	const char *p; /* NUL-terminated inside the arena, but may contain NULs */
	size_t len;
};

struct ev_field {
	struct ev_str name;
	struct ev_str value;
};

struct ev_record {
	int64_t time_us;      /* event time, µs since the epoch, UTC */
	uint64_t seq;         /* arrival sequence within a run */
	uint32_t source_id;   /* index of the source in its collector */
	uint32_t flags;       /* EV_REC_* */
	struct ev_str source; /* file path, or "journal" */
	struct ev_str host;
	struct ev_str program;
	struct ev_str unit;
	struct ev_str message;
	int64_t pid;  /* -1 when unknown */
	int priority; /* 0..7, -1 when unknown */
	int facility; /* 0..23, -1 when unknown */
	/* where the original bytes are: file offset and length of the line (files), or 0 */
	uint64_t offset;
	uint32_t length;
	struct ev_field *fields;
	size_t n_fields, alloc_fields;
	/* arena: a list of chunks; the free room of the newest (ev_record_alloc). The room is
	 * the record's, not the chunk's: of two copies of one record (a struct assignment),
	 * at most one may allocate (swap records, or ev_record_copy()). */
	char *arena;
	char *arena_next;
	size_t arena_left;
	/* rendered pid/priority/facility for ev_record_get, written before each read: last,
	 * because ev_record_reset() clears only the members before them */
	char num_buf[3][24];
	struct ev_str num_str[3];
};

/* Initialise an empty record (all unknown). */
void ev_record_init(struct ev_record *r);
/* Forget the content but keep the memory for reuse. */
void ev_record_reset(struct ev_record *r);
void ev_record_free(struct ev_record *r);

/* ev_record_alloc past the room of the newest chunk: a new chunk. */
char *ev_record_alloc_slow(struct ev_record *r, size_t len);
/* Room for len bytes and a NUL (set) in the arena, to fill in place; NULL on OOM. A parser
 * copies a span once and points several fields into it. Inline: a few calls per record. */
static inline char *ev_record_alloc(struct ev_record *r, size_t len) {
	if (len >= r->arena_left)
		return ev_record_alloc_slow(r, len);
	char *d = r->arena_next;
	d[len] = '\0';
	r->arena_next = d + len + 1;
	r->arena_left -= len + 1;
	return d;
}
/* Copy bytes into the record's arena; returns the stored string ({NULL,0} on OOM).
 * Pointers returned earlier stay valid (the arena grows in chunks, never moves). */
static inline struct ev_str ev_record_strdup(struct ev_record *r, const char *p, size_t len) {
	char *d = ev_record_alloc(r, len);
	if (!d)
		return (struct ev_str){NULL, 0};
	if (len)
		memcpy(d, p, len);
	return (struct ev_str){d, len};
}
/* Set the record's source to a reader's name for it. A quiet record (EV_REC_QUIET: kept
 * for its time only, never stored) points at the caller's name, which outlives it; any
 * other record gets its own copy in the arena. */
static inline void ev_record_set_source(struct ev_record *r, const char *name, size_t len) {
	r->source = r->flags & EV_REC_QUIET ? (struct ev_str){name, len}
	                                    : ev_record_strdup(r, name, len);
}
/* Set one standard string field (copies). `which` is one of "source", "host", "program",
 * "unit", "message". Returns 0, -EINVAL for another name, -ENOMEM. */
int ev_record_set(struct ev_record *r, const char *which, const char *p, size_t len);
/* Add a named field (copies both). A later field with the same name shadows an earlier
 * one for ev_record_get. Returns 0 or -ENOMEM. */
int ev_record_add_field(struct ev_record *r, const char *name, size_t name_len, const char *value,
                        size_t value_len);
/* Look a field up by exact name: the standard names first, then the named fields.
 * Returns NULL when the record does not have that field (an unknown pid is absent). */
const struct ev_str *ev_record_get(const struct ev_record *r, const char *name);
/* Deep copy (for sample events kept by correlation). Returns 0 or -ENOMEM. */
int ev_record_copy(struct ev_record *dst, const struct ev_record *src);
