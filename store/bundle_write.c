/* Single-pass bundle writer. Evidence members go into the tar as they arrive and are
 * hashed on the way in; the output bytes are hashed as they leave for the file. At the
 * end the manifest is built from the member table (sorted by path), signed, and written
 * with SHA256SUMS and the signature as the last three members.
 * Invariants: at most one member is open; a member of unknown size lives in `mem` (up to
 * SPILL_AT bytes) or in the unnamed `spill_fd`; every byte stored is hashed exactly once. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "store/archive_load.h"
#include "store/bundle.h"
#include "store/encrypt.h"
#include "store/merkle.h"
#include "util/io.h"

#define SPILL_AT (4u << 20)

struct member {
	char *path;
	uint64_t size;
	uint8_t sha[STORE_HASH_LEN];
	uint64_t csize;               /* encrypted: the stored (ciphertext) size */
	uint8_t csha[STORE_HASH_LEN]; /* encrypted: the stored bytes' SHA-256 */
	json_t *entry;                /* manifest entry being built */
};

struct store_bundle_writer {
	struct store_bundle_writer_opts o;
	struct archive *a;
	struct store_sha256_ctx *file_sha;
	uint64_t out_bytes;
	int out_err;
	struct member *m;
	size_t n, alloc;
	json_t *errors;
	/* current member */
	bool open;
	int64_t want;     /* declared size, -1 unknown */
	uint64_t written; /* bytes accepted (after cut) */
	bool cut;
	struct store_sha256_ctx *msha;
	char *mem;
	size_t mem_len, mem_alloc;
	int spill_fd;
	bool failed;
	/* encryption (o.n_recipients > 0): one data key per bundle, one AEAD per member */
	uint8_t dk[STORE_ENC_KEY_LEN];
	struct store_aead *aead;
	struct store_sha256_ctx *csha;
	uint64_t cbytes;
};

static la_ssize_t out_write(struct archive *a, void *ud, const void *buf, size_t len) {
	struct store_bundle_writer *w = ud;
	if (w->o.max_bundle_size && w->out_bytes + len > w->o.max_bundle_size) {
		w->out_err = EFBIG;
		archive_set_error(a, EFBIG, "bundle larger than the configured cap");
		return -1;
	}
	int r = ev_write_all(w->o.fd, buf, len);
	if (r < 0) {
		w->out_err = -r;
		archive_set_error(a, -r, "write: %s", strerror(-r));
		return -1;
	}
	store_sha256_update(w->file_sha, buf, len);
	w->out_bytes += len;
	return (la_ssize_t)len;
}

static int arch_err(struct store_bundle_writer *w) {
	w->failed = true;
	if (w->out_err)
		return -w->out_err;
	int e = archive_errno(w->a);
	return e > 0 ? -e : -EIO;
}

int store_bundle_writer_new(const struct store_bundle_writer_opts *o,
                            struct store_bundle_writer **ret) {
	int r = store_archive_load(NULL);
	if (r < 0)
		return r; /* -ELIBACC: store_strerror() says why */
	struct store_bundle_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->o = *o;
	if (!w->o.max_member_size)
		w->o.max_member_size = 1ull << 30;
	w->spill_fd = -1;
	if (o->n_recipients && (!store_enc_cipher_known(o->cipher) ||
	                        getrandom(w->dk, sizeof(w->dk), 0) != (ssize_t)sizeof(w->dk))) {
		free(w);
		return -EINVAL;
	}
	w->errors = json_array();
	w->file_sha = store_sha256_new();
	w->a = archive_write_new();
	if (!w->errors || !w->file_sha || !w->a) {
		store_bundle_writer_free(w);
		return -ENOMEM;
	}
	char lvl[4];
	snprintf(lvl, sizeof(lvl), "%d", o->level < 0 ? 6 : o->level > 9 ? 9 : o->level);
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(w->a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(w->a, "gzip", "compression-level", lvl) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->a, 65536) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open(w->a, w, NULL, out_write, NULL) != ARCHIVE_OK) {
		r = arch_err(w);
		store_bundle_writer_free(w);
		return r;
	}
	*ret = w;
	return 0;
}

static bool comp_char_ok(char c) {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._@+=:,-", c);
}

