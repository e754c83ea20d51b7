/* Offline reader (see reader.h): each input is a line stream with its own parser, or a
 * journal; several inputs are merged by event time with a linear scan over the inputs'
 * pending records (inputs are few). Records without a time sort with the last timed
 * record of their input, so they stay beside their neighbours.
 *
 * Invariant: with one input the records are produced straight into the caller's record;
 * with several, each input holds one parsed record and the chosen one is swapped into the
 * caller's record (arenas travel with the swap, so no copy). */
#include "collector/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "collector/journal.h"
#include "collector/lines.h"
#include "collector/parse.h"
#include "util/macro.h"

enum input_kind { INPUT_LINES, INPUT_JOURNAL };

struct input {
	enum input_kind kind;
	char *name;
	size_t name_len; /* copied into every record as its source */
	struct collector_lines lines;
	struct collector_parser parser;
	sd_journal *j;
	bool done;
	bool prev_timed; /* time of the record before (for long-line parts) */
	int64_t prev_time;
	/* merge state */
	struct ev_record pending;
	bool has_pending;
	int64_t sort_key, last_time;
};

struct collector_reader {
	struct collector_reader_opts o;
	char *format, *tz, *program, *service;
	struct input **in;
	size_t n_in;
	uint64_t seq;
	struct collector_reader_stats st;
	collector_quiet_fn quiet; /* collector_reader_set_quiet_fn */
	void *quiet_ctx;
};

int collector_reader_new(const struct collector_reader_opts *o, struct collector_reader **ret,
                         struct ev_errlist *errs) {
	struct collector_reader_opts d = {0};
	if (!o)
		o = &d;
	/* validate format and zone once, with a message */
	struct collector_parser probe;
	int r = collector_parser_init(&probe, o->format, o->tz, o->year, o->now_us, errs);
	if (r < 0)
		return r;
	collector_parser_done(&probe);
	struct collector_reader *rd = calloc(1, sizeof(*rd));
	if (!rd)
		return -ENOMEM;
	rd->o = *o;
	if (!rd->o.max_line)
		rd->o.max_line = 64 * 1024;
	if (!rd->o.journal_field_cap)
		rd->o.journal_field_cap = 1024 * 1024;
	rd->format = o->format ? strdup(o->format) : NULL;
	rd->tz = o->tz ? strdup(o->tz) : NULL;
	rd->program = o->program ? strdup(o->program) : NULL;
	rd->service = o->service ? strdup(o->service) : NULL;
	if ((o->format && !rd->format) || (o->tz && !rd->tz) || (o->program && !rd->program) ||
	    (o->service && !rd->service)) {
		collector_reader_free(rd);
		return -ENOMEM;
	}
	rd->o.format = rd->format;
	rd->o.tz = rd->tz;
	rd->o.program = rd->program;
	rd->o.service = rd->service;
	*ret = rd;
	return 0;
}

static void input_free(struct input *in) {
	if (!in)
		return;
	if (in->kind == INPUT_LINES) {
		collector_lines_close(&in->lines);
		collector_parser_done(&in->parser);
	}
	if (in->j)
		sd_journal_close(in->j);
	ev_record_free(&in->pending);
	free(in->name);
	free(in);
}

