/* The upload queue and one upload pass (see upload.h). The pending list is recomputed
 * from the store at every pass; queue.json only adds the retry state and, for files that
 * change (HEAD, ledgers, keys), the SHA-256 last uploaded. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/fleet/s3.h"
#include "agent/fleet/upload.h"
#include "store/ledger.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/io.h"
#include "util/macro.h"
#include "util/mkdir.h"
#include "util/timefmt.h"

#define BACKOFF_FIRST (10 * 1000000LL)
#define FILE_CAP      ((uint64_t)64 << 30)

struct ev_upload {
	const struct ev_config *cfg;
	struct ev_s3 *s3;
	struct store_key *key;
	char prefix[1024];
	char qpath[4096], lockpath[4096];
	json_t *queue; /* {items: {FILE: {attempts, next_try, last_error}}, meta: {FILE: SHA}} */
};

/* key = value lines (an AWS credentials file; [sections] and # comments ignored). */
static int read_credentials(const char *path, char **ak, char **sk, char **tok, char *err,
                            size_t errlen) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot open the credentials %s: %m", path);
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IROTH | S_IWOTH))) {
		snprintf(err, errlen,
		         "refusing the credentials %s: readable or writable by everyone (mode "
		         "%04o); "
		         "chmod 0600 it",
		         path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	_cleanup_fclose_ FILE *f = fdopen(TAKE_FD(fd), "r");
	char line[2048];
	while (f && fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '=');
		if (!eq || line[0] == '#' || line[0] == '[')
			continue;
		char *k = line, *v = eq + 1, *e = eq;
		while (e > k && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = 0;
		v += strspn(v, " \t");
		v[strcspn(v, " \t\r\n")] = 0;
		char **dst = !strcmp(k, "aws_access_key_id")       ? ak
		             : !strcmp(k, "aws_secret_access_key") ? sk
		             : !strcmp(k, "aws_session_token")     ? tok
		                                                   : NULL;
		if (dst) {
			free(*dst);
			*dst = strdup(v);
		}
	}
	explicit_bzero(line, sizeof(line));
	if (!*ak || !*sk) {
		snprintf(err, errlen, "%s: needs aws_access_key_id and aws_secret_access_key",
		         path);
		return -EINVAL;
	}
	return 0;
}

/* {host} and {chain} of the configured prefix. */
static void expand_prefix(const char *tmpl, const char *chain, char *out, size_t len) {
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	size_t o = 0;
	for (const char *p = tmpl; *p && o + 1 < len;) {
		const char *v = !strncmp(p, "{host}", 6)    ? host
		                : !strncmp(p, "{chain}", 7) ? chain
		                                            : NULL;
		if (v) {
			o += (size_t)snprintf(out + o, len - o, "%s", v);
			p += v == host ? 6 : 7;
		} else
			out[o++] = *p++;
	}
	out[MIN(o, len - 1)] = 0;
}

static json_t *queue_load(const char *path) {
	json_t *q = json_load_file(path, 0, NULL);
	if (!json_is_object(q)) {
		json_decref(q);
		q = json_object();
	}
	if (!json_is_object(json_object_get(q, "items")))
		json_object_set_new(q, "items", json_object());
	if (!json_is_object(json_object_get(q, "meta")))
		json_object_set_new(q, "meta", json_object());
	return q;
}

static int queue_save(struct ev_upload *u) {
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", u->qpath);
	_cleanup_free_ char *s = json_dumps(u->queue, JSON_SORT_KEYS | JSON_INDENT(1));
	if (!s)
		return -ENOMEM;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	int r = ev_write_all(fd, s, strlen(s));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && rename(tmp, u->qpath) < 0)
		r = -errno;
	return r;
}

/* STATE/upload/queue.json and .lock */
static int queue_paths(const char *state_dir, char *q, char *l, size_t len) {
	char dir[3900];
	snprintf(dir, sizeof(dir), "%.3800s/upload", state_dir);
	snprintf(q, len, "%s/queue.json", dir);
	snprintf(l, len, "%s/.lock", dir);
	return ev_mkdir_p(dir, 0700, 0755);
}

