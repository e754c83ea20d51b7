/* dlopen() with every symbol or none, once (util/dlload.h). A handle whose symbols are
 * not all there stays open (nothing of it is used); a loaded one stays for the process's
 * life. One mutex for all libraries: each is tried once, so it is taken a few times per
 * process; afterwards `state` (acquire) is the only cost of a call. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "util/dlload.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int load(struct ev_dllib *l) {
	void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;
	for (size_t i = 0; h && i < l->n_syms && !missing; i++)
		if (!(*l->syms[i].dst = dlsym(h, l->syms[i].name)))
			missing = l->syms[i].name;
	if (h && !missing)
		return 0;
	for (size_t i = 0; i < l->n_syms; i++)
		*l->syms[i].dst = NULL;
	if (h)
		snprintf(l->why, sizeof(l->why),
		         "%s cannot be loaded (it lacks %s): %s (Debian: install %s)", l->soname,
		         missing, l->need, l->package);
	else
		snprintf(l->why, sizeof(l->why),
		         "%s cannot be loaded (%s): %s (Debian: install %s)", l->soname, dlerror(),
		         l->need, l->package);
	return -ELIBACC;
}

int ev_dllib_load(struct ev_dllib *l, const char **ret_why) {
	if (!atomic_load_explicit(&l->state, memory_order_acquire)) {
		pthread_mutex_lock(&mu);
		if (!atomic_load_explicit(&l->state, memory_order_relaxed)) {
			l->r = load(l);
			atomic_store_explicit(&l->state, 1, memory_order_release);
		}
		pthread_mutex_unlock(&mu);
	}
	if (l->r < 0 && ret_why)
		*ret_why = l->why;
	return l->r;
}
