/* Live sources (see tail.h for the contract): the life cycle, polling, directory watches
 * and timers. Discovery of files is in tail_scan.c, reading one file in tail_file.c, the
 * journal in tail_journal.c, positions in tail_state.c.
 *
 * Files. Each configured path/glob is expanded on every poll. A followed file ("tfile")
 * is identified by device + inode + a hash of its first bytes (up to HEAD_MAX); it keeps
 * its own fd, so a file renamed away is still read to its end through that fd. Reading
 * is pread() from `offset`, the first byte not yet delivered: a partial last line is
 * never consumed, so it survives a restart on disk. Before each read the bytes just
 * before `offset` are compared with a saved fingerprint, which catches truncation
 * followed by a rewrite past the old offset, and inode reuse.
 *
 * A file that no configured path names any more (renamed away, deleted, replaced behind
 * a symlink) is "retired": it is still read on every poll and let go only when it is
 * deleted and read to the end, or when it has been read to the end and not grown for two
 * polls after its successor appeared. There is no time limit that could drop lines.
 *
 * Inotify events on a watched directory enable `kick`, a defer source below the inotify
 * sources' priority: once the queued events are dispatched, one poll reads every source
 * (a burst costs one poll, and the first event adds no delay). Every stat tick (a
 * one-shot timer re-armed after each dispatch) also runs one poll, with a rescan of the
 * globs. Positions are written as JSON, atomically. */
#include "collector/tail-internal.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "collector/evtime.h"
#include "util/macro.h"

/* ---- polling ---- */

static void watches_refresh(struct collector_tail *t);

static void poll_files(struct collector_tail *t, bool tick, bool rescan) {
	/* names change only with create/move/delete events (or ones we missed: the tick) */
	if (tick || rescan || t->names_changed) {
		int64_t now = ev_now_realtime_us();
		t->names_changed = false;
		watches_refresh(t); /* before the glob: a later file makes an event */
		tail_scan(t, false);
		/* files created and renamed away between two scans (coarse fs clock: 50 ms) */
		tail_adopt_rotated(t, t->last_scan_us - 50000);
		t->last_scan_us = now;
	}
	/* new files first: is one a copy of a file we follow, before that one is read (and
	 * maybe found truncated)? */
	for (size_t i = 0; i < t->n_tf; i++) {
		struct stat st;
		if (t->tf[i]->check_copy && fstat(t->tf[i]->fd, &st) == 0)
			tail_file_settle_copy(t, t->tf[i], &st);
	}
	for (size_t i = 0; i < t->n_tf;) {
		struct tfile *f = t->tf[i];
		uint64_t before = f->offset;
		int r = tail_file_read(t, f, false);
		if (f->retired && r >= 0) {
			struct stat st;
			bool gone = fstat(f->fd, &st) < 0 || st.st_nlink == 0;
			bool at_end = f->offset + f->len >= f->size;
			if (f->offset != before || !at_end)
				f->idle_polls = 0;
			else if (tick)
				f->idle_polls++;
			if (at_end && (gone || f->idle_polls >= 2)) {
				/* let go: deliver a last line without newline first */
				if (tail_file_read(t, f, true) >= 0 && f->len == 0) {
					tail_file_free(f);
					memmove(t->tf + i, t->tf + i + 1,
					        (t->n_tf - i - 1) * sizeof(*t->tf));
					t->n_tf--;
					t->dirty = true;
					continue;
				}
			}
		}
		i++;
	}
}

static void arm_soon(struct collector_tail *t) {
	uint64_t now;
	if (t->soon && sd_event_now(t->event, CLOCK_MONOTONIC, &now) >= 0 &&
	    sd_event_source_set_time(t->soon, now + 1000) >= 0)
		sd_event_source_set_enabled(t->soon, SD_EVENT_ONESHOT);
}

static void poll_all(struct collector_tail *t, bool tick, bool rescan) {
	if (t->polling)
		return;
	t->polling = true;
	poll_files(t, tick, rescan);
	if (t->j)
		tail_journal_process(t);
	t->polling = false;
	bool more = t->j_more;
	for (size_t i = 0; i < t->n_tf && !more; i++)
		more = t->tf[i]->more;
	if (more)
		arm_soon(t);
}