int ev_fleet_client(const struct ev_config *cfg, const char *bucket, struct ev_s3 **ret, char *err,
                    size_t errlen) {
	const typeof(cfg->store.upload) *c = &cfg->store.upload;
	const char *endpoint =
	        c->endpoint && *c->endpoint ? c->endpoint : getenv("AWS_ENDPOINT_URL");
	const char *region = getenv("AWS_REGION") && !(c->endpoint && *c->endpoint)
	                             ? getenv("AWS_REGION")
	                             : c->region;
	if (!endpoint || !*endpoint) {
		snprintf(err, errlen,
		         "no S3 endpoint: set store.upload.endpoint (or AWS_ENDPOINT_URL)");
		return -ENOTCONN;
	}
	_cleanup_free_ char *ak = NULL, *sk = NULL, *tok = NULL;
	int r;
	if (c->credentials) {
		r = read_credentials(c->credentials, &ak, &sk, &tok, err, errlen);
		if (r < 0)
			return r;
	} else {
		const char *a = getenv("AWS_ACCESS_KEY_ID"), *s = getenv("AWS_SECRET_ACCESS_KEY");
		if (!a || !s) {
			snprintf(err, errlen,
			         "no S3 credentials: set store.upload.credentials or "
			         "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
			return -ENOKEY;
		}
		ak = strdup(a);
		sk = strdup(s);
		tok = getenv("AWS_SESSION_TOKEN") ? strdup(getenv("AWS_SESSION_TOKEN")) : NULL;
	}
	struct ev_s3_conf sc = {.endpoint = endpoint,
	                        .region = region,
	                        .bucket = bucket,
	                        .access_key = ak,
	                        .secret_key = sk,
	                        .session_token = tok,
	                        .tls_verify = c->tls_verify,
	                        .multipart_threshold = c->multipart_threshold};
	*ret = ev_s3_new(&sc);
	if (sk)
		explicit_bzero(sk, strlen(sk));
	if (tok)
		explicit_bzero(tok, strlen(tok));
	return *ret ? 0 : -ENOMEM;
}

int ev_upload_open(const struct ev_config *cfg, struct ev_upload **ret, char *err, size_t errlen) {
	const typeof(cfg->store.upload) *c = &cfg->store.upload;
	if (!c->endpoint || !*c->endpoint || !c->bucket || !*c->bucket) {
		snprintf(err, errlen,
		         "uploads are not configured (store.upload.endpoint and "
		         "store.upload.bucket)");
		return -ENOTCONN;
	}
	struct ev_upload *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->cfg = cfg;
	int r = ev_fleet_client(cfg, c->bucket, &u->s3, err, errlen);
	struct ev_errlist errs = {0};
	if (r == 0 && (r = store_key_load_private(cfg->store.key, &u->key, &errs)) < 0) {
		_cleanup_free_ char *why = errs.n ? ev_error_format(&errs.v[0]) : NULL;
		snprintf(err, errlen,
		         "cannot load store.key %s: %s (the uploaded entries are signed)",
		         cfg->store.key, why ?: strerror(-r));
	}
	ev_errlist_clear(&errs);
	if (r == 0 &&
	    (r = queue_paths(cfg->agent.state_dir, u->qpath, u->lockpath, sizeof(u->qpath))) < 0)
		snprintf(err, errlen, "cannot create %s/upload: %s", cfg->agent.state_dir,
		         strerror(-r));
	if (r < 0) {
		ev_upload_free(u);
		return r;
	}
	u->queue = queue_load(u->qpath);
	*ret = u;
	return 0;
}

void ev_upload_set_stop(struct ev_upload *u, bool (*stop)(void *), void *userdata) {
	ev_s3_set_stop(u->s3, stop, userdata);
}

struct ev_upload *ev_upload_free(struct ev_upload *u) {
	if (!u)
		return NULL;
	ev_s3_free(u->s3);
	store_key_free(u->key);
	json_decref(u->queue);
	free(u);
	return NULL;
}

json_t *ev_upload_confirmed(const char *store_dir) {
	char p[4096];
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	json_t *set = json_object();
	snprintf(p, sizeof(p), "%s/custody.jsonl", store_dir);
	if (!set || store_read_file(p, STORE_LEDGER_CAP, &buf, &len) < 0)
		return set;
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (buf + off)) : len - off;
		json_t *e = json_loadb(buf + off, ll, 0, NULL);
		const char *b = json_string_value(json_object_get(e, "bundle"));
		if (b && !strcmp(json_string_value(json_object_get(e, "action")) ?: "", "uploaded"))
			json_object_set_new(set, b, json_true());
		json_decref(e);
		off += ll + 1;
	}
	return set;
}

/* Files of dir/sub whose names end in suffix, in name order, each "sub/NAME", appended. */
static void list_dir(const char *dir, const char *sub, const char *suffix, json_t *out) {
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	struct dirent **ents = NULL;
	int n = scandir(p, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		size_t l = strlen(name), sl = strlen(suffix);
		if (name[0] != '.' && l > sl && !strcmp(name + l - sl, suffix)) {
			char f[600];
			snprintf(f, sizeof(f), "%s/%.500s", sub, name);
			json_array_append_new(out, json_string(f));
		}
		free(ents[i]);
	}
	free(ents);
}

