/* Opening a store for writing, and bringing it back to a consistent state: the checks
 * and repairs store_seal_begin runs under the store lock before anything is written.
 *   - permissions: a store directory (or bundles/, keys/) writable by others, or by a
 *     group other than root's, is refused;
 *   - stale temporaries (bundles/.tmp-*, .HEAD.tmp) left by a seal that was killed are
 *     removed (the lock is held, so no seal is running); only regular files we own;
 *   - trust: the keys a chain knows are its head's key (or, with the head lost, the key
 *     of the ledger's first entry) plus every key announced by a key_rotated entry signed
 *     by a known key; a seal with any other key is refused;
 *   - roll forward: a seal that placed its bundle and then failed (a full disk before
 *     HEAD or the ledger entry was written) left a complete, signed bundle one past the
 *     head. Such a bundle, when it verifies, continues the head's chain and is signed by a
 *     known key, becomes the head, and its missing `sealed` (and `chain_reset`) custody
 *     entries are written, marked "recovered". Nothing else is ever adopted. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_recover.h"

bool store_bundle_name_parse(const char *n, uint64_t *ret_seq) {
	size_t l = strlen(n);
	if (l != 10 + 1 + 32 + 7 || strcmp(n + 43, ".tar.gz") != 0 || n[10] != '-')
		return false;
	uint64_t s = 0;
	for (int i = 0; i < 10; i++) {
		if (n[i] < '0' || n[i] > '9')
			return false;
		s = s * 10 + (uint64_t)(n[i] - '0');
	}
	for (int i = 11; i < 43; i++)
		if (!strchr("0123456789abcdef", n[i]))
			return false;
	*ret_seq = s;
	return true;
}

/* ---- permissions ---- */

/* `follow`: the store's own path may be a symlink the administrator made; bundles/ and
 * keys/ inside it may not. */
