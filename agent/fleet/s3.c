/* S3 requests over libcurl (see s3.h). One easy handle per request: the client is used by
 * one thread at a time (the upload worker or a command). Keys are written into URLs
 * percent-encoded (every byte but A-Z a-z 0-9 - _ . ~ and '/'); query strings are built
 * here already sorted and encoded, as SigV4's canonical request needs them (curl 7.88
 * signs the query as written). Response bodies kept in memory are capped at 16 MiB. */
#include "config.h"

#include "agent/curl_load.h" /* libcurl, loaded on first use */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/fleet/s3.h"
#include "util/macro.h"

#define BODY_CAP     (16u << 20)
#define LIST_CAP     1000000
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct ev_s3 {
	char *endpoint, *region, *bucket, *ak, *sk, *token;
	bool tls_verify;
	uint64_t threshold;
	bool (*stop)(void *);
	void *stop_ud;
	char err[512];
};

/* One request's in and out. */
struct req {
	const char *method;
	char *url;
	const void *body;
	size_t body_len;
	struct curl_slist *hdrs;
	/* response */
	long status;
	char *resp;
	size_t resp_len;
	int out_fd; /* >= 0: the body goes there instead */
	uint64_t out_len, out_cap;
	bool too_big;
	char rh[4096]; /* response headers of interest, "name: value\n" */
	size_t rh_len;
};

static void set_err(struct ev_s3 *s, const char *fmt, ...) _printf_(2, 3);
static void set_err(struct ev_s3 *s, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

struct ev_s3 *ev_s3_new(const struct ev_s3_conf *c) {
	static bool inited;
	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = true;
	}
	struct ev_s3 *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	size_t el = strlen(c->endpoint ?: "");
	while (el && c->endpoint[el - 1] == '/')
		el--;
	s->endpoint = strndup(c->endpoint ?: "", el);
	s->region = strdup(c->region ?: "us-east-1");
	s->bucket = strdup(c->bucket ?: "");
	s->ak = strdup(c->access_key ?: "");
	s->sk = strdup(c->secret_key ?: "");
	s->token = c->session_token ? strdup(c->session_token) : NULL;
	s->tls_verify = c->tls_verify;
	s->threshold = c->multipart_threshold ?: (64u << 20);
	if (!s->endpoint || !s->region || !s->bucket || !s->ak || !s->sk ||
	    (c->session_token && !s->token))
		return ev_s3_free(s);
	return s;
}

struct ev_s3 *ev_s3_free(struct ev_s3 *s) {
	if (!s)
		return NULL;
	if (s->sk)
		explicit_bzero(s->sk, strlen(s->sk));
	if (s->token)
		explicit_bzero(s->token, strlen(s->token));
	free(s->endpoint);
	free(s->region);
	free(s->bucket);
	free(s->ak);
	free(s->sk);
	free(s->token);
	free(s);
	return NULL;
}

void ev_s3_set_stop(struct ev_s3 *s, bool (*stop)(void *), void *userdata) {
	s->stop = stop;
	s->stop_ud = userdata;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
	struct ev_s3 *s = ud;
	(void)dt, (void)dn, (void)ut, (void)un;
	return s->stop && s->stop(s->stop_ud) ? 1 : 0; /* non-zero aborts the transfer */
}

const char *ev_s3_error(const struct ev_s3 *s) {
	return s->err[0] ? s->err : "no error";
}

/* Percent-encode `in` into a new string; '/' kept when keep_slash. */
static char *uri_encode(const char *in, bool keep_slash) {
	size_t n = strlen(in);
	char *out = malloc(n * 3 + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
		    (keep_slash && *p == '/'))
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = "0123456789ABCDEF"[*p >> 4];
			*o++ = "0123456789ABCDEF"[*p & 15];
		}
	}
	*o = 0;
	return out;
}

