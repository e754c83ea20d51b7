/* Installed paths versus the build tree (see paths.h). The build tree is recognised by the
 * binary's own directory, resolved through /proc/self/exe, being the build's agent/. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/paths.h"

bool ev_running_from_build_tree(void) {
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	/* /proc/self/exe has every symlink resolved; the baked path may not */
	char built[PATH_MAX];
	if (!realpath(EV_ABS_BUILDDIR, built))
		return false;
	size_t len = strlen(built);
	return strncmp(exe, built, len) == 0 && (exe[len] == '/' || exe[len] == '\0');
}

const char *ev_config_default_path(void) {
	const char *env = getenv("EVIDENT_CONFIG");
	if (env)
		return env;
	if (ev_running_from_build_tree())
		return "";
	return access(EV_INSTALLED_CONFIG, F_OK) == 0 ? EV_INSTALLED_CONFIG : "";
}
