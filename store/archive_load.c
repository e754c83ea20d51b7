/* libarchive through dlopen() on first use (store/archive_load.h).
 *
 * Invariant: the table is filled once, under pthread_once, with every function or none;
 * after a failure every call fails the same way and store_archive_load() keeps the reason.
 * Each wrapper's type is checked against libarchive's own prototype at compile time. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define STORE_ARCHIVE_NO_RENAME 1
#include "store/archive_load.h"
#include "store/bundle.h"

#define LIBARCHIVE "libarchive.so.13"

#define FIELD(ret, name, params, args, fail) __typeof__(name) *name;
#define FIELD_VOID(name, params, args)       __typeof__(name) *name;
static struct {
	STORE_ARCHIVE_FUNCS(FIELD)
	STORE_ARCHIVE_VOID_FUNCS(FIELD_VOID)
	__typeof__(archive_set_error) *archive_set_error;
} fn;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_r;
static char why[512];

static void load(void) {
	void *h = dlopen(LIBARCHIVE, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;
	if (h) {
		/* dlsym() returns void *; POSIX guarantees it converts to a function pointer */
#define SYM(name)                                                                                  \
	do {                                                                                       \
		*(void **)&fn.name = dlsym(h, #name);                                              \
		if (!fn.name && !missing)                                                          \
			missing = #name;                                                           \
	} while (0);
#define SYM_FN(ret, name, params, args, fail) SYM(name)
#define SYM_VOID(name, params, args)          SYM(name)
		STORE_ARCHIVE_FUNCS(SYM_FN)
		STORE_ARCHIVE_VOID_FUNCS(SYM_VOID)
		SYM(archive_set_error)
		if (!missing)
			return;
	}
	snprintf(why, sizeof(why),
	         "%s cannot be loaded (%s): evidence bundles need libarchive (Debian: install "
	         "libarchive13)",
	         LIBARCHIVE, h ? missing : dlerror());
	load_r = -ELIBACC;
	/* a half-loaded library is not used; its handle stays open */
}

int store_archive_load(const char **ret_why) {
	pthread_once(&once, load);
	if (load_r < 0 && ret_why)
		*ret_why = why;
	return load_r;
}

const char *store_strerror(int r) {
	const char *w;
	if (r == -ELIBACC && store_archive_load(&w) < 0)
		return w;
	return strerror(r < 0 ? -r : r);
}

static bool loaded(void) {
	return store_archive_load(NULL) == 0;
}

#define WRAP(ret, name, params, args, fail)                                                        \
	_Static_assert(                                                                            \
	        __builtin_types_compatible_p(__typeof__(store_dl_##name), __typeof__(name)),       \
	        #name "'s wrapper has libarchive's type");                                         \
	ret store_dl_##name params {                                                               \
		return loaded() ? fn.name args : fail;                                             \
	}
#define WRAP_VOID(name, params, args)                                                              \
	_Static_assert(                                                                            \
	        __builtin_types_compatible_p(__typeof__(store_dl_##name), __typeof__(name)),       \
	        #name "'s wrapper has libarchive's type");                                         \
	void store_dl_##name params {                                                              \
		if (loaded())                                                                      \
			fn.name args;                                                              \
	}
STORE_ARCHIVE_FUNCS(WRAP)
STORE_ARCHIVE_VOID_FUNCS(WRAP_VOID)

void store_dl_archive_set_error(struct archive *a, int err, const char *fmt, ...) {
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (loaded())
		fn.archive_set_error(a, err, "%s", msg);
}
