/* Bundle verifier: reads a bundle once (gzip + tar through libarchive), hashing every
 * evidence member in flight, and checks it against SHA256SUMS, the canonical manifest, its
 * signature and the Merkle root. Hostile input: every size is capped before it is read
 * (declared member size, total uncompressed bytes, manifest size, member count), only
 * regular-file members are read, nothing is written anywhere except through the caller's
 * sink, and every problem becomes a finding rather than a crash. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "store/archive_load.h"
#include "store/bundle.h"
#include "store/merkle.h"

/* ---- reading ---- */

struct seen {
	char *path;
	uint64_t size;
	uint8_t sha[STORE_HASH_LEN];
	bool matched;
};

/* The gzip layer is ours (zlib), not libarchive's: inflate checks the CRC-32 and length
 * in the gzip trailer, and we insist on exactly one gzip member with nothing after it and
 * nothing but zero blocks after the end of the tar archive. */
struct reader {
	int fd; /* or -1 with mem */
	const uint8_t *mem;
	size_t mem_len, mem_pos;
	struct store_sha256_ctx *fsha; /* hash of the bytes as stored (fd only) */
	z_stream z;
	bool z_init, z_end;
	uint8_t in[65536];
	uint8_t out[65536];
	bool io_error;
	int err;
	char gz_err[160];
};

static ssize_t pull(struct reader *rd, const uint8_t **ret) {
	if (!rd->mem) {
		for (;;) {
			ssize_t n = read(rd->fd, rd->in, sizeof(rd->in));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rd->io_error = true;
				rd->err = errno;
				return -1;
			}
			if (rd->fsha)
				store_sha256_update(rd->fsha, rd->in, (size_t)n);
			*ret = rd->in;
			return n;
		}
	}
	size_t n = MIN(rd->mem_len - rd->mem_pos, (size_t)(1u << 30));
	*ret = rd->mem + rd->mem_pos;
	rd->mem_pos += n;
	return (ssize_t)n;
}

static void gz_fail(struct reader *rd, const char *what) {
	if (!rd->gz_err[0])
		snprintf(rd->gz_err, sizeof(rd->gz_err), "%s", what);
}

/* After the end of the gzip stream: anything more is an error (and is still hashed). */
static void check_trailing(struct reader *rd) {
	if (rd->z.avail_in)
		gz_fail(rd, "data after the end of the gzip stream");
	const uint8_t *p;
	ssize_t n;
	while ((n = pull(rd, &p)) > 0)
		gz_fail(rd, "data after the end of the gzip stream");
}

static ssize_t inflate_some(struct reader *rd) {
	if (!rd->z_init) {
		if (inflateInit2(&rd->z, 16 + 15) != Z_OK) {
			gz_fail(rd, "out of memory");
			return 0;
		}
		rd->z_init = true;
	}
	while (!rd->z_end && !rd->gz_err[0]) {
		if (rd->z.avail_in == 0) {
			const uint8_t *p;
			ssize_t n = pull(rd, &p);
			if (n < 0)
				return -1;
			if (n == 0) {
				gz_fail(rd, "truncated gzip stream");
				return 0;
			}
			rd->z.next_in = (Bytef *)p;
			rd->z.avail_in = (uInt)n;
		}
		rd->z.next_out = rd->out;
		rd->z.avail_out = sizeof(rd->out);
		int zr = inflate(&rd->z, Z_NO_FLUSH);
		size_t produced = sizeof(rd->out) - rd->z.avail_out;
		if (zr == Z_STREAM_END) {
			rd->z_end = true;
			check_trailing(rd);
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			char m[160];
			snprintf(m, sizeof(m), "corrupt gzip stream (%s)",
			         rd->z.msg ? rd->z.msg : "inflate error");
			gz_fail(rd, m);
			return 0;
		}
		if (produced)
			return (ssize_t)produced;
	}
	return 0;
}

static la_ssize_t rd_read(struct archive *a, void *ud, const void **buf) {
	struct reader *rd = ud;
	ssize_t n = inflate_some(rd);
	if (n < 0) {
		archive_set_error(a, rd->err, "read: %s", strerror(rd->err));
		return -1;
	}
	*buf = rd->out;
	return n;
}

