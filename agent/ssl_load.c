/* libssl through dlopen() on first use (agent/ssl_load.h).
 *
 * Invariant: the table is filled once, under pthread_once, with every function or none;
 * after a failure every call fails the same way and ev_ssl_load() keeps the reason. Each
 * wrapper's type is checked against OpenSSL's own prototype at compile time
 * (util/dlload.h). */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>

#define EV_SSL_NO_RENAME 1
#include "agent/ssl_load.h"

#define LIBSSL "libssl.so.3"

static struct {
	EV_SSL_FUNCS(EV_DL_FIELD)
	EV_SSL_VOID_FUNCS(EV_DL_FIELD)
} fn;
static const struct ev_dlsym syms[] = {EV_SSL_FUNCS(EV_DL_SYM) EV_SSL_VOID_FUNCS(EV_DL_SYM)};
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_r;
static char why[512];

static void load(void) {
	load_r = ev_dlload(LIBSSL, syms, sizeof(syms) / sizeof(*syms),
	                   "forwarding alerts over TLS needs libssl", "libssl3", why, sizeof(why));
}

int ev_ssl_load(const char **ret_why) {
	pthread_once(&once, load);
	if (load_r < 0 && ret_why)
		*ret_why = why;
	return load_r;
}

static bool loaded(void) {
	return ev_ssl_load(NULL) == 0;
}

EV_SSL_FUNCS(EV_DL_WRAP)
EV_SSL_VOID_FUNCS(EV_DL_WRAP_VOID)
