/* libarchive through dlopen() on first use (store/archive_load.h).
 *
 * Invariant: the table is filled once (ev_dllib_load()) with every function or none;
 * after a failure every call fails the same way and store_archive_load() keeps the reason.
 * Each wrapper's type is checked against libarchive's own prototype at compile time
 * (util/dlload.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define STORE_ARCHIVE_NO_RENAME 1
#include "store/archive_load.h"
#include "store/bundle.h"
#include "util/dlload.h"

/* The table: both lists and the variadic archive_set_error (wrapped by hand below). */
#define ALL(X)                                                                                     \
	STORE_ARCHIVE_FUNCS(X) STORE_ARCHIVE_VOID_FUNCS(X) X(void, archive_set_error, (), (), )
static struct { ALL(EV_DL_FIELD) } fn;
static const struct ev_dlsym syms[] = {ALL(EV_DL_SYM)};
static struct ev_dllib lib = {"libarchive.so.13", syms, sizeof(syms) / sizeof(*syms),
                              "evidence bundles need libarchive", "libarchive13"};

int store_archive_load(const char **ret_why) {
	return ev_dllib_load(&lib, ret_why);
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

STORE_ARCHIVE_FUNCS(EV_DL_WRAP)
STORE_ARCHIVE_VOID_FUNCS(EV_DL_WRAP_VOID)

void ev_dl_archive_set_error(struct archive *a, int err, const char *fmt, ...) {
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (loaded())
		fn.archive_set_error(a, err, "%s", msg);
}