/* endpoint/bucket[/key][?query] */
static char *make_url(const struct ev_s3 *s, const char *key, const char *query) {
	_cleanup_free_ char *k = key ? uri_encode(key, true) : strdup("");
	if (!k)
		return NULL;
	char *u;
	if (asprintf(&u, "%s/%s%s%s%s%s", s->endpoint, s->bucket, key ? "/" : "", k,
	             query ? "?" : "", query ?: "") < 0)
		return NULL;
	return u;
}

static void hex(const unsigned char *d, size_t n, char *out) {
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* SHA-256 (hex) and MD5 (base64) of a buffer. */
static void digests(const void *buf, size_t len, char sha_hex[65], char md5_b64[32]) {
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	EVP_Digest(buf, len, d, &dl, EVP_sha256(), NULL);
	hex(d, 32, sha_hex);
	EVP_Digest(buf, len, d, &dl, EVP_md5(), NULL);
	EVP_EncodeBlock((unsigned char *)md5_b64, d, 16);
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
	struct req *r = ud;
	size_t len = sz * n;
	if (r->out_fd >= 0) {
		if (r->out_len + len > r->out_cap) {
			r->too_big = true;
			return 0;
		}
		for (size_t off = 0; off < len;) {
			ssize_t w = write(r->out_fd, p + off, len - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return 0;
			off += (size_t)w;
		}
		r->out_len += len;
		return len;
	}
	if (r->resp_len + len > BODY_CAP) {
		r->too_big = true;
		return 0;
	}
	char *nb = realloc(r->resp, r->resp_len + len + 1);
	if (!nb)
		return 0;
	memcpy(nb + r->resp_len, p, len);
	r->resp = nb;
	r->resp_len += len;
	r->resp[r->resp_len] = 0;
	return len;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud) {
	struct req *r = ud;
	size_t len = sz * n;
	static const char *const keep[] = {"etag:", "x-amz-", "content-length:"};
	for (size_t i = 0; i < ELEMENTSOF(keep); i++)
		if (len > strlen(keep[i]) && !strncasecmp(p, keep[i], strlen(keep[i])) &&
		    r->rh_len + len < sizeof(r->rh)) {
			memcpy(r->rh + r->rh_len, p, len);
			r->rh_len += len;
			r->rh[r->rh_len] = 0;
			break;
		}
	return len;
}

/* A response header's value (trimmed, quotes of an ETag kept) into out. */
static void header_get(const struct req *r, const char *name, char *out, size_t outlen) {
	out[0] = 0;
	size_t nl = strlen(name);
	for (const char *p = r->rh; *p;) {
		const char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		if (ll > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			size_t vl = (size_t)(p + ll - v);
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
				vl--;
			snprintf(out, outlen, "%.*s", (int)vl, v);
			return;
		}
		p += ll + (eol != NULL);
	}
}

/* The text of <tag>...</tag> in xml (first at or after *from), entities decoded; NULL. */
static char *xml_get(const char *xml, const char *tag, const char **from) {
	char open[64], close[64];
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	const char *a = strstr(from ? *from : xml, open);
	if (!a)
		return NULL;
	a += strlen(open);
	const char *b = strstr(a, close);
	if (!b)
		return NULL;
	if (from)
		*from = b + strlen(close);
	char *out = malloc((size_t)(b - a) + 1), *o = out;
	if (!out)
		return NULL;
	static const struct {
		const char *ent, c;
	} ents[] = {
	        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	for (const char *p = a; p < b;) {
		size_t i;
		for (i = 0; i < ELEMENTSOF(ents); i++)
			if (!strncmp(p, ents[i].ent, strlen(ents[i].ent)))
				break;
		if (i < ELEMENTSOF(ents)) {
			*o++ = ents[i].c;
			p += strlen(ents[i].ent);
		} else
			*o++ = *p++;
	}
	*o = 0;
	return out;
}

static int status_errno(long st) {
	return st == 403 ? -EACCES : st == 404 ? -ENOENT : st == 409 ? -EEXIST : -EIO;
}

/* The payload's hashes (x-amz-content-sha256 always, Content-MD5 with a body), the
 * content type and the session token. */
static void payload_headers(const struct ev_s3 *s, struct req *r) {
	char sha[65], md5[32], h[100];
	if (r->body) {
		digests(r->body, r->body_len, sha, md5);
		snprintf(h, sizeof(h), "Content-MD5: %s", md5);
		r->hdrs = curl_slist_append(r->hdrs, h);
		r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/octet-stream");
	}
	snprintf(h, sizeof(h), "x-amz-content-sha256: %s", r->body ? sha : EMPTY_SHA256);
	r->hdrs = curl_slist_append(r->hdrs, h);
	if (s->token) {
		_cleanup_free_ char *t = NULL;
		if (asprintf(&t, "x-amz-security-token: %s", s->token) >= 0)
			r->hdrs = curl_slist_append(r->hdrs, t);
	}
}

/* An easy handle for r: signing, TLS, limits, callbacks, method and body. */
static CURL *make_handle(struct ev_s3 *s, struct req *r) {
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	char sigv4[160];
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", s->region);
	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, s->tls_verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, s->tls_verify ? 2L : 0L);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4); /* copied by libcurl */
	curl_easy_setopt(h, CURLOPT_USERNAME, s->ak);
	curl_easy_setopt(h, CURLOPT_PASSWORD, s->sk);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	if (s->stop) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, s);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	if (!strcmp(r->method, "HEAD"))
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(r->method, "GET"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	return h;
}

/* Run a request (the caller's headers already in r->hdrs). 0 for 2xx, else -errno with
 * s->err set. */
static int perform(struct ev_s3 *s, struct req *r, const char *what) {
	const char *why;
	if (ev_curl_load(&why) < 0) {
		set_err(s, "%s: %s", what, why);
		return -ELIBACC;
	}
	payload_headers(s, r);
	CURL *h = make_handle(s, r);
	if (!h)
		return -ENOMEM;
	CURLcode cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(h);
	if (r->too_big) {
		set_err(s, "%s: response larger than allowed", what);
		return -EFBIG;
	}
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		set_err(s, "%s: stopped", what);
		return -ECANCELED;
	}
	if (cc != CURLE_OK) {
		set_err(s, "%s: %s", what, curl_easy_strerror(cc));
		return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
		                       cc == CURLE_OPERATION_TIMEDOUT
		               ? -EHOSTUNREACH
		               : -EIO;
	}
	if (r->status >= 200 && r->status < 300)
		return 0;
	_cleanup_free_ char *code =
	        r->resp && r->out_fd < 0 ? xml_get(r->resp, "Code", NULL) : NULL;
	_cleanup_free_ char *msg =
	        r->resp && r->out_fd < 0 ? xml_get(r->resp, "Message", NULL) : NULL;
	set_err(s, "%s: HTTP %ld%s%s%s%s", what, r->status, code ? " " : "", code ?: "",
	        msg ? ": " : "", msg ?: "");
	return status_errno(r->status);
}

