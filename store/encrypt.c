/* Encryption of evidence members to X25519 recipients (see encrypt.h for the construction).
 * Invariants: a data key, wrap key or shared secret lives only in buffers that are wiped
 * before they are released; a decrypting stream never gives out the last 16 bytes it has
 * seen (they may be the tag). */
#include "config.h"

#include "store/encrypt.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/crypto.h"
#include "util/io.h"
#include "util/macro.h"

#define SPEC_CAP (64 * 1024) /* largest recipient or key file read */

bool store_enc_cipher_known(const char *name) {
	return name && (!strcmp(name, "aes-256-gcm") || !strcmp(name, "chacha20-poly1305"));
}

static const EVP_CIPHER *cipher_of(const char *name) {
	if (name && !strcmp(name, "aes-256-gcm"))
		return EVP_aes_256_gcm();
	if (name && !strcmp(name, "chacha20-poly1305"))
		return EVP_chacha20_poly1305();
	return NULL;
}

static void key_id(const uint8_t pub[32], char out[65]) {
	uint8_t h[STORE_HASH_LEN];
	store_sha256(pub, 32, h);
	store_hex(h, STORE_HASH_LEN, out);
}

/* Read at most SPEC_CAP bytes of a file (NUL-terminated). */
static int read_small(const char *path, char **ret, size_t *ret_len) {
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	char *b = malloc(SPEC_CAP + 1);
	ssize_t n = b ? read(fd, b, SPEC_CAP) : -1;
	int r = !b ? -ENOMEM : n < 0 ? -errno : n == SPEC_CAP ? -EFBIG : 0;
	close(fd);
	if (r < 0) {
		free(b);
		return r;
	}
	b[n] = '\0';
	*ret = b;
	*ret_len = (size_t)n;
	return 0;
}

/* A public key from PEM bytes: PUBLIC KEY, or the key of a CERTIFICATE. */
static EVP_PKEY *pem_public(const char *buf, size_t len) {
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	if (!k && bio) {
		BIO_reset(bio);
		X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		k = x ? X509_get_pubkey(x) : NULL;
		X509_free(x);
	}
	BIO_free(bio);
	return k;
}

static int raw_public(EVP_PKEY *k, uint8_t pub[32]) {
	size_t l = 32;
	if (!k || EVP_PKEY_id(k) != EVP_PKEY_X25519 || !EVP_PKEY_get_raw_public_key(k, pub, &l) ||
	    l != 32)
		return -EINVAL;
	return 0;
}

int store_recipient_parse(const char *spec, const char *where, struct store_recipient *ret,
                          struct ev_errlist *errs) {
	uint8_t pub[32];
	size_t sl = strlen(spec);
	if (sl == 44 && spec[43] == '=' &&
	    strspn(spec, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	                 "qrstuvwxyz0123456789+/") == 43) {
		uint8_t b[36];
		if (EVP_DecodeBlock(b, (const unsigned char *)spec, 44) != 33)
			goto bad_b64;
		memcpy(pub, b, 32);
	} else {
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		int r = read_small(spec, &buf, &len);
		if (r < 0) {
			ev_errlist_add(
			        errs, where, 0, 0,
			        "recipient '%s': not a base64 X25519 key, and cannot read it "
			        "as a file: %s",
			        spec, strerror(-r));
			return -EINVAL;
		}
		EVP_PKEY *k = pem_public(buf, len);
		r = raw_public(k, pub);
		EVP_PKEY_free(k);
		if (r < 0) {
			ev_errlist_add(errs, where, 0, 0,
			               "recipient '%s': no X25519 public key in it (expected a PEM "
			               "PUBLIC KEY or CERTIFICATE; make one with evident keygen "
			               "--x25519)",
			               spec);
			return -EINVAL;
		}
	}
	memcpy(ret->pub, pub, 32);
	key_id(pub, ret->key_id);
	return 0;
bad_b64:
	ev_errlist_add(errs, where, 0, 0, "recipient '%s': invalid base64 key", spec);
	return -EINVAL;
}

/* ---- streaming AEAD ---- */

