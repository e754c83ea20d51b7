/* libarchive, loaded when a bundle is written or read, not at start.
 *
 * libarchive's dependency chain (libxml2, ICU, nettle, acl, bz2, ...) was mapped and
 * partly resident in every evident process, about 1.3 MiB, though replay and the agent's
 * matching never touch a bundle. The binary no longer links libarchive: the functions
 * store/ calls go through a table that dlopen()s "libarchive.so.13" on first use (once,
 * thread safe; RTLD_NOW, every function or none). The build still needs libarchive's
 * headers, and the Debian package depends on libarchive13 by name
 * (packaging/debian/control: dpkg-shlibdeps no longer sees it).
 *
 * Include this instead of <archive.h> (store/ and its unit tests only): the archive_*
 * names below then call the table. When the library cannot be loaded, the constructors
 * return NULL and everything else fails as libarchive does (ARCHIVE_FATAL, -1, NULL);
 * the bundle writer and verifier check store_archive_load() first and return -ELIBACC,
 * and store_strerror() (store/bundle.h) gives the reason. */
#pragma once
#include <archive.h>
#include <archive_entry.h>

#include "util/dlload.h"
#include "util/macro.h"

/* Load libarchive if not yet done. Returns 0, or -ELIBACC with *ret_why (static text: the
 * library, dlerror()'s reason and what to install) when it cannot be loaded. ret_why may
 * be NULL. */
int store_archive_load(const char **ret_why);

/* Every libarchive function store/ calls: return type, name, parameters, arguments, and
 * what it returns when the library is not loaded (util/dlload.h). */
#define STORE_ARCHIVE_FUNCS(X)                                                                     \
	X(struct archive *, archive_read_new, (void), (), NULL)                                    \
	X(int, archive_read_support_filter_gzip, (struct archive * a), (a), ARCHIVE_FATAL)         \
	X(int, archive_read_support_format_tar, (struct archive * a), (a), ARCHIVE_FATAL)          \
	X(int, archive_read_open,                                                                  \
	  (struct archive * a, void *ud, archive_open_callback *o, archive_read_callback *r,       \
	   archive_close_callback *c),                                                             \
	  (a, ud, o, r, c), ARCHIVE_FATAL)                                                         \
	X(int, archive_read_open_memory, (struct archive * a, const void *buf, size_t len),        \
	  (a, buf, len), ARCHIVE_FATAL)                                                            \
	X(int, archive_read_next_header, (struct archive * a, struct archive_entry * *e), (a, e),  \
	  ARCHIVE_FATAL)                                                                           \
	X(la_ssize_t, archive_read_data, (struct archive * a, void *buf, size_t len),              \
	  (a, buf, len), ARCHIVE_FATAL)                                                            \
	X(int, archive_read_free, (struct archive * a), (a), ARCHIVE_FATAL)                        \
	X(struct archive *, archive_write_new, (void), (), NULL)                                   \
	X(int, archive_write_set_format_pax_restricted, (struct archive * a), (a), ARCHIVE_FATAL)  \
	X(int, archive_write_add_filter_gzip, (struct archive * a), (a), ARCHIVE_FATAL)            \
	X(int, archive_write_set_filter_option,                                                    \
	  (struct archive * a, const char *m, const char *o, const char *v), (a, m, o, v),         \
	  ARCHIVE_FATAL)                                                                           \
	X(int, archive_write_set_bytes_per_block, (struct archive * a, int n), (a, n),             \
	  ARCHIVE_FATAL)                                                                           \
	X(int, archive_write_set_bytes_in_last_block, (struct archive * a, int n), (a, n),         \
	  ARCHIVE_FATAL)                                                                           \
	X(int, archive_write_open,                                                                 \
	  (struct archive * a, void *ud, archive_open_callback *o, archive_write_callback *w,      \
	   archive_close_callback *c),                                                             \
	  (a, ud, o, w, c), ARCHIVE_FATAL)                                                         \
	X(int, archive_write_open_memory,                                                          \
	  (struct archive * a, void *buf, size_t cap, size_t *used), (a, buf, cap, used),          \
	  ARCHIVE_FATAL)                                                                           \
	X(int, archive_write_header, (struct archive * a, struct archive_entry * e), (a, e),       \
	  ARCHIVE_FATAL)                                                                           \
	X(la_ssize_t, archive_write_data, (struct archive * a, const void *buf, size_t len),       \
	  (a, buf, len), ARCHIVE_FATAL)                                                            \
	X(int, archive_write_finish_entry, (struct archive * a), (a), ARCHIVE_FATAL)               \
	X(int, archive_write_close, (struct archive * a), (a), ARCHIVE_FATAL)                      \
	X(int, archive_write_free, (struct archive * a), (a), ARCHIVE_FATAL)                       \
	X(int, archive_errno, (struct archive * a), (a), 0)                                        \
	X(const char *, archive_error_string, (struct archive * a), (a), NULL)                     \
	X(struct archive_entry *, archive_entry_new, (void), (), NULL)                             \
	X(const char *, archive_entry_pathname, (struct archive_entry * e), (e), NULL)             \
	X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e), 0)                 \
	X(const char *, archive_entry_hardlink, (struct archive_entry * e), (e), NULL)             \
	X(const char *, archive_entry_symlink, (struct archive_entry * e), (e), NULL)              \
	X(la_int64_t, archive_entry_size, (struct archive_entry * e), (e), 0)                      \
	X(int, archive_entry_size_is_set, (struct archive_entry * e), (e), 0)

