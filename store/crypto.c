/* Ed25519 keys (PEM PKCS#8 / SubjectPublicKeyInfo), one-shot signatures and SHA-256.
 * Invariants: a struct store_key always holds an Ed25519 key and its id; private key
 * file bytes are wiped with explicit_bzero as soon as they are parsed. */
#include "store/crypto.h"
#include "util/hex.h"
#include "util/io.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct store_key {
	EVP_PKEY *pkey;
	bool has_private;
	char id[STORE_HEX_LEN + 1];
};

struct store_sha256_ctx {
	EVP_MD_CTX *md;
};

const char store_zero_hex[STORE_HEX_LEN + 1] =
        "0000000000000000000000000000000000000000000000000000000000000000";

void store_hex(const uint8_t *in, size_t len, char *out) {
	ev_hex(in, len, out);
}

static int hexval(char c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int store_unhex(const char *in, uint8_t *out, size_t len) {
	if (!in || strlen(in) != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int h = hexval(in[2 * i]), l = hexval(in[2 * i + 1]);
		if (h < 0 || l < 0)
			return -EINVAL;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return 0;
}

void store_sha256(const void *data, size_t len, uint8_t out[STORE_HASH_LEN]) {
	ev_sha256(data, len, out);
}

struct store_sha256_ctx *store_sha256_new(void) {
	struct store_sha256_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->md = EVP_MD_CTX_new();
	if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c->md);
		free(c);
		return NULL;
	}
	return c;
}

void store_sha256_update(struct store_sha256_ctx *c, const void *data, size_t len) {
	if (len)
		EVP_DigestUpdate(c->md, data, len);
}

void store_sha256_final(struct store_sha256_ctx *c, uint8_t out[STORE_HASH_LEN]) {
	unsigned n = 0;
	EVP_DigestFinal_ex(c->md, out, &n);
	store_sha256_free(c);
}