struct store_aead {
	EVP_CIPHER_CTX *ctx;
	bool encrypt, started;
	char *aad;
	uint8_t key[STORE_ENC_KEY_LEN];
	const EVP_CIPHER *cipher;
	uint8_t nonce[STORE_ENC_NONCE_LEN];
	size_t nonce_len;                /* decrypt: nonce bytes seen */
	uint8_t tail[STORE_ENC_TAG_LEN]; /* decrypt: the last bytes seen */
	size_t tail_len;
	store_enc_out_fn out;
	void *ud;
	uint8_t *buf;
	size_t buf_alloc;
};

static int aead_start(struct store_aead *a) {
	if (EVP_CipherInit_ex(a->ctx, a->cipher, NULL, NULL, NULL, a->encrypt) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_IVLEN, STORE_ENC_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(a->ctx, NULL, NULL, a->key, a->nonce, a->encrypt) != 1)
		return -EIO;
	int ol;
	if (EVP_CipherUpdate(a->ctx, NULL, &ol, (const uint8_t *)a->aad, (int)strlen(a->aad)) != 1)
		return -EIO;
	a->started = true;
	return 0;
}

int store_aead_new(const char *cipher, const uint8_t key[STORE_ENC_KEY_LEN], bool encrypt,
                   const char *aad, store_enc_out_fn out, void *ud, struct store_aead **ret) {
	const EVP_CIPHER *c = cipher_of(cipher);
	if (!c)
		return -EINVAL;
	struct store_aead *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->cipher = c;
	a->encrypt = encrypt;
	a->out = out;
	a->ud = ud;
	memcpy(a->key, key, STORE_ENC_KEY_LEN);
	a->ctx = EVP_CIPHER_CTX_new();
	a->aad = strdup(aad);
	if (!a->ctx || !a->aad) {
		store_aead_free(a);
		return -ENOMEM;
	}
	if (encrypt) {
		int r = getrandom(a->nonce, sizeof(a->nonce), 0) == (ssize_t)sizeof(a->nonce)
		                ? aead_start(a)
		                : -EIO;
		if (r == 0)
			r = out(ud, a->nonce, sizeof(a->nonce));
		if (r < 0) {
			store_aead_free(a);
			return r;
		}
	}
	*ret = a;
	return 0;
}

static int aead_feed(struct store_aead *a, const uint8_t *in, size_t len) {
	if (!len)
		return 0;
	if (a->buf_alloc < len + 32) {
		uint8_t *nb = realloc(a->buf, len + 32);
		if (!nb)
			return -ENOMEM;
		a->buf = nb;
		a->buf_alloc = len + 32;
	}
	int ol = 0;
	if (EVP_CipherUpdate(a->ctx, a->buf, &ol, in, (int)len) != 1)
		return -EIO;
	return ol ? a->out(a->ud, a->buf, (size_t)ol) : 0;
}

int store_aead_update(struct store_aead *a, const void *buf, size_t len) {
	const uint8_t *p = buf;
	if (a->encrypt) {
		for (size_t k; len; p += k, len -= k) {
			k = MIN(len, (size_t)1 << 20);
			int r = aead_feed(a, p, k);
			if (r < 0)
				return r;
		}
		return 0;
	}
	while (len && a->nonce_len < STORE_ENC_NONCE_LEN) {
		a->nonce[a->nonce_len++] = *p++;
		len--;
	}
	if (!len)
		return 0;
	if (!a->started) {
		int r = aead_start(a);
		if (r < 0)
			return r;
	}
	/* give out all but the last 16 bytes of tail + input */
	size_t total = a->tail_len + len;
	if (total <= STORE_ENC_TAG_LEN) {
		memcpy(a->tail + a->tail_len, p, len);
		a->tail_len = total;
		return 0;
	}
	size_t emit = total - STORE_ENC_TAG_LEN;
	size_t from_tail = MIN(emit, a->tail_len);
	int r = aead_feed(a, a->tail, from_tail);
	if (r < 0)
		return r;
	uint8_t keep[STORE_ENC_TAG_LEN];
	size_t kept = a->tail_len - from_tail; /* tail bytes not given out */
	memcpy(keep, a->tail + from_tail, kept);
	size_t from_in = emit - from_tail;
	for (size_t o = 0, k; o < from_in; o += k) {
		k = MIN(from_in - o, (size_t)1 << 20);
		if ((r = aead_feed(a, p + o, k)) < 0)
			return r;
	}
	memcpy(a->tail, keep, kept);
	memcpy(a->tail + kept, p + from_in, len - from_in);
	a->tail_len = kept + len - from_in;
	return 0;
}