int collector_tail_poll(struct collector_tail *t) {
	poll_all(t, false, true);
	return 0;
}

static int on_soon(sd_event_source *s, uint64_t usec, void *userdata) {
	poll_all(userdata, false, false);
	return 0;
}

/* Inotify events only mark work to do; the read happens in `kick`, a defer source at a
 * lower priority than the inotify sources: every event already queued is dispatched
 * first, then one poll reads each file to EOF (or its fairness cap). No fixed delay. */
static int on_kick(sd_event_source *s, void *userdata) {
	poll_all(userdata, false, false);
	return 0;
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
	struct collector_tail *t = userdata;
	if (ev->mask & (IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_ATTRIB |
	                IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
		t->names_changed = true;
	if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
		for (size_t i = 0; i < t->n_watches; i++)
			if (t->watches[i].src == s)
				t->watches[i].dead = true; /* re-added by the next rescan */
	if (t->kick && sd_event_source_set_enabled(t->kick, SD_EVENT_ONESHOT) >= 0)
		return 0;
	poll_all(t, false, false);
	return 0;
}

static uint64_t stat_interval(struct collector_tail *t) {
	return t->cfg.stat_interval_us ? t->cfg.stat_interval_us : 2000000;
}

/* Timers made by sd_event_add_time() are SD_EVENT_ONESHOT: after each dispatch they are
 * off until enabled again. The next tick is an interval after now (not after the due
 * time), so a loop that was stalled does not fire a backlog of ticks. */
static void rearm(struct collector_tail *t, sd_event_source *s, uint64_t usec, uint64_t interval) {
	uint64_t now;
	if (sd_event_now(t->event, CLOCK_MONOTONIC, &now) < 0 || now < usec)
		now = usec;
	if (sd_event_source_set_time(s, now + interval) >= 0)
		sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_stat_timer(sd_event_source *s, uint64_t usec, void *userdata) {
	struct collector_tail *t = userdata;
	poll_all(t, true, true);
	rearm(t, s, usec, stat_interval(t));
	return 0;
}

static int on_ckpt_timer(sd_event_source *s, uint64_t usec, void *userdata) {
	struct collector_tail *t = userdata;
	struct ev_errlist e = {0};
	if (t->dirty && collector_tail_checkpoint(t, &e) < 0) { /* else: no rewrite, no fsync */
		t->st.checkpoint_errors++;
		if (!t->ckpt_error && e.n)
			t->ckpt_error = ev_error_format(&e.v[0]);
	}
	ev_errlist_clear(&e);
	rearm(t, s, usec, t->cfg.checkpoint_interval_us ? t->cfg.checkpoint_interval_us : 5000000);
	return 0;
}

#define WATCH_FULL                                                                                 \
	(IN_CREATE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE |        \
	 IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define WATCH_ANCESTOR (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

static struct watch *find_watch(struct collector_tail *t, const char *dir, bool ancestor) {
	for (size_t i = 0; i < t->n_watches; i++)
		if (t->watches[i].ancestor == ancestor && strcmp(t->watches[i].dir, dir) == 0)
			return &t->watches[i];
	return NULL;
}

/* Watch `dir`; returns the entry (existing or new) or NULL when it cannot be watched. */
static struct watch *watch_dir(struct collector_tail *t, const char *dir, bool ancestor) {
	struct watch *w = find_watch(t, dir, ancestor);
	if (w && w->src && !w->dead)
		return w;
	sd_event_source *src = NULL;
	if (sd_event_add_inotify(t->event, &src, dir, ancestor ? WATCH_ANCESTOR : WATCH_FULL,
	                         on_inotify, t) < 0)
		return NULL;
	if (!w) {
		struct watch *n = realloc(t->watches, (t->n_watches + 1) * sizeof(*n));
		char *d = strdup(dir);
		if (!n || !d) {
			if (n)
				t->watches = n;
			free(d);
			sd_event_source_disable_unref(src);
			return NULL;
		}
		t->watches = n;
		w = &t->watches[t->n_watches++];
		*w = (struct watch){.dir = d, .ancestor = ancestor};
	}
	sd_event_source_disable_unref(w->src);
	w->src = src;
	w->dead = false;
	return w;
}

/* The directory of every configured path is watched, or while it is missing its deepest
 * existing ancestor. Called before each glob expansion, so that a file is either there
 * for the glob or created after the watch (an event). Never from an inotify callback
 * (watches are replaced here). */
static void watches_refresh(struct collector_tail *t) {
	if (!t->event)
		return;
	for (size_t i = 0; i < t->n_watches; i++)
		if (t->watches[i].ancestor)
			t->watches[i].needed = false;
	for (size_t c = 0; c < t->cfg.n_files; c++) {
		_cleanup_free_ char *d = strdup(t->files[c].path);
		if (!d)
			return;
		char *dir = dirname(d);
		if (strpbrk(dir, "*?["))
			continue; /* globbed directories: the stat timer finds their files */
		for (int round = 0; round < 64; round++) {
			if (watch_dir(t, dir, false))
				break;
			/* missing: the deepest existing ancestor tells us when it appears */
			_cleanup_free_ char *a = strdup(dir);
			if (!a)
				return;
			struct stat st;
			char *up = a;
			do {
				up = dirname(up);
			} while (stat(up, &st) < 0 && strcmp(up, "/") != 0 && strcmp(up, ".") != 0);
			struct watch *w = find_watch(t, up, true);
			bool had = w && w->src && !w->dead;
			if (!had)
				w = watch_dir(t, up, true);
			if (w)
				w->needed = true;
			if (had || !w)
				break; /* watched before we looked at `dir`: an event comes */
			/* new watch: what was created below it meanwhile is looked at again */
		}
	}
	for (size_t i = 0; i < t->n_watches;) {
		struct watch *w = &t->watches[i];
		if (w->ancestor && !w->needed) {
			sd_event_source_disable_unref(w->src);
			free(w->dir);
			memmove(w, w + 1, (t->n_watches - i - 1) * sizeof(*w));
			t->n_watches--;
			continue;
		}
		i++;
	}
}

/* ---- life cycle ---- */

static void collector_tail_free_nockpt(struct collector_tail *t);

/* validate every file of the configuration (path given, format known) and copy it */
static int tail_copy_files(struct collector_tail *t, const struct collector_tail_config *c,
                           struct ev_errlist *errs) {
	t->files = calloc(c->n_files ? c->n_files : 1, sizeof(*t->files));
	if (!t->files)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_files; i++) {
		struct ev_errlist e2 = {0};
		struct collector_parser p;
		if (!c->files[i].path || !*c->files[i].path) {
			ev_errlist_add(errs, NULL, 0, 0, "sources.files[%zu]: empty path", i);
			return -EINVAL;
		}
		if (collector_parser_init(&p, c->files[i].format, c->files[i].tz, 0, 0, &e2) < 0) {
			for (size_t k = 0; k < e2.n; k++)
				ev_errlist_add(errs, NULL, 0, 0, "sources.files[%zu] (%s): %s", i,
				               c->files[i].path, e2.v[k].msg);
			ev_errlist_clear(&e2);
			return -EINVAL;
		}
		collector_parser_done(&p);
		t->files[i] = c->files[i];
		t->files[i].path = strdup(c->files[i].path);
		t->files[i].format = c->files[i].format ? strdup(c->files[i].format) : NULL;
		t->files[i].tz = c->files[i].tz ? strdup(c->files[i].tz) : NULL;
		t->files[i].program = c->files[i].program ? strdup(c->files[i].program) : NULL;
		t->files[i].service = c->files[i].service ? strdup(c->files[i].service) : NULL;
		t->cfg.n_files = i + 1;
		if (!t->files[i].path || (c->files[i].format && !t->files[i].format) ||
		    (c->files[i].tz && !t->files[i].tz) ||
		    (c->files[i].program && !t->files[i].program) ||
		    (c->files[i].service && !t->files[i].service))
			return -ENOMEM;
	}
	return 0;
}

/* copy the state directory and create it if it is missing */
static int tail_make_state_dir(struct collector_tail *t, const char *state_dir,
                               struct ev_errlist *errs) {
	t->cfg.state_dir = state_dir ? strdup(state_dir) : NULL;
	if (state_dir && !t->cfg.state_dir)
		return -ENOMEM;
	if (t->cfg.state_dir && mkdir(t->cfg.state_dir, 0700) < 0 && errno != EEXIST) {
		int r = -errno;
		ev_errlist_add(errs, t->cfg.state_dir, 0, 0,
		               "cannot create the state directory: %s", strerror(errno));
		return r;
	}
	return 0;
}

/* open the journal with the borrowed journal settings of c, cleared again afterwards */
static int tail_open_configured_journal(struct collector_tail *t,
                                        const struct collector_tail_config *c,
                                        struct ev_errlist *errs) {
	t->cfg.journal_dir = c->journal_dir;
	t->cfg.journal_files = c->journal_files;
	t->cfg.journal_units = c->journal_units;
	t->cfg.journal_identifiers = c->journal_identifiers;
	int r = tail_journal_open(t, errs);
	t->cfg.journal_dir = NULL;
	t->cfg.journal_files = t->cfg.journal_units = t->cfg.journal_identifiers = NULL;
	return r;
}

/* the event sources first, then the directory watches, then the initial scan (by the
 * caller): a file is either there for the scan or announced by an event afterwards, and
 * every file that matches now is a source when collector_tail_new returns */
static int tail_add_event_sources(struct collector_tail *t, struct ev_errlist *errs) {
	int r;
	uint64_t now;
	sd_event_now(t->event, CLOCK_MONOTONIC, &now);
	if ((r = sd_event_add_time(t->event, &t->soon, CLOCK_MONOTONIC, now, 1, on_soon, t)) < 0 ||
	    (r = sd_event_source_set_enabled(t->soon, SD_EVENT_OFF)) < 0 ||
	    (r = sd_event_add_defer(t->event, &t->kick, on_kick, t)) < 0 ||
	    (r = sd_event_source_set_priority(t->kick, SD_EVENT_PRIORITY_NORMAL + 1)) < 0 ||
	    (r = sd_event_source_set_enabled(t->kick, SD_EVENT_OFF)) < 0 ||
	    (r = sd_event_add_time(t->event, &t->stat_timer, CLOCK_MONOTONIC,
	                           now + stat_interval(t), 0, on_stat_timer, t)) < 0 ||
	    (t->cfg.state_dir &&
	     (r = sd_event_add_time(t->event, &t->ckpt_timer, CLOCK_MONOTONIC,
	                            now + (t->cfg.checkpoint_interval_us
	                                           ? t->cfg.checkpoint_interval_us
	                                           : 5000000),
	                            0, on_ckpt_timer, t)) < 0)) {
		ev_errlist_add(errs, NULL, 0, 0, "cannot set up timers: %s", strerror(-r));
		return r;
	}
	watches_refresh(t);
	return 0;
}

/* the initial scan: adopt renamed and rotated files, retire what is gone */
static void tail_initial_scan(struct collector_tail *t) {
	t->last_scan_us = ev_now_realtime_us();
	tail_scan(t, true);
	tail_adopt_renamed(t);
	if (t->have_state)
		tail_adopt_rotated(t, t->state_since_us);
	for (size_t i = 0; i < t->n_tf; i++)
		if (!t->tf[i]->seen)
			t->tf[i]->retired = true;
	/* the first read before the first wait of the loop, not at the first timer */
	if (t->kick)
		sd_event_source_set_enabled(t->kick, SD_EVENT_ONESHOT);
}

int collector_tail_new(sd_event *event, const struct collector_tail_config *c,
                       collector_tail_record_fn record_cb, void *userdata,
                       struct collector_tail **ret, struct ev_errlist *errs) {
	struct collector_tail *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->cfg = *c;
	/* pointers owned by t are set below; borrowed ones are cleared after setup */
	t->cfg.n_files = 0;
	t->cfg.state_dir = NULL;
	t->cb = record_cb;
	t->userdata = userdata;
	ev_record_init(&t->rec);
	t->jst.name = "journal";
	t->jst.journal = true;
	int r;
	if ((r = tail_copy_files(t, c, errs)) < 0)
		goto fail;
	t->cfg.files = t->files;
	t->cfg.state_dir = NULL;
	t->cfg.journal_dir = NULL;
	t->cfg.journal_files = NULL;
	t->cfg.journal_units = t->cfg.journal_identifiers = NULL;
	/* the remaining pointers are used only during setup below */
	if ((r = tail_make_state_dir(t, c->state_dir, errs)) < 0)
		goto fail;
	if ((r = tail_policy_init(t)) < 0)
		goto fail;
	if ((r = collector_tail_load_positions(t, errs)) < 0)
		goto fail;
	if (event)
		t->event = sd_event_ref(event);
	if (c->journal && (r = tail_open_configured_journal(t, c, errs)) < 0)
		goto fail;
	if (t->event && (r = tail_add_event_sources(t, errs)) < 0)
		goto fail;
	tail_initial_scan(t);
	*ret = t;
	return 0;
fail:
	collector_tail_free_nockpt(t);
	return r;
}

static void tail_release(struct collector_tail *t) {
	for (size_t i = 0; i < t->n_tf; i++)
		tail_file_free(t->tf[i]);
	free(t->tf);
	free(t->ckpt_error);
	for (size_t i = 0; i < t->n_watches; i++) {
		sd_event_source_disable_unref(t->watches[i].src);
		free(t->watches[i].dir);
	}
	free(t->watches);
	sd_event_source_disable_unref(t->stat_timer);
	sd_event_source_disable_unref(t->soon);
	sd_event_source_disable_unref(t->kick);
	sd_event_source_disable_unref(t->ckpt_timer);
	sd_event_source_disable_unref(t->journal_src);
	if (t->j)
		sd_journal_close(t->j);
	for (size_t i = 0; t->files && i < t->cfg.n_files; i++) {
		free((char *)t->files[i].path);
		free((char *)t->files[i].format);
		free((char *)t->files[i].tz);
		free((char *)t->files[i].program);
		free((char *)t->files[i].service);
	}
	tail_policy_free(t);
	free(t->files);
	collector_tail_saved_free(t);
	free(t->cursor);
	free(t->j_last_error);
	free((char *)t->cfg.state_dir);
	free(t->st_sources);
	ev_record_free(&t->rec);
	sd_event_unref(t->event);
	free(t);
}

static void collector_tail_free_nockpt(struct collector_tail *t) {
	tail_release(t);
}

struct collector_tail *collector_tail_free(struct collector_tail *t) {
	if (!t)
		return NULL;
	struct ev_errlist e = {0};
	collector_tail_checkpoint(t, &e);
	ev_errlist_clear(&e);
	tail_release(t);
	return NULL;
}

void collector_tail_get_stats(struct collector_tail *t, struct collector_tail_stats *ret) {
	size_t n = t->n_tf + (t->j ? 1 : 0);
	struct collector_tail_source_stats *v = realloc(t->st_sources, (n ? n : 1) * sizeof(*v));
	if (v) {
		t->st_sources = v;
		size_t k = 0;
		for (size_t i = 0; i < t->n_tf; i++) {
			struct tfile *f = t->tf[i];
			v[k] = f->st;
			v[k].name = f->path;
			v[k].open = true;
			v[k].offset = f->offset;
			v[k].size = f->size;
			v[k].last_error = f->last_error;
			collector_parser_formats_used(&f->parser, v[k].formats,
			                              sizeof(v[k].formats));
			k++;
		}
		if (t->j) {
			v[k] = t->jst;
			v[k].open = true;
			v[k].last_error = t->j_last_error;
			v[k].formats[0] = 0;
			k++;
		}
		t->st.sources = v;
		t->st.n_sources = k;
	} else {
		t->st.sources = NULL;
		t->st.n_sources = 0;
	}
	t->st.checkpoint_error = t->ckpt_error;
	*ret = t->st;
}
