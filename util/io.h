/* Small I/O helpers every module may use. */
#pragma once
#include <stddef.h>

/* Write all `len` bytes of buf to fd, retrying short writes and EINTR. Returns 0, or
 * -errno of the write that failed (what was written before stays written). */
int ev_write_all(int fd, const void *buf, size_t len);
/* Read into buf until `len` bytes, end of file or an error, retrying short reads and
 * EINTR. Returns the bytes read (fewer than len at end of file, or when a read failed
 * after some bytes), or -errno when the first read failed. */
long ev_read_full(int fd, void *buf, size_t len);