int store_aead_final(struct store_aead *a) {
	uint8_t fin[32];
	int ol = 0;
	if (a->encrypt) {
		uint8_t tag[STORE_ENC_TAG_LEN];
		if (EVP_CipherFinal_ex(a->ctx, fin, &ol) != 1 ||
		    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, sizeof(tag), tag) != 1)
			return -EIO;
		int r = ol ? a->out(a->ud, fin, (size_t)ol) : 0;
		return r < 0 ? r : a->out(a->ud, tag, sizeof(tag));
	}
	if (a->nonce_len < STORE_ENC_NONCE_LEN || a->tail_len < STORE_ENC_TAG_LEN)
		return -EBADMSG; /* shorter than nonce + tag */
	if (!a->started && aead_start(a) < 0)
		return -EIO;
	if (EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, STORE_ENC_TAG_LEN, a->tail) != 1)
		return -EIO;
	if (EVP_CipherFinal_ex(a->ctx, fin, &ol) != 1)
		return -EBADMSG;
	return ol ? a->out(a->ud, fin, (size_t)ol) : 0;
}

struct store_aead *store_aead_free(struct store_aead *a) {
	if (!a)
		return NULL;
	EVP_CIPHER_CTX_free(a->ctx);
	explicit_bzero(a->key, sizeof(a->key));
	if (a->buf) {
		explicit_bzero(a->buf, a->buf_alloc);
		free(a->buf);
	}
	free(a->aad);
	free(a);
	return NULL;
}

/* ---- key wrapping ---- */

/* W = HKDF-SHA256(ikm S, salt E || R, info STORE_ENC_INFO). */
static int wrap_key(const uint8_t s[32], const uint8_t e[32], const uint8_t rp[32], uint8_t w[32]) {
	uint8_t salt[64];
	memcpy(salt, e, 32);
	memcpy(salt + 32, rp, 32);
	size_t wl = 32;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	int ok = c && EVP_PKEY_derive_init(c) == 1 &&
	         EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()) == 1 &&
	         EVP_PKEY_CTX_set1_hkdf_salt(c, salt, sizeof(salt)) == 1 &&
	         EVP_PKEY_CTX_set1_hkdf_key(c, s, 32) == 1 &&
	         EVP_PKEY_CTX_add1_hkdf_info(c, (const uint8_t *)STORE_ENC_INFO,
	                                     (int)strlen(STORE_ENC_INFO)) == 1 &&
	         EVP_PKEY_derive(c, w, &wl) == 1 && wl == 32;
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : -EIO;
}

/* S = X25519(priv, peer). */
static int x25519(EVP_PKEY *priv, const uint8_t peer[32], uint8_t s[32]) {
	EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
	EVP_PKEY_CTX *c = p ? EVP_PKEY_CTX_new(priv, NULL) : NULL;
	size_t sl = 32;
	int ok = c && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, p) == 1 &&
	         EVP_PKEY_derive(c, s, &sl) == 1 && sl == 32;
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(p);
	return ok ? 0 : -EIO;
}

struct membuf {
	uint8_t b[STORE_ENC_OVERHEAD + STORE_ENC_KEY_LEN];
	size_t n;
};
static int membuf_out(void *ud, const void *buf, size_t len) {
	struct membuf *m = ud;
	if (m->n + len > sizeof(m->b))
		return -EOVERFLOW;
	memcpy(m->b + m->n, buf, len);
	m->n += len;
	return 0;
}