/* After the tar end marker: the rest of the stream must be zero blocks (bounded). */
static void drain(struct reader *rd) {
	uint64_t total = 0;
	for (;;) {
		ssize_t n = inflate_some(rd);
		if (n <= 0)
			return;
		total += (uint64_t)n;
		for (ssize_t i = 0; i < n; i++)
			if (rd->out[i]) {
				gz_fail(rd, "data after the end of the tar archive");
				return;
			}
		if (total > (1u << 20)) {
			gz_fail(rd, "more than 1 MiB after the end of the tar archive");
			return;
		}
	}
}

static int cmp_seen(const void *a, const void *b) {
	return strcmp(((const struct seen *)a)->path, ((const struct seen *)b)->path);
}

static struct seen *find_seen(struct seen *v, size_t n, const char *path) {
	struct seen k = {.path = (char *)path};
	return n ? bsearch(&k, v, n, sizeof(*v), cmp_seen) : NULL;
}

/* Read the current entry's data into memory, at most cap bytes. */
static int read_small(struct archive *a, uint64_t size, uint64_t cap, char **ret, size_t *ret_len) {
	if (size > cap)
		return -EFBIG;
	char *b = malloc(size + 1);
	if (!b)
		return -ENOMEM;
	size_t got = 0;
	for (;;) {
		if (got == size) {
			char x;
			la_ssize_t n = archive_read_data(a, &x, 1);
			if (n == 0)
				break;
			free(b);
			return n < 0 ? -EIO : -EFBIG;
		}
		la_ssize_t n = archive_read_data(a, b + got, size - got);
		if (n < 0) {
			free(b);
			return -EIO;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != size) {
		free(b);
		return -EIO;
	}
	b[got] = 0;
	*ret = b;
	*ret_len = got;
	return 0;
}

static bool is_meta(const char *p) {
	return !strcmp(p, "SHA256SUMS") || !strcmp(p, "MANIFEST.json") ||
	       !strcmp(p, "MANIFEST.sig");
}

static bool hex64(json_t *v, uint8_t out[STORE_HASH_LEN]) {
	return json_is_string(v) && store_unhex(json_string_value(v), out, STORE_HASH_LEN) == 0;
}

/* One pass over a bundle's tar entries. */
struct pass {
	struct archive *a;
	struct reader *rd;
	const char *name;
	const struct store_member_sink *sink;
	struct store_report *rep;
	uint64_t max_member, max_total, total;
	struct seen *seen;
	size_t n_seen, alloc;
	char *man, *sig, *sums;
	size_t man_len, sig_len, sums_len;
	bool have_man, have_sig, have_sums;
	bool broken; /* stop reading: damaged archive or a size bomb */
	char buf[65536];
};

/* The manifest's form and signature: the parsed manifest (new reference), or NULL when it
 * is no JSON object. info->authenticated when the signature holds by a key in kr. */
static json_t *check_signature(struct pass *ps, const struct store_keyring *kr,
                               struct store_bundle_info *info) {
	const char *name = ps->name, *sig = ps->have_sig ? ps->sig : NULL;
	struct store_report *rep = ps->rep;
	json_error_t jerr;
	json_t *m = json_loadb(ps->man, ps->man_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!m || !json_is_object(m)) {
		store_report_add(rep, STORE_FORMAT_INVALID, name, "MANIFEST.json:%d:%d: %s",
		                 jerr.line, jerr.column, m ? "not a JSON object" : jerr.text);
		json_decref(m);
		return NULL;
	}
	char *canon = store_json_canonical(m);
	if (!canon || strlen(canon) != ps->man_len || memcmp(canon, ps->man, ps->man_len) != 0)
		store_report_add(rep, STORE_FORMAT_INVALID, name,
		                 "MANIFEST.json is not in canonical form");
	free(canon);
	store_sha256(ps->man, ps->man_len, info->manifest_sha256);
	const char *kid = json_string_value(json_object_get(m, "key_id"));
	bool pinned = false;
	const struct store_key *k = store_keyring_find(kr, kid, &pinned);
	if (!kid)
		store_report_add(rep, STORE_FORMAT_INVALID, name, "MANIFEST.json has no key_id");
	else if (!k)
		store_report_add(rep, STORE_UNKNOWN_KEY, name,
		                 "signed by key %s, which is not trusted", kid);
	if (!sig)
		store_report_add(rep, STORE_SIGNATURE_INVALID, name, "MANIFEST.sig is missing");
	else if (ps->sig_len != STORE_SIG_LEN)
		store_report_add(rep, STORE_SIGNATURE_INVALID, name,
		                 "MANIFEST.sig is %zu bytes, not 64", ps->sig_len);
	else if (k && store_key_verify(k, ps->man, ps->man_len, (const uint8_t *)sig) < 0)
		store_report_add(rep, STORE_SIGNATURE_INVALID, name,
		                 "MANIFEST.sig does not verify with key %s", kid);
	else if (k) {
		info->authenticated = true;
		info->key_pinned = pinned;
		memcpy(info->signature, sig, STORE_SIG_LEN);
		if (!pinned)
			store_report_warn(
			        rep, "key %s is taken from the store itself (unpinned; use --pub)",
			        kid);
	}
	json_t *fv = json_object_get(m, "format_version");
	json_t *enc = json_object_get(m, "encryption");
	/* 1: members in the clear; 2: members encrypted, with an "encryption" object (the
	 * stored bytes are what sha256 and the Merkle tree cover, so no key is needed here) */
	if (!json_is_integer(fv) || (json_integer_value(fv) != STORE_FORMAT_VERSION &&
	                             json_integer_value(fv) != STORE_FORMAT_VERSION_ENCRYPTED))
		store_report_add(rep, STORE_FORMAT_INVALID, name, "unsupported format_version");
	else if ((json_integer_value(fv) == STORE_FORMAT_VERSION_ENCRYPTED) != json_is_object(enc))
		store_report_add(rep, STORE_FORMAT_INVALID, name,
		                 "format_version %d %s an \"encryption\" object",
		                 (int)json_integer_value(fv), enc ? "with" : "without");
	return m;
}

/* Each manifest member against the member read: its SHA256SUMS line goes to exp (and its
 * Merkle leaf to leaves). False when the list itself is malformed. */
static bool check_members(struct pass *ps, json_t *members, char *exp, size_t cap, size_t *len,
                          store_hash_t *leaves) {
	const char *prev = NULL;
	for (size_t i = 0; i < json_array_size(members); i++) {
		json_t *e = json_array_get(members, i);
		const char *p = json_string_value(json_object_get(e, "path"));
		json_t *sz = json_object_get(e, "size");
		uint8_t h[STORE_HASH_LEN];
		if (!p || !store_member_path_valid(p) || !json_is_integer(sz) ||
		    json_integer_value(sz) < 0 || !hex64(json_object_get(e, "sha256"), h) ||
		    (prev && strcmp(prev, p) >= 0)) {
			store_report_add(ps->rep, STORE_FORMAT_INVALID, ps->name,
			                 "manifest member %zu is malformed or out of order", i);
			return false;
		}
		prev = p;
		size_t start = *len;
		*len += (size_t)snprintf(exp + *len, cap - *len, "%s  %s\n",
		                         json_string_value(json_object_get(e, "sha256")), p);
		store_merkle_leaf(exp + start, *len - start, leaves[i]);
		struct seen *s = find_seen(ps->seen, ps->n_seen, p);
		if (!s) {
			store_report_add(ps->rep, STORE_MEMBER_MISSING, p,
			                 "listed in the manifest, absent from the bundle");
			continue;
		}
		s->matched = true;
		if (s->size != (uint64_t)json_integer_value(sz) ||
		    memcmp(s->sha, h, STORE_HASH_LEN))
			store_report_add(
			        ps->rep, STORE_MEMBER_MODIFIED, p,
			        "content differs from the manifest (size %llu, expected %lld)",
			        (unsigned long long)s->size, (long long)json_integer_value(sz));
	}
	return true;
}

/* SHA256SUMS and the Merkle root against the member list. */
static void check_sums(struct pass *ps, const char *exp, size_t len, const store_hash_t *leaves,
                       size_t n, const uint8_t want_sums[STORE_HASH_LEN],
                       const uint8_t want_root[STORE_HASH_LEN]) {
	store_hash_t root;
	store_merkle_root(leaves, n, root);
	if (memcmp(root, want_root, STORE_HASH_LEN))
		store_report_add(ps->rep, STORE_FORMAT_INVALID, ps->name,
		                 "merkle_root does not match the member list");
	uint8_t sh[STORE_HASH_LEN];
	store_sha256(exp, len, sh);
	if (memcmp(sh, want_sums, STORE_HASH_LEN))
		store_report_add(ps->rep, STORE_FORMAT_INVALID, ps->name,
		                 "sha256sums_sha256 does not match the member list");
	if (!ps->have_sums)
		store_report_add(ps->rep, STORE_MEMBER_MISSING, "SHA256SUMS",
		                 "SHA256SUMS is missing");
	else {
		store_sha256(ps->sums, ps->sums_len, sh);
		if (memcmp(sh, want_sums, STORE_HASH_LEN))
			store_report_add(ps->rep, STORE_MEMBER_MODIFIED, "SHA256SUMS",
			                 "SHA256SUMS differs from the manifest");
	}
}

/* Check the manifest against what was read: signature, members, sums, extras. */
static void check_manifest(struct pass *ps, const struct store_keyring *kr,
                           struct store_bundle_info *info) {
	json_t *m = check_signature(ps, kr, info);
	if (!m)
		return;
	json_t *members = json_object_get(m, "members");
	uint8_t want_sums[STORE_HASH_LEN], want_root[STORE_HASH_LEN];
	if (!json_is_array(members) || json_array_size(members) > STORE_MEMBERS_CAP ||
	    !hex64(json_object_get(m, "sha256sums_sha256"), want_sums) ||
	    !hex64(json_object_get(m, "merkle_root"), want_root)) {
		store_report_add(ps->rep, STORE_FORMAT_INVALID, ps->name,
		                 "MANIFEST.json lacks members, sha256sums_sha256 or merkle_root");
		goto done;
	}
	size_t n = json_array_size(members), cap = 1, len = 0;
	for (size_t i = 0; i < n; i++) {
		const char *p =
		        json_string_value(json_object_get(json_array_get(members, i), "path"));
		cap += (p ? strlen(p) : 0) + STORE_HEX_LEN + 3;
	}
	char *exp = malloc(cap);
	store_hash_t *leaves = calloc(n ? n : 1, sizeof(*leaves));
	if (!exp || !leaves)
		store_report_add(ps->rep, STORE_FORMAT_INVALID, ps->name, "out of memory");
	else if (check_members(ps, members, exp, cap, &len, leaves)) {
		check_sums(ps, exp, len, leaves, n, want_sums, want_root);
		for (size_t i = 0; i < ps->n_seen; i++)
			if (!ps->seen[i].matched)
				store_report_add(ps->rep, STORE_MEMBER_EXTRA, ps->seen[i].path,
				                 "in the bundle, not in the manifest");
	}
	free(exp);
	free(leaves);
done:
	if (info->authenticated)
		info->manifest = json_incref(m);
	json_decref(m);
}

/* MANIFEST.json, MANIFEST.sig or SHA256SUMS into memory (capped). */
static void read_meta(struct pass *ps, const char *p, const char *where, uint64_t sz) {
	bool is_man = !strcmp(p, "MANIFEST.json"), is_sig = !strcmp(p, "MANIFEST.sig");
	bool *have = is_man ? &ps->have_man : is_sig ? &ps->have_sig : &ps->have_sums;
	if (*have) {
		store_report_add(ps->rep, STORE_FORMAT_INVALID, where, "duplicate member");
		return;
	}
	char **dst = is_man ? &ps->man : is_sig ? &ps->sig : &ps->sums;
	size_t *dl = is_man ? &ps->man_len : is_sig ? &ps->sig_len : &ps->sums_len;
	int r = read_small(ps->a, sz, is_sig ? 4096 : STORE_MANIFEST_CAP, dst, dl);
	if (r < 0) {
		store_report_add(ps->rep, STORE_FORMAT_INVALID, where,
		                 "unreadable or too large (%s)", strerror(-r));
		ps->broken = true;
		return;
	}
	*have = true;
}

static struct seen *add_seen(struct pass *ps, const char *p) {
	if (ps->n_seen == ps->alloc) {
		size_t na = ps->alloc ? ps->alloc * 2 : 16;
		struct seen *ns = realloc(ps->seen, na * sizeof(*ns));
		if (!ns)
			return NULL;
		ps->seen = ns;
		ps->alloc = na;
	}
	struct seen *s = &ps->seen[ps->n_seen];
	*s = (struct seen){.path = strdup(p)};
	if (!s->path)
		return NULL;
	ps->n_seen++;
	return s;
}

/* An evidence member: hashed as it streams, handed to the sink when it wants it. */
static int read_member(struct pass *ps, const char *p, const char *where, uint64_t sz) {
	if (ps->n_seen >= STORE_MEMBERS_CAP) {
		store_report_add(ps->rep, STORE_FORMAT_INVALID, ps->name, "more than %d members",
		                 STORE_MEMBERS_CAP);
		ps->broken = true;
		return 0;
	}
	struct seen *s = add_seen(ps, p);
	struct store_sha256_ctx *h = s ? store_sha256_new() : NULL;
	if (!h)
		return -ENOMEM;
	const struct store_member_sink *sink = ps->sink;
	int want = sink && sink->begin ? sink->begin(sink->ud, p, sz) : 1;
	if (want < 0) {
		store_sha256_free(h);
		return want;
	}
	uint64_t got = 0;
	for (;;) {
		la_ssize_t k = archive_read_data(ps->a, ps->buf, sizeof(ps->buf));
		if (k == 0)
			break;
		if (k < 0 || got + (uint64_t)k > sz) {
			store_report_add(ps->rep, STORE_FORMAT_INVALID, where,
			                 "damaged archive: %s",
			                 archive_error_string(ps->a) ? archive_error_string(ps->a)
			                                             : "data overrun");
			ps->broken = true;
			break;
		}
		got += (uint64_t)k;
		store_sha256_update(h, ps->buf, (size_t)k);
		int r = want == 0 && sink->data ? sink->data(sink->ud, ps->buf, (size_t)k) : 0;
		if (r < 0) {
			store_sha256_free(h);
			return r;
		}
	}
	s->size = got;
	store_sha256_final(h, s->sha);
	if (!ps->broken && want == 0 && sink->end)
		return sink->end(sink->ud, p, s->sha);
	return 0;
}

/* One tar entry: only regular files with safe names, sizes capped before reading. */
static int read_entry(struct pass *ps, struct archive_entry *e) {
	const char *p = archive_entry_pathname(e);
	if (!p)
		p = "";
	char where[300];
	snprintf(where, sizeof(where), "%.280s", p);
	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) ||
	    archive_entry_symlink(e)) {
		store_report_add(ps->rep, STORE_FORMAT_INVALID, where,
		                 "member is not a regular file (link, device or directory)");
		return 0;
	}
	if (!is_meta(p) && !store_member_path_valid(p)) {
		store_report_add(ps->rep, STORE_FORMAT_INVALID, where,
		                 "unsafe or invalid member path");
		return 0;
	}
	la_int64_t sz = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
	if (sz < 0 || (uint64_t)sz > ps->max_member || ps->total + (uint64_t)sz > ps->max_total) {
		store_report_add(ps->rep, STORE_FORMAT_INVALID, where,
		                 "member declares %lld bytes, over the size cap; not read",
		                 (long long)sz);
		ps->broken = true; /* a bomb: stop here */
		return 0;
	}
	ps->total += (uint64_t)sz;
	/* duplicate evidence members are found after the pass (sorted, linear) */
	if (is_meta(p)) {
		read_meta(ps, p, where, (uint64_t)sz);
		return 0;
	}
	return read_member(ps, p, where, (uint64_t)sz);
}

