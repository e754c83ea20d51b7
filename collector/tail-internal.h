/* Internals of collector/tail.c shared with collector/tail_state.c (positions, time
 * index). Not for use outside collector/. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "collector/parse.h"
#include "collector/tail.h"

#define HEAD_MAX   1024
#define FP_LEN     64
#define INDEX_CAP  4096
#define MAX_TFILES 4096

struct index_entry {
	int64_t time_us;
	uint64_t offset;
};

struct tfile {
	size_t cfg; /* index in t->cfg.files */
	char *path; /* the name it was found under */
	int fd;
	dev_t dev;
	ino_t ino;
	uint32_t head_len;
	uint64_t head_hash;
	uint64_t offset; /* first byte not yet delivered */
	uint64_t size;   /* at the last fstat */
	uint32_t fp_len; /* hash of the fp_len bytes before offset */
	uint64_t fp_hash;
	bool retired, seen, in_long;
	bool prev_timed; /* time of the record before (for long-line parts) */
	int64_t prev_time;
	bool check_copy; /* new file: see whether it is a copy before the first read */
	bool more;       /* stopped for fairness with bytes left: poll again soon */
	int idle_polls;
	struct collector_parser parser;
	char *buf;
	size_t cap, start, len; /* buf[start..start+len) = file bytes from offset */
	struct index_entry *index;
	size_t n_index;
	uint64_t last_index_off;
	struct collector_tail_source_stats st;
	char *last_error;
};

struct saved_pos {
	char *path;
	char *pattern;
	dev_t dev;
	ino_t ino;
	uint32_t head_len;
	uint64_t head_hash, offset, fp_hash;
	uint32_t fp_len;
	struct index_entry *index;
	size_t n_index;
	bool used;
};

/* What a file held before it was truncated: a copy of it (copytruncate) is recognised
 * by these even after the original was emptied. */
struct ghost {
	uint32_t head_len, fp_len;
	uint64_t head_hash, fp_hash, offset;
};
#define N_GHOSTS 8

/* An inotify watch on the directory of a configured path ("full": names and contents), or,
 * while that directory does not exist, on its deepest existing ancestor ("ancestor":
 * names only), so that its creation triggers a rescan at once. */
struct watch {
	char *dir;
	sd_event_source *src;
	bool ancestor;
	bool dead;   /* the kernel dropped it (directory deleted or moved): re-add */
	bool needed; /* ancestors: still on the way to a missing directory */
};

struct collector_tail {
	sd_event *event;
	struct collector_tail_config cfg;
	struct collector_tail_file *files; /* deep copies */
	collector_tail_record_fn cb;
	void *userdata;
	struct tfile **tf;
	size_t n_tf;
	struct saved_pos *saved;
	size_t n_saved;
	bool have_state;
	struct watch *watches;
	size_t n_watches;
	sd_event_source *stat_timer, *ckpt_timer, *journal_src;
	/* journal */
	sd_journal *j;
	char *cursor;
	struct collector_tail_source_stats jst;
	char *j_last_error;
	struct ev_record rec;
	struct collector_tail_stats st;
	char *ckpt_error; /* the first failure of the checkpoint timer (st.checkpoint_error) */
	struct collector_tail_source_stats *st_sources;
	bool polling;
	uint64_t seq;
	bool names_changed;
	bool dirty; /* positions changed since the last checkpoint */
	struct ghost ghosts[N_GHOSTS];
	unsigned next_ghost; /* an inotify event that may add, move or remove a name */
	bool j_more;
	bool j_skip_saved;      /* resumed by time: skip the saved entry if it shows up again */
	uint64_t j_skip_until;  /* ... among entries at this realtime */
	int64_t last_scan_us;   /* realtime at the start of the previous scan */
	sd_event_source *soon;  /* polls again soon when a source stopped at its fairness cap */
	sd_event_source *kick;  /* defer: one poll after the queued inotify events */
	int64_t state_mtime_us; /* mtime of the positions file we started from */
};

/* FNV-1a 64 of a buffer; of n bytes of fd at off (-1 when they cannot all be read). */
uint64_t collector_tail_fnv(const void *p, size_t n);
int collector_tail_hash_range(int fd, uint64_t off, size_t n, uint64_t *ret);
/* positions.json: load into t->saved / t->cursor, free the loaded entries. */
int collector_tail_load_positions(struct collector_tail *t, struct ev_errlist *errs);
void collector_tail_saved_free(struct collector_tail *t);
uint64_t collector_tail_ju64(json_t *o, const char *k);