/* The ones that return nothing. */
#define STORE_ARCHIVE_VOID_FUNCS(X)                                                                \
	X(void, archive_entry_free, (struct archive_entry * e), (e), )                             \
	X(void, archive_entry_set_pathname, (struct archive_entry * e, const char *p), (e, p), )   \
	X(void, archive_entry_set_symlink, (struct archive_entry * e, const char *p), (e, p), )    \
	X(void, archive_entry_set_size, (struct archive_entry * e, la_int64_t n), (e, n), )        \
	X(void, archive_entry_set_filetype, (struct archive_entry * e, unsigned t), (e, t), )      \
	X(void, archive_entry_set_perm, (struct archive_entry * e, __LA_MODE_T m), (e, m), )       \
	X(void, archive_entry_set_mtime, (struct archive_entry * e, time_t s, long ns),            \
	  (e, s, ns), )                                                                            \
	X(void, archive_entry_set_uid, (struct archive_entry * e, la_int64_t id), (e, id), )       \
	X(void, archive_entry_set_gid, (struct archive_entry * e, la_int64_t id), (e, id), )

STORE_ARCHIVE_FUNCS(EV_DL_DECLARE)
STORE_ARCHIVE_VOID_FUNCS(EV_DL_DECLARE)
void ev_dl_archive_set_error(struct archive *a, int err, const char *fmt, ...) _printf_(3, 4);

#ifndef STORE_ARCHIVE_NO_RENAME /* defined by store/archive_load.c only */
#define archive_read_new                        ev_dl_archive_read_new
#define archive_read_support_filter_gzip        ev_dl_archive_read_support_filter_gzip
#define archive_read_support_format_tar         ev_dl_archive_read_support_format_tar
#define archive_read_open                       ev_dl_archive_read_open
#define archive_read_open_memory                ev_dl_archive_read_open_memory
#define archive_read_next_header                ev_dl_archive_read_next_header
#define archive_read_data                       ev_dl_archive_read_data
#define archive_read_free                       ev_dl_archive_read_free
#define archive_write_new                       ev_dl_archive_write_new
#define archive_write_set_format_pax_restricted ev_dl_archive_write_set_format_pax_restricted
#define archive_write_add_filter_gzip           ev_dl_archive_write_add_filter_gzip
#define archive_write_set_filter_option         ev_dl_archive_write_set_filter_option
#define archive_write_set_bytes_per_block       ev_dl_archive_write_set_bytes_per_block
#define archive_write_set_bytes_in_last_block   ev_dl_archive_write_set_bytes_in_last_block
#define archive_write_open                      ev_dl_archive_write_open
#define archive_write_open_memory               ev_dl_archive_write_open_memory
#define archive_write_header                    ev_dl_archive_write_header
#define archive_write_data                      ev_dl_archive_write_data
#define archive_write_finish_entry              ev_dl_archive_write_finish_entry
#define archive_write_close                     ev_dl_archive_write_close
#define archive_write_free                      ev_dl_archive_write_free
#define archive_errno                           ev_dl_archive_errno
#define archive_error_string                    ev_dl_archive_error_string
#define archive_set_error                       ev_dl_archive_set_error
#define archive_entry_new                       ev_dl_archive_entry_new
#define archive_entry_free                      ev_dl_archive_entry_free
#define archive_entry_pathname                  ev_dl_archive_entry_pathname
#define archive_entry_filetype                  ev_dl_archive_entry_filetype
#define archive_entry_hardlink                  ev_dl_archive_entry_hardlink
#define archive_entry_symlink                   ev_dl_archive_entry_symlink
#define archive_entry_size                      ev_dl_archive_entry_size
#define archive_entry_size_is_set               ev_dl_archive_entry_size_is_set
#define archive_entry_set_pathname              ev_dl_archive_entry_set_pathname
#define archive_entry_set_symlink               ev_dl_archive_entry_set_symlink
#define archive_entry_set_size                  ev_dl_archive_entry_set_size
#define archive_entry_set_filetype              ev_dl_archive_entry_set_filetype
#define archive_entry_set_perm                  ev_dl_archive_entry_set_perm
#define archive_entry_set_mtime                 ev_dl_archive_entry_set_mtime
#define archive_entry_set_uid                   ev_dl_archive_entry_set_uid
#define archive_entry_set_gid                   ev_dl_archive_entry_set_gid
#endif
