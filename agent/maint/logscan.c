/* The service's logs for maintenance (logscan.h). Every file of the service's patterns
 * (collector_files_expand: rotated generations, .gz included) goes through one reader, as
 * `evident analyze` reads them; nothing is kept per line except the counters, and the
 * error lines' templates are the analysis's (the miner's, with its caps). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/analyze/analysis.h"
#include "agent/maint/logscan.h"
#include "collector/files.h"
#include "collector/reader.h"
#include "util/macro.h"
#include "util/strv.h"
#include "util/timefmt.h"

#define HOUR_US ((int64_t)3600 * 1000000)
#define WEEK_H  168

typedef void (*line_fn)(void *ud, const struct ev_record *rec);

/* The offset where a file's lines from the start of a change begin: the size its file
 * (same device and inode, wherever it is now) had at the mark, or -1 when the file was
 * not marked or is shorter now (truncated: offsets no longer compare). */
static int64_t mark_split(const json_t *marks, const char *path) {
	struct stat st;
	if (!marks || stat(path, &st) < 0)
		return -1;
	size_t i;
	json_t *m;
	json_array_foreach(marks, i, m) {
		if (json_integer_value(json_object_get(m, "dev")) != (json_int_t)st.st_dev ||
		    json_integer_value(json_object_get(m, "ino")) != (json_int_t)st.st_ino)
			continue;
		json_int_t size = json_integer_value(json_object_get(m, "size"));
		return st.st_size >= size ? (int64_t)size : -1;
	}
	return -1;
}

/* The files of every pattern, each once, into one reader; with marks, also each file's
 * mark_split() into splits (path -> offset), read once here rather than per line. */
static int open_files(const json_t *patterns, const json_t *marks, json_t *splits,
                      struct collector_reader **ret) {
	struct collector_reader_opts o = {.format = "auto", .max_line = EV_MAINT_LINE_MAX};
	struct ev_errlist errs = {0};
	struct collector_reader *rd = NULL;
	json_t *seen = json_object();
	int r = seen ? collector_reader_new(&o, &rd, &errs) : -ENOMEM;
	size_t i;
	json_t *pat;
	json_array_foreach(patterns, i, pat) {
		char **v = NULL;
		int n = r < 0 ? 0 : collector_files_expand(json_string_value(pat) ?: "", &v, &errs);
		for (int k = 0; k < n; k++) /* a file that cannot be opened adds no line */
			if (!json_object_get(seen, v[k]) &&
			    json_object_set_new(seen, v[k], json_true()) == 0) {
				if (splits)
					json_object_set_new(
					        splits, v[k],
					        json_integer((json_int_t)mark_split(marks, v[k])));
				(void)collector_reader_add_file(rd, v[k], &errs);
			}
		if (n > 0)
			ev_strv_free(v);
		if (n == -ENOMEM)
			r = n;
	}
	json_decref(seen);
	ev_errlist_clear(&errs);
	if (r < 0) {
		collector_reader_free(rd);
		return r;
	}
	*ret = rd;
	return 0;
}

json_t *ev_maint_log_marks(const json_t *patterns) {
	json_t *marks = json_array();
	struct ev_errlist errs = {0};
	size_t i;
	json_t *pat;
	json_array_foreach(patterns, i, pat) {
		char **v = NULL;
		int n = marks ? collector_files_expand(json_string_value(pat) ?: "", &v, &errs) : 0;
		for (int k = 0; k < n; k++) {
			struct stat st;
			size_t len = strlen(v[k]); /* compressed: offsets are not the file's */
			bool gz = len > 3 && strcmp(v[k] + len - 3, ".gz") == 0;
			if (!gz && stat(v[k], &st) == 0 && S_ISREG(st.st_mode))
				json_array_append_new(marks,
				                      json_pack("{s:s, s:I, s:I, s:I}", "path",
				                                v[k], "dev", (json_int_t)st.st_dev,
				                                "ino", (json_int_t)st.st_ino,
				                                "size", (json_int_t)st.st_size));
		}
		if (n > 0)
			ev_strv_free(v);
	}
	ev_errlist_clear(&errs);
	return marks;
}

/* fn(ud, rec) for every line with a time of the patterns' files, by time (splits: see
 * open_files()). */
