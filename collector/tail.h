/* Live sources for the daemon and `evident tail`: files (inotify through sd-event, plus a
 * periodic stat) and the journal, delivering records in arrival order, with positions
 * persisted so that a restart loses no line and repeats none.
 *
 * CONTRACT (collector/ and agent/'s daemon; change only together).
 *
 * Delivery. Every record goes through `record_cb` synchronously from the sd-event loop,
 * in file order for each file and in journal order for the journal. The record (and
 * every pointer into it) is valid only during the call: copy what you keep
 * (ev_record_copy). The record is the tail's, lent to the callback writable: the callback
 * may add fields to it (ev_record_add_field; the correlation engine's decoders do) but
 * changes nothing else; the tail resets it before the next record, and a record delivered
 * again (below) is parsed afresh, without the added fields. When the callback returns >= 0 the
 * record counts as processed; a negative return stops delivery from that source for this wake-up,
 * and the same record is delivered again on the next one (backpressure: nothing is lost or
 * skipped).
 *
 * Positions. A source's position (file identity + offset of the first unprocessed byte,
 * which keeps a partial last line on disk rather than in memory; journal cursor) only
 * moves past records whose callback returned >= 0. collector_tail_checkpoint() writes
 * every position and each file's sparse time index to STATE_DIR/positions.json
 * atomically (temp file, fsync, rename, fsync of the directory). The tail checkpoints by
 * itself every `checkpoint_interval_us` and in collector_tail_free(); call checkpoint
 * yourself after the records are durably handled (for example after correlation state
 * was saved) if you need tighter bounds. After kill -9, records after the last checkpoint
 * are delivered again (at-least-once); a clean stop (checkpoint then free) gives exactly
 * once.
 *
 * Corrupt state. A positions.json that is empty, zeroed, cut short, not JSON or has
 * malformed entries never fails collector_tail_new: it is reported through `notice`
 * (its name and what was wrong), renamed positions.json.corrupt-TIME, and its valid
 * entries are used, completed from positions.json.prev (the checkpoint before it, kept
 * by every checkpoint: lines since then come again). Files, or the journal, without any
 * valid position start as on a first start (`from_end`), and the notice says so.
 *
 * Files. `path` may be a glob; globs are re-expanded on every stat tick and on inotify
 * events that add, move or remove names. Every file matching when collector_tail_new()
 * returns is a source then (get_stats lists it); the directory of each path is watched
 * before that scan, or while it does not exist its deepest existing ancestor, so a file
 * created later is picked up on its event, not on a stat tick. Appends are read on the
 * inotify event (after the events already queued), without a fixed delay. A file is known
 * by device + inode + a hash of its first bytes; on resume the bytes just before the
 * saved offset are compared too. Rotation by rename (the old file is read to its end
 * first), copytruncate and truncation (reading restarts at 0), delete + recreate, symlink
 * target changes and inode reuse are detected. A file that matched the glob under an old
 * name is not read again under its rotated name. Lines longer than max_line are split
 * into parts flagged EV_REC_PART.
 *
 * Symbolic links. A name that a glob matched and that is, or passes through, a symbolic
 * link below the configured directory is followed only when (1) the directory holding
 * the link is writable by nobody but root and the service user (owner root or us, no
 * write bit for others, a group write bit only for root's or our group): never otherwise,
 * whatever the configuration; and (2) the link's target lies in the directory of a
 * configured path, or `follow_symlinks` is set, or the link is a configured path itself
 * (no glob). A refusal is counted in
 * stats.links_refused and reported once through `notice`. Files are opened with
 * O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC and read only when fstat says regular (a FIFO or a
 * device in a watched directory is never opened for reading).
 *
 * Journal. sd_journal on the local journal or `journal_dir`, data threshold 0, fields cut
 * at `journal_field_cap`. Resumes after the saved cursor; when that entry is gone
 * (vacuumed) it resumes at the first entry at or after the cursor's realtime timestamp
 * (the saved entry itself, should another file hold it, is skipped).
 * SD_JOURNAL_INVALIDATE (rotation) is handled without losing entries.
 *
 * Errors. Functions return >= 0 or -errno; messages go to `errs` (never printed). Errors
 * while running (an unreadable file, a journal error) are counted in the stats and the
 * last message is kept there; the source is retried on the next tick. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "collector/lines.h"
#include "collector/parse.h"
#include "collector/record.h"
#include "util/err.h"

struct collector_tail_file {
	const char *path;    /* path or glob */
	const char *format;  /* NULL = auto */
	const char *tz;      /* NULL = local */
	size_t max_line;     /* 0 = the tail's max_line */
	const char *program; /* program of lines that carry none; NULL = none */
	const char *service; /* field "service" of every record; NULL = none */
};