/* SHA-256 (hex) of a small file, or "" */
static void small_sha256(const char *path, char out[65]) {
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	out[0] = 0;
	if (store_read_file(path, STORE_LEDGER_CAP, &buf, &len) < 0)
		return;
	uint8_t d[STORE_HASH_LEN];
	store_sha256(buf, len, d);
	store_hex(d, STORE_HASH_LEN, out);
}

/* The pending items, in upload order: [{file, path, kind ("bundle" | "meta"), sha256?}]. */
static json_t *pending_list(const struct ev_config *cfg, json_t *meta) {
	const char *store = cfg->store.path;
	json_t *out = json_array(), *bundles = json_array(), *others = json_array();
	json_t *done = ev_upload_confirmed(store);
	list_dir(store, "bundles", ".tar.gz", bundles);
	size_t i;
	json_t *f;
	json_array_foreach(bundles, i, f) {
		const char *name = strrchr(json_string_value(f), '/') + 1;
		if (json_object_get(done, name))
			continue;
		char p[4200];
		snprintf(p, sizeof(p), "%s/%s", store, json_string_value(f));
		json_array_append_new(
		        out, json_pack("{s:O, s:s, s:s}", "file", f, "path", p, "kind", "bundle"));
	}
	list_dir(store, "keys", ".pub", others);
	json_array_append_new(others, json_string("HEAD"));
	json_array_append_new(others, json_string("custody.jsonl"));
	json_array_foreach(others, i, f) {
		char p[4200], sha[65];
		snprintf(p, sizeof(p), "%s/%s", store, json_string_value(f));
		small_sha256(p, sha);
		if (sha[0] &&
		    strcmp(sha,
		           json_string_value(json_object_get(meta, json_string_value(f))) ?: ""))
			json_array_append_new(out,
			                      json_pack("{s:O, s:s, s:s, s:s}", "file", f, "path",
			                                p, "kind", "meta", "sha256", sha));
	}
	/* incident ledgers: STATE/incidents/INC/ledger.jsonl */
	char idir[4096];
	snprintf(idir, sizeof(idir), "%s/incidents", cfg->agent.state_dir);
	DIR *d = opendir(idir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char p[4400], file[600], sha[65];
		snprintf(p, sizeof(p), "%s/%s/ledger.jsonl", idir, de->d_name);
		snprintf(file, sizeof(file), "incidents/%s/ledger.jsonl", de->d_name);
		small_sha256(p, sha);
		if (sha[0] && strcmp(sha, json_string_value(json_object_get(meta, file)) ?: ""))
			json_array_append_new(out,
			                      json_pack("{s:s, s:s, s:s, s:s}", "file", file,
			                                "path", p, "kind", "meta", "sha256", sha));
	}
	if (d)
		closedir(d);
	json_decref(done);
	json_decref(bundles);
	json_decref(others);
	return out;
}

/* The version just written (or found) is what it should be: size, SHA-256, and locked in
 * the configured mode until a time still ahead. 0 or -EBADE with err set. */
static int confirm(struct ev_upload *u, const char *key, struct ev_s3_object *o, uint64_t size,
                   const char *sha, char *err, size_t errlen) {
	struct ev_s3_object h = {0};
	int r = ev_s3_head(u->s3, key, o->version_id[0] ? o->version_id : NULL, &h);
	if (r < 0) {
		snprintf(err, errlen, "%s", ev_s3_error(u->s3));
		return r;
	}
	char now[EV_RFC3339_MAX];
	ev_format_rfc3339(ev_now_realtime_us(), now, sizeof(now));
	const char *mode = u->cfg->store.upload.retention_mode;
	if (h.size != size || strcmp(h.sha256, sha))
		snprintf(err, errlen,
		         "HEAD %.600s: %" PRIu64 " bytes, SHA-256 '%s'; uploaded %" PRIu64
		         " bytes, %s",
		         key, h.size, h.sha256, size, sha);
	else if (strcmp(h.lock_mode, mode) || strncmp(h.retain_until, now, 19) <= 0)
		snprintf(err, errlen,
		         "HEAD %.600s: not locked as asked (mode '%s', retain until '%s'; wanted "
		         "%s): is "
		         "Object Lock enabled on the bucket?",
		         key, h.lock_mode, h.retain_until, mode);
	else {
		snprintf(o->lock_mode, sizeof(o->lock_mode), "%s", h.lock_mode);
		snprintf(o->retain_until, sizeof(o->retain_until), "%s", h.retain_until);
		if (!o->version_id[0])
			snprintf(o->version_id, sizeof(o->version_id), "%s", h.version_id);
		if (!o->etag[0])
			snprintf(o->etag, sizeof(o->etag), "%s", h.etag);
		o->size = h.size;
		return 0;
	}
	return -EBADE;
}

