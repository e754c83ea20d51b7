/* The Vectorscan database cache (correlate/dbcache.h).
 *
 * File format (text header, then the payload):
 *   "evident-hsdb 1\n" "key " 64 hex "\n" "sha256 " 64 hex "\n" "size " decimal "\n" "\n"
 *   payload (hs_serialize_database(), `size` bytes)
 * The file's name is the key in hex plus ".hsdb". Invariant: a database comes from this
 * cache only through check_owner() on the directory and the file and a header whose key,
 * size and payload hash agree; anything else is compiled as if there were no cache. */
#include "config.h"

#ifdef HAVE_VECTORSCAN
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
/* SHA-256 through the low-level interface: EVP would load and initialise OpenSSL's default
 * provider, 2 MiB resident, in every command that runs rules (measured with
 * /proc/PID/smaps) */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "correlate/dbcache.h"
#include "util/hex.h"
#include "util/io.h"
#include "util/macro.h"
#include "util/mkdir.h"

#define DBCACHE_MAGIC    "evident-hsdb 1\n"
#define DBCACHE_MAX_SIZE (512u << 20) /* a larger file is not read */
#define HEX_LEN          64

static void add_u64(SHA256_CTX *m, uint64_t v) {
	unsigned char b[8];
	for (size_t i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	SHA256_Update(m, b, sizeof(b));
}

/* The key of one compilation in hex (HEX_LEN + 1 bytes). Returns 0 or -ENOMEM. */
static int cache_key(const char *const *exprs, const unsigned *flags, const unsigned *ids,
                     unsigned n, unsigned mode, char *out) {
	hs_platform_info_t plat = {0};
	if (hs_populate_platform(&plat) != HS_SUCCESS)
		return -ENOTSUP;
	SHA256_CTX ctx, *m = &ctx;
	if (!SHA256_Init(m))
		return -ENOMEM;
	const char *v = hs_version();
	SHA256_Update(m, DBCACHE_MAGIC, strlen(DBCACHE_MAGIC));
	SHA256_Update(m, v, strlen(v) + 1);
	add_u64(m, plat.tune);
	add_u64(m, plat.cpu_features);
	add_u64(m, mode);
	add_u64(m, n);
	for (unsigned i = 0; i < n; i++) {
		size_t len = strlen(exprs[i]);
		add_u64(m, flags[i]);
		add_u64(m, ids[i]);
		add_u64(m, len);
		SHA256_Update(m, exprs[i], len);
	}
	unsigned char md[32];
	if (!SHA256_Final(md, m))
		return -ENOMEM;
	ev_hex(md, sizeof(md), out);
	return 0;
}

static void note(struct dbcache *c, const char *what, const char *name, const struct stat *st) {
	if (c->note)
		return;
	if (asprintf(&c->note,
	             "rule database cache %s%s%s: owned by uid %u with mode %04o, not by uid "
	             "%u without group or other write access: not used (compiling instead)",
	             what, name ? "/" : "", name ? name : "", (unsigned)st->st_uid,
	             (unsigned)(st->st_mode & 07777), (unsigned)geteuid()) < 0)
		c->note = NULL;
}

/* The file or directory is the running user's and only theirs to write. */
static bool check_owner(const struct stat *st) {
	return st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* The cache directory, made 0700 (parents too) when missing; -1 when it cannot be used. */
static int open_dir(struct dbcache *c) {
	int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && ev_mkdir_p(c->dir, 0700, 0700) >= 0)
		fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	if (!check_owner(&st)) {
		note(c, c->dir, NULL, &st);
		close(fd);
		return -1;
	}
	return fd;
}

/* Read the file `name` into a buffer; NULL when it is missing, refused or unreadable. */
static char *read_file(struct dbcache *c, int dfd, const char *name, size_t *ret_len) {
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > DBCACHE_MAX_SIZE)
		return NULL;
	if (!check_owner(&st)) {
		note(c, c->dir, name, &st);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size);
	long got = buf ? ev_read_full(fd, buf, (size_t)st.st_size) : 0;
	if (buf && got != (long)st.st_size) {
		free(buf);
		return NULL;
	}
	(void)futimens(fd, NULL); /* recently used: kept when old files are removed */
	*ret_len = (size_t)got;
	return buf;
}

