/* Records and their arenas. The arena is a list of chunks so that strings never move once
 * stored: a parser may keep pointers into the record while it adds more fields. */
#include "collector/record.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chunk header: chunks are chained through the first pointer-sized bytes. */
#define ARENA_CHUNK 4096

struct chunk {
	struct chunk *next;
	size_t size;
	char data[];
};

void ev_record_init(struct ev_record *r) {
	memset(r, 0, sizeof(*r));
	r->pid = -1;
	r->priority = -1;
	r->facility = -1;
}

static void chunks_free(struct chunk *c) {
	while (c) {
		struct chunk *n = c->next;
		free(c);
		c = n;
	}
}

void ev_record_reset(struct ev_record *r) {
	struct ev_field *f = r->fields;
	size_t fa = r->alloc_fields;
	struct chunk *c = (struct chunk *)r->arena;
	/* keep the first (largest, most recent) chunk, drop the rest */
	if (c && c->next) {
		chunks_free(c->next);
		c->next = NULL;
	}
	/* as ev_record_init, less the rendered numbers, member by member (once per record
	 * read: a few stores, no string instruction); a new member is reset here too */
	_Static_assert(sizeof(void *) != 8 || offsetof(struct ev_record, num_buf) == 184,
	               "struct ev_record changed: reset every new member in ev_record_reset");
	r->time_us = 0;
	r->seq = 0;
	r->source_id = 0;
	r->flags = 0;
	r->source = r->host = r->program = r->unit = r->message = (struct ev_str){NULL, 0};
	r->pid = -1;
	r->priority = -1;
	r->facility = -1;
	r->offset = 0;
	r->length = 0;
	r->n_fields = 0;
	r->fields = f;
	r->alloc_fields = fa;
	r->arena = (char *)c;
	r->arena_next = c ? c->data : NULL;
	r->arena_left = c ? c->size : 0;
}

void ev_record_free(struct ev_record *r) {
	chunks_free((struct chunk *)r->arena);
	free(r->fields);
	ev_record_init(r);
}

char *ev_record_alloc_slow(struct ev_record *r, size_t len) {
	/* the newest chunk lacks the room: a new one (the rest of the old one unused) */
	if (len > SIZE_MAX / 4)
		return NULL;
	size_t sz = ARENA_CHUNK;
	while (sz < len + 1)
		sz *= 2;
	struct chunk *n = malloc(sizeof(*n) + sz);
	if (!n)
		return NULL;
	n->size = sz;
	n->next = (struct chunk *)r->arena;
	r->arena = (char *)n;
	char *d = n->data;
	d[len] = '\0';
	r->arena_next = d + len + 1;
	r->arena_left = sz - len - 1;
	return d;
}

int ev_record_set(struct ev_record *r, const char *which, const char *p, size_t len) {
	struct ev_str *dst;
	if (strcmp(which, "source") == 0)
		dst = &r->source;
	else if (strcmp(which, "host") == 0)
		dst = &r->host;
	else if (strcmp(which, "program") == 0)
		dst = &r->program;
	else if (strcmp(which, "unit") == 0)
		dst = &r->unit;
	else if (strcmp(which, "message") == 0)
		dst = &r->message;
	else
		return -EINVAL;
	struct ev_str s = ev_record_strdup(r, p, len);
	if (!s.p)
		return -ENOMEM;
	*dst = s;
	return 0;
}

int ev_record_add_field(struct ev_record *r, const char *name, size_t name_len, const char *value,
                        size_t value_len) {
	if (r->n_fields == r->alloc_fields) {
		size_t na = r->alloc_fields ? r->alloc_fields * 2 : 8;
		struct ev_field *nf = realloc(r->fields, na * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		r->fields = nf;
		r->alloc_fields = na;
	}
	/* name and value in one piece of the arena, each NUL-terminated */
	char *d = ev_record_alloc(r, name_len + 1 + value_len);
	if (!d)
		return -ENOMEM;
	if (name_len)
		memcpy(d, name, name_len);
	d[name_len] = '\0';
	if (value_len)
		memcpy(d + name_len + 1, value, value_len);
	r->fields[r->n_fields++] = (struct ev_field){{d, name_len}, {d + name_len + 1, value_len}};
	return 0;
}

static const struct ev_str *num_field(const struct ev_record *r, int slot, int64_t v) {
	if (v < 0)
		return NULL;
	/* The rendered number lives in the record; casting away const is confined here. */
	struct ev_record *w = (struct ev_record *)r;
	char t[24], *d = w->num_buf[slot];
	size_t i = sizeof(t);
	do
		t[--i] = (char)('0' + v % 10);
	while (v /= 10);
	memcpy(d, t + i, sizeof(t) - i);
	d[sizeof(t) - i] = '\0';
	w->num_str[slot].p = d;
	w->num_str[slot].len = sizeof(t) - i;
	return &w->num_str[slot];
}

const struct ev_str *ev_record_get(const struct ev_record *r, const char *name) {
	switch (name[0]) {
	case 'm':
		if (strcmp(name, "message") == 0)
			return r->message.p ? &r->message : NULL;
		break;
	case 'h':
		if (strcmp(name, "host") == 0)
			return r->host.p ? &r->host : NULL;
		break;
	case 'p':
		if (strcmp(name, "program") == 0)
			return r->program.p ? &r->program : NULL;
		if (strcmp(name, "pid") == 0)
			return num_field(r, 0, r->pid);
		if (strcmp(name, "priority") == 0)
			return num_field(r, 1, r->priority);
		break;
	case 'f':
		if (strcmp(name, "facility") == 0)
			return num_field(r, 2, r->facility);
		break;
	case 'u':
		if (strcmp(name, "unit") == 0)
			return r->unit.p ? &r->unit : NULL;
		break;
	case 's':
		if (strcmp(name, "source") == 0)
			return r->source.p ? &r->source : NULL;
		break;
	}
	size_t n = strlen(name);
	for (size_t i = r->n_fields; i-- > 0;)
		if (r->fields[i].name.len == n &&
		    memcmp(r->fields[i].name.p, name, r->fields[i].name.len) == 0)
			return &r->fields[i].value;
	return NULL;
}

int ev_record_copy(struct ev_record *dst, const struct ev_record *src) {
	ev_record_init(dst);
	dst->time_us = src->time_us;
	dst->seq = src->seq;
	dst->source_id = src->source_id;
	dst->flags = src->flags;
	dst->pid = src->pid;
	dst->priority = src->priority;
	dst->facility = src->facility;
	dst->offset = src->offset;
	dst->length = src->length;
	const struct {
		const char *n;
		const struct ev_str *s;
	} std[] = {{"source", &src->source},
	           {"host", &src->host},
	           {"program", &src->program},
	           {"unit", &src->unit},
	           {"message", &src->message}};
	for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++)
		if (std[i].s->p && ev_record_set(dst, std[i].n, std[i].s->p, std[i].s->len) < 0)
			goto oom;
	for (size_t i = 0; i < src->n_fields; i++)
		if (ev_record_add_field(dst, src->fields[i].name.p, src->fields[i].name.len,
		                        src->fields[i].value.p, src->fields[i].value.len) < 0)
			goto oom;
	return 0;
oom:
	ev_record_free(dst);
	return -ENOMEM;
}