static int file_info(const char *path, uint64_t *size, char sha[65]) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	*size = (uint64_t)st.st_size;
	return ev_s3_file_sha256(fd, *size, sha);
}

/* Upload one item (or adopt an identical object already there). 0, or -errno with err. */
static int upload_one(struct ev_upload *u, json_t *it, json_t *report, char *err, size_t errlen) {
	const char *file = json_string_value(json_object_get(it, "file"));
	const char *path = json_string_value(json_object_get(it, "path"));
	bool bundle = !strcmp(json_string_value(json_object_get(it, "kind")), "bundle");
	char key[2048], sha[65], until[EV_RFC3339_MAX];
	uint64_t size = 0;
	snprintf(key, sizeof(key), "%s%s", u->prefix, file);
	int r = file_info(path, &size, sha);
	if (r < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-r));
		return r;
	}
	struct ev_s3_object o = {0};
	bool adopted = false;
	if (bundle) { /* a bundle name is written once: look before writing */
		r = ev_s3_head(u->s3, key, NULL, &o);
		if (r == 0 && (o.size != size || strcmp(o.sha256, sha))) {
			snprintf(err, errlen,
			         "%.600s already exists in the bucket with other bytes (%" PRIu64
			         " bytes, SHA-256 '%s'); not overwritten",
			         key, o.size, o.sha256);
			return -EEXIST;
		}
		adopted = r == 0;
		if (r < 0 && r != -ENOENT) {
			snprintf(err, errlen, "%s", ev_s3_error(u->s3));
			return r;
		}
	}
	int64_t t = ev_now_realtime_us() + (int64_t)u->cfg->store.upload.retention;
	ev_format_rfc3339(t, until, sizeof(until));
	struct ev_s3_lock lock = {u->cfg->store.upload.retention_mode, until};
	if (adopted && !o.lock_mode[0] &&
	    ev_s3_put_retention(u->s3, key, o.version_id[0] ? o.version_id : NULL, &lock) < 0) {
		snprintf(err, errlen, "%s", ev_s3_error(u->s3));
		return -EIO;
	}
	if (!adopted) {
		memset(&o, 0, sizeof(o));
		r = ev_s3_put_file(u->s3, key, path, &lock, &o);
		if (r < 0) {
			snprintf(err, errlen, "%s", ev_s3_error(u->s3));
			return r;
		}
	}
	if ((r = confirm(u, key, &o, size, sha, err, errlen)) < 0)
		return r;
	json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:b}", "endpoint",
	                      u->cfg->store.upload.endpoint, "bucket", u->cfg->store.upload.bucket,
	                      "key", key, "version_id", o.version_id, "etag", o.etag, "size",
	                      (json_int_t)size, "sha256", sha, "retention_mode", o.lock_mode,
	                      "retain_until", o.retain_until, "adopted", adopted);
	json_array_append(json_object_get(report, adopted ? "adopted" : "uploaded"), d);
	if (!bundle) {
		json_object_set_new(json_object_get(u->queue, "meta"), file, json_string(sha));
		json_decref(d);
		return 0;
	}
	struct ev_errlist errs = {0};
	json_t *actor = ev_store_actor(NULL);
	r = store_record(u->cfg->store.path, u->key, "uploaded", strrchr(file, '/') + 1, d, actor,
	                 &errs);
	json_decref(actor);
	if (r < 0) {
		_cleanup_free_ char *why = errs.n ? ev_error_format(&errs.v[0]) : NULL;
		snprintf(err, errlen, "uploaded %.600s but cannot record it: %.300s", key,
		         why ?: strerror(-r));
	}
	ev_errlist_clear(&errs);
	return r;
}

static void note_failure(struct ev_upload *u, const char *file, const char *err, int64_t now) {
	json_t *items = json_object_get(u->queue, "items"), *e = json_object_get(items, file);
	int64_t n = json_integer_value(json_object_get(e, "attempts")) + 1;
	int64_t wait = BACKOFF_FIRST;
	for (int64_t i = 1; i < n && wait < (int64_t)u->cfg->store.upload.backoff_max; i++)
		wait *= 2;
	wait = MIN(wait, (int64_t)u->cfg->store.upload.backoff_max);
	json_object_set_new(items, file,
	                    json_pack("{s:I, s:I, s:s}", "attempts", (json_int_t)n, "next_try",
	                              (json_int_t)(now + wait), "last_error", err));
}