static int check_dir_mode(const char *path, bool follow, struct ev_errlist *errs) {
	struct stat st;
	if ((follow ? stat(path, &st) : lstat(path, &st)) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		ev_errlist_add(
		        errs, path, 0, 0,
		        "not a directory (a symbolic link or file at a store path); refusing "
		        "to write the store");
		return -ENOTDIR;
	}
	if (st.st_mode & S_IWOTH) {
		ev_errlist_add(errs, path, 0, 0,
		               "writable by every user (mode %04o): anyone could plant or remove "
		               "files in the store; run: chmod o-w '%s'",
		               (unsigned)(st.st_mode & 07777), path);
		return -EPERM;
	}
	if ((st.st_mode & S_IWGRP) && st.st_gid != 0) {
		struct group gr, *res = NULL;
		char buf[4096];
		getgrgid_r(st.st_gid, &gr, buf, sizeof(buf), &res);
		ev_errlist_add(errs, path, 0, 0,
		               "writable by group %s (mode %04o): its members could plant or "
		               "remove files in the store; run: chmod g-w '%s'",
		               res ? res->gr_name : "?", (unsigned)(st.st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

int store_check_permissions(const char *store_dir, struct ev_errlist *errs) {
	static const char *const sub[] = {"", "bundles", "keys"};
	for (size_t i = 0; i < ELEMENTSOF(sub); i++) {
		char p[4096];
		if (store_path_join(p, sizeof(p), store_dir, sub[i]) < 0)
			return -ENAMETOOLONG;
		if (!*sub[i])
			snprintf(p, sizeof(p), "%s", store_dir);
		int r = check_dir_mode(p, !*sub[i], errs);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return 0;
}

/* ---- stale temporaries ---- */

static bool stale_name(const char *n) {
	return !strncmp(n, ".tmp-", 5) || !strcmp(n, ".HEAD.tmp");
}

static void remove_stale(const char *dir, json_t *removed) {
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!stale_name(de->d_name))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		/* ours: a regular file of this user (a symlink or FIFO planted at the name is
		 * someone else's; unlinking it is harmless too, and frees the name) */
		if (S_ISREG(st.st_mode) && st.st_uid != geteuid())
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0 && removed)
			json_array_append_new(removed, json_pack("{s:s, s:I}", "name", de->d_name,
			                                         "size", (json_int_t)st.st_size));
	}
	closedir(d);
}

int store_remove_stale(const char *store_dir, json_t **ret_removed) {
	char bd[4096];
	if (store_path_join(bd, sizeof(bd), store_dir, "bundles") < 0)
		return -ENAMETOOLONG;
	json_t *removed = json_array();
	if (!removed)
		return -ENOMEM;
	remove_stale(bd, removed);
	remove_stale(store_dir, removed);
	int n = (int)json_array_size(removed);
	if (ret_removed && n)
		*ret_removed = removed;
	else
		json_decref(removed);
	return n;
}

/* ---- trust ---- */

/* The key id of the ledger's first line, or false. */
static bool first_entry_key(const char *buf, size_t len, char out[STORE_HEX_LEN + 1]) {
	const char *nl = memchr(buf, '\n', len);
	json_t *o = nl ? json_loadb(buf, (size_t)(nl - buf), 0, NULL) : NULL;
	const char *k = json_string_value(json_object_get(o, "key_id"));
	bool ok = k && strlen(k) == STORE_HEX_LEN;
	if (ok)
		memcpy(out, k, STORE_HEX_LEN + 1);
	json_decref(o);
	return ok;
}

int store_chain_keys(const char *store_dir, const char *root_key_id, struct store_keyring *kr,
                     json_t *why) {
	struct store_keyring all = {0};
	store_load_store_keys(store_dir, &all);
	char lp[4096], root[STORE_HEX_LEN + 1] = "";
	store_path_join(lp, sizeof(lp), store_dir, "custody.jsonl");
	char *lb = NULL;
	size_t ll = 0;
	if (store_read_file(lp, STORE_LEDGER_CAP, &lb, &ll) < 0)
		lb = NULL;
	const char *reason = "it signs the chain head (HEAD)";
	if (root_key_id)
		snprintf(root, sizeof(root), "%s", root_key_id);
	else if (lb && first_entry_key(lb, ll, root))
		reason = "it signed the custody ledger's first entry (custody.jsonl:1)";
	int r = 0;
	const struct store_key *k = root[0] ? store_keyring_find(&all, root, NULL) : NULL;
	if (k) {
		r = store_keyring_add_public(kr, k, false);
		if (r == 0 && why)
			json_object_set_new(why, root, json_string(reason));
		if (r == 0 && lb)
			r = store_ledger_add_rotations(lb, ll, kr, why);
	}
	free(lb);
	store_keyring_clear(&all);
	if (r < 0)
		return r;
	return k ? 1 : 0;
}

int store_trusted_keys(const char *store_dir, struct store_keyring *kr, struct store_report *rep) {
	json_t *why = json_object();
	if (!why)
		return -ENOMEM;
	int r = store_chain_keys(store_dir, NULL, kr, why);
	if (r == 0) { /* no ledger to anchor trust: every key the store holds (legacy) */
		r = store_load_store_keys(store_dir, kr);
		for (size_t i = 0; rep && r > 0 && i < kr->n; i++)
			store_report_warn(
			        rep,
			        "trusted key %s (unpinned): it is in %s/keys and the store has "
			        "no custody ledger to say which key it began with",
			        store_key_id(kr->keys[i]), store_dir);
	} else if (r > 0 && rep) {
		const char *id;
		json_t *v;
		json_object_foreach(why, id, v)
		        store_report_warn(rep, "trusted key %s (unpinned, from %s/keys): %s", id,
		                          store_dir, json_string_value(v));
		struct store_keyring all = {0};
		store_load_store_keys(store_dir, &all);
		for (size_t i = 0; i < all.n; i++)
			if (!store_keyring_find(kr, store_key_id(all.keys[i]), NULL))
				store_report_warn(
				        rep,
				        "not trusted: key %s in %s/keys (no key_rotated entry "
				        "signed by a trusted key introduces it)",
				        store_key_id(all.keys[i]), store_dir);
		store_keyring_clear(&all);
	}
	json_decref(why);
	return r < 0 ? r : 0;
}

/* ---- roll forward ---- */

static const char *jstr(const json_t *o, const char *k) {
	return json_string_value(json_object_get(o, k));
}

/* Whether the ledger has an entry `action` naming `bundle` (or, with bundle NULL, whose
 * details name chain `chain_id`). Canonical lines are greppable (docs/FORMAT.md). */
static bool ledger_has(const char *buf, size_t len, const char *action, const char *bundle,
                       const char *chain_id) {
	char a[64], b[300];
	snprintf(a, sizeof(a), "{\"action\":\"%s\"", action);
	if (bundle)
		snprintf(b, sizeof(b), ",\"bundle\":\"%s\",", bundle);
	else
		snprintf(b, sizeof(b), "\"chain_id\":\"%s\"", chain_id);
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		const char *line = buf + pos;
		pos += ll + 1;
		if (ll > strlen(a) && !memcmp(line, a, strlen(a)) && memmem(line, ll, b, strlen(b)))
			return true;
	}
	return false;
}

/* Verify bundles/NAME and fill `b`; true when it authenticates with kr. */
static bool load_bundle(const char *bdir, const char *name, const struct store_keyring *kr,
                        const struct store_verify_limits *lim, struct store_bundle_info *info) {
	char p[4096];
	if (store_path_join(p, sizeof(p), bdir, name) < 0)
		return false;
	int fd = store_open_regular(p, O_RDONLY, 0, NULL);
	if (fd < 0)
		return false;
	struct store_report rep = {0};
	int r = store_bundle_verify_fd(fd, name, kr, lim, NULL, &rep, info);
	close(fd);
	bool ok = r == 0 && info->authenticated && rep.n == 0;
	store_report_clear(&rep);
	return ok;
}

/* Write the custody entries a placed bundle should have and has not. */
static int ensure_entries(const char *store_dir, const char *name,
                          const struct store_bundle_info *info, const struct store_key *key,
                          const json_t *actor, struct ev_errlist *errs) {
	char lp[4096];
	store_path_join(lp, sizeof(lp), store_dir, "custody.jsonl");
	char *lb = NULL;
	size_t ll = 0;
	if (store_read_file(lp, STORE_LEDGER_CAP, &lb, &ll) < 0)
		lb = NULL;
	const json_t *m = info->manifest;
	const char *chain = jstr(m, "chain_id");
	json_int_t seq = json_integer_value(json_object_get(m, "chain_sequence"));
	int r = 0;
	if (jstr(m, "chain_reset") && !ledger_has(lb, lb ? ll : 0, "chain_reset", NULL, chain))
		r = store_record(store_dir, key, "chain_reset", NULL,
		                 json_pack("{s:s, s:s, s:I, s:b}", "reason", jstr(m, "chain_reset"),
		                           "chain_id", chain, "next_sequence", seq, "recovered", 1),
		                 actor, errs);
	if (r == 0 && !ledger_has(lb, lb ? ll : 0, "sealed", name, NULL)) {
		char mh[STORE_HEX_LEN + 1], fh[STORE_HEX_LEN + 1], bp[4096];
		store_hex(info->manifest_sha256, STORE_HASH_LEN, mh);
		store_hex(info->file_sha256, STORE_HASH_LEN, fh);
		struct stat st = {0};
		if (store_path_join(bp, sizeof(bp), store_dir, "bundles") == 0) {
			char full[4096 + 64];
			snprintf(full, sizeof(full), "%s/%s", bp, name);
			(void)stat(full, &st);
		}
		r = store_record(
		        store_dir, key, "sealed", name,
		        json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:b, s:s, s:s}", "chain_id",
		                  chain, "sequence", seq, "manifest_sha256", mh, "bundle_sha256",
		                  fh, "bundle_size", (json_int_t)st.st_size, "members",
		                  (json_int_t)json_array_size(json_object_get(m, "members")),
		                  "immutable", 0, "immutable_note",
		                  "not known: recorded by a repair", "recovered",
		                  "placed by a seal whose chain head or custody entry could not be "
		                  "written; recorded by the next seal"),
		        actor, errs);
	}
	free(lb);
	return r;
}

