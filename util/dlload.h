/* A library loaded with dlopen() on first use instead of linked: every function or none.
 *
 * The modules that load one (agent/curl_load.c, agent/ssl_load.c, store/archive_load.c)
 * keep a typed table of function pointers, fill it once under pthread_once through
 * ev_dlload(), and keep the reason when it fails. */
#pragma once
#include <stddef.h>

struct ev_dlsym {
	const char *name; /* the symbol */
	void **dst;       /* the table's field (a function pointer, written as void *) */
};

/* dlopen(soname, RTLD_NOW | RTLD_LOCAL) and set every *dst. Returns 0, or -ELIBACC with
 * every *dst NULL and `why` (why_len bytes) saying "SONAME cannot be loaded (REASON):
 * NEED (Debian: install PACKAGE)", REASON being dlerror()'s or the missing symbol. */
int ev_dlload(const char *soname, const struct ev_dlsym *syms, size_t n, const char *need,
              const char *package, char *why, size_t why_len);

/* For a list of the library's functions, X(RET, NAME, (PARAMS), (ARGS), FAIL) (RET void:
 * FAIL empty), in a module with a table `static struct { ... } fn` and a
 * `static bool loaded(void)` that loads once: the wrapper ev_dl_NAME declared (header),
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
