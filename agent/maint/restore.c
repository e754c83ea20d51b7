/* Pre-change bundles (restore.h): verification with the bytes kept, and the atomic
 * restore. Member bytes are checked twice: by the verifier as they stream, and against
 * the change ledger's recorded SHA-256 before anything is written. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/maint/restore.h"
#include "store/crypto.h"
#include "util/io.h"

struct keep {
	struct ev_maint_bundle *b;
	bool keep_data;
	struct ev_maint_member *cur;
	bool over;
};

static bool is_copy(const json_t *manifest, const char *path) {
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(manifest, "members"), i, m) {
		if (!strcmp(json_string_value(json_object_get(m, "path")) ?: "", path))
			return !strcmp(json_string_value(json_object_get(
			                       json_object_get(m, "source"), "kind"))
			                       ?: "",
			               "copy");
	}
	return false;
}

static int keep_begin(void *ud, const char *path, uint64_t size) {
	struct keep *k = ud;
	k->cur = NULL;
	/* the manifest is not known while streaming: keep every files/ member */
	if (!k->keep_data || strncmp(path, "evidence/files/", 15) != 0)
		return 1;
	if (k->b->total + size > EV_MAINT_RESTORE_CAP) {
		k->over = true;
		return 1;
	}
	struct ev_maint_member *nv = realloc(k->b->members, (k->b->n_members + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	k->b->members = nv;
	k->cur = &nv[k->b->n_members];
	*k->cur = (struct ev_maint_member){.path = strdup(path), .data = malloc(size ? size : 1)};
	if (!k->cur->path || !k->cur->data) {
		free(k->cur->path);
		free(k->cur->data);
		return -ENOMEM;
	}
	k->b->n_members++;
	k->b->total += size;
	return 0;
}

static int keep_data(void *ud, const void *buf, size_t len) {
	struct keep *k = ud;
	if (!k->cur)
		return 0;
	unsigned char *nd = realloc(k->cur->data, k->cur->len + len);
	if (!nd)
		return -ENOMEM;
	memcpy(nd + k->cur->len, buf, len);
	k->cur->data = nd;
	k->cur->len += len;
	return 0;
}

static int keep_end(void *ud, const char *path, const uint8_t sha[STORE_HASH_LEN]) {
	return 0;
}

int ev_maint_bundle_verify(const char *path, const struct store_keyring *kr, bool keep,
                           struct ev_maint_bundle *ret, char *msg, size_t len) {
	*ret = (struct ev_maint_bundle){0};
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int r = fd < 0 ? -errno : -EINVAL;
		snprintf(msg, len, "cannot open the pre-change bundle %s: %s", path,
		         r == -EINVAL ? "not a regular file" : strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	struct keep k = {.b = ret, .keep_data = keep};
	struct store_member_sink sink = {keep_begin, keep_data, keep_end, &k};
	struct store_report rep = {0};
	struct store_bundle_info info = {0};
	struct store_verify_limits lim = {0};
	int r = store_bundle_verify_fd(fd, path, kr, &lim, &sink, &rep, &info);
	close(fd);
	if (r < 0) {
		snprintf(msg, len, "cannot read the pre-change bundle %s: %s", path,
		         store_strerror(r));
	} else if (rep.n || !info.authenticated || k.over) {
		size_t o = (size_t)snprintf(msg, len, "the pre-change bundle %s does not verify",
		                            path);
		for (size_t i = 0; i < rep.n && i < 3 && o < len; i++)
			o += (size_t)snprintf(msg + o, len - o, "%s %s %s: %s", i ? ";" : ":",
			                      store_finding_name(rep.v[i].code),
			                      rep.v[i].where ? rep.v[i].where : "",
			                      rep.v[i].msg ? rep.v[i].msg : "");
		if (!rep.n && o < len)
			snprintf(msg + o, len - o, "%s",
			         k.over ? ": its copied files exceed the restore cap"
			                : ": its signature is not by a trusted key");
		r = -EBADMSG;
	} else {
		ret->manifest = TAKE_PTR(info.manifest);
		store_hex(info.manifest_sha256, STORE_HASH_LEN, ret->manifest_sha256);
		ret->copies = json_object();
		size_t i;
		json_t *m;
		json_array_foreach(json_object_get(ret->manifest, "members"), i, m) {
			json_t *src = json_object_get(m, "source");
			const char *asked = json_string_value(json_object_get(src, "asked"));
			const char *p = json_string_value(json_object_get(m, "path"));
			if (!asked || !p || !is_copy(ret->manifest, p))
				continue;
			json_object_set_new(ret->copies, asked,
			                    json_pack("{s:s, s:O, s:O}", "member", p, "sha256",
			                              json_object_get(m, "sha256"), "size",
			                              json_object_get(m, "size")));
		}
	}
	store_report_clear(&rep);
	store_bundle_info_clear(&info);
	return r;
}

void ev_maint_bundle_done(struct ev_maint_bundle *b) {
	json_decref(b->manifest);
	json_decref(b->copies);
	for (size_t i = 0; i < b->n_members; i++) {
		free(b->members[i].path);
		free(b->members[i].data);
	}
	free(b->members);
	*b = (struct ev_maint_bundle){0};
}

const struct ev_maint_member *ev_maint_bundle_member(const struct ev_maint_bundle *b,
                                                     const char *member) {
	for (size_t i = 0; i < b->n_members; i++)
		if (!strcmp(b->members[i].path, member))
			return &b->members[i];
	return NULL;
}

struct staged {
	char tmp[4200];
	const char *path;
};

/* The bytes of one file into a temporary file beside it, with its owner and mode. */
static int stage(const json_t *f, const struct ev_maint_member *m, struct staged *s, char *msg,
                 size_t len) {
	s->path = json_string_value(json_object_get(f, "path"));
	int fd = -1;
	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		snprintf(s->tmp, sizeof(s->tmp), "%s.evident-rollback.%d.%d", s->path,
		         (int)getpid(), tries);
		fd = open(s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		int e = errno;
		s->tmp[0] = 0;
		snprintf(msg, len, "cannot create a temporary file beside %s: %s", s->path,
		         strerror(e));
		return -e;
	}
	int r = ev_write_all(fd, m->data, m->len);
	mode_t mode = (mode_t)json_integer_value(json_object_get(f, "mode")) & 07777;
	uid_t uid = (uid_t)json_integer_value(json_object_get(f, "uid"));
	gid_t gid = (gid_t)json_integer_value(json_object_get(f, "gid"));
	if (r >= 0 && fchown(fd, uid, gid) < 0)
		r = -errno;
	if (r >= 0 && fchmod(fd, mode) < 0) /* after chown, which may clear set-id bits */
		r = -errno;
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		snprintf(msg, len, "cannot prepare %s: %s", s->path, strerror(-r));
	return r;
}

static void fsync_dir_of(const char *path) {
	char d[4200];
	snprintf(d, sizeof(d), "%s", path);
	int fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int ev_maint_restore(const json_t *files, const struct ev_maint_bundle *b, json_t **ret_restored,
                     char *msg, size_t len) {
	size_t n = json_array_size(files);
	struct staged *st = calloc(n ? n : 1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	int r = 0;
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f) {
		const char *member = json_string_value(json_object_get(f, "member"));
		const char *want = json_string_value(json_object_get(f, "sha256"));
		const struct ev_maint_member *m = member ? ev_maint_bundle_member(b, member) : NULL;
		char hex[STORE_HEX_LEN + 1] = "";
		uint8_t sha[STORE_HASH_LEN];
		if (m) {
			store_sha256(m->data, m->len, sha);
			store_hex(sha, STORE_HASH_LEN, hex);
		}
		if (!m || !want || strcmp(hex, want)) {
			snprintf(msg, len, "%s: %s in the pre-change bundle",
			         json_string_value(json_object_get(f, "path")) ?: "?",
			         m ? "the copy differs from the one the change recorded"
			           : "no copy");
			r = -EBADMSG;
			break;
		}
		if ((r = stage(f, m, &st[i], msg, len)) < 0)
			break;
	}
	if (r < 0) {
		for (size_t k = 0; k < n; k++)
			if (st[k].tmp[0])
				unlink(st[k].tmp);
		free(st);
		return r;
	}
	json_t *done = json_array();
	json_array_foreach(files, i, f) {
		if (rename(st[i].tmp, st[i].path) < 0) {
			r = -errno;
			snprintf(msg, len, "cannot replace %s: %s (%zu of %zu files restored)",
			         st[i].path, strerror(errno), i, n);
			for (size_t k = i; k < n; k++)
				unlink(st[k].tmp);
			break;
		}
		fsync_dir_of(st[i].path);
		json_array_append_new(done,
		                      json_pack("{s:s, s:O, s:O, s:O, s:O}", "path", st[i].path,
		                                "sha256", json_object_get(f, "sha256"), "mode",
		                                json_object_get(f, "mode"), "uid",
		                                json_object_get(f, "uid"), "gid",
		                                json_object_get(f, "gid")));
	}
	free(st);
	*ret_restored = done;
	return r;
}