/* One AEAD of a 32-byte key (wrap or unwrap) into m. */
static int aead_once(const char *cipher, const uint8_t key[32], bool encrypt, const uint8_t *in,
                     size_t len, struct membuf *m) {
	struct store_aead *a = NULL;
	int r = store_aead_new(cipher, key, encrypt, STORE_ENC_INFO, membuf_out, m, &a);
	if (r == 0)
		r = store_aead_update(a, in, len);
	if (r == 0)
		r = store_aead_final(a);
	store_aead_free(a);
	return r;
}

static json_t *wrap_one(const char *cipher, const uint8_t dk[32],
                        const struct store_recipient *rc) {
	uint8_t e[32], s[32], w[32];
	size_t el = 32;
	struct membuf m = {.n = 0};
	json_t *o = NULL;
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	EVP_PKEY *eph = NULL;
	if (kc && EVP_PKEY_keygen_init(kc) == 1 && EVP_PKEY_keygen(kc, &eph) == 1 &&
	    EVP_PKEY_get_raw_public_key(eph, e, &el) == 1 && x25519(eph, rc->pub, s) == 0 &&
	    wrap_key(s, e, rc->pub, w) == 0 && aead_once(cipher, w, true, dk, 32, &m) == 0) {
		char eh[65], wh[2 * sizeof(m.b) + 1];
		store_hex(e, 32, eh);
		store_hex(m.b, m.n, wh);
		o = json_pack("{s:s, s:s, s:s}", "key_id", rc->key_id, "ephemeral", eh,
		              "wrapped_key", wh);
	}
	explicit_bzero(s, sizeof(s));
	explicit_bzero(w, sizeof(w));
	EVP_PKEY_free(eph);
	EVP_PKEY_CTX_free(kc);
	return o;
}

int store_enc_wrap(const char *cipher, const uint8_t dk[STORE_ENC_KEY_LEN],
                   const struct store_recipient *r, size_t n, json_t **ret) {
	if (!cipher_of(cipher) || !n)
		return -EINVAL;
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		json_t *o = wrap_one(cipher, dk, &r[i]);
		if (!o || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return -EIO;
		}
	}
	json_t *enc = a ? json_pack("{s:s, s:s, s:o}", "cipher", cipher, "scheme", STORE_ENC_SCHEME,
	                            "recipients", a)
	                : NULL;
	if (!enc)
		return -ENOMEM;
	*ret = enc;
	return 0;
}

static EVP_PKEY *load_x25519_private(const char *path, struct ev_errlist *errs) {
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_small(path, &buf, &len);
	if (r < 0) {
		ev_errlist_add(errs, path, 0, 0, "cannot read the key: %s", strerror(-r));
		return NULL;
	}
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	explicit_bzero(buf, len);
	if (!k || EVP_PKEY_id(k) != EVP_PKEY_X25519) {
		EVP_PKEY_free(k);
		ev_errlist_add(errs, path, 0, 0,
		               "not an X25519 private key (PEM PKCS#8, from evident keygen "
		               "--x25519)");
		return NULL;
	}
	return k;
}

