/* evident decrypt BUNDLE --key KEY --to DIR [MEMBER...]: the plaintext of an encrypted
 * bundle's members (docs/FORMAT.md "Encrypted bundles"), for an investigator holding a
 * recipient's X25519 private key.
 * Order: the bundle must verify first (signature, chain-independent hashes of the stored
 * bytes); then the data key is unwrapped; then each member is read again, its stored hash
 * checked as for extract, decrypted and authenticated (AEAD tag, the member path as
 * associated data) and its plaintext hashed against the manifest's plaintext_sha256. A
 * member that fails any check is removed from DIR and reported (MEMBER_MODIFIED). Files are
 * created as `evident extract` creates them. Recorded as "decrypted" in the custody ledger. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "util/io.h"

struct dx {
	int dirfd;
	char **want;
	size_t n_want;
	json_t *manifest;
	const char *cipher;
	uint8_t dk[STORE_ENC_KEY_LEN];
	struct store_aead *aead;
	struct store_sha256_ctx *psha;
	int fd, parent;
	char leaf[300];
	size_t written;
	int err;
	struct store_report *rep;
	json_t *done; /* --json: the paths written */
};

static int dx_out(void *ud, const void *buf, size_t len) {
	struct dx *x = ud;
	store_sha256_update(x->psha, buf, len);
	int r = ev_write_all(x->fd, buf, len);
	if (r < 0)
		x->err = r;
	return r;
}

static int dx_begin(void *ud, const char *path, uint64_t size) {
	struct dx *x = ud;
	(void)size;
	bool sel = x->n_want == 0;
	for (size_t i = 0; !sel && i < x->n_want; i++)
		sel = !strcmp(x->want[i], path);
	if (!sel || !store_member_path_valid(path))
		return 1;
	x->fd = ev_store_member_create(x->dirfd, path, &x->parent, x->leaf, sizeof(x->leaf));
	if (x->fd < 0) {
		x->err = x->fd;
		x->fd = -1;
		return -EIO;
	}
	x->psha = store_sha256_new();
	int r = x->psha ? store_aead_new(x->cipher, x->dk, false, path, dx_out, x, &x->aead)
	                : -ENOMEM;
	if (r < 0) {
		x->err = r;
		return -EIO;
	}
	return 0;
}

static int dx_data(void *ud, const void *buf, size_t len) {
	struct dx *x = ud;
	return store_aead_update(x->aead, buf, len) < 0 ? -EIO : 0;
}

static int dx_end(void *ud, const char *path, const uint8_t sha[STORE_HASH_LEN]) {
	struct dx *x = ud;
	char hex[STORE_HEX_LEN + 1], phex[STORE_HEX_LEN + 1];
	store_hex(sha, STORE_HASH_LEN, hex);
	json_t *e = ev_store_manifest_member(x->manifest, path);
	const char *want = json_string_value(json_object_get(e, "sha256"));
	const char *pwant = json_string_value(json_object_get(e, "plaintext_sha256"));
	int fin = store_aead_final(x->aead);
	x->aead = store_aead_free(x->aead);
	uint8_t ph[STORE_HASH_LEN];
	store_sha256_final(x->psha, ph);
	x->psha = NULL;
	store_hex(ph, STORE_HASH_LEN, phex);
	int r = fsync(x->fd) < 0 ? -errno : 0;
	close(x->fd);
	x->fd = -1;
	const char *why = !want || strcmp(want, hex) ? "changed between verification and decryption"
	                  : fin == -EBADMSG          ? "ciphertext does not authenticate"
	                  : fin < 0                  ? "cannot be decrypted"
	                  : !pwant || strcmp(pwant, phex)
	                          ? "plaintext does not match the manifest's plaintext_sha256"
	                          : NULL;
	if (why) {
		unlinkat(x->parent, x->leaf, 0);
		store_report_add(x->rep, STORE_MEMBER_MODIFIED, path, "%s; removed", why);
	} else if (x->done)
		json_array_append_new(x->done, json_string(path));
	else
		printf("%s\n", path);
	close(x->parent);
	x->parent = -1;
	if (!why)
		x->written++;
	return r;
}

/* The second pass over the verified bundle, writing plaintext under x->dirfd. */
static int decrypt_members(const char *bundle, struct store_keyring *kr, struct dx *x) {
	struct store_member_sink sink = {dx_begin, dx_data, dx_end, x};
	int r = ev_store_member_pass(bundle, kr, &sink, x->rep, &x->fd, &x->parent, x->leaf);
	x->aead = store_aead_free(x->aead);
	store_sha256_free(x->psha);
	x->psha = NULL;
	if (r < 0)
		ev_log_error("decryption stopped: %s", strerror(x->err ? -x->err : -r));
	return r;
}

