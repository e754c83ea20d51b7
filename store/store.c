/* Evidence store: sealing with write-once placement, the signed chain head, custody
 * records. Invariants: the store lock (flock on STORE/.lock) is held from seal_begin to
 * commit/abort, so sequence numbers are assigned once; a bundle appears under its final
 * name only after it is complete and fsync'd (link(), never rename over); HEAD changes only
 * after placement (temp + fsync + rename + fsync of the directory). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/archive_load.h"
#include "store/store_recover.h"
#include "util/timefmt.h"
#include "util/clock.h"

int store_format_version(void) {
	return STORE_FORMAT_VERSION;
}

bool store_is_dir(const char *path) {
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int random_hex(char *out, size_t bytes) {
	uint8_t b[32];
	if (bytes > sizeof(b) || getrandom(b, bytes, 0) != (ssize_t)bytes)
		return -EIO;
	store_hex(b, bytes, out);
	return 0;
}

static int fsync_dir(const char *dir) {
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int b64(const uint8_t *in, size_t len, char *out, size_t outlen) {
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
		             (i + 2 < len ? in[i + 2] : 0);
		if (o + 5 > outlen)
			return -ENOBUFS;
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = i + 1 < len ? t[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? t[v & 63] : '=';
	}
	out[o] = 0;
	return 0;
}

static int unb64(const char *in, uint8_t *out, size_t want) {
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;
	if (n % 4)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			const char *c = in[i + j] ? strchr(t, in[i + j]) : NULL;
			if (in[i + j] == '=' && i + 4 == n && j >= 2) {
				pad++;
				v <<= 6;
				continue;
			}
			if (!c || pad)
				return -EINVAL;
			v = v << 6 | (uint32_t)(c - t);
		}
		for (int j = 0; j < 3 - pad; j++) {
			if (o >= want)
				return -EINVAL;
			out[o++] = (uint8_t)(v >> (16 - 8 * j));
		}
	}
	return o == want ? 0 : -EINVAL;
}

/* ---- HEAD ---- */

#define HEAD_MAGIC "evident-chain-head 1\n"

static char *head_body(const struct store_head *h) {
	char *s = NULL;
	if (asprintf(&s,
	             HEAD_MAGIC "chain_id %s\nsequence %llu\nmanifest_sha256 %s\nbundle_sha256 %s\n"
	                        "bundle %s\nkey_id %s\n",
	             h->chain_id, (unsigned long long)h->sequence, h->manifest_sha256,
	             h->bundle_sha256, h->bundle, h->key_id) < 0)
		return NULL;
	return s;
}

static bool field(const char *body, const char *key, char *out, size_t outlen) {
	size_t kl = strlen(key);
	for (const char *p = body; p && *p;) {
		const char *nl = strchr(p, '\n');
		if (!nl)
			return false;
		if ((size_t)(nl - p) > kl && !strncmp(p, key, kl) && p[kl] == ' ') {
			size_t vl = (size_t)(nl - p) - kl - 1;
			if (vl >= outlen)
				return false;
			memcpy(out, p + kl + 1, vl);
			out[vl] = 0;
			return true;
		}
		p = nl + 1;
	}
	return false;
}