static void req_clear(struct req *r) {
	free(r->url);
	free(r->resp);
	curl_slist_free_all(r->hdrs);
}

static void object_from(const struct req *r, struct ev_s3_object *o) {
	char len[32];
	header_get(r, "x-amz-version-id", o->version_id, sizeof(o->version_id));
	header_get(r, "ETag", o->etag, sizeof(o->etag));
	header_get(r, "x-amz-object-lock-mode", o->lock_mode, sizeof(o->lock_mode));
	header_get(r, "x-amz-object-lock-retain-until-date", o->retain_until,
	           sizeof(o->retain_until));
	header_get(r, "x-amz-meta-sha256", o->sha256, sizeof(o->sha256));
	header_get(r, "Content-Length", len, sizeof(len));
	o->size = strtoull(len, NULL, 10);
}

static void lock_headers(struct req *r, const struct ev_s3_lock *lock, const char *sha) {
	char h[200];
	if (lock && lock->mode) {
		snprintf(h, sizeof(h), "x-amz-object-lock-mode: %s", lock->mode);
		r->hdrs = curl_slist_append(r->hdrs, h);
	}
	if (lock && lock->retain_until) {
		snprintf(h, sizeof(h), "x-amz-object-lock-retain-until-date: %s",
		         lock->retain_until);
		r->hdrs = curl_slist_append(r->hdrs, h);
	}
	snprintf(h, sizeof(h), "x-amz-meta-sha256: %s", sha);
	r->hdrs = curl_slist_append(r->hdrs, h);
}

