/* Leaf matchers: Sigma values compiled to PCRE2 patterns, CIDRs, numbers.
 *
 * Invariants: a compiled leaf is read-only, so one leaf table can be shared by any number
 * of scans; all per-scan state (match data, capture callback) belongs to the caller.
 * Value matching is byte-wise (no UTF mode: messages may hold invalid UTF-8), so
 * case-insensitivity is ASCII, exactly like Vectorscan's HS_FLAG_CASELESS. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/leaf.h"

char *leaf_wildcard_to_regex(const char *v, size_t len, bool allow_wildcards) {
	/* worst case: every byte becomes \xHH (4) */
	char *out = malloc(len * 4 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (allow_wildcards && c == '\\' && i + 1 < len &&
		    (v[i + 1] == '*' || v[i + 1] == '?' || v[i + 1] == '\\')) {
			c = (unsigned char)v[++i];
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
			continue;
		}
		if (allow_wildcards && c == '*') {
			out[o++] = '.';
			out[o++] = '*';
			continue;
		}
		if (allow_wildcards && c == '?') {
			out[o++] = '.';
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == ' ' || c == '_')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
	}
	out[o] = 0;
	return out;
}

bool leaf_jit_available(void) {
	uint32_t have = 0;
	if (pcre2_config(PCRE2_CONFIG_JIT, &have) < 0 || !have)
		return false;
	int err;
	PCRE2_SIZE off;
	pcre2_code *c =
	        pcre2_compile((PCRE2_SPTR) "a+b", PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	bool ok = c && pcre2_jit_compile(c, PCRE2_JIT_COMPLETE) == 0;
	pcre2_code_free(c);
	return ok;
}

int leaf_compile(struct leaf *l, char *msg, size_t msg_len) {
	if (l->kind != LEAF_PATTERN)
		return 0;
	int err;
	PCRE2_SIZE off;
	l->code = pcre2_compile((PCRE2_SPTR)l->regex, PCRE2_ZERO_TERMINATED, l->pcre_opts, &err,
	                        &off, NULL);
	if (!l->code) {
		char buf[256];
		pcre2_get_error_message(err, (PCRE2_UCHAR *)buf, sizeof(buf));
		snprintf(msg, msg_len, "invalid regular expression at offset %zu: %s", (size_t)off,
		         buf);
		return -EINVAL;
	}
	uint32_t n = 0;
	pcre2_pattern_info(l->code, PCRE2_INFO_NAMECOUNT, &n);
	l->n_names = n;
	if (n) {
		PCRE2_SPTR tab;
		pcre2_pattern_info(l->code, PCRE2_INFO_NAMETABLE, &tab);
		pcre2_pattern_info(l->code, PCRE2_INFO_NAMEENTRYSIZE, &l->name_esz);
		l->name_tab = tab;
	}
	return 0;
}

static bool parse_ip(const char *s, size_t len, int *af, uint8_t *addr) {
	char buf[64];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*af = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		*af = AF_INET6;
		return true;
	}
	return false;
}

static bool cidr_test(const struct leaf *l, const struct ev_str *v) {
	int af;
	uint8_t a[16];
	if (!parse_ip(v->p, v->len, &af, a) || af != l->af)
		return false;
	unsigned bits = l->prefix;
	for (unsigned i = 0; bits > 0; i++) {
		unsigned take = bits >= 8 ? 8 : bits;
		uint8_t mask = (uint8_t)(0xff00u >> take);
		if ((a[i] & mask) != (l->addr[i] & mask))
			return false;
		bits -= take;
	}
	return true;
}

static bool num_test(const struct leaf *l, const struct ev_str *v) {
	char buf[64];
	if (v->len == 0 || v->len >= sizeof(buf))
		return false;
	memcpy(buf, v->p, v->len);
	buf[v->len] = 0;
	char *end;
	errno = 0;
	double d = strtod(buf, &end);
	if (errno || *end || isnan(d))
		return false;
	switch (l->cmp) {
	case CMP_LT:
		return d < l->num;
	case CMP_LTE:
		return d <= l->num;
	case CMP_GT:
		return d > l->num;
	case CMP_GTE:
		return d >= l->num;
	}
	return false;
}

