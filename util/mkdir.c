/* mkdir -p with separate modes for the leaf and the parents (see util/mkdir.h). Each
 * component is created in order; EEXIST is fine when the thing is a directory (a
 * symlink to one included: the user's path is theirs to trust). */
#include "util/mkdir.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

static int one(const char *path, mode_t mode) {
	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int ev_mkdir_p(const char *path, mode_t mode, mode_t parent_mode) {
	char buf[PATH_MAX];
	size_t len = strlen(path);
	if (len == 0)
		return -ENOENT;
	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		int r = one(buf, parent_mode);
		*p = '/';
		if (r < 0)
			return r;
	}
	return one(buf, mode);
}