/* The payload of a cache file whose header names `key`, or NULL when it does not hold. */
static const char *payload(const char *buf, size_t len, const char *key, size_t *ret_len) {
	char want[160];
	int k = snprintf(want, sizeof(want), "%skey %s\nsha256 ", DBCACHE_MAGIC, key);
	if (len < (size_t)k + HEX_LEN + 1 || memcmp(buf, want, (size_t)k))
		return NULL;
	const char *sum = buf + k, *p = sum + HEX_LEN, *end = buf + len;
	if (end - p < 8 || memcmp(p, "\nsize ", 6))
		return NULL;
	p += 6;
	uint64_t size = 0;
	for (; p < end && *p >= '0' && *p <= '9' && size < DBCACHE_MAX_SIZE; p++)
		size = size * 10 + (uint64_t)(*p - '0');
	if (end - p < 2 || memcmp(p, "\n\n", 2) || (uint64_t)(end - p - 2) != size || !size)
		return NULL;
	p += 2;
	char got[HEX_LEN + 1];
	ev_sha256_hex(p, (size_t)size, got);
	if (memcmp(got, sum, HEX_LEN))
		return NULL;
	*ret_len = (size_t)size;
	return p;
}

static hs_database_t *load(struct dbcache *c, int dfd, const char *name, const char *key) {
	size_t len = 0, plen = 0;
	_cleanup_free_ char *buf = read_file(c, dfd, name, &len);
	const char *p = buf ? payload(buf, len, key, &plen) : NULL;
	hs_database_t *db = NULL;
	if (p && hs_deserialize_database(p, plen, &db) != HS_SUCCESS)
		db = NULL; /* another version or platform: compiled again */
	return db;
}

/* Remove the least recently used files past DBCACHE_MAX_FILES (best effort). */
static void trim(int dfd) {
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (;;) {
		unsigned n = 0;
		char oldest[NAME_MAX + 1] = "";
		struct timespec t = {0};
		rewinddir(d);
		for (struct dirent *de; (de = readdir(d));) {
			size_t l = strlen(de->d_name);
			struct stat st;
			if (l < 5 || strcmp(de->d_name + l - 5, ".hsdb") ||
			    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			n++;
			if (!*oldest || st.st_mtim.tv_sec < t.tv_sec ||
			    (st.st_mtim.tv_sec == t.tv_sec && st.st_mtim.tv_nsec < t.tv_nsec)) {
				snprintf(oldest, sizeof(oldest), "%s", de->d_name);
				t = st.st_mtim;
			}
		}
		if (n <= DBCACHE_MAX_FILES || unlinkat(dfd, oldest, 0) < 0)
			break;
	}
	closedir(d);
}

static void store(struct dbcache *c, int dfd, const char *name, const char *key,
                  const hs_database_t *db) {
	char *bytes = NULL, tmp[128], sum[HEX_LEN + 1], hdr[256];
	size_t len = 0;
	if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
		return;
	ev_sha256_hex(bytes, len, sum);
	int h = snprintf(hdr, sizeof(hdr), "%skey %s\nsha256 %s\nsize %zu\n\n", DBCACHE_MAGIC, key,
	                 sum, len);
	snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", key, (long)getpid());
	int fd =
	        h > 0 ? openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)
	              : -1;
	bool ok = fd >= 0 && ev_write_all(fd, hdr, (size_t)h) >= 0 &&
	          ev_write_all(fd, bytes, len) >= 0;
	if (fd >= 0 && close(fd) < 0)
		ok = false;
	free(bytes);
	if (ok && renameat(dfd, tmp, dfd, name) == 0) {
		c->stored++;
		trim(dfd);
	} else if (fd >= 0)
		(void)unlinkat(dfd, tmp, 0);
}

hs_error_t dbcache_compile(struct dbcache *c, const char *const *exprs, const unsigned *flags,
                           const unsigned *ids, unsigned n, unsigned mode, hs_database_t **ret_db,
                           hs_compile_error_t **ret_ce) {
	char key[HEX_LEN + 1], name[HEX_LEN + 8];
	_cleanup_close_ int dfd = -1;
	if (c && c->dir && cache_key(exprs, flags, ids, n, mode, key) >= 0)
		dfd = open_dir(c);
	if (dfd >= 0) {
		snprintf(name, sizeof(name), "%s.hsdb", key);
		hs_database_t *db = load(c, dfd, name, key);
		if (db) {
			c->loaded++;
			*ret_db = db;
			return HS_SUCCESS;
		}
	}
	hs_error_t r = hs_compile_multi(exprs, flags, ids, n, mode, NULL, ret_db, ret_ce);
	if (c)
		c->compiled++;
	if (r == HS_SUCCESS && dfd >= 0)
		store(c, dfd, name, key, *ret_db);
	return r;
}

void dbcache_done(struct dbcache *c) {
	free(c->note);
	c->note = NULL;
}
#endif