static int parse(int argc, char **argv, struct ev_store_read_opts *so, const char **key,
                 const char **to) {
	enum { OPT_TO = EV_SOPT_OWN, OPT_DKEY, OPT_SIGN };
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"pub", required_argument, NULL, EV_SOPT_PUB},
	                                     {"custody-log", required_argument, NULL, EV_SOPT_LOG},
	                                     {"actor", required_argument, NULL, EV_SOPT_ACTOR},
	                                     {"no-record", no_argument, NULL, EV_SOPT_NOREC},
	                                     {"key", required_argument, NULL, OPT_DKEY},
	                                     {"sign-key", required_argument, NULL, OPT_SIGN},
	                                     {"to", required_argument, NULL, OPT_TO},
	                                     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == OPT_TO)
			*to = optarg;
		else if (c == OPT_DKEY)
			*key = optarg;
		else if (c == OPT_SIGN)
			so->key = optarg;
		else {
			int r = ev_store_read_opt(&ev_cmd_decrypt, c, argv, so);
			if (r >= 0)
				return r;
		}
	}
	int r = ev_store_read_check(&ev_cmd_decrypt, so);
	if (r >= 0)
		return r;
	if (!*key)
		return ev_usage_error(&ev_cmd_decrypt,
		                      "--key KEY (an X25519 private key) is required");
	if (!*to)
		return ev_usage_error(&ev_cmd_decrypt, "--to DIR is required");
	if (argc - optind < 1)
		return ev_usage_error(&ev_cmd_decrypt, "expected BUNDLE [MEMBER...]");
	return -1;
}

static int decrypt_run(int argc, char **argv) {
	struct ev_store_read_opts so = {0};
	const char *key = NULL, *to = NULL;
	int ret = parse(argc, argv, &so, &key, &to);
	if (ret >= 0)
		return ret;
	const char *bundle = argv[optind];
	char *store = ev_store_of_bundle(bundle);
	struct store_keyring kr = {0};
	struct store_report rep = {0};
	struct store_bundle_info info = {0};
	struct ev_errlist errs = {0};
	struct dx x = {.dirfd = -1, .fd = -1, .parent = -1, .rep = &rep};
	json_t *extra = json_pack("{s:s, s:s}", "bundle", bundle, "to", to);
	ret = ev_store_read_bundle(&so, store, bundle, extra, "nothing decrypted", &kr, &rep,
	                           &info);
	if (ret >= 0)
		goto out;
	ret = EV_EXIT_USAGE;
	json_t *enc = json_object_get(info.manifest, "encryption");
	if (!enc) {
		ev_log_error("%s is not encrypted; use evident extract", bundle);
		goto out;
	}
	if (store_enc_unwrap(enc, key, x.dk, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		ev_log_error("nothing decrypted");
		goto out;
	}
	x.cipher = json_string_value(json_object_get(enc, "cipher"));
	x.manifest = info.manifest;
	x.want = argv + optind + 1;
	x.n_want = (size_t)(argc - optind - 1);
	for (size_t i = 0; i < x.n_want; i++)
		if (!ev_store_manifest_member(info.manifest, x.want[i])) {
			ret = ev_usage_error(&ev_cmd_decrypt, "no member '%s' in %s", x.want[i],
			                     bundle);
			goto out;
		}
	if ((mkdir(to, 0750) < 0 && errno != EEXIST) ||
	    (x.dirfd = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ev_log_error("cannot create or open %s: %s", to, strerror(errno));
		goto out;
	}
	store_report_clear(&rep);
	if (so.json)
		x.done = json_array();
	if (decrypt_members(bundle, &kr, &x) < 0)
		goto out;
	if (x.done)
		json_object_set(extra, "members", x.done);
	ret = rep.n || x.done ? ev_store_print_report(&rep, so.json, extra) : EV_EXIT_OK;
	json_t *d = json_pack("{s:s, s:I, s:I}", "to", to, "members", (json_int_t)x.written,
	                      "refused", (json_int_t)rep.n);
	ev_store_read_record(&so, store, "decrypted", bundle, d);
out:
	explicit_bzero(x.dk, sizeof(x.dk));
	ev_errlist_clear(&errs);
	json_decref(x.done);
	json_decref(extra);
	if (x.dirfd >= 0)
		close(x.dirfd);
	store_bundle_info_clear(&info);
	store_report_clear(&rep);
	store_keyring_clear(&kr);
	free(store);
	return ret;
}

const struct ev_command ev_cmd_decrypt = {
        .name = "decrypt",
        .summary = "decrypt the members of an encrypted bundle into a directory",
        .run = decrypt_run,
        .usage = "Usage: evident decrypt --key KEY --to DIR [--pub KEY]... [--json]\n"
                 "                       [--sign-key FILE] [--custody-log F] [--no-record]\n"
                 "                       BUNDLE [MEMBER...]\n"
                 "\n"
                 "Verify BUNDLE, unwrap its data key with KEY (an X25519 private key from\n"
                 "evident keygen --x25519 whose public key was in store.encrypt.recipients\n"
                 "when it was sealed), then write the plaintext of MEMBER (default: every\n"
                 "evidence member) under DIR as evident extract does. Each member is\n"
                 "authenticated and its plaintext hash checked against the manifest; one that\n"
                 "fails is removed and reported. Recorded as 'decrypted' in the custody ledger.\n"
                 "\n"
                 "  --key KEY        the recipient's X25519 private key (PEM)\n"
                 "  --to DIR         destination directory (created if missing)\n"
                 "  --pub KEY        trust only this signing key (default: the store's keys)\n"
                 "  --sign-key FILE  sign the custody entry with this key (default: store.key)\n"
                 "  --custody-log F  record in your own ledger F instead of the store's; needs\n"
                 "                   --sign-key with your own key\n"
                 "  --no-record      record nothing (no custody entry, no warning)\n"
                 "  --actor NAME     who is decrypting (recorded)\n"
                 "  --json           one JSON document: ok, findings, bundle, to, members\n"
                 "  -h, --help       show this help\n"
                 "\n"
                 "Exit: 0 decrypted; 1 the bundle does not verify or a member failed its\n"
                 "checks; 2 usage or I/O error, not encrypted, or KEY is not a recipient.\n",
};
