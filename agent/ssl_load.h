/* libssl, loaded when alerts are forwarded over TLS (agent/daemon/forward.c), not at start.
 *
 * libssl was mapped and about 240 KiB of it resident in every evident process, though
 * only the TLS syslog forwarder uses it. The binary no longer links it (libcrypto stays
 * linked: store/ hashes and signs with it): the functions forward.c calls go through a
 * table that dlopen()s "libssl.so.3" on first use (once, thread safe; every function or
 * none; util/dlload.h). The build still needs OpenSSL's headers; the Debian package keeps
 * its dependency on libssl3 through libcrypto.so.3, which that package ships
 * (dpkg-shlibdeps; checked by tests/integration/packaging-deb.sh).
 *
 * Include this instead of <openssl/ssl.h>: the SSL_* names below (and the macros of
 * ssl.h built on SSL_ctrl/SSL_CTX_ctrl) then call the table. When the library cannot be
 * loaded, calls fail as OpenSSL's do (NULL, 0, -1, SSL_ERROR_SSL); callers check
 * ev_ssl_load() first to give the user the reason. */
#pragma once
#include <openssl/ssl.h>

#include "util/dlload.h"

/* Load libssl if not yet done. Returns 0, or -ELIBACC with *ret_why (static text: the
 * library, dlerror()'s reason and what to install) when it cannot be loaded. ret_why may
 * be NULL. */
int ev_ssl_load(const char **ret_why);

/* Every libssl function evident calls: return type, name, parameters, arguments, and
 * what it returns when the library is not loaded (util/dlload.h). */
#define EV_SSL_FUNCS(X)                                                                            \
	X(const SSL_METHOD *, TLS_client_method, (void), (), NULL)                                 \
	X(SSL_CTX *, SSL_CTX_new, (const SSL_METHOD *m), (m), NULL)                                \
	X(long, SSL_CTX_ctrl, (SSL_CTX * c, int cmd, long l, void *p), (c, cmd, l, p), 0)          \
	X(int, SSL_CTX_load_verify_locations, (SSL_CTX * c, const char *file, const char *path),   \
	  (c, file, path), 0)                                                                      \
	X(int, SSL_CTX_set_default_verify_paths, (SSL_CTX * c), (c), 0)                            \
	X(int, SSL_CTX_use_certificate_chain_file, (SSL_CTX * c, const char *file), (c, file), 0)  \
	X(int, SSL_CTX_use_PrivateKey_file, (SSL_CTX * c, const char *file, int type),             \
	  (c, file, type), 0)                                                                      \
	X(int, SSL_CTX_check_private_key, (const SSL_CTX *c), (c), 0)                              \
	X(SSL *, SSL_new, (SSL_CTX * c), (c), NULL)                                                \
	X(int, SSL_set_fd, (SSL * s, int fd), (s, fd), 0)                                          \
	X(long, SSL_ctrl, (SSL * s, int cmd, long l, void *p), (s, cmd, l, p), 0)                  \
	X(int, SSL_get_verify_mode, (const SSL *s), (s), SSL_VERIFY_NONE)                          \
	X(X509_VERIFY_PARAM *, SSL_get0_param, (SSL * s), (s), NULL)                               \
	X(int, SSL_set1_host, (SSL * s, const char *host), (s, host), 0)                           \
	X(int, SSL_connect, (SSL * s), (s), -1)                                                    \
	X(long, SSL_get_verify_result, (const SSL *s), (s), X509_V_ERR_UNSPECIFIED)                \
	X(int, SSL_get_error, (const SSL *s, int ret), (s, ret), SSL_ERROR_SSL)                    \
	X(const char *, SSL_get_version, (const SSL *s), (s), "unknown")                           \
	X(int, SSL_read, (SSL * s, void *buf, int n), (s, buf, n), -1)                             \
	X(int, SSL_write, (SSL * s, const void *buf, int n), (s, buf, n), -1)

/* The ones that return nothing. */
#define EV_SSL_VOID_FUNCS(X)                                                                       \
	X(void, SSL_CTX_set_verify, (SSL_CTX * c, int mode, SSL_verify_cb cb), (c, mode, cb), )    \
	X(void, SSL_CTX_free, (SSL_CTX * c), (c), )                                                \
	X(void, SSL_free, (SSL * s), (s), )

EV_SSL_FUNCS(EV_DL_DECLARE)
EV_SSL_VOID_FUNCS(EV_DL_DECLARE)

#ifndef EV_SSL_NO_RENAME /* defined by agent/ssl_load.c only */
#define TLS_client_method                  ev_dl_TLS_client_method
#define SSL_CTX_new                        ev_dl_SSL_CTX_new
#define SSL_CTX_ctrl                       ev_dl_SSL_CTX_ctrl
#define SSL_CTX_load_verify_locations      ev_dl_SSL_CTX_load_verify_locations
#define SSL_CTX_set_default_verify_paths   ev_dl_SSL_CTX_set_default_verify_paths
#define SSL_CTX_use_certificate_chain_file ev_dl_SSL_CTX_use_certificate_chain_file
#define SSL_CTX_use_PrivateKey_file        ev_dl_SSL_CTX_use_PrivateKey_file
#define SSL_CTX_check_private_key          ev_dl_SSL_CTX_check_private_key
#define SSL_new                            ev_dl_SSL_new
#define SSL_set_fd                         ev_dl_SSL_set_fd
#define SSL_ctrl                           ev_dl_SSL_ctrl
#define SSL_get_verify_mode                ev_dl_SSL_get_verify_mode
#define SSL_get0_param                     ev_dl_SSL_get0_param
#define SSL_set1_host                      ev_dl_SSL_set1_host
#define SSL_connect                        ev_dl_SSL_connect
#define SSL_get_verify_result              ev_dl_SSL_get_verify_result
#define SSL_get_error                      ev_dl_SSL_get_error
#define SSL_get_version                    ev_dl_SSL_get_version
#define SSL_read                           ev_dl_SSL_read
#define SSL_write                          ev_dl_SSL_write
#define SSL_CTX_set_verify                 ev_dl_SSL_CTX_set_verify
#define SSL_CTX_free                       ev_dl_SSL_CTX_free
#define SSL_free                           ev_dl_SSL_free
#endif
