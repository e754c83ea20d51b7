/* Store unit tests, bundles: Merkle tree, keys, bundle round trip, tampering of every kind
 * the verifier must catch (byte flips of a whole small bundle and of its manifest, member
 * games, re-signing, traversal and link members, a 10 GB bomb). The ledger and the chain
 * are in test_store_chain.c. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "store/archive_load.h"
#include "store/merkle.h"
#include "store/store.h"
#include "tests/unit/store/helpers.h"
#include "tests/unit/unit.h"

/* ---- helpers ---- */

/* Seal a small bundle into a file; returns its bytes. */
static char *small_bundle(const struct store_key *k, size_t *len) {
	char path[600];
	snprintf(path, sizeof(path), "%s/small-%d.tar.gz", unit_tmpdir(), rand());
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	struct store_bundle_writer *w = NULL;
	struct store_bundle_writer_opts o = {.fd = fd, .level = 6, .mtime = 1700000000};
	CU_ASSERT_FATAL(store_bundle_writer_new(&o, &w) == 0);
	CU_ASSERT(store_bundle_member_begin(w, "evidence/files/a.log", 12, NULL) == 0);
	CU_ASSERT(store_bundle_member_write(w, "line one\nab\n", 12) == 0);
	CU_ASSERT(store_bundle_member_end(w, NULL) == 0);
	CU_ASSERT(store_bundle_member_begin(w, "evidence/commands/ps", -1,
	                                    json_pack("{s:s}", "kind", "command")) == 0);
	CU_ASSERT(store_bundle_member_write(w, "PID CMD\n1 init\n", 15) == 0);
	CU_ASSERT(store_bundle_member_end(w, NULL) == 0);
	CU_ASSERT(store_bundle_member_begin(w, "evidence/x/b", -1, NULL) == 0);
	CU_ASSERT(store_bundle_member_end(w, NULL) == 0);
	struct store_bundle_result res;
	CU_ASSERT_FATAL(store_bundle_finish(w, json_pack("{s:s}", "note", "unit"), k, &res) == 0);
	CU_ASSERT(res.n_members == 3);
	store_bundle_writer_free(w);
	close(fd);
	char *b = slurp(path, len);
	CU_ASSERT_FATAL(b != NULL);
	return b;
}

static void verify_mem(const char *b, size_t len, const struct store_keyring *kr,
                       struct store_report *rep, struct store_verify_limits *lim) {
	*rep = (struct store_report){0};
	CU_ASSERT(store_bundle_verify_mem(b, len, "t", kr, lim, NULL, rep, NULL) == 0);
}

struct ent {
	const char *name;
	const void *data;
	size_t len;
	int type; /* AE_IFREG, AE_IFLNK... */
};

/* Build a gzip'd pax tar from entries (for forged bundles). */
static char *make_tgz(const struct ent *e, size_t n, size_t *ret_len) {
	size_t cap = 4u << 20, used = 0;
	char *buf = malloc(cap);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	CU_ASSERT_FATAL(archive_write_open_memory(a, buf, cap, &used) == ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *x = archive_entry_new();
		archive_entry_set_pathname(x, e[i].name);
		archive_entry_set_filetype(x, e[i].type ? (unsigned)e[i].type : AE_IFREG);
		archive_entry_set_perm(x, 0440);
		if (e[i].type == AE_IFLNK)
			archive_entry_set_symlink(x, "/etc/passwd");
		else
			archive_entry_set_size(x, (la_int64_t)e[i].len);
		archive_write_header(a, x);
		if (e[i].type != AE_IFLNK && e[i].len)
			archive_write_data(a, e[i].data, e[i].len);
		archive_entry_free(x);
	}
	archive_write_close(a);
	archive_write_free(a);
	*ret_len = used;
	return buf;
}