static void check_duplicates(struct pass *ps) {
	if (ps->n_seen)
		qsort(ps->seen, ps->n_seen, sizeof(*ps->seen), cmp_seen);
	for (size_t i = 1; i < ps->n_seen; i++)
		if (!strcmp(ps->seen[i - 1].path, ps->seen[i].path)) {
			store_report_add(ps->rep, STORE_FORMAT_INVALID, ps->seen[i].path,
			                 "duplicate member");
			ps->seen[i - 1].matched = ps->seen[i].matched = true; /* not also "extra" */
		}
}

/* Phase 1: every tar entry in turn, then the zero blocks after the end marker. Stops at a
 * damaged archive (a finding, ps->broken) or an I/O error (returned). */
static int read_entries(struct pass *ps) {
	int ret = 0;
	while (ret == 0 && !ps->broken) {
		struct archive_entry *e;
		int r = archive_read_next_header(ps->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			store_report_add(ps->rep, STORE_FORMAT_INVALID, ps->name,
			                 "damaged archive: %s",
			                 archive_error_string(ps->a) ? archive_error_string(ps->a)
			                                             : "unreadable");
			ps->broken = true;
			break;
		}
		ret = read_entry(ps, e);
	}
	if (ret == 0 && !ps->broken)
		drain(ps->rd);
	if (ret == 0 && ps->rd->io_error)
		ret = -ps->rd->err;
	return ret;
}