/* Called for every record; see the contract above. */
typedef int (*collector_tail_record_fn)(void *userdata, struct ev_record *rec);
/* Called (with the record callback's userdata) for what the operator should hear about
 * although nothing failed: a refused symbolic link, corrupt state moved aside. */
typedef void (*collector_tail_notice_fn)(void *userdata, const char *msg);

struct collector_tail_config {
	const struct collector_tail_file *files;
	size_t n_files;
	bool journal;
	const char *journal_dir;                /* NULL = the system journal */
	const char *const *journal_files;       /* NULL-terminated; for tests; overrides dir */
	const char *const *journal_units;       /* NULL-terminated or NULL */
	const char *const *journal_identifiers; /* NULL-terminated or NULL */
	int journal_max_priority;               /* 0..7; 7 = everything */
	size_t journal_field_cap;               /* 0 = 1 MiB */
	size_t max_line;                        /* 0 = 64 KiB */
	uint64_t stat_interval_us;              /* 0 = 2 s */
	uint64_t checkpoint_interval_us;        /* 0 = 5 s */
	uint64_t index_interval;                /* bytes between time index entries; 0 = 16 KiB */
	const char *state_dir;                  /* NULL = no persistence (positions in memory) */
	bool from_end;                          /* files/journal without a saved position:
	                                           start at the end (daemon) or at the start */
	bool follow_symlinks;                   /* links to targets outside the configured
	                                           directories (see Symbolic links) */
	collector_tail_notice_fn notice;        /* NULL = notices are dropped */
};

struct collector_tail_source_stats {
	const char *name; /* path, or "journal" (valid until the next get_stats/free) */
	bool journal;
	bool open; /* currently followed */
	uint64_t records, bytes;
	uint64_t rotations, truncations;
	uint64_t errors;
	uint64_t offset;        /* files: next byte to read */
	uint64_t size;          /* files: size at the last stat (lag = size - offset) */
	int64_t last_time_us;   /* event time of the last record, 0 if none */
	const char *last_error; /* NULL if none */
	char formats[128];      /* files: the formats that parsed its lines ("hdfs 2000") */
};

struct collector_tail_stats {
	uint64_t records;
	uint64_t checkpoints;
	int64_t last_checkpoint_us;   /* realtime of the last successful checkpoint, 0 if none */
	uint64_t links_refused;       /* names refused by the symlink policy (each once) */
	uint64_t files_over_cap;      /* files not tailed at the last scan: past 4,096 open */
	uint64_t checkpoint_errors;   /* failures of the tail's own checkpoint timer */
	const char *checkpoint_error; /* the first one's message, or NULL */
	const struct collector_tail_source_stats *sources;
	size_t n_sources;
};

struct collector_tail;

/* Attach the sources to `event` (a reference is taken), load saved positions from
 * state_dir and start following. Returns 0, -EINVAL (bad config: message in errs),
 * -errno (state dir unusable). Files that do not exist yet are not an error: they are
 * picked up when they appear. */
