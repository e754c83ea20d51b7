/* Internals of collector_tail, shared by its files: tail.c (life cycle, polling, watches,
 * timers), tail_scan.c (discovery, symlink policy), tail_file.c (reading one file, copy
 * recognition), tail_journal.c (the journal) and tail_state.c (positions, time index).
 * Not for use outside collector/. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "collector/lines.h"
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

/* A refused name (tail_policy.c), reported once while it lasts. */
struct refusal {
	char *msg;
	bool seen;
};

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
	bool dirty;                  /* positions changed since the last checkpoint */
	uint64_t over_cap;           /* files past MAX_TFILES met in this scan */
	uint64_t over_cap_logged;    /* the largest such number reported through notice */
	collector_block_fn on_block; /* collector_tail_set_block_fn(); NULL: none */
	void *block_ctx;
	collector_quiet_fn quiet; /* collector_tail_set_quiet_fn(); NULL: none */
	void *quiet_ctx;
	struct ghost ghosts[N_GHOSTS];
	unsigned next_ghost; /* an inotify event that may add, move or remove a name */
	bool j_more;
	int64_t j_resume_us;    /* no valid cursor: resume at entries from this realtime */
	bool j_first_start;     /* the saved cursor was not valid: start as on a first start */
	bool j_skip_saved;      /* resumed by time: skip the saved entry if it shows up again */
	uint64_t j_skip_until;  /* ... among entries at this realtime */
	int64_t last_scan_us;   /* realtime at the start of the previous scan */
	sd_event_source *soon;  /* polls again soon when a source stopped at its fairness cap */
	sd_event_source *kick;  /* defer: one poll after the queued inotify events */
	int64_t state_mtime_us; /* mtime of the positions file we started from */
	int64_t state_since_us; /* siblings changed since then may be unknown to it */
	char **src_dirs;        /* per configured path: its directory, fixed part resolved */
	struct refusal *refused;
	size_t n_refused;
};

/* FNV-1a 64 of a buffer; of n bytes of fd at off (-1 when they cannot all be read). */
uint64_t collector_tail_fnv(const void *p, size_t n);
int collector_tail_hash_range(int fd, uint64_t off, size_t n, uint64_t *ret);
/* positions.json: load into t->saved / t->cursor, free the loaded entries. */
int collector_tail_load_positions(struct collector_tail *t, struct ev_errlist *errs);
void collector_tail_saved_free(struct collector_tail *t);
/* o[k] as a non-negative integer or a hex string; false when absent or malformed. */
bool collector_tail_ju64(json_t *o, const char *k, uint64_t *ret);

/* Does `fd` (of `size` bytes) hold the content a mark describes: the hash of its first
 * head_len bytes, and of the fp_len bytes before `offset`? (identity and fingerprint) */
bool tail_content_matches(int fd, uint64_t size, uint32_t head_len, uint64_t head_hash,
                          uint64_t offset, uint32_t fp_len, uint64_t fp_hash);
/* Count an error and keep its message (printf format) in *slot. */
void tail_set_error(char **slot, uint64_t *count, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Realtime a lost journal cursor resumes at: a checkpoint written at `mtime_us` covered
 * the entries up to about two checkpoint intervals before it. */
int64_t tail_resume_time(struct collector_tail *t, int64_t mtime_us);
/* Tell the operator (config.notice), printf format. */
void tail_notice(struct collector_tail *t, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* tail_file.c */
struct tfile *tail_file_new(struct collector_tail *t, size_t cfg, const char *path, int fd,
                            const struct stat *st);
void tail_file_free(struct tfile *f);
void tail_file_update_fp(struct tfile *f);
/* Read and deliver what the file has (`final`: also a last line without newline), then
 * fingerprint where it stopped; errors are counted in the file's stats. 0 or -errno. */
int tail_file_read(struct collector_tail *t, struct tfile *f, bool final);
/* Before a new file's first read: false while it may be a copy still being made. */
bool tail_file_settle_copy(struct collector_tail *t, struct tfile *f, const struct stat *st);

/* tail_scan.c */
void tail_scan(struct collector_tail *t, bool startup);
void tail_adopt_renamed(struct collector_tail *t);
void tail_adopt_rotated(struct collector_tail *t, int64_t since_us);

/* tail_policy.c: symbolic links (see there). check: 1 with *ret_open (the path to open
 * with O_NOFOLLOW), 0 when refused (counted and reported), -ENOMEM. */
int tail_policy_init(struct collector_tail *t);
void tail_policy_free(struct collector_tail *t);
void tail_policy_begin_scan(struct collector_tail *t);
void tail_policy_end_scan(struct collector_tail *t);
int tail_policy_check(struct collector_tail *t, size_t c, const char *path, char **ret_open);

/* tail_journal.c */
int tail_journal_open(struct collector_tail *t, struct ev_errlist *errs);
int tail_journal_process(struct collector_tail *t);