void store_sha256_free(struct store_sha256_ctx *c) {
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

static struct store_key *key_wrap(EVP_PKEY *pkey, bool priv) {
	if (!pkey || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	uint8_t raw[32], h[STORE_HASH_LEN];
	size_t n = sizeof(raw);
	if (EVP_PKEY_get_raw_public_key(pkey, raw, &n) != 1 || n != 32) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	struct store_key *k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	k->pkey = pkey;
	k->has_private = priv;
	store_sha256(raw, n, h);
	store_hex(h, sizeof(h), k->id);
	return k;
}

struct store_key *store_key_generate(void) {
	return key_wrap(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), true);
}

struct store_key *store_key_free(struct store_key *k) {
	if (k) {
		EVP_PKEY_free(k->pkey);
		free(k);
	}
	return NULL;
}

const char *store_key_id(const struct store_key *k) {
	return k->id;
}
bool store_key_has_private(const struct store_key *k) {
	return k->has_private;
}

static int write_new_file(const char *path, mode_t mode, const void *buf, size_t len) {
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	int r = ev_write_all(fd, buf, len);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		unlink(path);
	return r;
}

/* PEM of the private (priv=true) or public part, in a freshly allocated buffer. */
static char *key_pem(const struct store_key *k, bool priv, size_t *ret_len) {
	BIO *b = BIO_new(BIO_s_secmem());
	if (!b)
		return NULL;
	int ok = priv ? PEM_write_bio_PrivateKey(b, k->pkey, NULL, NULL, 0, NULL, NULL)
	              : PEM_write_bio_PUBKEY(b, k->pkey);
	char *out = NULL;
	if (ok == 1) {
		char *p = NULL;
		long n = BIO_get_mem_data(b, &p);
		out = malloc((size_t)n + 1);
		if (out) {
			memcpy(out, p, (size_t)n);
			out[n] = 0;
			*ret_len = (size_t)n;
		}
	}
	BIO_free(b); /* secure memory BIO: cleared on free */
	return out;
}

char *store_key_public_pem(const struct store_key *k) {
	size_t n;
	return key_pem(k, false, &n);
}

int store_key_write(const struct store_key *k, const char *dir, const char *name,
                    struct ev_errlist *errs) {
	char kp[4096], pp[4096];
	snprintf(kp, sizeof(kp), "%s/%s.key", dir, name);
	snprintf(pp, sizeof(pp), "%s/%s.pub", dir, name);
	if (access(kp, F_OK) == 0 || access(pp, F_OK) == 0) {
		ev_errlist_add(errs, access(kp, F_OK) == 0 ? kp : pp, 0, 0,
		               "already exists; refusing to overwrite a key");
		return -EEXIST;
	}
	size_t n = 0;
	char *pem = key_pem(k, true, &n);
	if (!pem)
		return -ENOMEM;
	int r = write_new_file(kp, 0600, pem, n);
	explicit_bzero(pem, n);
	free(pem);
	if (r < 0) {
		ev_errlist_add(errs, kp, 0, 0, "cannot write private key: %s", strerror(-r));
		return r;
	}
	pem = key_pem(k, false, &n);
	if (!pem) {
		unlink(kp);
		return -ENOMEM;
	}
	r = write_new_file(pp, 0644, pem, n);
	free(pem);
	if (r < 0) {
		ev_errlist_add(errs, pp, 0, 0, "cannot write public key: %s", strerror(-r));
		unlink(kp);
	}
	return r;
}

#define KEY_FILE_CAP 65536

static int read_small(const char *path, bool secret, char **ret, size_t *ret_len,
                      struct ev_errlist *errs) {
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int r = -errno;
		ev_errlist_add(errs, path, 0, 0, "cannot open key: %s", strerror(errno));
		return r;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		ev_errlist_add(errs, path, 0, 0, "not a regular file");
		return -EINVAL;
	}
	char peek[32] = "";
	if (secret && pread(fd, peek, sizeof(peek) - 1, 0) > 0 &&
	    !strncmp(peek, "-----BEGIN PUBLIC KEY-----", 26)) {
		close(fd);
		ev_errlist_add(errs, path, 0, 0,
		               "this is a public key; signing needs the private key (the .key file "
		               "that evident keygen wrote beside it, mode 0600)");
		return -EINVAL;
	}
	if (secret && (st.st_mode & 077)) {
		close(fd);
		ev_errlist_add(
		        errs, path, 0, 0,
		        "private key is accessible by group or others (mode %04o); run chmod 600",
		        (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (st.st_size > KEY_FILE_CAP) {
		close(fd);
		ev_errlist_add(errs, path, 0, 0, "key file too large");
		return -EFBIG;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	long n = ev_read_full(fd, buf, (size_t)st.st_size);
	size_t got = n > 0 ? (size_t)n : 0;
	close(fd);
	buf[got] = 0;
	*ret = buf;
	*ret_len = got;
	return 0;
}

int store_key_load_private(const char *path, struct store_key **ret, struct ev_errlist *errs) {
	char *buf = NULL;
	size_t len = 0;
	int r = read_small(path, true, &buf, &len, errs);
	if (r < 0)
		return r;
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	EVP_PKEY *p = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	explicit_bzero(buf, len);
	free(buf);
	struct store_key *k = key_wrap(p, true);
	if (!k) {
		ev_errlist_add(errs, path, 0, 0, "not an Ed25519 private key in PEM PKCS#8 form");
		return -EINVAL;
	}
	*ret = k;
	return 0;
}

int store_key_public_from_pem(const void *buf, size_t len, struct store_key **ret) {
	if (len > KEY_FILE_CAP)
		return -EINVAL;
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	EVP_PKEY *p = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	struct store_key *k = key_wrap(p, false);
	if (!k)
		return -EINVAL;
	*ret = k;
	return 0;
}

int store_key_load_public(const char *path, struct store_key **ret, struct ev_errlist *errs) {
	char *buf = NULL;
	size_t len = 0;
	int r = read_small(path, false, &buf, &len, errs);
	if (r < 0)
		return r;
	r = store_key_public_from_pem(buf, len, ret);
	free(buf);
	if (r < 0)
		ev_errlist_add(errs, path, 0, 0, "not an Ed25519 public key in PEM form");
	return r;
}

int store_key_sign(const struct store_key *k, const void *data, size_t len,
                   uint8_t sig[STORE_SIG_LEN]) {
	if (!k->has_private)
		return -EINVAL;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return -ENOMEM;
	size_t sl = STORE_SIG_LEN;
	int ok = EVP_DigestSignInit(c, NULL, NULL, NULL, k->pkey) == 1 &&
	         EVP_DigestSign(c, sig, &sl, data, len) == 1 && sl == STORE_SIG_LEN;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -EIO;
}

int store_key_verify(const struct store_key *k, const void *data, size_t len,
                     const uint8_t sig[STORE_SIG_LEN]) {
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return -ENOMEM;
	int ok = EVP_DigestVerifyInit(c, NULL, NULL, NULL, k->pkey) == 1 &&
	         EVP_DigestVerify(c, sig, STORE_SIG_LEN, data, len) == 1;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -EBADMSG;
}

int store_path_join(char *out, size_t len, const char *dir, const char *name) {
	int k = snprintf(out, len, "%s/%s", dir, name);
	return k < 0 || (size_t)k >= len ? -ENAMETOOLONG : 0;
}
