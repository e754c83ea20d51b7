/* The service's logs for maintenance (logscan.h). Every file is read from its start with
 * a parser of its own; nothing is kept per line except the counters, and the table of
 * normalised messages has a cap (EV_MAINT_MESSAGES_MAX; more are counted only). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/maint/logscan.h"
#include "collector/parse.h"
#include "util/macro.h"
#include "util/timefmt.h"

#define HOUR_US ((int64_t)3600 * 1000000)
#define WEEK_H  168

typedef void (*line_fn)(void *ud, const struct ev_record *rec);

static void scan_file(const char *path, line_fn fn, void *ud) {
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct collector_parser p;
	struct ev_errlist errs = {0};
	if (collector_parser_init(&p, "auto", NULL, 0, 0, &errs) < 0) {
		ev_errlist_clear(&errs);
		fclose(f);
		return;
	}
	struct ev_record rec;
	ev_record_init(&rec);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		size_t len = (size_t)n;
		if (line[len - 1] == '\n')
			len--;
		ev_record_reset(&rec);
		if (collector_parse_line(&p, line, MIN(len, (size_t)EV_MAINT_LINE_MAX), 0, &rec) <
		    0)
			continue;
		if (!(rec.flags & EV_REC_NO_TIME))
			fn(ud, &rec);
	}
	free(line);
	ev_record_free(&rec);
	collector_parser_done(&p);
	fclose(f);
}

/* Each pattern's files and their rotated generations PATH.N, each file once. */
static void scan(const json_t *patterns, line_fn fn, void *ud) {
	json_t *seen = json_object();
	size_t i;
	json_t *pat;
	json_array_foreach(patterns, i, pat) {
		for (int rot = 0; rot < 2; rot++) {
			char g[4200];
			snprintf(g, sizeof(g), rot ? "%s.[0-9]" : "%s",
			         json_string_value(pat) ?: "");
			glob_t gl;
			if (glob(g, 0, NULL, &gl) != 0)
				continue;
			for (size_t k = 0; k < gl.gl_pathc; k++) {
				if (json_object_get(seen, gl.gl_pathv[k]))
					continue;
				json_object_set_new(seen, gl.gl_pathv[k], json_true());
				scan_file(gl.gl_pathv[k], fn, ud);
			}
			globfree(&gl);
		}
	}
	json_decref(seen);
}

/* ---- planning ---- */

struct plan {
	int64_t from, to;
	uint64_t lines;
	uint64_t hours[WEEK_H]; /* hour of the week, Monday 00:00 UTC first */
};

static unsigned hour_of_week(int64_t us) {
	int64_t h = us / HOUR_US;
	if (us < 0 && us % HOUR_US)
		h--;
	/* 1970-01-01 was a Thursday: hour 0 of the epoch is Thursday 00:00 */
	int64_t w = (h + 3 * 24) % WEEK_H;
	return (unsigned)(w < 0 ? w + WEEK_H : w);
}

static void plan_line(void *ud, const struct ev_record *rec) {
	struct plan *p = ud;
	if (rec->time_us < p->from || rec->time_us >= p->to)
		return;
	p->lines++;
	p->hours[hour_of_week(rec->time_us)]++;
}

struct window {
	unsigned start, hours;
	uint64_t sum, peak;
};