bool leaf_test(struct leaf *l, const struct ev_str *value, pcre2_match_data *md, bool jit,
               leaf_capture_fn on_capture, void *ctx) {
	bool r = false;
	switch (l->kind) {
	case LEAF_EXISTS:
		r = (value != NULL) == l->exists;
		break;
	case LEAF_NULL:
		r = !value || value->len == 0;
		break;
	case LEAF_CIDR:
		r = value && cidr_test(l, value);
		break;
	case LEAF_NUM:
		r = value && num_test(l, value);
		break;
	case LEAF_FIELDREF: /* needs the other field: leaf_fieldref_test() */
		return false;
	case LEAF_PATTERN: {
		if (!value)
			break;
		const PCRE2_SPTR s = (PCRE2_SPTR)(value->p ? value->p : "");
		if (jit && !l->jit_tried) { /* a failure leaves the interpreter (BADOPTION below) */
			l->jit_tried = true;
			pcre2_jit_compile(l->code, PCRE2_JIT_COMPLETE);
		}
		int rc = jit ? pcre2_jit_match(l->code, s, value->len, 0, 0, md, NULL)
		             : pcre2_match(l->code, s, value->len, 0, PCRE2_NO_JIT, md, NULL);
		if (rc == PCRE2_ERROR_JIT_BADOPTION)
			rc = pcre2_match(l->code, s, value->len, 0, 0, md, NULL);
		r = rc >= 0;
		if (r && l->n_names && on_capture && !l->negate) {
			PCRE2_SPTR table = l->name_tab;
			uint32_t esz = l->name_esz;
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			uint32_t ovn = pcre2_get_ovector_count(md);
			for (uint32_t i = 0; i < l->n_names; i++) {
				PCRE2_SPTR e = table + (size_t)i * esz;
				unsigned g = ((unsigned)e[0] << 8) | e[1];
				if (g >= ovn || ov[2 * g] == PCRE2_UNSET)
					continue;
				const char *name = (const char *)e + 2;
				on_capture(ctx, name, strlen(name), value->p + ov[2 * g],
				           ov[2 * g + 1] - ov[2 * g]);
			}
		}
		break;
	}
	}
	return l->negate ? !r : r;
}

/* ASCII case-insensitive comparison of n bytes (NUL bytes compared like any other). */
static int ascii_casecmp(const char *a, const char *b, size_t n) {
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

static bool bytes_eq(const char *a, const char *b, size_t n, bool cased) {
	return cased ? !memcmp(a, b, n) : !ascii_casecmp(a, b, n);
}

bool leaf_fieldref_test(const struct leaf *l, const struct ev_str *value,
                        const struct ev_str *ref) {
	bool r = false;
	if (value && ref) {
		const char *v = value->p ? value->p : "", *f = ref->p ? ref->p : "";
		size_t vl = value->len, fl = ref->len;
		switch (l->ref_mode) {
		case LEAF_REF_EQUAL:
			r = vl == fl && bytes_eq(v, f, fl, l->cased);
			break;
		case LEAF_REF_PREFIX:
			r = vl >= fl && bytes_eq(v, f, fl, l->cased);
			break;
		case LEAF_REF_SUFFIX:
			r = vl >= fl && bytes_eq(v + vl - fl, f, fl, l->cased);
			break;
		case LEAF_REF_CONTAINS:
			for (size_t i = 0; !r && i + fl <= vl; i++)
				r = bytes_eq(v + i, f, fl, l->cased);
			break;
		}
	}
	return l->negate ? !r : r;
}

void leaf_free(struct leaf *l) {
	if (!l)
		return;
	free(l->field);
	free(l->alt_field);
	free(l->regex);
	free(l->ref);
	pcre2_code_free(l->code);
}

char *leaf_base64(const char *p, size_t len) {
	static const char tab[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	size_t o = 0, i = 0;
	const unsigned char *u = (const unsigned char *)p;
	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)u[i] << 16 | (uint32_t)u[i + 1] << 8 | u[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)u[i] << 16 | (i + 1 < len ? (uint32_t)u[i + 1] << 8 : 0);
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = 0;
	return out;
}
