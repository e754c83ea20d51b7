/* What a verification produces and what it checks against: the report of findings and
 * warnings (capped at 10,000 each; findings past the cap are counted as dropped), the
 * keyring of public keys (each key once, pinned when any addition pinned it) and the
 * bundle information a verification returns. No I/O. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "store/bundle.h"

static const char *const finding_names[] = {
#define STORE_FINDING_STR(x) #x,
        STORE_FINDINGS(STORE_FINDING_STR)};

const char *store_finding_name(enum store_finding_code c) {
	return (unsigned)c < ELEMENTSOF(finding_names) ? finding_names[c] : "UNKNOWN";
}

#define REPORT_CAP 10000

int store_report_add(struct store_report *r, enum store_finding_code c, const char *where,
                     const char *fmt, ...) {
	if (r->n >= REPORT_CAP) {
		r->dropped++;
		return 0;
	}
	if (r->n == r->alloc) {
		size_t na = r->alloc ? r->alloc * 2 : 8;
		struct store_finding *nv = realloc(r->v, na * sizeof(*nv));
		if (!nv) {
			r->dropped++;
			return -ENOMEM;
		}
		r->v = nv;
		r->alloc = na;
	}
	va_list ap;
	va_start(ap, fmt);
	char *msg = ev_vasprintf(fmt, ap);
	va_end(ap);
	r->v[r->n++] = (struct store_finding){c, where ? strdup(where) : NULL, msg};
	return 0;
}

int store_report_warn(struct store_report *r, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	char *msg = ev_vasprintf(fmt, ap);
	va_end(ap);
	if (!msg)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_warnings; i++)
		if (strcmp(r->warnings[i], msg) == 0) {
			free(msg);
			return 0;
		}
	char **nw = r->n_warnings < REPORT_CAP
	                    ? realloc(r->warnings, (r->n_warnings + 1) * sizeof(*nw))
	                    : NULL;
	if (!nw) {
		free(msg);
		return -ENOMEM;
	}
	r->warnings = nw;
	r->warnings[r->n_warnings++] = msg;
	return 0;
}

void store_report_clear(struct store_report *r) {
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].where);
		free(r->v[i].msg);
	}
	for (size_t i = 0; i < r->n_warnings; i++)
		free(r->warnings[i]);
	free(r->v);
	free(r->warnings);
	*r = (struct store_report){0};
}

json_t *store_report_json(const struct store_report *r) {
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s?, s:s?}", "code",
		                                   store_finding_name(r->v[i].code), "where",
		                                   r->v[i].where, "message", r->v[i].msg));
	return a;
}

int store_keyring_add(struct store_keyring *kr, struct store_key *k, bool pinned) {
	for (size_t i = 0; i < kr->n; i++)
		if (strcmp(store_key_id(kr->keys[i]), store_key_id(k)) == 0) {
			kr->pinned[i] = kr->pinned[i] || pinned;
			store_key_free(k);
			return 0;
		}
	struct store_key **nk = realloc(kr->keys, (kr->n + 1) * sizeof(*nk));
	if (!nk) {
		store_key_free(k);
		return -ENOMEM;
	}
	kr->keys = nk;
	bool *np = realloc(kr->pinned, (kr->n + 1) * sizeof(*np));
	if (!np) {
		store_key_free(k);
		return -ENOMEM;
	}
	kr->pinned = np;
	kr->keys[kr->n] = k;
	kr->pinned[kr->n++] = pinned;
	return 0;
}

const struct store_key *store_keyring_find(const struct store_keyring *kr, const char *id,
                                           bool *ret_pinned) {
	for (size_t i = 0; kr && id && i < kr->n; i++)
		if (strcmp(store_key_id(kr->keys[i]), id) == 0) {
			if (ret_pinned)
				*ret_pinned = kr->pinned[i];
			return kr->keys[i];
		}
	return NULL;
}

int store_keyring_add_public(struct store_keyring *kr, const struct store_key *key, bool pinned) {
	char *pem = store_key_public_pem(key);
	struct store_key *k = NULL;
	int r = pem ? store_key_public_from_pem(pem, strlen(pem), &k) : -ENOMEM;
	free(pem);
	return r < 0 ? r : store_keyring_add(kr, k, pinned);
}

int store_keyring_copy(struct store_keyring *dst, const struct store_keyring *src) {
	for (size_t i = 0; src && i < src->n; i++) {
		int r = store_keyring_add_public(dst, src->keys[i], src->pinned[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

void store_keyring_clear(struct store_keyring *kr) {
	for (size_t i = 0; i < kr->n; i++)
		store_key_free(kr->keys[i]);
	free(kr->keys);
	free(kr->pinned);
	*kr = (struct store_keyring){0};
}

void store_bundle_info_clear(struct store_bundle_info *i) {
	json_decref(i->manifest);
	*i = (struct store_bundle_info){0};
}
