/* Pruning: the only way evident removes a bundle, always recorded first. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "store/store_recover.h"

int store_prune(const char *store_dir, const struct store_key *key, const struct store_keyring *kr,
                const char *before, const char *reason, const json_t *actor,
                struct ev_errlist *errs) {
	return store_prune_only(store_dir, key, kr, before, reason, actor, NULL, errs);
}

/* The authenticated bundles of bdir created before `before` (and named in `allowed`, when
 * given), HEAD's own left out: [{bundle, chain_id, sequence, manifest_sha256,
 * bundle_sha256, created}]. */
static int prune_candidates(const char *bdir, const char *head_bundle,
                            const struct store_keyring *kr, const char *before,
                            const json_t *allowed, json_t **ret) {
	DIR *d = opendir(bdir);
	if (!d)
		return -errno;
	json_t *list = json_array();
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, head_bundle) ||
		    (allowed && !json_object_get(allowed, de->d_name)))
			continue;
		char p[4096];
		if (store_path_join(p, sizeof(p), bdir, de->d_name) < 0)
			continue;
		int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct store_report rep = {0};
		struct store_bundle_info info = {0};
		store_bundle_verify_fd(fd, de->d_name, kr, NULL, NULL, &rep, &info);
		close(fd);
		const char *created = json_string_value(json_object_get(info.manifest, "created"));
		if (info.authenticated && created && strcmp(created, before) < 0) {
			char mh[STORE_HEX_LEN + 1], fh[STORE_HEX_LEN + 1];
			store_hex(info.manifest_sha256, STORE_HASH_LEN, mh);
			store_hex(info.file_sha256, STORE_HASH_LEN, fh);
			json_array_append_new(
			        list,
			        json_pack("{s:s, s:O, s:O, s:s, s:s, s:s}", "bundle", de->d_name,
			                  "chain_id", json_object_get(info.manifest, "chain_id"),
			                  "sequence",
			                  json_object_get(info.manifest, "chain_sequence"),
			                  "manifest_sha256", mh, "bundle_sha256", fh, "created",
			                  created));
		}
		store_bundle_info_clear(&info);
		store_report_clear(&rep);
	}
	closedir(d);
	*ret = list;
	return list ? 0 : -ENOMEM;
}

/* Remove the listed bundles (recorded as pruned already), their immutable flag cleared
 * first; the first failure stops it. */
static int prune_remove(const char *bdir, const json_t *list, struct ev_errlist *errs) {
	int r = 0;
	size_t n = json_array_size(list);
	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *name =
		        json_string_value(json_object_get(json_array_get(list, i), "bundle"));
		char p[4096];
		store_path_join(p, sizeof(p), bdir, name);
		int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		int attr = 0;
		if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0 && (attr & FS_IMMUTABLE_FL)) {
			attr &= ~FS_IMMUTABLE_FL;
			ioctl(fd, FS_IOC_SETFLAGS, &attr);
		}
		if (fd >= 0)
			close(fd);
		if (unlink(p) < 0) {
			r = -errno;
			ev_errlist_add(errs, p, 0, 0, "cannot remove (recorded as pruned): %s",
			               strerror(errno));
		}
	}
	return r;
}

int store_prune_only(const char *store_dir, const struct store_key *key,
                     const struct store_keyring *kr, const char *before, const char *reason,
                     const json_t *actor, const json_t *allowed, struct ev_errlist *errs) {
	char bdir[4096], lp[4096], hp[4096];
	if (store_path_join(bdir, sizeof(bdir), store_dir, "bundles") < 0 ||
	    store_path_join(lp, sizeof(lp), store_dir, ".lock") < 0 ||
	    store_path_join(hp, sizeof(hp), store_dir, "HEAD") < 0)
		return -ENAMETOOLONG;
	int lock = store_check_permissions(store_dir, errs);
	if (lock < 0)
		return lock;
	lock = store_open_regular(lp, O_RDWR | O_CREAT, 0640, errs);
	if (lock < 0)
		return lock;
	if (flock(lock, LOCK_EX) < 0) {
		int r = -errno;
		ev_errlist_add(errs, lp, 0, 0, "cannot lock the store: %s", strerror(errno));
		if (lock >= 0)
			close(lock);
		return r;
	}
	struct store_head h = {0};
	char *hb = NULL;
	size_t hl = 0;
	if (store_read_file(hp, 8192, &hb, &hl) == 0)
		store_head_parse(hb, hl, kr, &h);
	free(hb);
	json_t *list = NULL;
	int r = prune_candidates(bdir, h.bundle, kr, before, allowed, &list);
	if (r < 0) {
		close(lock);
		return r;
	}
	size_t n = json_array_size(list);
	if (n) {
		json_t *det = json_pack("{s:s, s:s, s:O}", "reason", reason, "before", before,
		                        "bundles", list);
		r = store_record(store_dir, key, "pruned", NULL, det, actor, errs);
	}
	if (r == 0)
		r = prune_remove(bdir, list, errs);
	json_decref(list);
	close(lock);
	return r < 0 ? r : (int)n;
}