static int scan(const json_t *patterns, const json_t *marks, json_t *splits, line_fn fn, void *ud) {
	struct collector_reader *rd = NULL;
	int r = open_files(patterns, marks, splits, &rd);
	if (r < 0)
		return r;
	struct ev_record rec;
	ev_record_init(&rec);
	struct ev_errlist errs = {0};
	while ((r = collector_reader_next(rd, &rec, &errs)) != 0) {
		ev_errlist_clear(&errs);
		if (r == -ENOMEM)
			break;
		if (r > 0 && !(rec.flags & EV_REC_NO_TIME))
			fn(ud, &rec);
	}
	ev_errlist_clear(&errs);
	ev_record_free(&rec);
	collector_reader_free(rd);
	return r;
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
	(void)scan(patterns, NULL, NULL, plan_line, p); /* out of memory: the lines read so far */
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
	int64_t t0, span;
	json_t *splits; /* with marks: each file's split offset (-1: split by time) */
	char *split_path;
	int64_t split;
	uint64_t lines[2], errors[2]; /* [0]: the span before t0, [1]: from t0 */
	struct analysis a;            /* of the error lines: window from t0, prior before */
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

static void error_line(void *ud, const struct ev_record *rec) {
	struct errscan *e = ud;
	if (rec->time_us < e->t0 - e->span || rec->time_us > e->t0 + e->span)
		return;
	int after = rec->time_us >= e->t0;
	/* A marked file's position decides, not its whole-second times: a line written just
	 * before the start, in the same second, is before it. */
	if (e->splits && rec->source.p && rec->length) {
		if (!e->split_path || strlen(e->split_path) != rec->source.len ||
		    memcmp(e->split_path, rec->source.p, rec->source.len) != 0) {
			free(e->split_path);
			e->split_path = strndup(rec->source.p, rec->source.len);
			json_t *o =
			        e->split_path ? json_object_get(e->splits, e->split_path) : NULL;
			e->split = o ? (int64_t)json_integer_value(o) : -1;
		}
		if (e->split >= 0)
			after = rec->offset >= (uint64_t)e->split;
	}
	struct ev_record moved = *rec; /* the analysis sees the side the position chose */
	if (after && moved.time_us < e->t0)
		moved.time_us = e->t0;
	else if (!after && moved.time_us >= e->t0)
		moved.time_us = e->t0 - 1;
	rec = &moved;
	e->lines[after]++;
	int prio;
	bool err = analyze_record_is_error(rec, &prio) ||
	           (prio < 0 && has_error_word(rec->message.p, rec->message.len));
	if (!err)
		return;
	e->errors[after]++;
	(void)analyze_add(&e->a, rec); /* out of memory: that line's template is not known */
}

static json_t *span_json(const struct errscan *e, int i) {
	double hours = (double)MAX(e->span, (int64_t)1) / (double)HOUR_US;
	return json_pack("{s:I, s:I, s:f}", "lines", (json_int_t)e->lines[i], "error_lines",
	                 (json_int_t)e->errors[i], "errors_per_hour", (double)e->errors[i] / hours);
}

/* A template's text as a JSON string: bytes JSON cannot carry read '?'. */
static json_t *text_json(const char *text) {
	json_t *j = json_string(text);
	if (j)
		return j;
	char *c = strdup(text);
	for (size_t i = 0; c && c[i]; i++)
		if ((unsigned char)c[i] < 0x20 || (unsigned char)c[i] >= 0x7f)
			c[i] = '?';
	j = c ? json_string(c) : NULL;
	free(c);
	return j;
}

/* The templates of error lines from t0 that no error line before t0 had, in the order
 * they first appeared. */
static json_t *new_templates(const struct analysis *a, size_t *ret_dropped) {
	json_t *v = json_array();
	*ret_dropped = 0;
	for (size_t i = 0; v && i < a->n_ts; i++) {
		if (a->ts[i].in == 0 || a->ts[i].prior > 0)
			continue;
		if (json_array_size(v) == EV_MAINT_MESSAGES_MAX) {
			(*ret_dropped)++;
			continue;
		}
		const struct miner_template *t = miner_template(a->miner, i);
		char id[17];
		snprintf(id, sizeof(id), "%016" PRIx64, t->id);
		json_array_append_new(v, json_pack("{s:s, s:o, s:I}", "id", id, "template",
		                                   text_json(t->text), "count",
		                                   (json_int_t)a->ts[i].in));
	}
	return v;
}

json_t *ev_maint_errors_compare(const json_t *patterns, const json_t *marks, int64_t t0_us,
                                int64_t span_us) {
	struct errscan e = {.t0 = t0_us, .span = MAX(span_us, (int64_t)1)};
	if (marks && !(e.splits = json_object()))
		return NULL;
	struct miner *m = miner_new();
	if (!m) {
		json_decref(e.splits);
		return NULL;
	}
	analyze_init(&e.a, m, t0_us, t0_us + e.span, NULL);
	int r = scan(patterns, marks, e.splits, error_line, &e);
	free(e.split_path);
	json_decref(e.splits);
	size_t dropped = 0;
	json_t *fresh = r == -ENOMEM ? NULL : new_templates(&e.a, &dropped);
	analyze_done(&e.a);
	miner_free(m);
	if (!fresh)
		return NULL;
	json_t *reasons = json_array();
	if (e.errors[1] >= 2 * e.errors[0] && e.errors[1] - e.errors[0] >= 3) {
		char msg[160];
		snprintf(msg, sizeof(msg), "error lines rose from %llu to %llu in the same span",
		         (unsigned long long)e.errors[0], (unsigned long long)e.errors[1]);
		json_array_append_new(reasons, json_string(msg));
	}
	size_t n = json_array_size(fresh) + dropped;
	if (n) {
		char msg[160];
		snprintf(msg, sizeof(msg), "%zu new error template%s", n, n == 1 ? "" : "s");
		json_array_append_new(reasons, json_string(msg));
	}
	return json_pack("{s:o, s:o, s:o, s:I, s:b, s:o}", "before", span_json(&e, 0), "after",
	                 span_json(&e, 1), "new_templates", fresh, "new_templates_dropped",
	                 (json_int_t)dropped, "regressed", json_array_size(reasons) > 0, "reasons",
	                 reasons);
}
