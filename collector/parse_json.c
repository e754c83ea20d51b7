/* The JSON line parser (see parse.h, docs/records.md): one object per line, flattened
 * into fields; time from @timestamp, timestamp, time or ts. Moved out of parse.c to keep
 * that file readable; it is called through parse_as() there. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "collector/parse-internal.h"

/* Epoch seconds, milliseconds, microseconds or nanoseconds, by magnitude. False for
 * values that are no plausible time (NaN, infinities, beyond year ~5000). */
static bool epoch_number_to_us(double v, int64_t *ret) {
	double a = v < 0 ? -v : v, us;
	if (!(a == a) || a > 1e30)
		return false;
	if (a < 1e11)
		us = v * 1e6;
	else if (a < 1e14)
		us = v * 1e3;
	else if (a < 1e17)
		us = v;
	else
		us = v / 1e3;
	if (us < -1e17 || us > 1e17)
		return false;
	*ret = (int64_t)us;
	return true;
}

struct json_ctx {
	struct collector_parser *p;
	struct ev_record *rec;
	bool have_time;
	int64_t time_us;
	int time_rank; /* lower is better: @timestamp, timestamp, time, ts */
};

static int time_key_rank(const char *k) {
	static const char *const keys[] = {"@timestamp", "timestamp", "time", "ts"};
	for (int i = 0; i < 4; i++)
		if (strcmp(k, keys[i]) == 0)
			return i;
	return -1;
}

#define JSON_NAME_MAX 1024

static int json_add(struct json_ctx *c, const char *name, size_t nlen, json_t *v, int depth) {
	struct ev_record *rec = c->rec;
	char num[64];
	const char *s = NULL;
	size_t slen = 0;
	char *dumped = NULL;
	/* v comes from json_object_foreach/json_array_foreach: never NULL */
	// cppcheck-suppress [nullPointerRedundantCheck, ctunullpointer]
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		if (depth >= 32)
			goto dump;
		const char *k;
		json_t *sub;
		size_t klen;
		json_object_keylen_foreach(v, k, klen, sub) {
			if (nlen + 1 + klen > JSON_NAME_MAX) {
				rec->flags |= EV_REC_TRUNCATED;
				continue;
			}
			char name2[JSON_NAME_MAX + 1];
			memcpy(name2, name, nlen);
			name2[nlen] = '.';
			memcpy(name2 + nlen + 1, k, klen);
			int r = json_add(c, name2, nlen + 1 + klen, sub, depth + 1);
			if (r < 0)
				return r;
		}
		return 0;
	}
	case JSON_ARRAY:
	dump:
		dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!dumped)
			return -ENOMEM;
		s = dumped;
		slen = strlen(dumped);
		break;
	case JSON_STRING:
		s = json_string_value(v);
		slen = json_string_length(v);
		break;
	case JSON_INTEGER:
		slen = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		                        json_integer_value(v));
		s = num;
		break;
	case JSON_REAL:
		slen = (size_t)snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		s = num;
		break;
	case JSON_TRUE:
		s = "true", slen = 4;
		break;
	case JSON_FALSE:
		s = "false", slen = 5;
		break;
	case JSON_NULL:
		s = "null", slen = 4;
		break;
	}
	int r = ev_record_add_field(rec, name, nlen, s, slen);
	free(dumped);
	return r;
}

int collector_parse_json(struct collector_parser *p, const char *l, size_t len,
                         struct ev_record *rec) {
	json_error_t e;
	json_t *root = json_loadb(l, len, JSON_ALLOW_NUL | JSON_DISABLE_EOF_CHECK, &e);
	if (!root)
		return 0;
	if (!json_is_object(root)) {
		json_decref(root);
		return 0;
	}
	/* only trailing whitespace may follow the object */
	for (size_t i = e.position; i < len; i++)
		if (l[i] != ' ' && l[i] != '\t' && l[i] != '\r') {
			json_decref(root);
			return 0;
		}
	struct json_ctx c = {.p = p, .rec = rec, .time_rank = 99};
	const char *k;
	size_t klen;
	json_t *v;
	int r = 0;
	json_object_keylen_foreach(root, k, klen, v) {
		if (klen > JSON_NAME_MAX) {
			rec->flags |= EV_REC_TRUNCATED;
			continue;
		}
		int rank = klen == strlen(k) ? time_key_rank(k) : -1;
		if (rank >= 0 && rank < c.time_rank) {
			int64_t t;
			if (json_is_string(v) &&
			    collector_parse_iso_time(json_string_value(v), json_string_length(v),
			                             &p->tz, &t) == json_string_length(v)) {
				c.time_us = t, c.have_time = true, c.time_rank = rank;
			} else if (json_is_number(v) &&
			           epoch_number_to_us(json_number_value(v), &t)) {
				c.time_us = t;
				c.have_time = true, c.time_rank = rank;
			}
		}
		if (json_is_string(v) && klen == strlen(k)) {
			const char *s = json_string_value(v);
			size_t sl = json_string_length(v);
			if ((strcmp(k, "message") == 0 ||
			     (strcmp(k, "msg") == 0 && !rec->message.p)))
				rec->message = ev_record_strdup(rec, s, sl);
			else if (strcmp(k, "host") == 0 ||
			         (strcmp(k, "hostname") == 0 && !rec->host.p))
				rec->host = ev_record_strdup(rec, s, sl);
			else if (strcmp(k, "program") == 0 || strcmp(k, "app") == 0 ||
			         strcmp(k, "logger") == 0)
				rec->program = ev_record_strdup(rec, s, sl);
			else if (strcmp(k, "level") == 0 || strcmp(k, "severity") == 0)
				rec->priority = collector_level_to_priority(s, sl);
		} else if (json_is_integer(v) && strcmp(k, "pid") == 0 &&
		           json_integer_value(v) >= 0)
			rec->pid = json_integer_value(v);
		r = json_add(&c, k, klen, v, 0);
		if (r < 0)
			break;
	}
	json_decref(root);
	if (r < 0)
		return r;
	if (!rec->message.p)
		rec->message = ev_record_strdup(rec, l, len);
	if (c.have_time)
		rec->time_us = c.time_us;
	return c.have_time ? 1 : 2; /* 2: parsed, but no time */
}
