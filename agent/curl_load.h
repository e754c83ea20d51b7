/* libcurl, loaded when something is sent (notifications, fleet uploads), not at start.
 *
 * libcurl's dependencies (GnuTLS, Kerberos, LDAP, libssh2, nghttp2, libidn2, ...) map and
 * initialise about 3-4 MiB at load, which every `evident replay` and the agent paid before
 * sending anything. The binary no longer links libcurl: the few functions evident uses are
 * called through this table, which dlopen()s "libcurl.so.4" on first use (once, thread
 * safe; RTLD_NOW, so a library without one of them is refused at once). The build still
 * needs libcurl's headers, and the Debian package depends on libcurl4 by name
 * (packaging/debian/control: dpkg-shlibdeps no longer sees it).
 *
 * Include this instead of <curl/curl.h>: the curl_* names below then call the table. When
 * the library cannot be loaded, ev_curl_load() says why; the calls fail as libcurl's do
 * when out of resources (curl_easy_init() NULL, CURLE_FAILED_INIT, curl_slist_append()
 * NULL), so callers check ev_curl_load() first to give the user that reason. */
#pragma once
#define CURL_DISABLE_TYPECHECK 1 /* curl_easy_setopt() as a plain function, renamed below */
#include <curl/curl.h>

/* Load libcurl if not yet done. Returns 0, or -ELIBACC with *ret_why (static text: the
 * library, dlerror()'s reason and what to install) when it cannot be loaded. ret_why may be
 * NULL. */
int ev_curl_load(const char **ret_why);

CURLcode ev_curl_global_init(long flags);
CURL *ev_curl_easy_init(void);
CURLcode ev_curl_easy_setopt(CURL *h, CURLoption opt, ...);
CURLcode ev_curl_easy_perform(CURL *h);
CURLcode ev_curl_easy_getinfo(CURL *h, CURLINFO info, ...);
void ev_curl_easy_cleanup(CURL *h);
const char *ev_curl_easy_strerror(CURLcode c);
struct curl_slist *ev_curl_slist_append(struct curl_slist *l, const char *s);
void ev_curl_slist_free_all(struct curl_slist *l);

#undef curl_easy_setopt /* curl.h's argument-count macros */
#undef curl_easy_getinfo
#define curl_global_init    ev_curl_global_init
#define curl_easy_init      ev_curl_easy_init
#define curl_easy_setopt    ev_curl_easy_setopt
#define curl_easy_perform   ev_curl_easy_perform
#define curl_easy_getinfo   ev_curl_easy_getinfo
#define curl_easy_cleanup   ev_curl_easy_cleanup
#define curl_easy_strerror  ev_curl_easy_strerror
#define curl_slist_append   ev_curl_slist_append
#define curl_slist_free_all ev_curl_slist_free_all
