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
#include <getopt.h>
#include <string.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "util/io.h"

/* The members written (out first: the sink's callbacks get a struct dx) and the
 * decryption of the one being written. */
struct dx {
	struct ev_store_out out;
	const char *cipher;
	uint8_t dk[STORE_ENC_KEY_LEN];
	struct store_aead *aead;
	struct store_sha256_ctx *psha;
};

static int dx_out(void *ud, const void *buf, size_t len) {
	struct dx *x = ud;
	store_sha256_update(x->psha, buf, len);
	int r = ev_write_all(x->out.fd, buf, len);
	if (r < 0)
		x->out.err = r;
	return r;
}

static int dx_begin(void *ud, const char *path, uint64_t size) {
	struct dx *x = ud;
	(void)size;
	int r = ev_store_out_begin(&x->out, path);
	if (r != 0)
		return r;
	x->psha = store_sha256_new();
	r = x->psha ? store_aead_new(x->cipher, x->dk, false, path, dx_out, x, &x->aead) : -ENOMEM;
	if (r < 0) {
		x->out.err = r;
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
	char phex[STORE_HEX_LEN + 1];
	const char *pwant = json_string_value(json_object_get(
	        ev_store_manifest_member(x->out.info.manifest, path), "plaintext_sha256"));
	int fin = store_aead_final(x->aead);
	x->aead = store_aead_free(x->aead);
	uint8_t ph[STORE_HASH_LEN];
	store_sha256_final(x->psha, ph);
	x->psha = NULL;
	store_hex(ph, STORE_HASH_LEN, phex);
	const char *why = !ev_store_out_unchanged(&x->out, path, sha)
	                          ? "changed between verification and decryption"
	                  : fin == -EBADMSG ? "ciphertext does not authenticate"
	                  : fin < 0         ? "cannot be decrypted"
	                  : !pwant || strcmp(pwant, phex)
	                          ? "plaintext does not match the manifest's plaintext_sha256"
	                          : NULL;
	return ev_store_out_end(&x->out, path, why);
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
	struct ev_errlist errs = {0};
	struct dx x = {0};
	ret = ev_store_out_open(&x.out, &ev_cmd_decrypt, &so, argc, argv, to, "nothing decrypted");
	json_t *enc = json_object_get(x.out.info.manifest, "encryption");
	if (ret >= 0)
		goto out;
	ret = EV_EXIT_USAGE;
	if (!enc) {
		ev_log_error("%s is not encrypted; use evident extract", x.out.bundle);
		goto out;
	}
	if (store_enc_unwrap(enc, key, x.dk, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		ev_log_error("nothing decrypted");
		goto out;
	}
	x.cipher = json_string_value(json_object_get(enc, "cipher"));
	struct store_member_sink sink = {dx_begin, dx_data, dx_end, &x};
	int r = ev_store_out_write(&x.out, so.json, &sink, "decryption");
	x.aead = store_aead_free(x.aead); /* stopped inside a member */
	store_sha256_free(x.psha);
	if (r >= 0)
		ret = ev_store_out_finish(&x.out, &so, "decrypted",
		                          json_pack("{s:s, s:I, s:I}", "to", to, "members",
		                                    (json_int_t)x.out.written, "refused",
		                                    (json_int_t)x.out.rep.n));
out:
	explicit_bzero(x.dk, sizeof(x.dk));
	ev_errlist_clear(&errs);
	ev_store_out_done(&x.out);
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