int store_head_parse(const char *buf, size_t len, const struct store_keyring *kr,
                     struct store_head *ret) {
	if (len > 8192 || memchr(buf, 0, len) || len < strlen(HEAD_MAGIC) ||
	    memcmp(buf, HEAD_MAGIC, strlen(HEAD_MAGIC)) != 0 || buf[len - 1] != '\n')
		return -EBADMSG;
	char copy[8193];
	memcpy(copy, buf, len);
	copy[len] = 0;
	/* the last line is "signature BASE64" over every byte before it */
	copy[len - 1] = 0;
	char *last = strrchr(copy, '\n');
	if (!last || strncmp(last + 1, "signature ", 10) != 0)
		return -EBADMSG;
	size_t body_len = (size_t)(last + 1 - copy);
	uint8_t sig[STORE_SIG_LEN];
	if (unb64(last + 11, sig, sizeof(sig)) < 0)
		return -EBADMSG;
	last[1] = 0;
	struct store_head h = {0};
	char seq[32];
	if (!field(copy, "chain_id", h.chain_id, sizeof(h.chain_id)) ||
	    !field(copy, "sequence", seq, sizeof(seq)) ||
	    !field(copy, "manifest_sha256", h.manifest_sha256, sizeof(h.manifest_sha256)) ||
	    !field(copy, "bundle_sha256", h.bundle_sha256, sizeof(h.bundle_sha256)) ||
	    !field(copy, "bundle", h.bundle, sizeof(h.bundle)) ||
	    !field(copy, "key_id", h.key_id, sizeof(h.key_id)))
		return -EBADMSG;
	char *end = NULL;
	errno = 0;
	unsigned long long s = strtoull(seq, &end, 10);
	if (errno || !end || *end || seq[0] < '0' || seq[0] > '9')
		return -EBADMSG;
	h.sequence = s;
	const struct store_key *k = store_keyring_find(kr, h.key_id, NULL);
	if (!k)
		return -ENOKEY;
	if (store_key_verify(k, buf, body_len, sig) < 0)
		return -EPERM;
	*ret = h;
	return 0;
}

int store_head_write(const char *dir, const struct store_head *h, const struct store_key *key) {
	char *body = head_body(h);
	if (!body)
		return -ENOMEM;
	uint8_t sig[STORE_SIG_LEN];
	int r = store_key_sign(key, body, strlen(body), sig);
	char sb[128];
	if (r == 0)
		r = b64(sig, sizeof(sig), sb, sizeof(sb));
	char *all = NULL;
	if (r == 0 && asprintf(&all, "%ssignature %s\n", body, sb) < 0)
		r = -ENOMEM;
	free(body);
	if (r < 0)
		return r;
	char tmp[4096], fin[4096];
	store_path_join(tmp, sizeof(tmp), dir, ".HEAD.tmp");
	store_path_join(fin, sizeof(fin), dir, "HEAD");
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		free(all);
		return r;
	}
	size_t len = strlen(all);
	ssize_t w = write(fd, all, len);
	free(all);
	if (w != (ssize_t)len)
		r = w < 0 ? -errno : -EIO;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && rename(tmp, fin) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	else
		r = fsync_dir(dir);
	return r;
}

/* ---- keys ---- */

int store_load_store_keys(const char *store_dir, struct store_keyring *kr) {
	char d[4096];
	store_path_join(d, sizeof(d), store_dir, "keys");
	DIR *dir = opendir(d);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(dir)) && n < 1000) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".pub") != 0)
			continue;
		char p[4096 + 256];
		snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
		char *buf = NULL;
		size_t len = 0;
		struct store_key *k = NULL;
		if (store_read_file(p, 65536, &buf, &len) == 0 &&
		    store_key_public_from_pem(buf, len, &k) == 0 &&
		    store_keyring_add(kr, k, false) == 0)
			n++;
		free(buf);
	}
	closedir(dir);
	return n;
}

/* Does the regular file at `p` hold exactly this public key? */
static bool holds_key(const char *p, const struct store_key *key) {
	char *buf = NULL;
	size_t len = 0;
	struct store_key *k = NULL;
	bool same = store_read_file(p, 65536, &buf, &len) == 0 &&
	            store_key_public_from_pem(buf, len, &k) == 0 &&
	            strcmp(store_key_id(k), store_key_id(key)) == 0;
	store_key_free(k);
	free(buf);
	return same;
}

/* keys/ID.pub, written whole or not at all: a temporary file, then link() to the name. A
 * file left empty or cut short by a full disk is replaced (it would otherwise hide the key
 * and make every later seal reset the chain). */