/* Phase 2: what can be judged only after the whole archive was read: the gzip layer,
 * duplicate members, and the manifest with its signature, sums and members. */
static void check_read(struct pass *ps, const struct store_keyring *kr,
                       struct store_bundle_info *info) {
	if (ps->rd->gz_err[0])
		store_report_add(ps->rep, STORE_FORMAT_INVALID, ps->name, "%s", ps->rd->gz_err);
	check_duplicates(ps);
	if (!ps->have_man)
		store_report_add(ps->rep, ps->broken ? STORE_FORMAT_INVALID : STORE_MEMBER_MISSING,
		                 ps->broken ? ps->name : "MANIFEST.json",
		                 "MANIFEST.json is missing");
	else
		check_manifest(ps, kr, info);
}

static void pass_free(struct pass *ps) {
	for (size_t i = 0; i < ps->n_seen; i++)
		free(ps->seen[i].path);
	free(ps->seen);
	free(ps->man);
	free(ps->sig);
	free(ps->sums);
	free(ps);
}

static int verify(struct archive *a, struct reader *rd, const char *name,
                  const struct store_keyring *kr, const struct store_verify_limits *lim,
                  const struct store_member_sink *sink, struct store_report *rep,
                  struct store_bundle_info *info) {
	struct pass *ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	*ps = (struct pass){
	        .a = a,
	        .rd = rd,
	        .name = name,
	        .sink = sink,
	        .rep = rep,
	        .max_member = lim && lim->max_member_size ? lim->max_member_size : 1ull << 30,
	        .max_total = lim && lim->max_total_size ? lim->max_total_size : 64ull << 30,
	};
	int ret = read_entries(ps);
	if (ret == 0)
		check_read(ps, kr, info);
	pass_free(ps);
	return ret;
}

