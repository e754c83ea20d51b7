/* libcurl through dlopen() on first use (agent/curl_load.h).
 *
 * Invariant: the table is filled once (ev_dllib_load()) with every function or none;
 * after a failure every call fails the same way and ev_curl_load() keeps the reason. The
 * variadic curl_easy_setopt() and curl_easy_getinfo() pass their one argument on with the
 * type libcurl reads for that option (its number range: long, object pointer, function
 * pointer, curl_off_t, blob), and for that info (always a pointer). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "agent/curl_load.h"
#include "util/dlload.h"

typedef void (*any_fn)(void);

static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} fn;
#define SYM(field, name)                                                                           \
	{ name, (void **)&fn.field }
static const struct ev_dlsym syms[] = {
        SYM(global_init, "curl_global_init"),       SYM(easy_init, "curl_easy_init"),
        SYM(easy_setopt, "curl_easy_setopt"),       SYM(easy_perform, "curl_easy_perform"),
        SYM(easy_getinfo, "curl_easy_getinfo"),     SYM(easy_cleanup, "curl_easy_cleanup"),
        SYM(easy_strerror, "curl_easy_strerror"),   SYM(slist_append, "curl_slist_append"),
        SYM(slist_free_all, "curl_slist_free_all"),
};

static struct ev_dllib lib = {"libcurl.so.4", syms, sizeof(syms) / sizeof(*syms),
                              "notifications and uploads need libcurl", "libcurl4"};

int ev_curl_load(const char **ret_why) {
	return ev_dllib_load(&lib, ret_why);
}

CURLcode ev_curl_global_init(long flags) {
	return ev_curl_load(NULL) < 0 ? CURLE_FAILED_INIT : fn.global_init(flags);
}

CURL *ev_curl_easy_init(void) {
	return ev_curl_load(NULL) < 0 ? NULL : fn.easy_init();
}

CURLcode ev_curl_easy_setopt(CURL *h, CURLoption opt, ...) {
	if (ev_curl_load(NULL) < 0)
		return CURLE_FAILED_INIT;
	va_list ap;
	va_start(ap, opt);
	CURLcode r;
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		r = fn.easy_setopt(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		r = fn.easy_setopt(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		r = fn.easy_setopt(h, opt, va_arg(ap, any_fn));
	else if (opt < CURLOPTTYPE_BLOB)
		r = fn.easy_setopt(h, opt, va_arg(ap, curl_off_t));
	else
		r = fn.easy_setopt(h, opt, va_arg(ap, void *));
	va_end(ap);
	return r;
}

CURLcode ev_curl_easy_perform(CURL *h) {
	return ev_curl_load(NULL) < 0 ? CURLE_FAILED_INIT : fn.easy_perform(h);
}

CURLcode ev_curl_easy_getinfo(CURL *h, CURLINFO info, ...) {
	if (ev_curl_load(NULL) < 0)
		return CURLE_FAILED_INIT;
	va_list ap;
	va_start(ap, info);
	void *p = va_arg(ap, void *); /* every CURLINFO type is read through a pointer */
	va_end(ap);
	return fn.easy_getinfo(h, info, p);
}

void ev_curl_easy_cleanup(CURL *h) {
	if (h && ev_curl_load(NULL) >= 0)
		fn.easy_cleanup(h);
}

const char *ev_curl_easy_strerror(CURLcode c) {
	return ev_curl_load(NULL) < 0 ? lib.why : fn.easy_strerror(c);
}

struct curl_slist *ev_curl_slist_append(struct curl_slist *l, const char *s) {
	return ev_curl_load(NULL) < 0 ? NULL : fn.slist_append(l, s);
}

void ev_curl_slist_free_all(struct curl_slist *l) {
	if (l && ev_curl_load(NULL) >= 0)
		fn.slist_free_all(l);
}