static int publish_key(const char *store_dir, const struct store_key *key) {
	char p[4096], tmp[4096], n[160];
	snprintf(n, sizeof(n), "keys/%s.pub", store_key_id(key));
	if (store_path_join(p, sizeof(p), store_dir, n) < 0)
		return -ENAMETOOLONG;
	snprintf(n, sizeof(n), "keys/.tmp-%s.pub", store_key_id(key));
	if (store_path_join(tmp, sizeof(tmp), store_dir, n) < 0)
		return -ENAMETOOLONG;
	struct stat st;
	if (lstat(p, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return -ELOOP; /* a planted link or FIFO: refused */
		if (holds_key(p, key))
			return 0;
		if (unlink(p) < 0) /* damaged: written again below */
			return -errno;
	}
	char *pem = store_key_public_pem(key);
	if (!pem)
		return -ENOMEM;
	(void)unlink(tmp); /* ours, left by a failed attempt */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	int r = fd < 0 ? -errno : 0;
	if (fd >= 0) {
		size_t l = strlen(pem);
		if (write(fd, pem, l) != (ssize_t)l || fsync(fd) < 0)
			r = errno == ENOSPC ? -ENOSPC : -EIO;
		close(fd);
	}
	free(pem);
	if (r == 0 && link(tmp, p) < 0)
		r = -errno;
	(void)unlink(tmp);
	return r;
}

int store_record(const char *store_dir, const struct store_key *key, const char *action,
                 const char *bundle, json_t *details, const json_t *actor,
                 struct ev_errlist *errs) {
	char p[4096];
	store_path_join(p, sizeof(p), store_dir, "custody.jsonl");
	return store_ledger_append(p, key, action, bundle, details, actor, errs);
}

/* ---- sealing ---- */

struct store_seal {
	struct store_seal_params p;
	char dir[4096];
	char bdir[4096];
	int lock_fd;
	int fd;
	bool unnamed; /* fd is an O_TMPFILE: tmp holds /proc/self/fd/N */
	char tmp[4096];
	struct store_bundle_writer *w;
	struct store_head head;
	bool have_head;
	bool reset;
	char reset_reason[256];
	unsigned recovered, stale;
	char bundle_id[33];
	char created[40];
};

static void host_file(const char *path, char *out, size_t len) {
	out[0] = 0;
	FILE *f = fopen(path, "re"); /* /proc files report size 0: read them as a stream */
	if (f) {
		if (!fgets(out, (int)len, f))
			out[0] = 0;
		fclose(f);
	}
	out[strcspn(out, "\n")] = 0;
}

static bool dir_has_bundles(const char *bdir) {
	DIR *d = opendir(bdir);
	if (!d)
		return false;
	struct dirent *de;
	bool any = false;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			any = true;
			break;
		}
	closedir(d);
	return any;
}

/* Whether the ledger shows that a chain existed: a sealed, pruned or chain_reset entry.
 * Canonical lines start with {"action":"..." (the first key in sorted order). */