int collector_tail_new(sd_event *event, const struct collector_tail_config *c,
                       collector_tail_record_fn record_cb, void *userdata,
                       struct collector_tail **ret, struct ev_errlist *errs);
/* Read what is available now from every source (without waiting for events), up to a
 * fairness cap per source (4 MiB of a file, 20,000 journal entries); when more is left
 * the loop polls again at once. The loop calls this by itself; call it by hand when
 * there is no loop (event NULL). Returns 0 or -errno. */
int collector_tail_poll(struct collector_tail *t);
/* Persist positions and time indexes now (atomic). Returns 0 or -errno (message in errs). */
int collector_tail_checkpoint(struct collector_tail *t, struct ev_errlist *errs);
/* Statistics for `evident status`; the pointers stay valid until the next call or free. */
void collector_tail_get_stats(struct collector_tail *t, struct collector_tail_stats *ret);
/* Checkpoint (when state_dir is set), detach from the loop and free. NULL is fine. */
struct collector_tail *collector_tail_free(struct collector_tail *t);
/* Tell `fn` of each file's block of complete lines before they are delivered, and that it
 * is gone (p NULL) before the buffer changes or another file's lines are delivered (see
 * collector_block_fn in collector/lines.h). fn NULL: stop. */
void collector_tail_set_block_fn(struct collector_tail *t, collector_block_fn fn, void *ctx);
/* Ask `fn` of each whole line of a file's block told of (collector_quiet_fn in
 * collector/parse.h) before it is parsed; a quiet line is delivered with its time only
 * (EV_REC_QUIET): no message, fields or priority, its source the file's name. Journal
 * entries are never quiet. fn NULL: stop. */
void collector_tail_set_quiet_fn(struct collector_tail *t, collector_quiet_fn fn, void *ctx);

/* The tail's symbolic-link policy (above) for a name read outside the tail, such as
 * evidence collection: `path` checked against the configured `patterns` (paths and
 * globs; the one naming `path` exactly, else the first glob matching it, else `path`'s
 * own directory is taken as configured). Returns 1 with *ret_open (free it) the name to
 * open with O_NOFOLLOW (`path`, or the resolved target of an accepted link), 0 when
 * refused with the reason in `why`, or -ENOMEM. */
int collector_link_policy(const char *const *patterns, size_t n, bool follow_symlinks,
                          const char *path, char **ret_open, char *why, size_t whylen);

/* The time index of `path` as saved in STATE_DIR/positions.json, if that file is the one
 * indexed (same device, inode and first bytes). On success (1) *ret_start is the offset of
 * the last index entry whose time is before `since_us`, or 0, and *ret_end the offset of
 * the first entry whose time is after `until_us`, or UINT64_MAX: the lines of the window
 * lie in [start, end) as long as the file's times are ordered to within the entry spacing.
 * Returns 0 when there is no index for this file, -errno on errors. */
int collector_tail_index_lookup(const char *state_dir, const char *path, int64_t since_us,
                                int64_t until_us, uint64_t *ret_start, uint64_t *ret_end);
/* The same lookup on the text of a positions file (what collector_tail_index_lookup reads)
 * for the log file open as `fd`, `st` its status (device and inode): the loader's own
 * code, so that the fuzz target reaches it without files. 1, 0 as above. */
struct stat;
int collector_tail_index_lookup_mem(const char *text, size_t len, int fd, const struct stat *st,
                                    int64_t since_us, int64_t until_us, uint64_t *ret_start,
                                    uint64_t *ret_end);
/* Check the text of a positions file the way collector_tail_new's loader does: *ret_n the
 * file positions that survive, *ret_cursor whether a journal cursor does, `problem` what
 * was wrong ("" when the file is whole). 0 or -ENOMEM. */
int collector_tail_positions_parse(const char *text, size_t len, size_t *ret_n, bool *ret_cursor,
                                   char *problem, size_t problem_size);