/* Read every member of a bundle into ents (owned strings). */
static size_t read_tgz(const char *b, size_t len, struct ent *out, size_t max) {
	struct archive *a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	archive_read_open_memory(a, b, len);
	struct archive_entry *e;
	size_t n = 0;
	while (n < max && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		size_t sz = (size_t)archive_entry_size(e);
		char *d = malloc(sz + 1);
		size_t got = 0;
		la_ssize_t k;
		while (got < sz && (k = archive_read_data(a, d + got, sz - got)) > 0)
			got += (size_t)k;
		d[got] = 0;
		out[n++] = (struct ent){strdup(archive_entry_pathname(e)), d, got, 0};
	}
	archive_read_free(a);
	return n;
}

static void free_ents(struct ent *e, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free((char *)e[i].name);
		free((void *)e[i].data);
	}
}

static int find_ent(struct ent *e, size_t n, const char *name) {
	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i].name, name))
			return (int)i;
	return -1;
}

/* ---- Merkle ---- */

TEST(test_store_merkle) {
	store_hash_t leaves[17], root, empty, x;
	store_merkle_root(leaves, 0, root);
	store_sha256("", 0, empty);
	CU_ASSERT(memcmp(root, empty, 32) == 0);
	for (int i = 0; i < 17; i++) {
		char d[8];
		snprintf(d, sizeof(d), "%d", i);
		store_merkle_leaf(d, strlen(d), leaves[i]);
	}
	/* three leaves by hand: H(1 || H(1||l0||l1) || l2) */
	uint8_t buf[65];
	buf[0] = 1;
	memcpy(buf + 1, leaves[0], 32);
	memcpy(buf + 33, leaves[1], 32);
	store_sha256(buf, 65, x);
	memcpy(buf + 1, x, 32);
	memcpy(buf + 33, leaves[2], 32);
	store_sha256(buf, 65, x);
	store_merkle_root(leaves, 3, root);
	CU_ASSERT(memcmp(root, x, 32) == 0);
	/* leaf hash uses the 0x00 prefix */
	uint8_t l0[2] = {0, '0'};
	store_sha256(l0, 2, x);
	CU_ASSERT(memcmp(x, leaves[0], 32) == 0);
	for (size_t n = 1; n <= 17; n++) {
		store_merkle_root(leaves, n, root);
		for (size_t i = 0; i < n; i++) {
			store_hash_t *p = NULL;
			size_t pn = 0;
			CU_ASSERT_FATAL(store_merkle_proof(leaves, n, i, &p, &pn) == 0);
			CU_ASSERT(store_merkle_verify(leaves[i], i, n, p, pn, root) == 0);
			CU_ASSERT(store_merkle_verify(leaves[(i + 1) % 17], i, n, p, pn, root) <
			                                  0 ||
			                          n == 1
			                  ? true
			                  : false);
			if (n > 1)
				CU_ASSERT(store_merkle_verify(leaves[i], (i + 1) % n, n, p, pn,
				                              root) < 0);
			free(p);
		}
	}
}

/* ---- keys ---- */

TEST(test_store_keys) {
	keys();
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/keys", unit_tmpdir());
	mkdir(dir, 0700);
	struct ev_errlist errs = {0};
	CU_ASSERT(store_key_write(key_a, dir, "k", &errs) == 0);
	CU_ASSERT(store_key_write(key_a, dir, "k", &errs) == -EEXIST);
	char kp[700], pp[700];
	snprintf(kp, sizeof(kp), "%s/k.key", dir);
	snprintf(pp, sizeof(pp), "%s/k.pub", dir);
	struct stat st;
	CU_ASSERT(stat(kp, &st) == 0 && (st.st_mode & 0777) == 0600);
	struct store_key *k = NULL, *p = NULL;
	CU_ASSERT(store_key_load_private(kp, &k, &errs) == 0);
	CU_ASSERT(store_key_load_public(pp, &p, &errs) == 0);
	CU_ASSERT_STRING_EQUAL(store_key_id(k), store_key_id(key_a));
	CU_ASSERT_STRING_EQUAL(store_key_id(p), store_key_id(key_a));
	uint8_t sig[64];
	CU_ASSERT(store_key_sign(k, "abc", 3, sig) == 0);
	CU_ASSERT(store_key_verify(p, "abc", 3, sig) == 0);
	CU_ASSERT(store_key_verify(p, "abd", 3, sig) == -EBADMSG);
	CU_ASSERT(store_key_verify(key_b, "abc", 3, sig) == -EBADMSG);
	CU_ASSERT(store_key_sign(p, "abc", 3, sig) == -EINVAL);
	store_key_free(k);
	k = NULL;
	chmod(kp, 0640);
	CU_ASSERT(store_key_load_private(kp, &k, &errs) == -EPERM);
	CU_ASSERT(store_key_load_private(pp, &k, &errs) < 0); /* not a private key (and 0644) */
	store_key_free(p);
	ev_errlist_clear(&errs);
}