/* Read `len` bytes at `off` of fd into a new buffer. */
static int read_at(int fd, uint64_t off, size_t len, unsigned char **ret) {
	unsigned char *b = malloc(len ? len : 1);
	if (!b)
		return -ENOMEM;
	for (size_t got = 0; got < len;) {
		ssize_t n = pread(fd, b + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(b);
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	*ret = b;
	return 0;
}

int ev_s3_file_sha256(int fd, uint64_t size, char out[65]) {
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return -ENOMEM;
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	unsigned char buf[65536];
	int r = 0;
	for (uint64_t off = 0; off < size;) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		EVP_DigestUpdate(c, buf, (size_t)n);
		off += (uint64_t)n;
	}
	unsigned char d[32];
	EVP_DigestFinal_ex(c, d, NULL);
	EVP_MD_CTX_free(c);
	hex(d, 32, out);
	return r;
}

static int put_single(struct ev_s3 *s, const char *key, int fd, uint64_t size,
                      const struct ev_s3_lock *lock, const char *sha, struct ev_s3_object *ret) {
	_cleanup_free_ unsigned char *buf = NULL;
	int r = read_at(fd, 0, (size_t)size, &buf);
	if (r < 0) {
		set_err(s, "PUT %s: cannot read the file: %s", key, strerror(-r));
		return r;
	}
	struct req q = {.method = "PUT", .url = make_url(s, key, NULL), .out_fd = -1};
	q.body = buf;
	q.body_len = (size_t)size;
	lock_headers(&q, lock, sha);
	char what[600];
	snprintf(what, sizeof(what), "PUT %s", key);
	r = q.url ? perform(s, &q, what) : -ENOMEM;
	if (r == 0) {
		object_from(&q, ret);
		ret->size = size;
		snprintf(ret->sha256, sizeof(ret->sha256), "%s", sha);
	}
	req_clear(&q);
	return r;
}

int ev_s3_put_retention(struct ev_s3 *s, const char *key, const char *version_id,
                        const struct ev_s3_lock *lock) {
	_cleanup_free_ char *v = uri_encode(version_id ?: "", false);
	_cleanup_free_ char *qs = NULL, *xml = NULL;
	if (!v || asprintf(&qs, "retention=&versionId=%s", v) < 0 ||
	    asprintf(&xml,
	             "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>%s</Mode>"
	             "<RetainUntilDate>%s</RetainUntilDate></Retention>",
	             lock->mode, lock->retain_until) < 0)
		return -ENOMEM;
	struct req q = {.method = "PUT", .url = make_url(s, key, qs), .out_fd = -1};
	q.body = xml;
	q.body_len = strlen(xml);
	char what[600];
	snprintf(what, sizeof(what), "PUT retention of %s", key);
	int r = q.url ? perform(s, &q, what) : -ENOMEM;
	req_clear(&q);
	return r;
}

/* CompleteMultipartUpload with the parts' ETags; the new version into *ret. */
static int complete_multipart(struct ev_s3 *s, const char *key, const char *qs, json_t *etags,
                              const char *what, struct ev_s3_object *ret) {
	char *xml = NULL;
	size_t xl = 0;
	FILE *m = open_memstream(&xml, &xl);
	if (!m)
		return -ENOMEM;
	fputs("<CompleteMultipartUpload>", m);
	for (size_t i = 0; i < json_array_size(etags); i++)
		fprintf(m, "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag></Part>", i + 1,
		        json_string_value(json_array_get(etags, i)));
	fputs("</CompleteMultipartUpload>", m);
	fclose(m);
	struct req c = {.method = "POST", .url = make_url(s, key, qs), .out_fd = -1};
	c.body = xml;
	c.body_len = xl;
	int r = c.url ? perform(s, &c, what) : -ENOMEM;
	if (r == 0 && c.resp && strstr(c.resp, "<Error>")) { /* a 200 that carries an error */
		_cleanup_free_ char *code = xml_get(c.resp, "Code", NULL);
		set_err(s, "%s: %s", what, code ?: "error");
		r = -EIO;
	}
	if (r == 0) {
		object_from(&c, ret);
		_cleanup_free_ char *etag = c.resp ? xml_get(c.resp, "ETag", NULL) : NULL;
		if (etag && !ret->etag[0])
			snprintf(ret->etag, sizeof(ret->etag), "%s", etag);
	}
	req_clear(&c);
	free(xml);
	return r;
}

/* Multipart: initiate (with the lock headers), parts, complete; abort on failure. */
static int put_multipart(struct ev_s3 *s, const char *key, int fd, uint64_t size,
                         const struct ev_s3_lock *lock, const char *sha, struct ev_s3_object *ret) {
	char what[600];
	snprintf(what, sizeof(what), "multipart upload of %s", key);
	struct req q = {.method = "POST", .url = make_url(s, key, "uploads="), .out_fd = -1};
	lock_headers(&q, lock, sha);
	int r = q.url ? perform(s, &q, what) : -ENOMEM;
	_cleanup_free_ char *id = r == 0 && q.resp ? xml_get(q.resp, "UploadId", NULL) : NULL;
	req_clear(&q);
	if (r < 0)
		return r;
	if (!id) {
		set_err(s, "%s: no UploadId in the answer", what);
		return -EIO;
	}
	_cleanup_free_ char *eid = uri_encode(id, false);
	json_t *etags = json_array();
	unsigned part = 0;
	for (uint64_t off = 0; r == 0 && off < size; off += s->threshold) {
		size_t len = (size_t)MIN(s->threshold, size - off);
		_cleanup_free_ unsigned char *buf = NULL;
		if ((r = read_at(fd, off, len, &buf)) < 0)
			break;
		char qs[400];
		snprintf(qs, sizeof(qs), "partNumber=%u&uploadId=%s", ++part, eid);
		struct req p = {.method = "PUT", .url = make_url(s, key, qs), .out_fd = -1};
		p.body = buf;
		p.body_len = len;
		r = p.url ? perform(s, &p, what) : -ENOMEM;
		char etag[96];
		header_get(&p, "ETag", etag, sizeof(etag));
		json_array_append_new(etags, json_string(etag));
		req_clear(&p);
	}
	char qs[400];
	snprintf(qs, sizeof(qs), "uploadId=%s", eid);
	if (r < 0) { /* leave no parts behind (best effort) */
		char saved[sizeof(s->err)];
		memcpy(saved, s->err, sizeof(saved));
		struct req a = {.method = "DELETE", .url = make_url(s, key, qs), .out_fd = -1};
		if (a.url)
			perform(s, &a, what);
		req_clear(&a);
		memcpy(s->err, saved, sizeof(saved));
		json_decref(etags);
		return r;
	}
	r = complete_multipart(s, key, qs, etags, what, ret);
	json_decref(etags);
	if (r == 0) {
		ret->size = size;
		snprintf(ret->sha256, sizeof(ret->sha256), "%s", sha);
	}
	/* some servers (Ceph 16) ignore the lock headers of the initiation: set it now */
	if (r == 0 && lock && lock->mode && lock->retain_until && ret->version_id[0])
		r = ev_s3_put_retention(s, key, ret->version_id, lock);
	return r;
}

int ev_s3_put_file(struct ev_s3 *s, const char *key, const char *path,
                   const struct ev_s3_lock *lock, struct ev_s3_object *ret) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		set_err(s, "cannot open %s: %m", path);
		return -errno;
	}
	char sha[65];
	int r = ev_s3_file_sha256(fd, (uint64_t)st.st_size, sha);
	if (r < 0) {
		set_err(s, "cannot read %s: %s", path, strerror(-r));
		return r;
	}
	struct ev_s3_object o = {0};
	r = (uint64_t)st.st_size > s->threshold
	            ? put_multipart(s, key, fd, (uint64_t)st.st_size, lock, sha, &o)
	            : put_single(s, key, fd, (uint64_t)st.st_size, lock, sha, &o);
	if (r == 0)
		*ret = o;
	return r;
}

