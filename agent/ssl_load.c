/* libssl through dlopen() on first use (agent/ssl_load.h).
 *
 * Invariant: the table is filled once (ev_dllib_load()) with every function or none;
 * after a failure every call fails the same way and ev_ssl_load() keeps the reason. Each
 * wrapper's type is checked against OpenSSL's own prototype at compile time
 * (util/dlload.h). */
#include "config.h"

#include <stdbool.h>

#define EV_SSL_NO_RENAME 1
#include "agent/ssl_load.h"

static struct {
	EV_SSL_FUNCS(EV_DL_FIELD)
	EV_SSL_VOID_FUNCS(EV_DL_FIELD)
} fn;
static const struct ev_dlsym syms[] = {EV_SSL_FUNCS(EV_DL_SYM) EV_SSL_VOID_FUNCS(EV_DL_SYM)};
static struct ev_dllib lib = {"libssl.so.3", syms, sizeof(syms) / sizeof(*syms),
                              "forwarding alerts over TLS needs libssl", "libssl3"};

int ev_ssl_load(const char **ret_why) {
	return ev_dllib_load(&lib, ret_why);
}

static bool loaded(void) {
	return ev_ssl_load(NULL) == 0;
}

EV_SSL_FUNCS(EV_DL_WRAP)
EV_SSL_VOID_FUNCS(EV_DL_WRAP_VOID)
