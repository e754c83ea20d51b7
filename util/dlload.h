/* A library loaded with dlopen() on first use instead of linked: every function or none.
 *
 * The modules that load one (agent/curl_load.c, agent/ssl_load.c, store/archive_load.c)
 * keep a typed table of function pointers, which ev_dllib_load() fills on first use. */
#pragma once
#include <stddef.h>

struct ev_dlsym {
	const char *name; /* the symbol */
	void **dst;       /* the table's field (a function pointer, written as void *) */
};

/* One library: what to open and resolve, and what to say when it cannot be. Define it
 * static with the first five fields; the rest is ev_dllib_load()'s. */
struct ev_dllib {
	const char *soname;          /* "libssl.so.3" */
	const struct ev_dlsym *syms; /* every *dst set, or all NULL */
	size_t n_syms;
	const char *need;    /* "forwarding alerts over TLS needs libssl" */
	const char *package; /* "libssl3" */
	_Atomic int state;   /* 0: not tried; 1: tried (r set) */
	int r;
	char why[512];
};

/* The first call dlopen()s l->soname (RTLD_NOW | RTLD_LOCAL) and resolves every symbol,
 * once per process, thread safe; later calls return what it did. Returns 0, or -ELIBACC
 * with every *dst NULL and *ret_why (may be NULL; l->why) saying "SONAME cannot be loaded
 * (REASON): NEED (Debian: install PACKAGE)", REASON being dlerror()'s or the missing
 * symbol. */
int ev_dllib_load(struct ev_dllib *l, const char **ret_why);

/* For a list of the library's functions, X(RET, NAME, (PARAMS), (ARGS), FAIL) (RET void:
 * FAIL empty), in a module with a table `static struct { ... } fn` and a
 * `static bool loaded(void)` (ev_dllib_load() == 0): the wrapper ev_dl_NAME declared (header),
 * the table's field, its ev_dlsym entry, and the wrapper defined, checked at compile time
 * to have the library's own type, returning FAIL when the library is not loaded. The
 * header then maps NAME to ev_dl_NAME with #define. */
#define EV_DL_DECLARE(ret, name, params, args, fail) ret ev_dl_##name params;
#define EV_DL_FIELD(ret, name, params, args, fail)   __typeof__(name) *name;
#define EV_DL_SYM(ret, name, params, args, fail)     {#name, (void **)&fn.name},
#define EV_DL_CHECK(name)                                                                          \
	_Static_assert(__builtin_types_compatible_p(__typeof__(ev_dl_##name), __typeof__(name)),   \
	               #name "'s wrapper has the library's type");
#define EV_DL_WRAP(ret, name, params, args, fail)                                                  \
	EV_DL_CHECK(name)                                                                          \
	ret ev_dl_##name params {                                                                  \
		return loaded() ? fn.name args : fail;                                             \
	}
#define EV_DL_WRAP_VOID(ret, name, params, args, fail)                                             \
	EV_DL_CHECK(name)                                                                          \
	void ev_dl_##name params {                                                                 \
		if (loaded())                                                                      \
			fn.name args;                                                              \
	}