int ev_s3_head(struct ev_s3 *s, const char *key, const char *version_id, struct ev_s3_object *ret) {
	_cleanup_free_ char *v = version_id ? uri_encode(version_id, false) : NULL;
	_cleanup_free_ char *qs = NULL;
	if (v && asprintf(&qs, "versionId=%s", v) < 0)
		return -ENOMEM;
	struct req q = {.method = "HEAD", .url = make_url(s, key, qs), .out_fd = -1};
	char what[600];
	snprintf(what, sizeof(what), "HEAD %s", key);
	int r = q.url ? perform(s, &q, what) : -ENOMEM;
	if (r == 0) {
		struct ev_s3_object o = {0};
		object_from(&q, &o);
		*ret = o;
	}
	req_clear(&q);
	return r;
}

int ev_s3_get_file(struct ev_s3 *s, const char *key, const char *version_id, const char *path,
                   uint64_t cap) {
	_cleanup_free_ char *v = version_id ? uri_encode(version_id, false) : NULL;
	_cleanup_free_ char *qs = NULL;
	if (v && asprintf(&qs, "versionId=%s", v) < 0)
		return -ENOMEM;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		set_err(s, "cannot create %s: %m", path);
		return -errno;
	}
	struct req q = {.method = "GET", .url = make_url(s, key, qs), .out_fd = fd, .out_cap = cap};
	char what[600];
	snprintf(what, sizeof(what), "GET %s", key);
	int r = q.url ? perform(s, &q, what) : -ENOMEM;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		unlink(path);
	req_clear(&q);
	return r;
}