static struct archive *reader_new(void) {
	struct archive *a = archive_read_new();
	if (!a)
		return NULL;
	archive_read_support_format_tar(a);
	return a;
}

static int verify_common(struct reader *rd, const char *name, const struct store_keyring *kr,
                         const struct store_verify_limits *lim,
                         const struct store_member_sink *sink, struct store_report *rep,
                         struct store_bundle_info *info) {
	int r = store_archive_load(NULL);
	if (r < 0)
		return r; /* -ELIBACC: store_strerror() says why */
	struct archive *a = reader_new();
	if (!a)
		return -ENOMEM;
	if (archive_read_open(a, rd, NULL, rd_read, NULL) != ARCHIVE_OK) {
		if (rd->io_error)
			r = -rd->err;
		else
			store_report_add(rep, STORE_FORMAT_INVALID, name,
			                 "not a gzip-compressed tar: %s",
			                 rd->gz_err[0]             ? rd->gz_err
			                 : archive_error_string(a) ? archive_error_string(a)
			                                           : "unreadable");
	} else
		r = verify(a, rd, name, kr, lim, sink, rep, info);
	archive_read_free(a);
	if (rd->z_init)
		inflateEnd(&rd->z);
	return r;
}

int store_bundle_verify_fd(int fd, const char *name, const struct store_keyring *kr,
                           const struct store_verify_limits *lim,
                           const struct store_member_sink *sink, struct store_report *rep,
                           struct store_bundle_info *ret_info) {
	struct store_bundle_info info = {0};
	struct reader *rd = calloc(1, sizeof(*rd));
	if (!rd || !(rd->fsha = store_sha256_new())) {
		free(rd);
		return -ENOMEM;
	}
	rd->fd = fd;
	int r = verify_common(rd, name, kr, lim, sink, rep, &info);
	if (r == 0) { /* hash whatever was not read (after an early stop) */
		const uint8_t *p;
		ssize_t n;
		while ((n = pull(rd, &p)) > 0) {
		}
		if (n < 0)
			r = -rd->err;
	}
	store_sha256_final(rd->fsha, info.file_sha256);
	free(rd);
	if (r < 0) {
		store_bundle_info_clear(&info);
		return r;
	}
	if (ret_info)
		*ret_info = info;
	else
		store_bundle_info_clear(&info);
	return 0;
}

int store_bundle_verify_mem(const void *buf, size_t len, const char *name,
                            const struct store_keyring *kr, const struct store_verify_limits *lim,
                            const struct store_member_sink *sink, struct store_report *rep,
                            struct store_bundle_info *ret_info) {
	struct store_bundle_info info = {0};
	struct reader *rd = calloc(1, sizeof(*rd));
	if (!rd)
		return -ENOMEM;
	rd->fd = -1;
	rd->mem = buf ? buf : (const void *)"";
	rd->mem_len = len;
	int r = verify_common(rd, name, kr, lim, sink, rep, &info);
	free(rd);
	store_sha256(buf, len, info.file_sha256);
	if (r < 0) {
		store_bundle_info_clear(&info);
		return r;
	}
	if (ret_info)
		*ret_info = info;
	else
		store_bundle_info_clear(&info);
	return 0;
}
