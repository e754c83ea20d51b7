/* Directories made on the user's behalf (keygen --out, the agent's state directory). */
#pragma once
#include <sys/types.h>

/* Create `path` and any missing parents, like `mkdir -p`: the last component with `mode`,
 * parents with `parent_mode` (both before the umask). An existing directory is left as it
 * is. Returns 0, -ENOTDIR when a component exists and is not a directory, -ENAMETOOLONG,
 * or mkdir's -errno. */
int ev_mkdir_p(const char *path, mode_t mode, mode_t parent_mode);
