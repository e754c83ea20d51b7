/* Sealed bundles as input to evident analyze (bundle_in.h). One verifying pass writes
 * every evidence member to the temporary directory as it is read; afterwards a member is
 * kept only when the manifest authenticated, its entry is a log member and the SHA-256 of
 * the bytes written matches the entry; every other file is removed. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/analyze/bundle_in.h"
#include "agent/cmd/cmd_store_common.h"
#include "agent/cli.h"
#include "store/bundle.h"
#include "util/io.h"
#include "util/macro.h"

struct written {
	char *member, *file;
	char sha[STORE_HEX_LEN + 1];
};

struct sink_state {
	struct analyze_bundles *b;
	struct written *w;
	size_t n, alloc;
	int fd, err;
};

static int s_begin(void *ud, const char *path, uint64_t size) {
	struct sink_state *s = ud;
	(void)size;
	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 16;
		struct written *v = realloc(s->w, na * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->w = v;
		s->alloc = na;
	}
	const char *base = strrchr(path, '/');
	char *file = NULL;
	if (asprintf(&file, "%s/%06zu-%s", s->b->tmpdir, s->b->n_files + s->n,
	             base ? base + 1 : path) < 0)
		return -ENOMEM;
	s->fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		s->err = -errno;
		free(file);
		return -EIO;
	}
	s->w[s->n] = (struct written){.member = strdup(path), .file = file};
	if (!s->w[s->n].member) {
		free(file);
		return -ENOMEM;
	}
	s->n++;
	return 0;
}

static int s_data(void *ud, const void *buf, size_t len) {
	struct sink_state *s = ud;
	int r = ev_write_all(s->fd, buf, len);
	if (r < 0)
		s->err = r;
	return r < 0 ? -EIO : 0;
}

static int s_end(void *ud, const char *path, const uint8_t sha[STORE_HASH_LEN]) {
	struct sink_state *s = ud;
	(void)path;
	store_hex(sha, STORE_HASH_LEN, s->w[s->n - 1].sha);
	int r = close(s->fd) < 0 ? -errno : 0;
	s->fd = -1;
	return r;
}

static int note(struct analyze_bundles *b, const char *bundle, const char *member, bool analysed,
                const char *reason) {
	json_t *n = json_pack("{s:s, s:b}", "bundle", bundle, "analysed", analysed);
	if (!n || (member && json_object_set_new(n, "member", json_string(member)) < 0) ||
	    (reason && json_object_set_new(n, "reason", json_string(reason)) < 0) ||
	    json_array_append_new(b->notes, n) < 0)
		return -ENOMEM;
	if (!analysed)
		b->refused++;
	return 0;
}

/* A log member: an excerpt or copy of a file, or the journal's JSON rendering. */
static bool is_log_member(const json_t *e) {
	const char *kind = json_string_value(json_object_get(json_object_get(e, "source"), "kind"));
	const char *path = json_string_value(json_object_get(e, "path")) ?: "";
	size_t n = strlen(path);
	return (kind && (!strcmp(kind, "excerpt") || !strcmp(kind, "copy"))) ||
	       (n >= 6 && !strcmp(path + n - 6, ".jsonl") && strstr(path, "evidence/journal/"));
}

/* The findings of rep that name `where`, as "CODE: msg; ..." (NULL when none). */
static char *findings_for(const struct store_report *rep, const char *where) {
	char *out = NULL;
	for (size_t i = 0; i < rep->n; i++) {
		if (where && strcmp(rep->v[i].where ?: "", where))
			continue;
		char *t = NULL;
		if (asprintf(&t, "%s%s%s: %s", out ? out : "", out ? "; " : "",
		             store_finding_name(rep->v[i].code), rep->v[i].msg ?: "") < 0)
			break;
		free(out);
		out = t;
	}
	return out;
}

static bool is_encrypted(const struct store_report *rep, const json_t *m) {
	json_t *fv = json_object_get(m, "format_version");
	if (json_object_get(m, "encryption") || (fv && json_integer_value(fv) == 2))
		return true;
	for (size_t i = 0; i < rep->n; i++)
		if (rep->v[i].code == STORE_FORMAT_INVALID && rep->v[i].msg &&
		    strstr(rep->v[i].msg, "format_version"))
			return true;
	return false;
}

