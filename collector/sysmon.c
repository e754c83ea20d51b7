/* Sysmon for Linux XML (see sysmon.h). Not an XML parser: the elements Sysmon writes are
 * found by their literal tags within the message's bytes (pointer, length; nothing past
 * the end is read), in the fixed shape Sysmon produces; anything else is left alone. */
#include "collector/sysmon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *find(const char *p, const char *end, const char *s) {
	size_t l = strlen(s);
	for (; p && p + l <= end; p++) {
		p = memchr(p, s[0], (size_t)(end - p));
		if (!p || p + l > end)
			return NULL;
		if (memcmp(p, s, l) == 0)
			return p;
	}
	return NULL;
}

/* The text v[0..n) with XML's five entities decoded, into a new buffer (caller frees). */
static char *unescape(const char *v, size_t n, size_t *ret_len) {
	static const struct {
		const char *ent, ch;
	} t[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	char *b = malloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; b && i < n;) {
		size_t k = 0;
		while (v[i] == '&' && k < sizeof(t) / sizeof(t[0]) &&
		       (n - i < strlen(t[k].ent) || memcmp(v + i, t[k].ent, strlen(t[k].ent))))
			k++;
		if (v[i] == '&' && k < sizeof(t) / sizeof(t[0])) {
			b[o++] = t[k].ch;
			i += strlen(t[k].ent);
		} else
			b[o++] = v[i++];
	}
	*ret_len = o;
	return b;
}

static int add(struct ev_record *rec, const char *name, size_t nl, const char *v, size_t vl) {
	size_t l;
	char *u = unescape(v, vl, &l);
	int r = u ? ev_record_add_field(rec, name, nl, u, l) : -ENOMEM;
	free(u);
	return r;
}

/* <TAG>text</TAG> inside [p, end) as field `name`. */
static int add_element(struct ev_record *rec, const char *p, const char *end, const char *tag,
                       const char *name) {
	char open[32], close[32];
	size_t ol = (size_t)snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	const char *a = find(p, end, open), *b = a ? find(a + ol, end, close) : NULL;
	return b ? add(rec, name, strlen(name), a + ol, (size_t)(b - a - ol)) : 0;
}

static uint32_t category_of(const struct ev_record *rec) {
	const struct ev_str *id = ev_record_get(rec, "EventID");
	if (!id)
		return 0;
	if (id->len == 1 && id->p[0] == '1')
		return EV_REC_PROCESS_CREATION;
	if (id->len == 1 && id->p[0] == '3')
		return EV_REC_NETWORK_CONNECTION;
	if (id->len == 2 && !memcmp(id->p, "11", 2))
		return EV_REC_FILE_EVENT;
	return 0;
}

int collector_sysmon_decode(struct ev_record *rec) {
	const char *p = rec->message.p, *end = p ? p + rec->message.len : NULL;
	while (p && p < end && *p == ' ')
		p++;
	if (!p || end - p < 16 || memcmp(p, "<Event", 6) ||
	    !find(p, end, "<Provider Name=\"Linux-Sysmon\""))
		return 0;
	int r = add_element(rec, p, end, "EventID", "EventID");
	if (r >= 0)
		r = add_element(rec, p, end, "Computer", "Computer");
	size_t n = 0;
	for (const char *d = find(p, end, "<Data Name=\""); r >= 0 && d;
	     d = find(d + 1, end, "<Data Name=\"")) {
		const char *name = d + 12, *q = memchr(name, '"', (size_t)(end - name));
		if (!q || q + 1 >= end)
			break;
		if (n++ == SYSMON_FIELDS_MAX) {
			rec->flags |= EV_REC_TRUNCATED;
			break;
		}
		if (q[1] == '/') { /* <Data Name="X"/> */
			r = ev_record_add_field(rec, name, (size_t)(q - name), "", 0);
			continue;
		}
		const char *v = q + 2, *ve = find(v, end, "</Data>");
		if (q[1] != '>' || !ve)
			break;
		r = add(rec, name, (size_t)(q - name), v, (size_t)(ve - v));
	}
	if (r < 0)
		return r;
	rec->flags |= category_of(rec);
	return 1;
}
