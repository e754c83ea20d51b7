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

#include "util/macro.h"

/* Load libarchive if not yet done. Returns 0, or -ELIBACC with *ret_why (static text: the
 * library, dlerror()'s reason and what to install) when it cannot be loaded. ret_why may
 * be NULL. */
int store_archive_load(const char **ret_why);

/* Every libarchive function store/ calls: return type, name, parameters, arguments, and
 * what it returns when the library is not loaded. */
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

/* The ones that return nothing: name, parameters, arguments. */
#define STORE_ARCHIVE_VOID_FUNCS(X)                                                                \
	X(archive_entry_free, (struct archive_entry * e), (e))                                     \
	X(archive_entry_set_pathname, (struct archive_entry * e, const char *p), (e, p))           \
	X(archive_entry_set_symlink, (struct archive_entry * e, const char *p), (e, p))            \
	X(archive_entry_set_size, (struct archive_entry * e, la_int64_t n), (e, n))                \
	X(archive_entry_set_filetype, (struct archive_entry * e, unsigned t), (e, t))              \
	X(archive_entry_set_perm, (struct archive_entry * e, __LA_MODE_T m), (e, m))               \
	X(archive_entry_set_mtime, (struct archive_entry * e, time_t s, long ns), (e, s, ns))      \
	X(archive_entry_set_uid, (struct archive_entry * e, la_int64_t id), (e, id))               \
	X(archive_entry_set_gid, (struct archive_entry * e, la_int64_t id), (e, id))

#define STORE_ARCHIVE_DECLARE(ret, name, params, args, fail) ret store_dl_##name params;
#define STORE_ARCHIVE_DECLARE_VOID(name, params, args)       void store_dl_##name params;
STORE_ARCHIVE_FUNCS(STORE_ARCHIVE_DECLARE)
STORE_ARCHIVE_VOID_FUNCS(STORE_ARCHIVE_DECLARE_VOID)
void store_dl_archive_set_error(struct archive *a, int err, const char *fmt, ...) _printf_(3, 4);

#ifndef STORE_ARCHIVE_NO_RENAME /* defined by store/archive_load.c only */
#define archive_read_new                        store_dl_archive_read_new
#define archive_read_support_filter_gzip        store_dl_archive_read_support_filter_gzip
#define archive_read_support_format_tar         store_dl_archive_read_support_format_tar
#define archive_read_open                       store_dl_archive_read_open
#define archive_read_open_memory                store_dl_archive_read_open_memory
#define archive_read_next_header                store_dl_archive_read_next_header
#define archive_read_data                       store_dl_archive_read_data
#define archive_read_free                       store_dl_archive_read_free
#define archive_write_new                       store_dl_archive_write_new
#define archive_write_set_format_pax_restricted store_dl_archive_write_set_format_pax_restricted
#define archive_write_add_filter_gzip           store_dl_archive_write_add_filter_gzip
#define archive_write_set_filter_option         store_dl_archive_write_set_filter_option
#define archive_write_set_bytes_per_block       store_dl_archive_write_set_bytes_per_block
#define archive_write_set_bytes_in_last_block   store_dl_archive_write_set_bytes_in_last_block
#define archive_write_open                      store_dl_archive_write_open
#define archive_write_open_memory               store_dl_archive_write_open_memory
#define archive_write_header                    store_dl_archive_write_header
#define archive_write_data                      store_dl_archive_write_data
#define archive_write_finish_entry              store_dl_archive_write_finish_entry
#define archive_write_close                     store_dl_archive_write_close
#define archive_write_free                      store_dl_archive_write_free
#define archive_errno                           store_dl_archive_errno
#define archive_error_string                    store_dl_archive_error_string
#define archive_set_error                       store_dl_archive_set_error
#define archive_entry_new                       store_dl_archive_entry_new
#define archive_entry_free                      store_dl_archive_entry_free
#define archive_entry_pathname                  store_dl_archive_entry_pathname
#define archive_entry_filetype                  store_dl_archive_entry_filetype
#define archive_entry_hardlink                  store_dl_archive_entry_hardlink
#define archive_entry_symlink                   store_dl_archive_entry_symlink
#define archive_entry_size                      store_dl_archive_entry_size
#define archive_entry_size_is_set               store_dl_archive_entry_size_is_set
#define archive_entry_set_pathname              store_dl_archive_entry_set_pathname
#define archive_entry_set_symlink               store_dl_archive_entry_set_symlink
#define archive_entry_set_size                  store_dl_archive_entry_set_size
#define archive_entry_set_filetype              store_dl_archive_entry_set_filetype
#define archive_entry_set_perm                  store_dl_archive_entry_set_perm
#define archive_entry_set_mtime                 store_dl_archive_entry_set_mtime
#define archive_entry_set_uid                   store_dl_archive_entry_set_uid
#define archive_entry_set_gid                   store_dl_archive_entry_set_gid
#endif
