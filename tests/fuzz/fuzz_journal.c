/* Fuzz target: journal entries, the fields of which any local process can choose (any
 * name, binary values, any length), through the two pieces of evident that take them
 * apart: the journal entry -> record conversion (collector_journal_field_to_record and
 * collector_journal_record_finish, with the audit fields of an _TRANSPORT=audit entry)
 * and the export of sealed journal evidence (collector_journal_export_field: journal
 * export format and JSON lines).
 * The input is a journal export stream: entries separated by an empty line, each field
 * "NAME=value\n" or "NAME\n" + a 64-bit little-endian length + the value + "\n". It is read
 * by a small reader of this file (evident itself reads the journal with libsystemd).
 * Checked, beyond no crash: the record holds every field in order with its value cut at
 * the cap; the export re-read by the same reader gives back exactly the fields (bar the
 * names export format cannot carry); each field's JSON parses and gives back its name
 * and its value (a string, or the bytes as an array). */
#include <endian.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/excerpt.h"
#include "collector/journal.h"
#include "collector/recjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FIELDS 512

struct field {
	char *p; /* "NAME=value", its own allocation */
	size_t len;
};

/* Read one entry of an export stream from *pos; fields get their own allocations (so
 * ASan sees reads past them). Returns the number of fields, -1 at the end of the input. */
static int read_entry(const uint8_t *d, size_t n, size_t *pos, struct field *f) {
	size_t p = *pos;
	int k = 0;
	if (p >= n)
		return -1;
	while (p < n) {
		if (d[p] == '\n') {
			p++;
			break;
		}
		if (k == MAX_FIELDS)
			break; /* the rest is read as the next entry */
		const uint8_t *nl = memchr(d + p, '\n', n - p);
		size_t e = nl ? (size_t)(nl - d) : n;
		if (memchr(d + p, '=', e - p)) {
			f[k].len = e - p;
			f[k].p = malloc(f[k].len ? f[k].len : 1);
			memcpy(f[k].p, d + p, f[k].len);
			k++;
			p = nl ? e + 1 : n;
			continue;
		}
		/* binary form: the name, a newline, the length, the value, a newline */
		if (!nl || n - (e + 1) < 8) {
			p = n;
			break;
		}
		uint64_t le;
		memcpy(&le, d + e + 1, 8);
		size_t vl = (size_t)le64toh(le), at = e + 9;
		if (vl > n - at)
			vl = n - at;
		size_t nlen = e - p;
		f[k].len = nlen + 1 + vl;
		f[k].p = malloc(f[k].len);
		memcpy(f[k].p, d + p, nlen);
		f[k].p[nlen] = '=';
		memcpy(f[k].p + nlen + 1, d + at, vl);
		k++;
		p = at + vl;
		if (p < n && d[p] == '\n')
			p++;
	}
	*pos = p;
	return k;
}

static void free_fields(struct field *f, int k) {
	for (int i = 0; i < k; i++)
		free(f[i].p);
}

static bool exportable(const struct field *f) {
	const char *eq = memchr(f->p, '=', f->len);
	return eq != f->p && !memchr(f->p, '\n', (size_t)(eq - f->p));
}

static bool plain_text(const char *s, size_t n) {
	return collector_utf8_valid(s, n) && !memchr(s, 0, n);
}

/* The JSON of one field (',"NAME":value') gives back its name and value. */
static void check_json(const struct collector_buf *js, const struct field *f) {
	const char *eq = memchr(f->p, '=', f->len);
	size_t nl = (size_t)(eq - f->p), vl = f->len - nl - 1;
	if (js->len < 1 || js->p[0] != ',')
		abort();
	if (memchr(f->p, 0, nl))
		return; /* jansson refuses NUL in a key; the bytes were escaped, not checked here */
	char *obj = malloc(js->len + 1);
	obj[0] = '{';
	memcpy(obj + 1, js->p + 1, js->len - 1);
	obj[js->len] = '}';
	json_error_t err;
	json_t *o = json_loadb(obj, js->len + 1, JSON_ALLOW_NUL, &err);
	free(obj);
	if (!o || !json_is_object(o) || json_object_size(o) != 1)
		abort(); /* not one JSON member */
	const char *key = json_object_iter_key(json_object_iter(o));
	json_t *v = json_object_iter_value(json_object_iter(o));
	if (plain_text(f->p, nl) && (strlen(key) != nl || memcmp(key, f->p, nl) != 0))
		abort(); /* the name changed */
	if (plain_text(eq + 1, vl)) {
		if (!json_is_string(v) || json_string_length(v) != vl ||
		    memcmp(json_string_value(v), eq + 1, vl) != 0)
			abort(); /* the text value changed */
	} else {
		if (!json_is_array(v) || json_array_size(v) != vl)
			abort();
		for (size_t i = 0; i < vl; i++) {
			json_t *b = json_array_get(v, i);
			if (!json_is_integer(b) ||
			    json_integer_value(b) != (json_int_t)(unsigned char)eq[1 + i])
				abort(); /* a byte changed */
		}
	}
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static struct ev_record rec;
	static bool init;
	if (!init) {
		ev_record_init(&rec);
		init = true;
	}
	/* the field cap: small for one input in three, so cutting is reached */
	size_t cap = size % 3 == 0 ? 16 : (size_t)1 << 20;
	struct field *f = calloc(MAX_FIELDS, sizeof(*f));
	struct field *back = calloc(MAX_FIELDS, sizeof(*back));
	size_t pos = 0;
	int k;
	while ((k = read_entry(data, size, &pos, f)) >= 0) {
		/* the record */
		ev_record_reset(&rec);
		bool ident = false;
		for (int i = 0; i < k; i++)
			if (collector_journal_field_to_record(&rec, f[i].p, f[i].len, cap, &ident) <
			    0)
				abort();
		if (collector_journal_record_finish(&rec) < 0)
			abort();
		if (rec.n_fields < (size_t)k || !rec.message.p)
			abort();
		for (int i = 0; i < k; i++) {
			const struct ev_field *rf = &rec.fields[i];
			const char *eq = memchr(f[i].p, '=', f[i].len);
			size_t nl = (size_t)(eq - f[i].p), vl = f[i].len - nl - 1;
			if (vl > cap)
				vl = cap;
			if (rf->name.len != nl || memcmp(rf->name.p, f[i].p, nl) != 0 ||
			    rf->value.len != vl || memcmp(rf->value.p, eq + 1, vl) != 0)
				abort(); /* a field was lost, moved or changed */
		}
		/* the export */
		struct collector_buf ex = {0}, js = {0};
		for (int i = 0; i < k; i++) {
			js.len = 0;
			if (collector_journal_export_field(&ex, &js, f[i].p, f[i].len) < 0)
				abort();
			check_json(&js, &f[i]);
		}
		if (collector_buf_put(&ex, "\n", 1) < 0)
			abort();
		size_t bpos = 0;
		int bk = read_entry((const uint8_t *)ex.p, ex.len, &bpos, back);
		int j = 0;
		for (int i = 0; i < k; i++) {
			if (!exportable(&f[i]))
				continue;
			if (j >= bk || back[j].len != f[i].len ||
			    memcmp(back[j].p, f[i].p, f[i].len) != 0)
				abort(); /* the export does not read back as the entry's fields */
			j++;
		}
		if (j != (bk < 0 ? 0 : bk) || bpos != ex.len)
			abort(); /* the export holds more than the entry */
		free_fields(back, bk < 0 ? 0 : bk);
		collector_buf_done(&ex);
		collector_buf_done(&js);
		free_fields(f, k);
	}
	free(f);
	free(back);
	return 0;
}