int ev_s3_parse_versions(const char *xml, json_t *out, bool *ret_more, char **ret_km,
                         char **ret_vm) {
	static const char *const kinds[] = {"Version", "DeleteMarker"};
	for (const char *p = xml; p;) {
		/* the next <Version> or <DeleteMarker> block, whichever comes first */
		const char *best = NULL;
		size_t bk = 0;
		for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
			char open[32];
			snprintf(open, sizeof(open), "<%s>", kinds[k]);
			const char *a = strstr(p, open);
			if (a && (!best || a < best)) {
				best = a;
				bk = k;
			}
		}
		if (!best)
			break;
		char close[32];
		snprintf(close, sizeof(close), "</%s>", kinds[bk]);
		const char *end = strstr(best, close);
		if (!end)
			return -EBADMSG;
		_cleanup_free_ char *blk = strndup(best, (size_t)(end - best));
		if (!blk)
			return -ENOMEM;
		_cleanup_free_ char *key = xml_get(blk, "Key", NULL);
		_cleanup_free_ char *vid = xml_get(blk, "VersionId", NULL);
		_cleanup_free_ char *size = xml_get(blk, "Size", NULL);
		_cleanup_free_ char *latest = xml_get(blk, "IsLatest", NULL);
		_cleanup_free_ char *lm = xml_get(blk, "LastModified", NULL);
		if (!key)
			return -EBADMSG;
		if (json_array_size(out) >= LIST_CAP)
			return -E2BIG;
		json_array_append_new(
		        out, json_pack("{s:s, s:s, s:I, s:b, s:b, s:s}", "key", key, "version_id",
		                       vid ?: "null", "size",
		                       (json_int_t)(size ? strtoll(size, NULL, 10) : 0), "latest",
		                       latest && !strcmp(latest, "true"), "delete_marker", bk == 1,
		                       "last_modified", lm ?: ""));
		p = end + strlen(close);
	}
	_cleanup_free_ char *tr = xml_get(xml, "IsTruncated", NULL);
	*ret_more = tr && !strcmp(tr, "true");
	*ret_km = *ret_more ? xml_get(xml, "NextKeyMarker", NULL) : NULL;
	*ret_vm = *ret_more ? xml_get(xml, "NextVersionIdMarker", NULL) : NULL;
	return 0;
}