/* Keep the verified log members of s in b; remove the other files. */
static int keep_verified(struct analyze_bundles *b, const char *bundle, struct sink_state *s,
                         const struct store_bundle_info *info, const struct store_report *rep) {
	int r = 0;
	json_t *mem = json_object_get(info->manifest, "members");
	for (size_t i = 0; i < s->n && r >= 0; i++) {
		struct written *w = &s->w[i];
		json_t *e = NULL;
		for (size_t k = 0; !e && k < json_array_size(mem); k++)
			if (!strcmp(json_string_value(
			                    json_object_get(json_array_get(mem, k), "path"))
			                    ?: "",
			            w->member))
				e = json_array_get(mem, k);
		_cleanup_free_ char *why = findings_for(rep, w->member);
		const char *want = json_string_value(json_object_get(e, "sha256"));
		bool good = e && want && !strcmp(want, w->sha) && !why;
		if (good && is_log_member(e)) {
			char **v = realloc(b->files, (b->n_files + 1) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			b->files = v;
			b->files[b->n_files++] = w->file;
			w->file = NULL;
			r = note(b, bundle, w->member, true, NULL);
			continue;
		}
		unlink(w->file);
		if (!good)
			r = note(b, bundle, w->member, false,
			         why ? why
			         : e ? "MEMBER_MODIFIED: bytes differ from the manifest"
			             : "MEMBER_EXTRA: not in the manifest");
	}
	return r;
}

static int make_tmpdir(struct analyze_bundles *b) {
	if (b->tmpdir)
		return 0;
	const char *t = getenv("TMPDIR");
	if (asprintf(&b->tmpdir, "%s/evident-analyze.XXXXXX", t && *t ? t : "/tmp") < 0) {
		b->tmpdir = NULL;
		return -ENOMEM;
	}
	if (!mkdtemp(b->tmpdir)) {
		int r = -errno;
		ev_log_error("cannot create a temporary directory %s: %s", b->tmpdir, strerror(-r));
		free(b->tmpdir);
		b->tmpdir = NULL;
		return r;
	}
	return 0;
}

/* Verify, and keep what verified; notes for the rest. */
static int verify_keep(struct analyze_bundles *b, const char *bundle, int fd,
                       struct store_keyring *kr, const char *expect_manifest) {
	struct store_report rep = {0};
	struct store_bundle_info info = {0};
	struct sink_state s = {.b = b, .fd = -1};
	struct store_member_sink sink = {s_begin, s_data, s_end, &s};
	int r = store_bundle_verify_fd(fd, bundle, kr, NULL, &sink, &rep, &info);
	if (s.fd >= 0)
		close(s.fd);
	char mh[STORE_HEX_LEN + 1];
	store_hex(info.manifest_sha256, STORE_HASH_LEN, mh);
	if (r == -ENOMEM)
		;
	else if (r < 0 || s.err)
		r = note(b, bundle, NULL, false, store_strerror(s.err ? s.err : r));
	else if (!info.authenticated) {
		_cleanup_free_ char *why = findings_for(&rep, NULL);
		r = note(b, bundle, NULL, false, why ? why : "manifest not authenticated");
	} else if (is_encrypted(&rep, info.manifest))
		r = note(b, bundle, NULL, false,
		         "encrypted (format 2): not readable without a key (decrypt it first)");
	else if (expect_manifest && strcmp(expect_manifest, mh))
		r = note(b, bundle, NULL, false,
		         "not the bundle the incident recorded (its manifest_sha256 differs)");
	else
		r = keep_verified(b, bundle, &s, &info, &rep);
	for (size_t i = 0; i < s.n; i++) {
		if (s.w[i].file)
			unlink(s.w[i].file);
		free(s.w[i].member);
		free(s.w[i].file);
	}
	free(s.w);
	store_bundle_info_clear(&info);
	store_report_clear(&rep);
	return r;
}

int analyze_bundles_add(struct analyze_bundles *b, const char *bundle, char **pubs, size_t n_pubs,
                        const char *expect_manifest) {
	if (!b->notes && !(b->notes = json_array()))
		return -ENOMEM;
	int r = make_tmpdir(b);
	if (r < 0)
		return r;
	_cleanup_free_ char *store = ev_store_of_bundle(bundle);
	struct store_keyring kr = {0};
	if (ev_store_keyring(pubs, n_pubs, store, &kr) != 0) {
		store_keyring_clear(&kr);
		return -EINVAL;
	}
	int fd = open(bundle, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		char why[300];
		snprintf(why, sizeof(why), "cannot be read: %s",
		         fd < 0 ? strerror(errno) : "not a regular file");
		r = note(b, bundle, NULL, false, why);
	} else
		r = verify_keep(b, bundle, fd, &kr, expect_manifest);
	if (fd >= 0)
		close(fd);
	store_keyring_clear(&kr);
	return r;
}

void analyze_bundles_done(struct analyze_bundles *b) {
	for (size_t i = 0; i < b->n_files; i++) {
		unlink(b->files[i]);
		free(b->files[i]);
	}
	free(b->files);
	if (b->tmpdir)
		rmdir(b->tmpdir);
	free(b->tmpdir);
	json_decref(b->notes);
	*b = (struct analyze_bundles){0};
}