/* The bundle one past `h` in bundles/ that continues its chain, or false. */
static bool next_bundle(const char *bdir, const struct store_head *h,
                        const struct store_keyring *kr, const struct store_verify_limits *lim,
                        char *ret_name, size_t name_len, struct store_bundle_info *ret_info) {
	DIR *d = opendir(bdir);
	if (!d)
		return false;
	bool found = false;
	struct dirent *de;
	while (!found && (de = readdir(d))) {
		uint64_t seq;
		if (!store_bundle_name_parse(de->d_name, &seq) || seq != h->sequence + 1)
			continue;
		struct store_bundle_info info = {0};
		if (load_bundle(bdir, de->d_name, kr, lim, &info) &&
		    !strcmp(jstr(info.manifest, "chain_id") ?: "", h->chain_id) &&
		    json_integer_value(json_object_get(info.manifest, "chain_sequence")) ==
		            (json_int_t)seq &&
		    !strcmp(jstr(info.manifest, "chain_prev_manifest_sha256") ?: "",
		            h->manifest_sha256)) {
			snprintf(ret_name, name_len, "%s", de->d_name);
			*ret_info = info;
			found = true;
		} else
			store_bundle_info_clear(&info);
	}
	closedir(d);
	return found;
}

int store_roll_forward(const char *store_dir, struct store_head *h, const struct store_keyring *kr,
                       const struct store_verify_limits *lim, const struct store_key *key,
                       const json_t *actor, struct ev_errlist *errs) {
	char bdir[4096];
	if (store_path_join(bdir, sizeof(bdir), store_dir, "bundles") < 0)
		return -ENAMETOOLONG;
	int n = 0;
	for (;;) {
		char name[256];
		struct store_bundle_info info = {0};
		if (!next_bundle(bdir, h, kr, lim, name, sizeof(name), &info))
			break;
		struct store_head nh = *h;
		nh.sequence++;
		store_hex(info.manifest_sha256, STORE_HASH_LEN, nh.manifest_sha256);
		store_hex(info.file_sha256, STORE_HASH_LEN, nh.bundle_sha256);
		snprintf(nh.bundle, sizeof(nh.bundle), "%s", name);
		snprintf(nh.key_id, sizeof(nh.key_id), "%s", jstr(info.manifest, "key_id"));
		int r = ensure_entries(store_dir, name, &info, key, actor, errs);
		store_bundle_info_clear(&info);
		if (r == 0)
			r = store_head_write(store_dir, &nh, key);
		if (r < 0) {
			ev_errlist_add(errs, store_dir, 0, 0,
			               "cannot bring the chain head forward to %s: %s", name,
			               strerror(-r));
			return r;
		}
		*h = nh;
		n++;
		/* the repair itself is a custody entry: nothing changes in the store unsaid */
		r = store_record(store_dir, key, "recovered", name,
		                 json_pack("{s:s, s:s, s:I}", "repair",
		                           "chain head brought forward over a bundle placed by a "
		                           "seal that failed before updating it",
		                           "chain_id", h->chain_id, "sequence",
		                           (json_int_t)h->sequence),
		                 actor, errs);
		if (r < 0)
			return r;
	}
	/* the head's own bundle: its custody entry may be what failed */
	if (h->bundle[0]) {
		char lp[4096];
		store_path_join(lp, sizeof(lp), store_dir, "custody.jsonl");
		char *lb = NULL;
		size_t ll = 0;
		/* (a lost ledger is a recorded reset, not something to fill in) */
		size_t bad = 0;
		bool have = store_read_file(lp, STORE_LEDGER_CAP, &lb, &ll) < 0 ||
		            store_ledger_intact_end(lb, ll, &bad) == 0 ||
		            ledger_has(lb, ll, "sealed", h->bundle, NULL);
		free(lb);
		struct store_bundle_info info = {0};
		if (!have && load_bundle(bdir, h->bundle, kr, lim, &info)) {
			int r = ensure_entries(store_dir, h->bundle, &info, key, actor, errs);
			if (r < 0) {
				store_bundle_info_clear(&info);
				return r;
			}
			n++;
		}
		store_bundle_info_clear(&info);
	}
	return n;
}