int ev_s3_list_versions(struct ev_s3 *s, const char *prefix, json_t **ret) {
	json_t *out = json_array();
	_cleanup_free_ char *ep = uri_encode(prefix ?: "", false);
	char *km = NULL, *vm = NULL;
	int r = out && ep ? 0 : -ENOMEM;
	for (bool more = true; r == 0 && more;) {
		_cleanup_free_ char *ekm = km ? uri_encode(km, false) : NULL;
		_cleanup_free_ char *evm = vm ? uri_encode(vm, false) : NULL;
		_cleanup_free_ char *qs = NULL;
		/* sorted by name, as the canonical request has them */
		if (asprintf(&qs, "%s%s%sprefix=%s%s%s%sversions=", km ? "key-marker=" : "",
		             ekm ?: "", km ? "&" : "", ep, vm ? "&version-id-marker=" : "",
		             evm ?: "", "&") < 0) {
			r = -ENOMEM;
			break;
		}
		free(km);
		free(vm);
		km = vm = NULL;
		struct req q = {.method = "GET", .url = make_url(s, NULL, qs), .out_fd = -1};
		char what[600];
		snprintf(what, sizeof(what), "list versions of s3://%s/%s", s->bucket,
		         prefix ?: "");
		r = q.url ? perform(s, &q, what) : -ENOMEM;
		if (r == 0)
			r = ev_s3_parse_versions(q.resp ?: "", out, &more, &km, &vm);
		if (r == -EBADMSG)
			set_err(s, "%s: malformed answer", what);
		if (r == -E2BIG)
			set_err(s, "%s: more than %d versions", what, LIST_CAP);
		req_clear(&q);
		if (more && !km)
			break;
	}
	free(km);
	free(vm);
	if (r < 0) {
		json_decref(out);
		return r;
	}
	*ret = out;
	return 0;
}

int ev_s3_delete_version(struct ev_s3 *s, const char *key, const char *version_id) {
	_cleanup_free_ char *v = uri_encode(version_id ?: "", false);
	_cleanup_free_ char *qs = NULL;
	if (!v || asprintf(&qs, "versionId=%s", v) < 0)
		return -ENOMEM;
	struct req q = {.method = "DELETE", .url = make_url(s, key, qs), .out_fd = -1};
	char what[600];
	snprintf(what, sizeof(what), "DELETE %s version %s", key, version_id);
	int r = q.url ? perform(s, &q, what) : -ENOMEM;
	req_clear(&q);
	return r;
}

int ev_s3_url_parse(const char *url, char **ret_bucket, char **ret_prefix) {
	if (strncmp(url, "s3://", 5) || !url[5] || url[5] == '/')
		return -EINVAL;
	const char *b = url + 5, *sl = strchr(b, '/');
	size_t bl = sl ? (size_t)(sl - b) : strlen(b);
	const char *p = sl ? sl + 1 : "";
	size_t pl = strlen(p);
	char *bucket = strndup(b, bl), *prefix = NULL;
	if (bucket && asprintf(&prefix, "%s%s", p, pl && p[pl - 1] != '/' ? "/" : "") < 0)
		prefix = NULL;
	if (!bucket || !prefix) {
		free(bucket);
		return -ENOMEM;
	}
	*ret_bucket = bucket;
	*ret_prefix = prefix;
	return 0;
}