bool store_member_path_valid(const char *path) {
	size_t len = strlen(path);
	if (len > 255 || strncmp(path, "evidence/", 9) != 0)
		return false;
	const char *p = path + 9;
	for (;;) {
		const char *e = strchrnul(p, '/');
		size_t cl = (size_t)(e - p);
		if (cl == 0 || (cl == 1 && p[0] == '.') || (cl == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (const char *q = p; q < e; q++)
			if (!comp_char_ok(*q))
				return false;
		if (!*e)
			return true;
		p = e + 1;
	}
}

static int header(struct store_bundle_writer *w, const char *path, uint64_t size) {
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, path);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0440);
	archive_entry_set_mtime(e, w->o.mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	int r = archive_write_header(w->a, e) == ARCHIVE_OK ? 0 : arch_err(w);
	archive_entry_free(e);
	return r;
}

static int data(struct store_bundle_writer *w, const void *buf, size_t len) {
	const char *p = buf;
	while (len) {
		la_ssize_t n = archive_write_data(w->a, p, len);
		if (n <= 0)
			return arch_err(w);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Encrypted members: the ciphertext goes into the tar, hashed on its way. */
static int enc_out(void *ud, const void *buf, size_t len) {
	struct store_bundle_writer *w = ud;
	store_sha256_update(w->csha, buf, len);
	w->cbytes += len;
	return data(w, buf, len);
}

/* An evidence member's header: with encryption, the stored size is the plaintext's plus
 * nonce and tag, and the member's AEAD starts (writing the nonce). */
static int member_header(struct store_bundle_writer *w, const char *path, uint64_t size) {
	if (!w->o.n_recipients)
		return header(w, path, size);
	int r = header(w, path, size + STORE_ENC_OVERHEAD);
	if (r < 0)
		return r;
	w->csha = store_sha256_new();
	w->cbytes = 0;
	if (!w->csha)
		return -ENOMEM;
	return store_aead_new(w->o.cipher, w->dk, true, path, enc_out, w, &w->aead);
}

/* An evidence member's bytes (plaintext in, stored form out). */
static int mdata(struct store_bundle_writer *w, const void *buf, size_t len) {
	if (!w->o.n_recipients)
		return data(w, buf, len);
	return w->aead ? store_aead_update(w->aead, buf, len) : -EIO;
}

/* The end of an encrypted member's bytes: the tag, and the stored hash and size. */
static int member_seal_enc(struct store_bundle_writer *w, struct member *m) {
	if (!w->o.n_recipients)
		return 0;
	int r = w->aead ? store_aead_final(w->aead) : -EIO;
	w->aead = store_aead_free(w->aead);
	if (w->csha) {
		store_sha256_final(w->csha, m->csha);
		w->csha = NULL;
	}
	m->csize = w->cbytes;
	return r;
}

/* The whole of a spill file, from its start, as the open member's data. */
static int spill_data(struct store_bundle_writer *w, int fd) {
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		int r = mdata(w, buf, (size_t)n);
		if (r != 0)
			return r;
	}
}

int store_bundle_member_begin(struct store_bundle_writer *w, const char *path, int64_t size,
                              json_t *source) {
	if (w->failed || w->open) {
		json_decref(source);
		return w->failed ? -EIO : -EBUSY;
	}
	if (!store_member_path_valid(path)) {
		json_decref(source);
		return -EINVAL;
	}
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->m[i].path, path) == 0) {
			json_decref(source);
			return -EEXIST;
		}
	if (w->n >= STORE_MEMBERS_CAP) {
		json_decref(source);
		return -E2BIG;
	}
	if (w->n == w->alloc) {
		size_t na = w->alloc ? w->alloc * 2 : 16;
		struct member *nm = realloc(w->m, na * sizeof(*nm));
		if (!nm) {
			json_decref(source);
			return -ENOMEM;
		}
		w->m = nm;
		w->alloc = na;
	}
	struct member *m = &w->m[w->n];
	*m = (struct member){.path = strdup(path), .entry = json_object()};
	w->msha = store_sha256_new();
	if (!m->path || !m->entry || !w->msha) {
		free(m->path);
		json_decref(m->entry);
		json_decref(source);
		store_sha256_free(w->msha);
		w->msha = NULL;
		return -ENOMEM;
	}
	json_object_set_new(m->entry, "source", source ? source : json_object());
	w->n++;
	w->open = true;
	w->want = size;
	w->written = 0;
	w->cut = false;
	w->mem_len = 0;
	if (size >= 0) {
		uint64_t s = (uint64_t)size;
		if (s > w->o.max_member_size)
			s = w->o.max_member_size;
		w->want = (int64_t)s;
		int r = member_header(w, path, s);
		if (r < 0)
			return r;
	}
	return 0;
}

