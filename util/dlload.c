/* dlopen() with every symbol or none (util/dlload.h). A handle whose symbols are not all
 * there stays open (nothing of it is used); a loaded one stays for the process's life. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include "util/dlload.h"

int ev_dlload(const char *soname, const struct ev_dlsym *syms, size_t n, const char *need,
              const char *package, char *why, size_t why_len) {
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;
	for (size_t i = 0; h && i < n && !missing; i++)
		if (!(*syms[i].dst = dlsym(h, syms[i].name)))
			missing = syms[i].name;
	if (h && !missing)
		return 0;
	for (size_t i = 0; i < n; i++)
		*syms[i].dst = NULL;
	if (h)
		snprintf(why, why_len, "%s cannot be loaded (it lacks %s): %s (Debian: install %s)",
		         soname, missing, need, package);
	else
		snprintf(why, why_len, "%s cannot be loaded (%s): %s (Debian: install %s)", soname,
		         dlerror(), need, package);
	return -ELIBACC;
}
