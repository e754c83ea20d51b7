/* Compiled Vectorscan databases kept in a directory, so that a start with the same rules
 * deserialises its databases instead of compiling them (the compiler's heap peak, its
 * code pages and 0.1-0.4 s of CPU per start).
 *
 * A cache file is named by the SHA-256 of everything hs_compile_multi() is given and of
 * what it depends on (the expressions, flags, ids, mode, hs_version() and the host
 * platform hs_populate_platform() reports), and holds that key, the SHA-256 and length
 * of its payload, then the payload (hs_serialize_database()). A file is used only when
 * the directory and the file belong to the running user (euid), are not writable by
 * group or others, the file is a regular file (no symbolic link) and its key, length and
 * hash agree: the cache decides what is detected. A refused directory or file is noted
 * (dbcache.note, the first refusal only) and the database compiled; a file that is
 * corrupt, truncated or from another version or platform is compiled again and replaced.
 * Files are written to a temporary name and renamed into place; at most DBCACHE_MAX_FILES
 * are kept (the least recently used go first). Nothing here is fatal: every failure
 * falls back to compiling. */
#pragma once
#ifdef HAVE_VECTORSCAN
#include <hs/hs.h>
#include <stdbool.h>

#define DBCACHE_MAX_FILES 64

struct dbcache {
	char *dir;         /* NULL: no cache, every database compiled; not freed here */
	unsigned loaded;   /* databases deserialised from the cache */
	unsigned compiled; /* databases compiled (not cached, or no usable file) */
	unsigned stored;   /* cache files written */
	char *note;        /* the first refusal (owner, mode), for the caller to log once */
};

/* hs_compile_multi(exprs, flags, ids, n, mode, NULL, ret_db, ret_ce) through the cache
 * `c` (NULL or c->dir NULL: compile). Same returns and ownership as hs_compile_multi. */
hs_error_t dbcache_compile(struct dbcache *c, const char *const *exprs, const unsigned *flags,
                           const unsigned *ids, unsigned n, unsigned mode, hs_database_t **ret_db,
                           hs_compile_error_t **ret_ce);
/* Frees the note (not the directory string, which the caller owns). */
void dbcache_done(struct dbcache *c);
#endif
