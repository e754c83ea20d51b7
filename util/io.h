/* Small I/O helpers every module may use. */
#pragma once
#include <stddef.h>

/* Write all `len` bytes of buf to fd, retrying short writes and EINTR. Returns 0, or
 * -errno of the write that failed (what was written before stays written). */
int ev_write_all(int fd, const void *buf, size_t len);
