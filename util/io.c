/* Small I/O helpers (see io.h). */
#include "config.h"

#include "util/io.h"

#include <errno.h>
#include <unistd.h>

long ev_read_full(int fd, void *buf, size_t len) {
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && got == 0)
			return -errno;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (long)got;
}

int ev_write_all(int fd, const void *buf, size_t len) {
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