static bool ledger_has_chain(const char *path) {
	char *b = NULL;
	size_t len = 0;
	if (store_read_file(path, STORE_LEDGER_CAP, &b, &len) < 0)
		return false;
	bool found = false;
	for (char *p = b; p && *p && !found; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		found = !strncmp(p, "{\"action\":\"sealed\"", 19) ||
		        !strncmp(p, "{\"action\":\"pruned\"", 19) ||
		        !strncmp(p, "{\"action\":\"chain_reset\"", 24);
	free(b);
	return found;
}

void store_seal_abort(struct store_seal *s) {
	if (!s)
		return;
	store_bundle_writer_free(s->w);
	if (s->fd >= 0) {
		close(s->fd);
		if (!s->unnamed)
			unlink(s->tmp);
	}
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	json_decref(s->p.fields);
	free(s);
}

static int seal_dirs(struct store_seal *s, struct ev_errlist *errs) {
	char kd[4096];
	store_path_join(kd, sizeof(kd), s->dir, "keys");
	if ((mkdir(s->dir, 0750) < 0 && errno != EEXIST) ||
	    (mkdir(s->bdir, 0750) < 0 && errno != EEXIST) ||
	    (mkdir(kd, 0755) < 0 && errno != EEXIST)) {
		int r = -errno;
		ev_errlist_add(errs, s->dir, 0, 0, "cannot create store directory: %s",
		               strerror(errno));
		return r;
	}
	int r = store_check_permissions(s->dir, errs);
	if (r < 0)
		return r;
	char lp[4096];
	store_path_join(lp, sizeof(lp), s->dir, ".lock");
	s->lock_fd = store_open_regular(lp, O_RDWR | O_CREAT, 0640, errs);
	if (s->lock_fd < 0)
		return s->lock_fd;
	if (flock(s->lock_fd, LOCK_EX) < 0) {
		r = -errno;
		ev_errlist_add(errs, lp, 0, 0, "cannot lock the store: %s", strerror(errno));
		return r;
	}
	r = store_remove_stale(s->dir, NULL);
	s->stale = r > 0 ? (unsigned)r : 0;
	return 0;
}

/* Read HEAD; decide between continuing the chain (rolled forward over a bundle a failed
 * seal placed) and a new chain with a recorded reset. */
static int seal_chain_state(struct store_seal *s, struct ev_errlist *errs) {
	struct store_keyring kr = {0};
	store_load_store_keys(s->dir, &kr);
	/* a head we signed verifies with our own key even when keys/ lost its copy (a full
	 * disk can leave it empty; publish_key writes it again) */
	(void)store_keyring_add_public(&kr, s->p.key, false); /* out of memory: as without */
	char hp[4096];
	store_path_join(hp, sizeof(hp), s->dir, "HEAD");
	char *hb = NULL;
	size_t hl = 0;
	int hr = store_read_file(hp, 8192, &hb, &hl);
	if (hr == 0)
		hr = store_head_parse(hb, hl, &kr, &s->head);
	free(hb);
	store_keyring_clear(&kr);
	char lgp[4096];
	store_path_join(lgp, sizeof(lgp), s->dir, "custody.jsonl");
	/* a ledger with no intact line (zeroed, garbage) is a lost one */
	char *lb = NULL;
	size_t ll = 0, bad = 0;
	bool ledger_present = store_read_file(lgp, STORE_LEDGER_CAP, &lb, &ll) == 0 &&
	                      store_ledger_intact_end(lb, ll, &bad) > 0;
	free(lb);
	/* the keys this chain knows: the store's first (its ledger's first entry) or its
	 * head's, plus every key a key_rotated entry signed by a known key announced */
	struct store_keyring known = {0};
	int kn = ledger_present ? store_chain_keys(s->dir, NULL, &known, NULL) : 0;
	if (kn <= 0 && hr == 0)
		kn = store_chain_keys(s->dir, s->head.key_id, &known, NULL);
	if (hr == 0 && kn > 0 && !store_keyring_find(&known, s->head.key_id, NULL))
		hr = -EKEYREJECTED; /* a head signed by a key the chain does not know */
	if (hr == 0) {
		s->have_head = true;
		if (!ledger_present) {
			s->reset = true;
			snprintf(s->reset_reason, sizeof(s->reset_reason),
			         "custody ledger lost; chain continues");
		}
	} else if (hr == -ENOENT && !dir_has_bundles(s->bdir) && !ledger_has_chain(lgp)) {
		kn = 0; /* a new store (its ledger may hold other entries): its first key is its key
		         */
	} else {
		s->reset = true;
		snprintf(s->reset_reason, sizeof(s->reset_reason), "chain head %s (%s); new chain",
		         hr == -ENOENT ? "lost" : "invalid",
		         hr == -EKEYREJECTED ? "signed by a key the chain does not know"
		                             : strerror(-hr));
	}
	int r = 0;
	if (kn > 0 && !store_keyring_find(&known, store_key_id(s->p.key), NULL)) {
		ev_errlist_add(errs, s->dir, 0, 0,
		               "key %s is not a key of this store's chain (it began with key %s); "
		               "a new key must first be announced by the current one: evident "
		               "keygen --rotate-from CURRENT.key --store %s",
		               store_key_id(s->p.key), store_key_id(known.keys[0]), s->dir);
		r = -EKEYREJECTED;
	}
	if (r == 0 && s->have_head) {
		struct store_verify_limits lim = {.max_member_size = s->p.max_member_size};
		int n = store_roll_forward(s->dir, &s->head, &known, &lim, s->p.key, s->p.actor,
		                           errs);
		if (n < 0)
			r = n;
		else
			s->recovered = (unsigned)n;
	}
	store_keyring_clear(&known);
	return r;
}

/* The bundle's temporary file: unnamed (O_TMPFILE) where the file system has it, so a
 * seal killed at any point leaves nothing; else bundles/.tmp-ID (removed by the next
 * seal when a kill left it). */
static int seal_open_tmp(struct store_seal *s, struct ev_errlist *errs) {
	s->fd = open(s->bdir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0440);
	if (s->fd >= 0) {
		s->unnamed = true;
		snprintf(s->tmp, sizeof(s->tmp), "/proc/self/fd/%d", s->fd);
		return 0;
	}
	char tn[64];
	snprintf(tn, sizeof(tn), ".tmp-%s", s->bundle_id);
	int r = store_path_join(s->tmp, sizeof(s->tmp), s->bdir, tn);
	if (r < 0)
		return r;
	s->fd = open(s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0440);
	if (s->fd < 0) {
		r = -errno;
		ev_errlist_add(errs, s->tmp, 0, 0, "cannot create: %s", strerror(errno));
		return r;
	}
	return 0;
}

int store_seal_begin(struct store_seal_params *p, struct store_seal **ret,
                     struct ev_errlist *errs) {
	const char *why;
	int r = store_archive_load(&why);
	if (r < 0) { /* before the store is touched */
		ev_errlist_add(errs, p->store_dir, 0, 0, "%s; nothing was sealed", why);
		json_decref(p->fields);
		return r;
	}
	struct store_seal *s = calloc(1, sizeof(*s));
	if (!s) {
		json_decref(p->fields);
		return -ENOMEM;
	}
	s->p = *p;
	p->fields = NULL;
	if (!s->p.fields)
		s->p.fields = json_object();
	s->lock_fd = s->fd = -1;
	snprintf(s->dir, sizeof(s->dir), "%s", p->store_dir);
	store_path_join(s->bdir, sizeof(s->bdir), p->store_dir, "bundles");
	r = seal_dirs(s, errs);
	if (r < 0)
		goto fail;
	r = seal_chain_state(s, errs);
	if (r < 0)
		goto fail;
	r = publish_key(s->dir, p->key);
	if (r < 0) {
		ev_errlist_add(errs, s->dir, 0, 0, "cannot publish the public key in keys/: %s",
		               strerror(-r));
		goto fail;
	}
	if (!s->have_head) {
		r = random_hex(s->head.chain_id, 16);
		if (r < 0)
			goto fail;
		s->head.sequence = 0;
		memcpy(s->head.manifest_sha256, store_zero_hex, sizeof(store_zero_hex));
	}
	r = random_hex(s->bundle_id, 16);
	if (r < 0)
		goto fail;
	r = seal_open_tmp(s, errs);
	if (r < 0)
		goto fail;
	int64_t now = ev_now_realtime_us();
	ev_format_rfc3339(now, s->created, sizeof(s->created));
	struct store_bundle_writer_opts o = {
	        .fd = s->fd,
	        .level = p->level,
	        .mtime = (time_t)(now / 1000000),
	        .max_member_size = p->max_member_size,
	        .max_bundle_size = p->max_bundle_size,
	        .spill_dir = s->bdir,
	        .recipients = p->recipients,
	        .n_recipients = p->n_recipients,
	        .cipher = p->cipher,
	};
	r = store_bundle_writer_new(&o, &s->w);
	if (r < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	store_seal_abort(s);
	return r;
}

struct store_bundle_writer *store_seal_writer(struct store_seal *s) {
	return s->w;
}

/* The chain, host and tool fields of the manifest. */
static void seal_fields(const struct store_seal *s, json_t *f, uint64_t seq) {
	char hostname[256] = "", mid[64], bid[64];
	gethostname(hostname, sizeof(hostname) - 1);
	host_file("/etc/machine-id", mid, sizeof(mid));
	host_file("/proc/sys/kernel/random/boot_id", bid, sizeof(bid));
	json_object_set_new(f, "bundle_id", json_string(s->bundle_id));
	json_object_set_new(f, "chain_id", json_string(s->head.chain_id));
	json_object_set_new(f, "chain_sequence", json_integer((json_int_t)seq));
	json_object_set_new(f, "chain_prev_manifest_sha256", json_string(s->head.manifest_sha256));
	json_object_set_new(f, "created", json_string(s->created));
	json_object_set_new(f, "format", json_string("evident-bundle"));
	json_object_set_new(f, "host",
	                    json_pack("{s:s, s:s, s:s}", "hostname", hostname, "machine_id", mid,
	                              "boot_id", bid));
	json_object_set_new(f, "tool_version",
	                    json_string(s->p.tool_version ? s->p.tool_version : ""));
	if (s->reset && !s->have_head)
		json_object_set_new(f, "chain_reset", json_string(s->reset_reason));
}

/* Link the finished temporary file to its final name (never replacing anything). */
static int seal_place(struct store_seal *s, const char *fin, struct ev_errlist *errs) {
	/* link(2) never replaces: a name planted meanwhile (file, symlink) makes it fail */
	if ((s->unnamed ? linkat(AT_FDCWD, s->tmp, AT_FDCWD, fin, AT_SYMLINK_FOLLOW)
	                : link(s->tmp, fin)) < 0) {
		int r = -errno;
		ev_errlist_add(errs, fin, 0, 0, "cannot place the bundle: %s; nothing was sealed",
		               strerror(errno));
		return r;
	}
	if (!s->unnamed)
		unlink(s->tmp);
	close(s->fd);
	s->fd = -1;
	int r = fsync_dir(s->bdir);
	if (r < 0)
		ev_errlist_add(errs, s->bdir, 0, 0, "fsync: %s", strerror(-r));
	return 0;
}

static void seal_immutable(const char *fin, bool want, struct store_seal_result *ret) {
	if (!want) {
		snprintf(ret->immutable_note, sizeof(ret->immutable_note), "not requested");
		return;
	}
	int fd = open(fin, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int attr = 0;
	if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0) {
		attr |= FS_IMMUTABLE_FL;
		if (ioctl(fd, FS_IOC_SETFLAGS, &attr) == 0)
			ret->immutable = true;
	}
	if (!ret->immutable)
		snprintf(ret->immutable_note, sizeof(ret->immutable_note), "%s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* After placement: the chain_reset entry, HEAD, the sealed entry. A failure here leaves
 * a placed bundle that the next seal takes into the chain (store_roll_forward). */
static int seal_record(struct store_seal *s, const struct store_head *nh,
                       const struct store_bundle_result *br, const struct store_seal_result *ret,
                       struct ev_errlist *errs) {
	int r = 0;
	if (s->reset) {
		json_t *d = json_pack("{s:s, s:s, s:I}", "reason", s->reset_reason, "chain_id",
		                      s->head.chain_id, "next_sequence", (json_int_t)nh->sequence);
		r = store_record(s->dir, s->p.key, "chain_reset", NULL, d, s->p.actor, errs);
	}
	int hr = store_head_write(s->dir, nh, s->p.key);
	if (hr < 0)
		ev_errlist_add(errs, s->dir, 0, 0, "cannot update HEAD: %s", strerror(-hr));
	json_t *d = json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:b, s:s?}", "chain_id", nh->chain_id,
	                      "sequence", (json_int_t)nh->sequence, "manifest_sha256",
	                      nh->manifest_sha256, "bundle_sha256", nh->bundle_sha256,
	                      "bundle_size", (json_int_t)br->file_size, "members",
	                      (json_int_t)br->n_members, "immutable", ret->immutable,
	                      "immutable_note", ret->immutable ? NULL : ret->immutable_note);
	int lr = store_record(s->dir, s->p.key, "sealed", nh->bundle, d, s->p.actor, errs);
	r = r < 0 ? r : hr < 0 ? hr : lr;
	if (r < 0)
		ev_errlist_add(errs, s->dir, 0, 0,
		               "the bundle %s is placed, but the chain head or the custody ledger "
		               "could not be updated; the next seal completes them",
		               nh->bundle);
	return r;
}

int store_seal_commit(struct store_seal *s, struct store_seal_result *ret,
                      struct ev_errlist *errs) {
	*ret = (struct store_seal_result){0};
	json_t *f = s->p.fields;
	s->p.fields = NULL;
	uint64_t seq = s->head.sequence + 1;
	seal_fields(s, f, seq);
	struct store_bundle_result br;
	int r = store_bundle_finish(s->w, f, s->p.key, &br);
	if (r == 0 && fsync(s->fd) < 0)
		r = -errno;
	if (r < 0) {
		ev_errlist_add(errs, s->unnamed ? s->bdir : s->tmp, 0, 0,
		               "cannot write the bundle: %s; nothing was sealed", strerror(-r));
		store_seal_abort(s);
		return r;
	}
	struct store_head nh = s->head;
	nh.sequence = seq;
	snprintf(nh.bundle, sizeof(nh.bundle), "%010llu-%s.tar.gz", (unsigned long long)seq,
	         s->bundle_id);
	char fin[4096];
	r = store_path_join(fin, sizeof(fin), s->bdir, nh.bundle);
	if (r == 0)
		r = seal_place(s, fin, errs);
	if (r < 0) {
		store_seal_abort(s);
		return r;
	}
	seal_immutable(fin, s->p.immutable, ret);
	store_hex(br.manifest_sha256, STORE_HASH_LEN, nh.manifest_sha256);
	store_hex(br.file_sha256, STORE_HASH_LEN, nh.bundle_sha256);
	snprintf(nh.key_id, sizeof(nh.key_id), "%s", store_key_id(s->p.key));
	r = seal_record(s, &nh, &br, ret, errs);
	snprintf(ret->path, sizeof(ret->path), "%s", fin);
	snprintf(ret->bundle_id, sizeof(ret->bundle_id), "%s", s->bundle_id);
	ret->sequence = seq;
	memcpy(ret->manifest_sha256, nh.manifest_sha256, sizeof(nh.manifest_sha256));
	memcpy(ret->bundle_sha256, nh.bundle_sha256, sizeof(nh.bundle_sha256));
	ret->n_members = br.n_members;
	ret->chain_reset = s->reset;
	snprintf(ret->reset_reason, sizeof(ret->reset_reason), "%s",
	         s->reset ? s->reset_reason : "");
	ret->recovered = s->recovered;
	ret->stale_removed = s->stale;
	store_seal_abort(s); /* releases the lock; the temp file is already gone */
	return r;
}

int store_key_rotate(const char *store_dir, const struct store_key *old_key,
                     const struct store_key *new_key, const json_t *actor,
                     struct ev_errlist *errs) {
	char kd[4096];
	int r = store_path_join(kd, sizeof(kd), store_dir, "keys");
	if (r < 0)
		return r;
	if (mkdir(kd, 0755) < 0 && errno != EEXIST)
		return -errno;
	r = store_check_permissions(store_dir, errs);
	if (r < 0)
		return r;
	r = publish_key(store_dir, new_key);
	if (r < 0) {
		ev_errlist_add(errs, kd, 0, 0, "cannot publish the new key: %s", strerror(-r));
		return r;
	}
	char *pem = store_key_public_pem(new_key);
	if (!pem)
		return -ENOMEM;
	json_t *d = json_pack("{s:s, s:s, s:s}", "old_key_id", store_key_id(old_key), "new_key_id",
	                      store_key_id(new_key), "public_key", pem);
	free(pem);
	return store_record(store_dir, old_key, "key_rotated", NULL, d, actor, errs);
}
