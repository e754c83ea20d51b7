/* The journal source of collector_tail (see tail.h): sd_journal read after the saved
 * cursor, with the cursor of the last processed entry kept for positions.json; a
 * vacuumed cursor resumes by time, SD_JOURNAL_INVALIDATE re-anchors on the cursor. */
#include "collector/tail-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/journal.h"
#include "util/macro.h"

static int journal_read(struct collector_tail *t) {
	if (!t->j)
		return 0;
	t->j_more = false;
	for (unsigned n = 0;; n++) {
		if (n == 20000) { /* fairness, as for files */
			t->j_more = true;
			return 0;
		}
		int r = sd_journal_next(t->j);
		if (r < 0) {
			tail_set_error(&t->j_last_error, &t->jst.errors, "journal: %s",
			               strerror(-r));
			return r;
		}
		if (r == 0)
			return 0;
		if (t->j_skip_saved) {
			uint64_t rt = 0;
			if (sd_journal_get_realtime_usec(t->j, &rt) >= 0 && rt > t->j_skip_until)
				t->j_skip_saved = false; /* past the saved entry's time */
			else if (t->cursor && sd_journal_test_cursor(t->j, t->cursor) > 0)
				continue; /* the saved entry itself: delivered before */
		}
		ev_record_reset(&t->rec);
		size_t cap = t->cfg.journal_field_cap ? t->cfg.journal_field_cap : 1024 * 1024;
		r = collector_journal_entry_to_record(t->j, cap, &t->rec);
		t->rec.seq = t->seq + 1;
		t->rec.source_id = (uint32_t)t->cfg.n_files;
		if (r >= 0)
			r = t->cb(t->userdata, &t->rec);
		char *c = NULL;
		int k = sd_journal_get_cursor(t->j, &c);
		if (r < 0 || k < 0) {
			/* not processed: seek back onto it, so that the next read returns it again
			 */
			if (k >= 0)
				sd_journal_seek_cursor(t->j, c);
			else
				sd_journal_previous(t->j);
			free(c);
			if (r < 0 && r != -EAGAIN && r != -ECANCELED)
				tail_set_error(&t->j_last_error, &t->jst.errors, "journal: %s",
				               strerror(-r));
			return r;
		}
		free(t->cursor);
		t->cursor = c;
		t->jst.records++;
		t->jst.bytes += t->rec.message.len;
		t->jst.last_time_us = t->rec.time_us;
		t->st.records++;
		t->seq++;
		t->dirty = true;
	}
}

/* Position the journal after the saved cursor; a vacuumed cursor resumes at the first
 * entry at or after its timestamp (other entries of the same microsecond are not
 * skipped; the saved entry itself is, should it appear in another file). */
static int journal_seek_saved(struct collector_tail *t) {
	/* "t=" in the cursor is the entry's realtime (hex): what a vacuumed cursor resumes at */
	const char *p = t->cursor ? strstr(t->cursor, ";t=") : NULL;
	char *end = NULL;
	errno = 0;
	uint64_t rt = p ? strtoull(p + 3, &end, 16) : 0;
	if (t->cursor && (!p || errno || end == p + 3 || (*end && *end != ';'))) {
		if (t->state_mtime_us) {
			t->j_resume_us = tail_resume_time(t, t->state_mtime_us);
			tail_notice(
			        t,
			        "the saved journal cursor is not valid ('%.80s'): the journal "
			        "resumes at the entries of the last checkpoint's time (some may "
			        "be delivered again)",
			        t->cursor);
		} else {
			t->j_first_start = true;
			tail_notice(
			        t,
			        "the saved journal cursor is not valid ('%.80s'): the journal is "
			        "read from its %s, as on a first start",
			        t->cursor, t->cfg.from_end ? "end" : "start");
		}
		free(t->cursor);
		t->cursor = NULL;
	}
	if (!t->cursor && t->j_resume_us > 0)
		return sd_journal_seek_realtime_usec(t->j, (uint64_t)t->j_resume_us);
	if (!t->cursor) {
		if (t->cfg.from_end && (!t->have_state || t->j_first_start)) {
			int r = sd_journal_seek_tail(t->j);
			if (r >= 0)
				sd_journal_previous(t->j);
			return r;
		}
		return sd_journal_seek_head(t->j);
	}
	int r = sd_journal_seek_cursor(t->j, t->cursor);
	if (r >= 0 && sd_journal_next(t->j) > 0 && sd_journal_test_cursor(t->j, t->cursor) > 0)
		return 0; /* on the saved entry: the next read starts after it */
	/* gone: resume at its time */
	t->jst.rotations++;
	r = sd_journal_seek_realtime_usec(t->j, rt);
	if (r >= 0) {
		t->j_skip_saved = true;
		t->j_skip_until = rt;
	}
	return r;
}

int tail_journal_process(struct collector_tail *t) {
	int r = sd_journal_process(t->j);
	if (r == SD_JOURNAL_INVALIDATE && t->cursor) {
		/* files came or went: re-anchor on the last delivered entry */
		t->jst.rotations++;
		journal_seek_saved(t);
	}
	return journal_read(t);
}

static int on_journal(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
	tail_journal_process(userdata);
	return 0;
}

static int add_strv_matches(sd_journal *j, const char *field, const char *const *v) {
	if (!v || !v[0])
		return 0;
	for (size_t i = 0; v[i]; i++) {
		_cleanup_free_ char *m = NULL;
		if (asprintf(&m, "%s=%s", field, v[i]) < 0)
			return -ENOMEM;
		int r = sd_journal_add_match(j, m, 0);
		if (r < 0)
			return r;
	}
	return sd_journal_add_conjunction(j);
}

int tail_journal_open(struct collector_tail *t, struct ev_errlist *errs) {
	int r;
	if (t->cfg.journal_files)
		r = sd_journal_open_files(&t->j, (const char **)t->cfg.journal_files, 0);
	else if (t->cfg.journal_dir)
		r = sd_journal_open_directory(&t->j, t->cfg.journal_dir, 0);
	else
		r = sd_journal_open(&t->j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0) {
		ev_errlist_add(errs, t->cfg.journal_dir, 0, 0, "cannot open the journal: %s",
		               strerror(-r));
		return r;
	}
	sd_journal_set_data_threshold(t->j, 0);
	if ((r = add_strv_matches(t->j, "_SYSTEMD_UNIT", t->cfg.journal_units)) < 0 ||
	    (r = add_strv_matches(t->j, "SYSLOG_IDENTIFIER", t->cfg.journal_identifiers)) < 0)
		goto bad;
	if (t->cfg.journal_max_priority >= 0 && t->cfg.journal_max_priority < 7) {
		for (int p = 0; p <= t->cfg.journal_max_priority; p++) {
			char m[32];
			snprintf(m, sizeof(m), "PRIORITY=%d", p);
			if ((r = sd_journal_add_match(t->j, m, 0)) < 0)
				goto bad;
		}
	}
	if ((r = journal_seek_saved(t)) < 0)
		goto bad;
	int fd = sd_journal_get_fd(t->j);
	if (fd >= 0 && t->event) {
		r = sd_event_add_io(t->event, &t->journal_src, fd,
		                    (uint32_t)sd_journal_get_events(t->j), on_journal, t);
		if (r < 0)
			goto bad;
	}
	return 0;
bad:
	ev_errlist_add(errs, NULL, 0, 0, "journal setup: %s", strerror(-r));
	return r;
}