/* The chain id of HEAD (verified with the store key), for {chain}. */
static int current_chain(struct ev_upload *u, char chain[33]) {
	char p[4096];
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	snprintf(p, sizeof(p), "%s/HEAD", u->cfg->store.path);
	int r = store_read_file(p, 8192, &buf, &len);
	struct store_keyring kr = {0};
	if (r == 0 && (r = store_load_store_keys(u->cfg->store.path, &kr)) >= 0) {
		struct store_head h;
		r = store_head_parse(buf, len, &kr, &h);
		if (r == 0)
			memcpy(chain, h.chain_id, 33);
	}
	store_keyring_clear(&kr);
	return r;
}

int ev_upload_pass(struct ev_upload *u, bool force, json_t **ret_report, char *err, size_t errlen) {
	_cleanup_close_ int lfd =
	        open(u->lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "another upload is running (%s is locked)", u->lockpath);
		return lfd < 0 ? -errno : -EBUSY;
	}
	json_decref(u->queue);
	u->queue = queue_load(u->qpath);
	char chain[33];
	int r = current_chain(u, chain);
	if (r < 0) {
		snprintf(err, errlen, "cannot read the chain head %s/HEAD: %s", u->cfg->store.path,
		         strerror(-r));
		return r;
	}
	expand_prefix(u->cfg->store.upload.prefix, chain, u->prefix, sizeof(u->prefix));
	json_t *report = json_pack("{s:[], s:[], s:[]}", "uploaded", "adopted", "failed");
	int64_t now = ev_now_realtime_us();
	bool unreachable = false;
	/* twice: the second round ships the custody ledger the first one appended to */
	for (int round = 0; round < 2 && !unreachable; round++) {
		json_t *list = pending_list(u->cfg, json_object_get(u->queue, "meta"));
		size_t i;
		json_t *it;
		json_array_foreach(list, i, it) {
			const char *file = json_string_value(json_object_get(it, "file"));
			json_t *st = json_object_get(json_object_get(u->queue, "items"), file);
			if (!force && json_integer_value(json_object_get(st, "next_try")) > now)
				continue;
			char e[1024] = "";
			r = upload_one(u, it, report, e, sizeof(e));
			if (r < 0) {
				note_failure(u, file, e, now);
				json_array_append_new(
				        json_object_get(report, "failed"),
				        json_pack("{s:s, s:s}", "file", file, "error", e));
				if (r == -EHOSTUNREACH || r == -ECANCELED) {
					unreachable = true;
					break;
				}
			} else
				json_object_del(json_object_get(u->queue, "items"), file);
			queue_save(u);
		}
		json_decref(list);
	}
	json_t *left = pending_list(u->cfg, json_object_get(u->queue, "meta"));
	int n = (int)json_array_size(left);
	json_decref(left);
	json_object_set_new(report, "pending", json_integer(n));
	json_object_set_new(report, "prefix", json_string(u->prefix));
	if ((r = queue_save(u)) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", u->qpath, strerror(-r));
		json_decref(report);
		return r;
	}
	*ret_report = report;
	return n;
}

json_t *ev_upload_queue_json(const struct ev_config *cfg, const char *state_dir) {
	char q[4096], l[4096];
	bool on = cfg->store.upload.endpoint && *cfg->store.upload.endpoint;
	json_t *out = json_pack("{s:b}", "configured", on);
	if (!on || queue_paths(state_dir ?: cfg->agent.state_dir, q, l, sizeof(q)) < 0)
		return out;
	json_t *queue = queue_load(q);
	json_t *list = pending_list(cfg, json_object_get(queue, "meta"));
	json_t *pend = json_array();
	size_t i;
	json_t *it;
	json_array_foreach(list, i, it) {
		const char *file = json_string_value(json_object_get(it, "file"));
		json_t *st = json_object_get(json_object_get(queue, "items"), file);
		json_array_append_new(
		        pend,
		        json_pack("{s:s, s:I, s:I, s:s?}", "file", file, "attempts",
		                  json_integer_value(json_object_get(st, "attempts")), "next_try",
		                  json_integer_value(json_object_get(st, "next_try")), "last_error",
		                  json_string_value(json_object_get(st, "last_error"))));
	}
	json_t *done = ev_upload_confirmed(cfg->store.path);
	json_object_set_new(out, "pending", pend);
	json_object_set_new(out, "uploaded_bundles",
	                    json_integer((json_int_t)json_object_size(done)));
	json_decref(done);
	json_decref(list);
	json_decref(queue);
	return out;
}