/* ---- bundles ---- */

TEST(test_store_bundle_roundtrip) {
	keys();
	struct store_keyring kr = {0};
	ring(&kr, key_a);
	size_t len;
	char *b = small_bundle(key_a, &len);
	struct store_report rep;
	struct store_bundle_info info = {0};
	rep = (struct store_report){0};
	CU_ASSERT(store_bundle_verify_mem(b, len, "t", &kr, NULL, NULL, &rep, &info) == 0);
	dump(&rep);
	CU_ASSERT(rep.n == 0);
	CU_ASSERT(info.authenticated && info.key_pinned);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(info.manifest, "note")), "unit");
	CU_ASSERT(json_array_size(json_object_get(info.manifest, "members")) == 3);
	store_bundle_info_clear(&info);
	store_report_clear(&rep);
	/* an unknown key, and an unpinned one */
	struct store_keyring other = {0};
	ring(&other, key_b);
	verify_mem(b, len, &other, &rep, NULL);
	CU_ASSERT(has(&rep, STORE_UNKNOWN_KEY));
	store_report_clear(&rep);
	store_keyring_clear(&other);
	free(b);
	store_keyring_clear(&kr);
}

TEST(test_store_bundle_spill_and_cut) {
	keys();
	char path[600];
	snprintf(path, sizeof(path), "%s/big.tar.gz", unit_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	struct store_bundle_writer *w = NULL;
	struct store_bundle_writer_opts o = {
	        .fd = fd, .level = 1, .max_member_size = 6u << 20, .spill_dir = unit_tmpdir()};
	CU_ASSERT_FATAL(store_bundle_writer_new(&o, &w) == 0);
	char *chunk = malloc(1 << 20);
	memset(chunk, 'x', 1 << 20);
	CU_ASSERT(store_bundle_member_begin(w, "evidence/big", -1, NULL) == 0);
	for (int i = 0; i < 7; i++) /* 7 MiB: spills past 4 MiB, cut at 6 MiB */
		CU_ASSERT(store_bundle_member_write(w, chunk, 1 << 20) == 0);
	CU_ASSERT(store_bundle_member_end(w, NULL) == 0);
	CU_ASSERT(store_bundle_member_begin(w, "evidence/shrank", 100, NULL) == 0);
	CU_ASSERT(store_bundle_member_write(w, "abc", 3) == 0);
	CU_ASSERT(store_bundle_member_end(w, NULL) == 0);
	CU_ASSERT(store_bundle_member_begin(w, "evidence/../x", 1, NULL) == -EINVAL);
	CU_ASSERT(store_bundle_member_begin(w, "/etc/passwd", 1, NULL) == -EINVAL);
	CU_ASSERT(store_bundle_member_begin(w, "evidence/big", 1, NULL) == -EEXIST);
	free(chunk);
	struct store_bundle_result res;
	struct store_keyring kr = {0};
	struct store_bundle_info info = {0};
	finish_verified(w, fd, "big", &res, &kr, &info);
	struct store_report rep = {0};
	CU_ASSERT(memcmp(info.file_sha256, res.file_sha256, 32) == 0);
	json_t *m = json_object_get(info.manifest, "members");
	CU_ASSERT(json_integer_value(json_object_get(json_array_get(m, 0), "size")) == 6 << 20);
	CU_ASSERT(json_object_get(json_array_get(m, 0), "error") != NULL);
	CU_ASSERT(json_integer_value(json_object_get(json_array_get(m, 1), "size")) == 100);
	CU_ASSERT(json_object_get(json_array_get(m, 1), "error") != NULL);
	/* the total cap stops a bundle that inflates past it */
	struct store_verify_limits lim = {.max_total_size = 1u << 20};
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CU_ASSERT(store_bundle_verify_fd(fd, "big", &kr, &lim, NULL, &rep, NULL) == 0);
	close(fd);
	CU_ASSERT(has(&rep, STORE_FORMAT_INVALID));
	store_report_clear(&rep);
	store_bundle_info_clear(&info);
	store_keyring_clear(&kr);
}

/* Gunzip (for the test's own comparison); NULL when the stream is not valid gzip. */
static uint8_t *gunzip(const char *b, size_t len, size_t *ret_len) {
	z_stream z = {0};
	if (inflateInit2(&z, 31) != Z_OK)
		return NULL;
	size_t cap = 1u << 20;
	uint8_t *out = malloc(cap);
	z.next_in = (Bytef *)b;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int r = inflate(&z, Z_FINISH);
	*ret_len = z.total_out;
	inflateEnd(&z);
	if (r != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

/* Flip every byte of a small bundle. The verifier reports a finding for every flip that
 * changes the archive's content; the only flips it cannot see are those that leave the
 * decompressed bytes identical (gzip header MTIME/XFL/OS/FTEXT, or a deflate back-reference
 * redirected into another run of zeros), and the bundle's file hash, sealed in the ledger
 * and the head, catches those (BUNDLE_MODIFIED in a store check). */
TEST(test_store_bundle_byte_flips) {
	keys();
	struct store_keyring kr = {0};
	ring(&kr, key_a);
	size_t len;
	char *b = small_bundle(key_a, &len);
	uint8_t sealed[32];
	store_sha256(b, len, sealed);
	size_t orig_len = 0;
	uint8_t *orig = gunzip(b, len, &orig_len);
	CU_ASSERT_FATAL(orig != NULL);
	size_t undetected_content = 0, missed = 0;
	for (size_t i = 0; i < len; i++) {
		b[i] ^= 0x01;
		struct store_report rep = {0};
		struct store_bundle_info info = {0};
		CU_ASSERT(store_bundle_verify_mem(b, len, "t", &kr, NULL, NULL, &rep, &info) == 0);
		bool content = rep.n > 0;
		bool file = memcmp(info.file_sha256, sealed, 32) != 0;
		if (!content) {
			undetected_content++;
			size_t tl = 0;
			uint8_t *t = gunzip(b, len, &tl);
			bool same = t && tl == orig_len && memcmp(t, orig, tl) == 0;
			if (!same)
				fprintf(stderr, "flip at %zu of %zu changed content unnoticed\n", i,
				        len);
			CU_ASSERT(same);
			free(t);
		}
		if (!content && !file)
			missed++;
		store_report_clear(&rep);
		store_bundle_info_clear(&info);
		b[i] ^= 0x01;
	}
	CU_ASSERT(missed == 0);
	CU_ASSERT(undetected_content < len / 20);
	free(orig);
	free(b);
	store_keyring_clear(&kr);
}

/* Flip every byte of MANIFEST.json and rebuild the bundle around it. */
TEST(test_store_manifest_byte_flips) {
	keys();
	struct store_keyring kr = {0};
	ring(&kr, key_a);
	size_t len;
	char *b = small_bundle(key_a, &len);
	struct ent e[16];
	size_t n = read_tgz(b, len, e, 16);
	int mi = find_ent(e, n, "MANIFEST.json");
	CU_ASSERT_FATAL(mi >= 0);
	char *man = (char *)e[mi].data;
	for (size_t i = 0; i < e[mi].len; i++) {
		man[i] ^= 0x20;
		size_t tl;
		char *t = make_tgz(e, n, &tl);
		struct store_report rep;
		verify_mem(t, tl, &kr, &rep, NULL);
		CU_ASSERT(has(&rep, STORE_SIGNATURE_INVALID) || has(&rep, STORE_FORMAT_INVALID) ||
		          has(&rep, STORE_UNKNOWN_KEY));
		store_report_clear(&rep);
		free(t);
		man[i] ^= 0x20;
	}
	free_ents(e, n);
	free(b);
	store_keyring_clear(&kr);
}

TEST(test_store_member_games) {
	keys();
	struct store_keyring kr = {0};
	ring(&kr, key_a);
	size_t len;
	char *b = small_bundle(key_a, &len);
	struct ent e[16], f[17];
	size_t n = read_tgz(b, len, e, 16), tl;
	struct store_report rep;
	char *t;
	/* untouched rebuild: no finding */
	t = make_tgz(e, n, &tl);
	verify_mem(t, tl, &kr, &rep, NULL);
	CU_ASSERT(rep.n == 0);
	store_report_clear(&rep);
	free(t);
	/* append a member */
	memcpy(f, e, n * sizeof(*e));
	f[n] = (struct ent){"evidence/extra", "x", 1, 0};
	t = make_tgz(f, n + 1, &tl);
	verify_mem(t, tl, &kr, &rep, NULL);
	CU_ASSERT(has(&rep, STORE_MEMBER_EXTRA));
	store_report_clear(&rep);
	free(t);
	/* the same member twice (the second copy different) */
	memcpy(f, e, n * sizeof(*e));
	f[n] = (struct ent){"evidence/files/a.log", "other", 5, 0};
	t = make_tgz(f, n + 1, &tl);
	verify_mem(t, tl, &kr, &rep, NULL);
	CU_ASSERT(has(&rep, STORE_FORMAT_INVALID));
	store_report_clear(&rep);
	free(t);
	/* remove a member */
	int ai = find_ent(e, n, "evidence/files/a.log");
	memcpy(f, e, n * sizeof(*e));
	f[ai] = f[n - 1];
	t = make_tgz(f, n - 1, &tl);
	verify_mem(t, tl, &kr, &rep, NULL);
	CU_ASSERT(has(&rep, STORE_MEMBER_MISSING));
	store_report_clear(&rep);
	free(t);
	/* rename a member */
	memcpy(f, e, n * sizeof(*e));
	f[ai].name = "evidence/files/b.log";
	t = make_tgz(f, n, &tl);
	verify_mem(t, tl, &kr, &rep, NULL);
	CU_ASSERT(has(&rep, STORE_MEMBER_MISSING) && has(&rep, STORE_MEMBER_EXTRA));
	store_report_clear(&rep);
	free(t);
	/* change content and recompute SHA256SUMS */
	memcpy(f, e, n * sizeof(*e));
	f[ai].data = "line one\nXb\n";
	int si = find_ent(e, n, "SHA256SUMS");
	char *sums = strdup(e[si].data), hx[65];
	uint8_t h[32];
	store_sha256("line one\nXb\n", 12, h);
	store_hex(h, 32, hx);
	char *pos = strstr(sums, "  evidence/files/a.log");
	memcpy(pos - 64, hx, 64);
	f[si].data = sums;
	t = make_tgz(f, n, &tl);
	verify_mem(t, tl, &kr, &rep, NULL);
	CU_ASSERT(has(&rep, STORE_MEMBER_MODIFIED));
	store_report_clear(&rep);
	free(t);
	free(sums);
	/* re-sign the manifest with another key (and claim it) */
	memcpy(f, e, n * sizeof(*e));
	int mi = find_ent(e, n, "MANIFEST.json"), gi = find_ent(e, n, "MANIFEST.sig");
	json_t *m = json_loadb(e[mi].data, e[mi].len, 0, NULL);
	json_object_set_new(m, "key_id", json_string(store_key_id(key_b)));
	char *mb = store_json_canonical(m);
	uint8_t sig[64];
	store_key_sign(key_b, mb, strlen(mb), sig);
	f[mi].data = mb;
	f[mi].len = strlen(mb);
	f[gi].data = sig;
	t = make_tgz(f, n, &tl);
	verify_mem(t, tl, &kr, &rep, NULL);
	CU_ASSERT(has(&rep, STORE_UNKNOWN_KEY));
	store_report_clear(&rep);
	free(t);
	/* re-sign keeping the old key id */
	json_object_set_new(m, "key_id", json_string(store_key_id(key_a)));
	free(mb);
	mb = store_json_canonical(m);
	store_key_sign(key_b, mb, strlen(mb), sig);
	f[mi].data = mb;
	f[mi].len = strlen(mb);
	t = make_tgz(f, n, &tl);
	verify_mem(t, tl, &kr, &rep, NULL);
	CU_ASSERT(has(&rep, STORE_SIGNATURE_INVALID));
	store_report_clear(&rep);
	free(t);
	free(mb);
	json_decref(m);
	/* path traversal, absolute and symlink members */
	const char *bad[] = {"../../etc/cron.d/x", "/etc/passwd", "evidence/../../x"};
	for (size_t k = 0; k < 3; k++) {
		memcpy(f, e, n * sizeof(*e));
		f[n] = (struct ent){bad[k], "x", 1, 0};
		t = make_tgz(f, n + 1, &tl);
		verify_mem(t, tl, &kr, &rep, NULL);
		CU_ASSERT(has(&rep, STORE_FORMAT_INVALID));
		store_report_clear(&rep);
		free(t);
	}
	memcpy(f, e, n * sizeof(*e));
	f[n] = (struct ent){"evidence/link", NULL, 0, AE_IFLNK};
	t = make_tgz(f, n + 1, &tl);
	verify_mem(t, tl, &kr, &rep, NULL);
	CU_ASSERT(has(&rep, STORE_FORMAT_INVALID));
	store_report_clear(&rep);
	free(t);
	/* truncated gzip stream */
	for (size_t cut = 1; cut < len; cut += len / 7) {
		verify_mem(b, len - cut, &kr, &rep, NULL);
		CU_ASSERT(rep.n > 0);
		store_report_clear(&rep);
	}
	free_ents(e, n);
	free(b);
	store_keyring_clear(&kr);
}

/* A member that declares 10 GB (GNU base-256 size), followed by 1 MiB of zeros. */
TEST(test_store_decompression_bomb) {
	keys();
	struct store_keyring kr = {0};
	ring(&kr, key_a);
	size_t tar_len = 512 + (1u << 20);
	uint8_t *tar = calloc(1, tar_len);
	memcpy(tar, "evidence/bomb", 13);
	memcpy(tar + 100, "0000440", 8);
	memcpy(tar + 108, "0000000", 8);
	memcpy(tar + 116, "0000000", 8);
	uint64_t size = 10ull << 30;
	tar[124] = 0x80;
	for (int i = 0; i < 8; i++)
		tar[135 - i] = (uint8_t)(size >> (8 * i));
	memcpy(tar + 136, "00000000000", 12);
	tar[156] = '0';
	memcpy(tar + 257,
	       "ustar\0"
	       "00",
	       8);
	memset(tar + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += tar[i];
	snprintf((char *)tar + 148, 8, "%06o", sum);
	/* gzip it */
	z_stream z = {0};
	CU_ASSERT_FATAL(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	size_t cap = deflateBound(&z, tar_len);
	uint8_t *gz = malloc(cap);
	z.next_in = tar;
	z.avail_in = (uInt)tar_len;
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	CU_ASSERT(deflate(&z, Z_FINISH) == Z_STREAM_END);
	size_t gl = z.total_out;
	deflateEnd(&z);
	struct store_report rep;
	verify_mem((char *)gz, gl, &kr, &rep, NULL);
	CU_ASSERT(has(&rep, STORE_FORMAT_INVALID));
	bool capped = false;
	for (size_t i = 0; i < rep.n; i++)
		capped = capped || (rep.v[i].msg && strstr(rep.v[i].msg, "size cap"));
	CU_ASSERT(capped);
	store_report_clear(&rep);
	free(gz);
	free(tar);
	store_keyring_clear(&kr);
}