static int cmp_window(const void *a, const void *b) {
	const struct window *x = a, *y = b;
	if (x->sum != y->sum)
		return x->sum < y->sum ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static json_t *window_json(const struct window *w, double weeks, int64_t now_us) {
	static const char *const day[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	char start[32], next[EV_RFC3339_MAX];
	snprintf(start, sizeof(start), "%s %02u:00", day[w->start / 24], w->start % 24);
	/* the next time that hour of the week begins, after now */
	int64_t h = now_us / HOUR_US + 1;
	while (hour_of_week(h * HOUR_US) != w->start)
		h++;
	ev_format_rfc3339_us(h * HOUR_US, next, sizeof(next));
	return json_pack("{s:s, s:s, s:i, s:f, s:f}", "start", start, "next", next, "hours",
	                 (int)w->hours, "expected_lines", (double)w->sum / weeks, "peak_hour_lines",
	                 (double)w->peak / weeks);
}

json_t *ev_maint_plan(const json_t *patterns, int64_t now_us, unsigned days, uint64_t duration_us,
                      size_t top) {
	struct plan *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->to = now_us;
	p->from = now_us - (int64_t)days * 24 * HOUR_US;
	scan(patterns, plan_line, p);
	unsigned k = (unsigned)((duration_us + (uint64_t)HOUR_US - 1) / (uint64_t)HOUR_US);
	k = MAX(1u, MIN(k, (unsigned)WEEK_H));
	struct window w[WEEK_H];
	for (unsigned s = 0; s < WEEK_H; s++) {
		w[s] = (struct window){.start = s, .hours = k};
		for (unsigned i = 0; i < k; i++) {
			uint64_t v = p->hours[(s + i) % WEEK_H];
			w[s].sum += v;
			w[s].peak = MAX(w[s].peak, v);
		}
	}
	qsort(w, WEEK_H, sizeof(w[0]), cmp_window);
	double weeks = MAX((double)days / 7.0, 1.0 / 7.0);
	json_t *out = json_pack("{s:i, s:f, s:I, s:[]}", "days", (int)days, "weeks", weeks, "lines",
	                        (json_int_t)p->lines, "windows");
	json_t *arr = json_object_get(out, "windows");
	for (size_t i = 0; arr && i < MIN(top, (size_t)WEEK_H); i++)
		json_array_append_new(arr, window_json(&w[i], weeks, now_us));
	free(p);
	return out;
}

/* ---- errors ---- */

struct errscan {
	int64_t from, to;
	uint64_t lines, errors, dropped;
	json_t *messages;
};

static bool has_error_word(const char *m, size_t len) {
	static const char *const words[] = {"error", "fail",  "fatal",     "panic",
	                                    "crit",  "emerg", "exception", "refused"};
	char low[512];
	size_t n = MIN(len, sizeof(low) - 1);
	for (size_t i = 0; i < n; i++)
		low[i] = (char)((m[i] >= 'A' && m[i] <= 'Z') ? m[i] + 32 : (m[i] ? m[i] : ' '));
	low[n] = 0;
	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (strstr(low, words[i]))
			return true;
	return false;
}

static void normalise(const char *m, size_t len, char *out, size_t cap) {
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < cap;) {
		size_t hex = 0;
		while (i + hex < len && strchr("0123456789abcdefABCDEF", m[i + hex]) && m[i + hex])
			hex++;
		if (hex >= 8) {
			out[o++] = '%';
			i += hex;
		} else if (m[i] >= '0' && m[i] <= '9') {
			out[o++] = '#';
			while (i < len && m[i] >= '0' && m[i] <= '9')
				i++;
		} else {
			unsigned char ch = (unsigned char)m[i++];
			out[o++] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
		}
	}
	out[o] = 0;
}

static void error_line(void *ud, const struct ev_record *rec) {
	struct errscan *e = ud;
	if (rec->time_us < e->from || rec->time_us >= e->to)
		return;
	e->lines++;
	bool err = rec->priority >= 0 ? rec->priority <= 3
	                              : has_error_word(rec->message.p, rec->message.len);
	if (!err)
		return;
	e->errors++;
	char norm[256];
	normalise(rec->message.p, rec->message.len, norm, sizeof(norm));
	json_t *c = json_object_get(e->messages, norm);
	if (c)
		json_integer_set(c, json_integer_value(c) + 1);
	else if (json_object_size(e->messages) < EV_MAINT_MESSAGES_MAX)
		json_object_set_new(e->messages, norm, json_integer(1));
	else
		e->dropped++;
}

json_t *ev_maint_errors(const json_t *patterns, int64_t from_us, int64_t to_us) {
	struct errscan e = {.from = from_us, .to = to_us, .messages = json_object()};
	if (!e.messages)
		return NULL;
	scan(patterns, error_line, &e);
	double hours = (double)MAX(to_us - from_us, (int64_t)1) / (double)HOUR_US;
	return json_pack("{s:I, s:I, s:f, s:o, s:I}", "lines", (json_int_t)e.lines, "error_lines",
	                 (json_int_t)e.errors, "errors_per_hour", (double)e.errors / hours,
	                 "messages", e.messages, "messages_dropped", (json_int_t)e.dropped);
}

json_t *ev_maint_errors_compare(const json_t *before, const json_t *after) {
	json_t *reasons = json_array(), *fresh = json_array();
	json_int_t b = json_integer_value(json_object_get(before, "error_lines"));
	json_int_t a = json_integer_value(json_object_get(after, "error_lines"));
	if (a >= 2 * b && a - b >= 3) {
		char m[160];
		snprintf(m, sizeof(m), "error lines rose from %lld to %lld in the same span",
		         (long long)b, (long long)a);
		json_array_append_new(reasons, json_string(m));
	}
	const char *k;
	json_t *v;
	json_t *bm = json_object_get(before, "messages");
	json_object_foreach(json_object_get(after, "messages"), k, v) {
		if (!json_object_get(bm, k))
			json_array_append_new(fresh, json_string(k));
	}
	if (json_array_size(fresh)) {
		char m[160];
		snprintf(m, sizeof(m), "%zu new error message%s", json_array_size(fresh),
		         json_array_size(fresh) == 1 ? "" : "s");
		json_array_append_new(reasons, json_string(m));
	}
	return json_pack("{s:b, s:o, s:o}", "regressed", json_array_size(reasons) > 0, "reasons",
	                 reasons, "new_messages", fresh);
}