static int add_input(struct collector_reader *r, struct input *in) {
	struct input **n = realloc(r->in, (r->n_in + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	r->in = n;
	r->in[r->n_in++] = in;
	return 0;
}

static struct input *input_new(enum input_kind k, const char *name) {
	struct input *in = calloc(1, sizeof(*in));
	if (!in)
		return NULL;
	in->kind = k;
	in->lines.fd = -1;
	in->name = strdup(name);
	in->name_len = strlen(name);
	in->last_time = INT64_MIN;
	ev_record_init(&in->pending);
	if (!in->name) {
		free(in);
		return NULL;
	}
	return in;
}

int collector_reader_add_file(struct collector_reader *r, const char *path,
                              struct ev_errlist *errs) {
	struct input *in = input_new(INPUT_LINES, strcmp(path, "-") == 0 ? "<stdin>" : path);
	if (!in)
		return -ENOMEM;
	int k;
	if (strcmp(path, "-") == 0) {
		int fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			k = -errno;
		else {
			k = collector_lines_open(&in->lines, fd, true, 0, r->o.max_line);
			if (k < 0)
				close(fd);
		}
	} else
		k = collector_lines_open_path(&in->lines, path, r->o.max_line);
	if (k < 0) {
		ev_errlist_add(errs, path, 0, 0, "cannot open: %s", strerror(-k));
		input_free(in);
		return k;
	}
	k = collector_parser_init(&in->parser, r->o.format, r->o.tz, r->o.year, r->o.now_us, errs);
	if (k >= 0) {
		collector_parser_set_source(&in->parser, r->o.program, r->o.service);
		k = add_input(r, in);
	}
	if (k < 0) {
		/* the parser is set up only when init succeeded; free handles both */
		input_free(in);
		return k;
	}
	return 0;
}

static int add_journal(struct collector_reader *r, const char *path, bool dir,
                       struct ev_errlist *errs) {
	struct input *in = input_new(INPUT_JOURNAL, path);
	if (!in)
		return -ENOMEM;
	int k;
	if (dir)
		k = sd_journal_open_directory(&in->j, path, 0);
	else {
		const char *paths[] = {path, NULL};
		k = sd_journal_open_files(&in->j, paths, 0);
	}
	if (k < 0) {
		ev_errlist_add(errs, path, 0, 0, "cannot open journal: %s", strerror(-k));
		input_free(in);
		return k;
	}
	sd_journal_set_data_threshold(in->j, 0);
	k = add_input(r, in);
	if (k < 0)
		input_free(in);
	return k;
}

int collector_reader_add_journal_file(struct collector_reader *r, const char *path,
                                      struct ev_errlist *errs) {
	return add_journal(r, path, false, errs);
}

int collector_reader_add_journal_dir(struct collector_reader *r, const char *dir,
                                     struct ev_errlist *errs) {
	return add_journal(r, dir, true, errs);
}

/* Produce the next record of one input into rec (reset here). 1, 0 at end, -errno. */
static int input_next(struct collector_reader *r, struct input *in, uint32_t idx,
                      struct ev_record *rec, struct ev_errlist *errs) {
	if (in->done)
		return 0;
	ev_record_reset(rec);
	if (in->kind == INPUT_JOURNAL) {
		int k = sd_journal_next(in->j);
		if (k <= 0) {
			in->done = true;
			if (k < 0)
				ev_errlist_add(errs, in->name, 0, 0, "journal read error: %s",
				               strerror(-k));
			return k;
		}
		k = collector_journal_entry_to_record(in->j, r->o.journal_field_cap, rec);
		if (k < 0) {
			ev_errlist_add(errs, in->name, 0, 0, "journal entry: %s", strerror(-k));
			return k;
		}
		r->st.lines++;
		r->st.bytes += rec->message.len;
	} else {
		const char *line;
		size_t len;
		uint64_t off;
		bool part, cont = in->lines.in_long;
		int k = collector_lines_next(&in->lines, &line, &len, &off, &part);
		if (k <= 0) {
			in->done = true;
			if (k < 0)
				ev_errlist_add(errs, in->name, 0, 0, "read error: %s",
				               strerror(-k));
			return k;
		}
		r->st.lines++;
		r->st.bytes += len + 1;
		size_t plen = len;
		if (plen && line[plen - 1] == '\r')
			plen--;
		rec->offset = off;
		rec->length = (uint32_t)len;
		if (part)
			rec->flags |= EV_REC_PART;
		int64_t arrival = r->o.now_us ? r->o.now_us : in->lines.read_us;
		if (cont) {
			k = collector_parse_continuation(line, len, in->prev_timed, in->prev_time,
			                                 arrival, rec);
		} else
			k = collector_parse_line_asking(&in->parser, line, plen, off, len,
			                                part ? NULL : r->quiet, r->quiet_ctx,
			                                arrival, rec);
		if (k >= 0) {
			in->prev_timed = !(rec->flags & EV_REC_NO_TIME);
			in->prev_time = rec->time_us;
		}
		if (k < 0)
			return k;
		ev_record_set_source(rec, in->name, in->name_len);
	}
	rec->source_id = idx;
	if (rec->flags & EV_REC_UNPARSED)
		r->st.unparsed++;
	if ((rec->flags & (EV_REC_PART | EV_REC_TRUNCATED)) ||
	    (rec->flags & (EV_REC_NO_TIME | EV_REC_UNPARSED)) == EV_REC_NO_TIME)
		r->st.flagged++;
	if (!(rec->flags & EV_REC_NO_TIME))
		in->last_time = rec->time_us;
	in->sort_key = (rec->flags & EV_REC_NO_TIME) ? in->last_time : rec->time_us;
	return 1;
}

int collector_reader_next(struct collector_reader *r, struct ev_record *rec,
                          struct ev_errlist *errs) {
	int k;
	if (r->n_in == 1) {
		k = input_next(r, r->in[0], 0, rec, errs);
	} else {
		for (size_t i = 0; i < r->n_in; i++) {
			struct input *in = r->in[i];
			if (!in->has_pending && !in->done) {
				k = input_next(r, in, (uint32_t)i, &in->pending, errs);
				if (k < 0 && !in->done)
					return k;
				in->has_pending = k > 0;
			}
		}
		struct input *best = NULL;
		for (size_t i = 0; i < r->n_in; i++)
			if (r->in[i]->has_pending && (!best || r->in[i]->sort_key < best->sort_key))
				best = r->in[i];
		if (!best)
			return 0;
		struct ev_record t = *rec;
		*rec = best->pending;
		best->pending = t;
		best->has_pending = false;
		k = 1;
	}
	if (k > 0) {
		rec->seq = ++r->seq;
		r->st.records++;
	}
	return k;
}

void collector_reader_get_stats(const struct collector_reader *r,
                                struct collector_reader_stats *ret) {
	*ret = r->st;
}

int collector_reader_input_formats(const struct collector_reader *r, size_t i,
                                   const char **ret_name, char *buf, size_t len) {
	if (i >= r->n_in)
		return -ENOENT;
	*ret_name = r->in[i]->name;
	if (r->in[i]->kind == INPUT_JOURNAL) {
		snprintf(buf, len, "journal");
		return 0;
	}
	collector_parser_formats_used(&r->in[i]->parser, buf, len);
	return 1;
}

bool collector_reader_set_block_fn(struct collector_reader *r, collector_block_fn fn, void *ctx) {
	if (r->n_in != 1 || r->in[0]->kind != INPUT_LINES)
		return false;
	collector_lines_set_block_fn(&r->in[0]->lines, fn, ctx);
	return true;
}

bool collector_reader_set_quiet_fn(struct collector_reader *r, collector_quiet_fn fn, void *ctx) {
	if (r->n_in != 1 || r->in[0]->kind != INPUT_LINES)
		return false;
	r->quiet = fn;
	r->quiet_ctx = ctx;
	return true;
}

struct collector_reader *collector_reader_free(struct collector_reader *r) {
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_in; i++)
		input_free(r->in[i]);
	free(r->in);
	free(r->format);
	free(r->tz);
	free(r->program);
	free(r->service);
	free(r);
	return NULL;
}
