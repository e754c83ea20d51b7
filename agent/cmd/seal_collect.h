/* Evidence collection for `evident seal` (agent/cmd/seal_collect.c): each source streamed into
 * the bundle writer of an open seal. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/cmd/cmd_seal_agent.h"
#include "store/bundle.h"

struct seal_collect {
	struct store_bundle_writer *w;
	int64_t since, until;  /* the window, µs */
	const char *state_dir; /* the agent's time index for excerpts; may be NULL */
	/* The configured sources (sources.files) and sources.follow_symlinks: a --file name
	 * that is or passes through a symbolic link is read only as the tail would read it
	 * (collector_link_policy), through the link's target resolved once. */
	const char *const *sources;
	size_t n_sources;
	bool follow_symlinks;
	int64_t slack_us;     /* how far the index is widened around the window */
	uint64_t cmd_timeout; /* µs */
	uint64_t cmd_cap;     /* bytes of stdout (and of stderr) kept per command */
	bool progress;        /* "N MiB collected" on stderr */
	/* Sources with nothing in the window, no member made: [{"source":{...},"note":"..."}]
	 * (the manifest's "notes"). Owned by the caller, appended to here. */
	json_t *notes;
};

/* Each returns 0 when the source was collected or its failure recorded in the bundle (a
 * member's error, or the manifest's errors when no member was made: a path that is not a
 * regular file, a program that cannot run), and -errno only when the bundle itself failed
 * (the seal must be aborted). Files are opened O_NONBLOCK|O_NOFOLLOW and read only when
 * they are regular files: a FIFO, socket or device is refused, never waited on; a
 * symbolic link only under the tail's policy (--file), never for --copy. */

/* --copy PATH: the whole file. */
int ev_seal_copy(struct seal_collect *c, const char *path);
/* --command NAME=CMD ARGS: run without a shell (agent/spawn.h) under cmd_timeout and
 * cmd_cap; exit status, signal, time-out, output size and truncation recorded; stderr as
 * NAME.stderr when not empty. */
int ev_seal_command(struct seal_collect *c, const char *spec);
/* --file PATH|GLOB: the window of each matching file (a plain PATH adds its rotated
 * generations PATH.N*). A file without lines in the window gets a note, not a member. */
int ev_seal_files(struct seal_collect *c, const char *path_or_glob);
/* The journal window (dir or file may be NULL) for `units` (none: every unit). */
int ev_seal_journal(struct seal_collect *c, const char *dir, const char *file,
                    const struct ev_strv *units);
/* Bytes collected so far (for the progress line's final newline). */
uint64_t ev_seal_collected(void);