static int spill(struct store_bundle_writer *w, const void *buf, size_t len) {
	if (w->spill_fd < 0) {
		const char *d = w->o.spill_dir ? w->o.spill_dir : "/tmp";
		w->spill_fd = open(d, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (w->spill_fd < 0) {
			char tmpl[4096];
			snprintf(tmpl, sizeof(tmpl), "%s/.spill-XXXXXX", d);
			w->spill_fd = mkostemp(tmpl, O_CLOEXEC);
			if (w->spill_fd < 0)
				return -errno;
			unlink(tmpl);
		}
		if (w->mem_len) {
			int r = spill(w, w->mem, w->mem_len);
			if (r < 0)
				return r;
		}
	}
	return ev_write_all(w->spill_fd, buf, len);
}

int store_bundle_member_write(struct store_bundle_writer *w, const void *buf, size_t len) {
	if (w->failed)
		return -EIO;
	if (!w->open)
		return -EINVAL;
	uint64_t cap = w->want >= 0 ? (uint64_t)w->want : w->o.max_member_size;
	if (w->written + len > cap) {
		len = (size_t)(cap - w->written);
		w->cut = true;
	}
	if (!len)
		return 0;
	store_sha256_update(w->msha, buf, len);
	int r = 0;
	if (w->want >= 0)
		r = mdata(w, buf, len);
	else if (w->spill_fd >= 0 || w->mem_len + len > SPILL_AT)
		r = spill(w, buf, len);
	else {
		if (w->mem_len + len > w->mem_alloc) {
			size_t na = MAX(w->mem_alloc * 2, w->mem_len + len);
			na = MAX(na, (size_t)65536);
			char *nm = realloc(w->mem, na);
			if (!nm)
				return -ENOMEM;
			w->mem = nm;
			w->mem_alloc = na;
		}
		memcpy(w->mem + w->mem_len, buf, len);
		w->mem_len += len;
	}
	if (r < 0) {
		w->failed = true;
		return r;
	}
	w->written += len;
	return 0;
}

int store_bundle_member_write_cb(void *w, const void *buf, size_t len) {
	return store_bundle_member_write(w, buf, len);
}

int store_bundle_member_set(struct store_bundle_writer *w, const char *key, json_t *value) {
	if (!w->open || !value) {
		json_decref(value);
		return -EINVAL;
	}
	return json_object_set_new(w->m[w->n - 1].entry, key, value) == 0 ? 0 : -ENOMEM;
}

int store_bundle_member_end(struct store_bundle_writer *w, const char *error) {
	if (!w->open)
		return -EINVAL;
	struct member *m = &w->m[w->n - 1];
	w->open = false;
	char msg[512] = "";
	int r = 0;
	if (w->failed)
		r = -EIO;
	else if (w->want >= 0) {
		if (w->written < (uint64_t)w->want) { /* shrank while read: pad, say so */
			static const char zeros[4096];
			uint64_t pad = (uint64_t)w->want - w->written;
			snprintf(msg, sizeof(msg),
			         "source shrank while read: padded %llu zero bytes",
			         (unsigned long long)pad);
			while (pad && r == 0) {
				size_t k = (size_t)MIN(pad, (uint64_t)sizeof(zeros));
				store_sha256_update(w->msha, zeros, k);
				r = mdata(w, zeros, k);
				pad -= k;
			}
			w->written = (uint64_t)w->want;
		}
	} else {
		r = member_header(w, m->path, w->written);
		if (r == 0 && w->spill_fd < 0)
			r = mdata(w, w->mem, w->mem_len);
		else if (r == 0) {
			r = spill_data(w, w->spill_fd);
			close(w->spill_fd);
			w->spill_fd = -1;
		}
	}
	if (r == 0)
		r = member_seal_enc(w, m);
	if (r == 0 && archive_write_finish_entry(w->a) != ARCHIVE_OK)
		r = arch_err(w);
	if (w->cut)
		snprintf(msg, sizeof(msg), "cut at %llu bytes (size cap)",
		         (unsigned long long)w->written);
	store_sha256_final(w->msha, m->sha);
	w->msha = NULL;
	m->size = w->written;
	if (error && msg[0]) {
		size_t l = strlen(msg);
		snprintf(msg + l, sizeof(msg) - l, "; %s", error);
	} else if (error)
		snprintf(msg, sizeof(msg), "%s", error);
	if (msg[0])
		json_object_set_new(m->entry, "error", json_string(msg));
	if (w->mem_alloc > (8u << 20)) {
		free(w->mem);
		w->mem = NULL;
		w->mem_alloc = 0;
	}
	if (r < 0)
		w->failed = true;
	return r;
}

int store_bundle_add_error(struct store_bundle_writer *w, json_t *source, const char *error) {
	json_t *e = json_object();
	if (!e) {
		json_decref(source);
		return -ENOMEM;
	}
	json_object_set_new(e, "source", source ? source : json_object());
	json_object_set_new(e, "error", json_string(error ? error : "failed"));
	return json_array_append_new(w->errors, e) == 0 ? 0 : -ENOMEM;
}

static int cmp_member(const void *a, const void *b) {
	return strcmp(((const struct member *)a)->path, ((const struct member *)b)->path);
}

char *store_json_canonical(const json_t *v) {
	return json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
}

static int add_blob(struct store_bundle_writer *w, const char *path, const void *buf, size_t len) {
	int r = header(w, path, len);
	if (r == 0)
		r = data(w, buf, len);
	if (r == 0 && archive_write_finish_entry(w->a) != ARCHIVE_OK)
		r = arch_err(w);
	return r;
}

/* Every member (sorted by path) described three ways: a SHA256SUMS line (into sums,
 * its length added to *len), a Merkle leaf, and its manifest entry (appended to members).
 * All describe the stored bytes: the ciphertext of an encrypted bundle. */
static void describe_members(struct store_bundle_writer *w, char *sums, size_t cap, size_t *len,
                             store_hash_t *leaves, json_t *members) {
	bool enc = w->o.n_recipients > 0;
	for (size_t i = 0; i < w->n; i++) {
		struct member *m = &w->m[i];
		char hex[STORE_HEX_LEN + 1], phex[STORE_HEX_LEN + 1];
		store_hex(enc ? m->csha : m->sha, STORE_HASH_LEN, hex);
		size_t start = *len;
		*len += (size_t)snprintf(sums + *len, cap - *len, "%s  %s\n", hex, m->path);
		store_merkle_leaf(sums + start, *len - start, leaves[i]);
		json_object_set_new(m->entry, "path", json_string(m->path));
		json_object_set_new(m->entry, "size",
		                    json_integer((json_int_t)(enc ? m->csize : m->size)));
		json_object_set_new(m->entry, "sha256", json_string(hex));
		if (enc) {
			store_hex(m->sha, STORE_HASH_LEN, phex);
			json_object_set_new(m->entry, "plaintext_sha256", json_string(phex));
			json_object_set_new(m->entry, "plaintext_size",
			                    json_integer((json_int_t)m->size));
		}
		json_array_append(members, m->entry);
	}
}

/* The manifest's own fields (members is taken over): members, errors, format version,
 * key id, Merkle root, the hash of SHA256SUMS. */
static void manifest_fields(struct store_bundle_writer *w, json_t *fields, json_t *members,
                            const store_hash_t root, const store_hash_t sums_sha,
                            const struct store_key *key) {
	bool enc = w->o.n_recipients > 0;
	char hex[STORE_HEX_LEN + 1];
	json_object_set_new(fields, "members", members);
	json_object_set(fields, "errors", w->errors);
	json_object_set_new(
	        fields, "format_version",
	        json_integer(enc ? STORE_FORMAT_VERSION_ENCRYPTED : STORE_FORMAT_VERSION));
	json_object_set_new(fields, "key_id", json_string(store_key_id(key)));
	store_hex(root, STORE_HASH_LEN, hex);
	json_object_set_new(fields, "merkle_root", json_string(hex));
	store_hex(sums_sha, STORE_HASH_LEN, hex);
	json_object_set_new(fields, "sha256sums_sha256", json_string(hex));
}

/* The signed manifest and the last three members; the archive closed. */
static int write_trailer(struct store_bundle_writer *w, const char *sums, size_t len,
                         const char *man, size_t man_len, const struct store_key *key) {
	uint8_t sig[STORE_SIG_LEN];
	int r = store_key_sign(key, man, man_len, sig);
	if (r < 0)
		return r;
	r = add_blob(w, "SHA256SUMS", sums, len);
	if (r == 0)
		r = add_blob(w, "MANIFEST.json", man, man_len);
	if (r == 0)
		r = add_blob(w, "MANIFEST.sig", sig, sizeof(sig));
	if (r == 0 && archive_write_close(w->a) != ARCHIVE_OK)
		r = arch_err(w);
	return r;
}

int store_bundle_finish(struct store_bundle_writer *w, json_t *fields, const struct store_key *key,
                        struct store_bundle_result *ret) {
	int r = 0;
	char *sums = NULL, *man = NULL;
	store_hash_t *leaves = NULL;
	if (w->failed || w->open || !fields) {
		json_decref(fields);
		return w->failed ? -EIO : -EINVAL;
	}
	if (w->n)
		qsort(w->m, w->n, sizeof(*w->m), cmp_member);
	size_t cap = 1, len = 0;
	for (size_t i = 0; i < w->n; i++)
		cap += strlen(w->m[i].path) + STORE_HEX_LEN + 3;
	sums = malloc(cap);
	leaves = calloc(w->n ? w->n : 1, sizeof(*leaves));
	json_t *members = json_array();
	if (!sums || !leaves || !members) {
		json_decref(members);
		r = -ENOMEM;
		goto out;
	}
	describe_members(w, sums, cap, &len, leaves, members);
	if (w->o.n_recipients > 0) {
		json_t *e = NULL;
		r = store_enc_wrap(w->o.cipher, w->dk, w->o.recipients, w->o.n_recipients, &e);
		if (r < 0) {
			json_decref(members);
			goto out;
		}
		json_object_set_new(fields, "encryption", e);
	}
	store_hash_t root, sums_sha;
	store_merkle_root(leaves, w->n, root);
	store_sha256(sums, len, sums_sha);
	manifest_fields(w, fields, members, root, sums_sha, key);
	man = store_json_canonical(fields);
	if (!man) {
		r = -ENOMEM;
		goto out;
	}
	size_t man_len = strlen(man);
	if (man_len > STORE_MANIFEST_CAP) {
		r = -E2BIG;
		goto out;
	}
	r = write_trailer(w, sums, len, man, man_len, key);
	if (r < 0)
		goto out;
	store_sha256(man, man_len, ret->manifest_sha256);
	memcpy(ret->merkle_root, root, STORE_HASH_LEN);
	store_sha256_final(w->file_sha, ret->file_sha256);
	w->file_sha = NULL;
	ret->file_size = w->out_bytes;
	ret->n_members = w->n;
out:
	if (r < 0)
		w->failed = true;
	json_decref(fields);
	free(sums);
	free(man);
	free(leaves);
	return r;
}

struct store_bundle_writer *store_bundle_writer_free(struct store_bundle_writer *w) {
	if (!w)
		return NULL;
	if (w->a)
		archive_write_free(w->a); /* closes if still open; output errors ignored here */
	for (size_t i = 0; i < w->n; i++) {
		free(w->m[i].path);
		json_decref(w->m[i].entry);
	}
	free(w->m);
	json_decref(w->errors);
	store_sha256_free(w->file_sha);
	store_sha256_free(w->msha);
	store_sha256_free(w->csha);
	store_aead_free(w->aead);
	explicit_bzero(w->dk, sizeof(w->dk));
	free(w->mem);
	if (w->spill_fd >= 0)
		close(w->spill_fd);
	free(w);
	return NULL;
}

/* ---- pending members: several outputs of one source collected at once ---- */

struct store_bundle_pending {
	struct store_bundle_writer *w;
	char *path;
	json_t *source;
	struct store_sha256_ctx *sha;
	char *mem;
	size_t mem_len, mem_alloc;
	int spill_fd;
	uint64_t written;
	bool cut;
};

int store_bundle_pending_new(struct store_bundle_writer *w, const char *path, json_t *source,
                             struct store_bundle_pending **ret) {
	if (!store_member_path_valid(path)) {
		json_decref(source);
		return -EINVAL;
	}
	struct store_bundle_pending *p = calloc(1, sizeof(*p));
	if (!p) {
		json_decref(source);
		return -ENOMEM;
	}
	p->w = w;
	p->spill_fd = -1;
	p->source = source;
	p->path = strdup(path);
	p->sha = store_sha256_new();
	if (!p->path || !p->sha) {
		store_bundle_pending_free(p);
		return -ENOMEM;
	}
	*ret = p;
	return 0;
}

int store_bundle_pending_write(void *userdata, const void *buf, size_t len) {
	struct store_bundle_pending *p = userdata;
	uint64_t cap = p->w->o.max_member_size;
	if (p->written + len > cap) {
		len = (size_t)(cap - p->written);
		p->cut = true;
	}
	if (!len)
		return 0;
	store_sha256_update(p->sha, buf, len);
	int r = 0;
	if (p->spill_fd < 0 && p->mem_len + len > SPILL_AT) {
		const char *d = p->w->o.spill_dir ? p->w->o.spill_dir : "/tmp";
		p->spill_fd = open(d, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (p->spill_fd < 0) {
			char tmpl[4096];
			snprintf(tmpl, sizeof(tmpl), "%s/.spill-XXXXXX", d);
			p->spill_fd = mkostemp(tmpl, O_CLOEXEC);
			if (p->spill_fd < 0)
				return -errno;
			unlink(tmpl);
		}
		r = ev_write_all(p->spill_fd, p->mem, p->mem_len);
		free(p->mem);
		p->mem = NULL;
		p->mem_len = p->mem_alloc = 0;
	}
	if (r == 0 && p->spill_fd >= 0)
		r = ev_write_all(p->spill_fd, buf, len);
	else if (r == 0) {
		if (p->mem_len + len > p->mem_alloc) {
			size_t na = MAX(MAX(p->mem_alloc * 2, p->mem_len + len), (size_t)65536);
			char *nm = realloc(p->mem, na);
			if (!nm)
				return -ENOMEM;
			p->mem = nm;
			p->mem_alloc = na;
		}
		memcpy(p->mem + p->mem_len, buf, len);
		p->mem_len += len;
	}
	if (r == 0)
		p->written += len;
	return r;
}

int store_bundle_pending_commit(struct store_bundle_writer *w, struct store_bundle_pending *p,
                                json_t *fields, const char *error) {
	json_t *src = p->source;
	p->source = NULL;
	int r = store_bundle_member_begin(w, p->path, (int64_t)p->written, src);
	if (r < 0) {
		json_decref(fields);
		store_bundle_pending_free(p);
		return r;
	}
	if (fields) {
		for (void *it = json_object_iter(fields); it;
		     it = json_object_iter_next(fields, it))
			store_bundle_member_set(w, json_object_iter_key(it),
			                        json_incref(json_object_iter_value(it)));
		json_decref(fields);
	}
	if (p->spill_fd < 0)
		r = mdata(w, p->mem ? p->mem : "", p->mem_len);
	else
		r = spill_data(w, p->spill_fd);
	/* the bytes were hashed on the way in: hand that digest over */
	w->written = p->written;
	w->cut = p->cut;
	store_sha256_free(w->msha);
	w->msha = p->sha;
	p->sha = NULL;
	if (r < 0)
		w->failed = true;
	int r2 = store_bundle_member_end(w, error);
	store_bundle_pending_free(p);
	return r < 0 ? r : r2;
}

void store_bundle_pending_free(struct store_bundle_pending *p) {
	if (!p)
		return;
	free(p->path);
	json_decref(p->source);
	store_sha256_free(p->sha);
	free(p->mem);
	if (p->spill_fd >= 0)
		close(p->spill_fd);
	free(p);
}