int store_enc_unwrap(const json_t *enc, const char *key_path, uint8_t ret_dk[STORE_ENC_KEY_LEN],
                     struct ev_errlist *errs) {
	const char *cipher = json_string_value(json_object_get(enc, "cipher"));
	const char *scheme = json_string_value(json_object_get(enc, "scheme"));
	if (!cipher_of(cipher) || !scheme || strcmp(scheme, STORE_ENC_SCHEME) != 0) {
		ev_errlist_add(errs, key_path, 0, 0, "unsupported encryption (%s, %s)",
		               cipher ? cipher : "?", scheme ? scheme : "?");
		return -EINVAL;
	}
	EVP_PKEY *k = load_x25519_private(key_path, errs);
	if (!k)
		return -EINVAL;
	uint8_t pub[32];
	char id[65];
	int r = raw_public(k, pub);
	key_id(pub, id);
	json_t *rs = json_object_get(enc, "recipients"), *it = NULL;
	for (size_t i = 0; r == 0 && i < json_array_size(rs); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(rs, i), "key_id"))
		                    ?: "",
		            id))
			it = json_array_get(rs, i);
	if (r == 0 && !it)
		r = -ENOKEY;
	uint8_t e[32], wrapped[STORE_ENC_OVERHEAD + 32], s[32], w[32];
	const char *eh = json_string_value(json_object_get(it, "ephemeral"));
	const char *wh = json_string_value(json_object_get(it, "wrapped_key"));
	if (r == 0 && (!eh || !wh || strlen(eh) != 64 || strlen(wh) != 2 * sizeof(wrapped) ||
	               store_unhex(eh, e, 32) < 0 || store_unhex(wh, wrapped, sizeof(wrapped)) < 0))
		r = -EINVAL;
	struct membuf m = {.n = 0};
	if (r == 0 && (x25519(k, e, s) < 0 || wrap_key(s, e, pub, w) < 0))
		r = -EIO;
	if (r == 0)
		r = aead_once(cipher, w, false, wrapped, sizeof(wrapped), &m);
	if (r == 0 && m.n != 32)
		r = -EBADMSG;
	if (r == 0)
		memcpy(ret_dk, m.b, 32);
	explicit_bzero(&m, sizeof(m));
	explicit_bzero(s, sizeof(s));
	explicit_bzero(w, sizeof(w));
	EVP_PKEY_free(k);
	if (r == -ENOKEY)
		ev_errlist_add(errs, key_path, 0, 0,
		               "this key (id %s) is not a recipient of the bundle", id);
	else if (r == -EBADMSG)
		ev_errlist_add(errs, key_path, 0, 0,
		               "the wrapped data key does not authenticate with this key");
	else if (r < 0)
		ev_errlist_add(errs, key_path, 0, 0, "malformed recipient entry for key %s", id);
	return r;
}

/* ---- key generation ---- */

static int write_new(const char *dir, const char *name, const char *data, size_t len, mode_t mode) {
	char p[4096];
	int r = store_path_join(p, sizeof(p), dir, name);
	if (r < 0)
		return r;
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	r = ev_write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		unlink(p);
	return r;
}

static char *pem_of(EVP_PKEY *k, bool priv, size_t *ret_len) {
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL;
	if (b && (priv ? PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)
	               : PEM_write_bio_PUBKEY(b, k)) == 1) {
		char *p;
		long n = BIO_get_mem_data(b, &p);
		out = n > 0 ? malloc((size_t)n) : NULL;
		if (out) {
			memcpy(out, p, (size_t)n);
			*ret_len = (size_t)n;
		}
	}
	BIO_free(b);
	return out;
}

int store_x25519_keygen(const char *dir, const char *name, char ret_id[65],
                        struct ev_errlist *errs) {
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	EVP_PKEY *k = NULL;
	uint8_t pub[32];
	if (!c || EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_keygen(c, &k) != 1 ||
	    raw_public(k, pub)) {
		EVP_PKEY_CTX_free(c);
		EVP_PKEY_free(k);
		return -EIO;
	}
	EVP_PKEY_CTX_free(c);
	size_t sl = 0, pl = 0;
	char *sk = pem_of(k, true, &sl), *pk = pem_of(k, false, &pl);
	EVP_PKEY_free(k);
	char kn[300], pn[300];
	snprintf(kn, sizeof(kn), "%s.x25519.key", name);
	snprintf(pn, sizeof(pn), "%s.x25519.pub", name);
	int r = sk && pk ? write_new(dir, kn, sk, sl, 0600) : -ENOMEM;
	if (r < 0)
		ev_errlist_add(errs, dir, 0, 0, "cannot write %s: %s", kn, strerror(-r));
	else if ((r = write_new(dir, pn, pk, pl, 0644)) < 0)
		ev_errlist_add(errs, dir, 0, 0, "cannot write %s: %s", pn, strerror(-r));
	if (sk)
		explicit_bzero(sk, sl);
	free(sk);
	free(pk);
	if (r == 0)
		key_id(pub, ret_id);
	return r;
}
