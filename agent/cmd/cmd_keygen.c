/* evident keygen [--out DIR] [--name NAME]: a new Ed25519 signing key pair, or with
 * --x25519 an encryption recipient key pair (store.encrypt.recipients, evident decrypt). */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "util/mkdir.h"

static int keygen_run(int argc, char **argv) {
	enum { OPT_OUT = 0x2000, OPT_NAME, OPT_ROTATE, OPT_STORE, OPT_ACTOR, OPT_X25519 };
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"out", required_argument, NULL, OPT_OUT},
	                                     {"name", required_argument, NULL, OPT_NAME},
	                                     {"rotate-from", required_argument, NULL, OPT_ROTATE},
	                                     {"store", required_argument, NULL, OPT_STORE},
	                                     {"actor", required_argument, NULL, OPT_ACTOR},
	                                     {"x25519", no_argument, NULL, OPT_X25519},
	                                     {NULL, 0, NULL, 0}};
	const char *out = ".", *name = "evident", *rotate = NULL, *store = NULL, *actor = NULL;
	bool json = false, x25519 = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_keygen);
		case EV_OPT_JSON:
			json = true;
			break;
		case OPT_OUT:
			out = optarg;
			break;
		case OPT_NAME:
			name = optarg;
			break;
		case OPT_ROTATE:
			rotate = optarg;
			break;
		case OPT_STORE:
			store = optarg;
			break;
		case OPT_ACTOR:
			actor = optarg;
			break;
		case OPT_X25519:
			x25519 = true;
			break;
		default:
			return ev_option_error(&ev_cmd_keygen, argv);
		}
	}
	if (optind < argc)
		return ev_usage_error(&ev_cmd_keygen, "unexpected argument '%s'", argv[optind]);
	if (!*name || strchr(name, '/'))
		return ev_usage_error(&ev_cmd_keygen, "--name must be a plain file name");
	if (!rotate != !store)
		return ev_usage_error(&ev_cmd_keygen, "--rotate-from and --store go together");
	int r = ev_mkdir_p(out, 0700, 0755);
	if (r < 0) {
		ev_log_error("cannot create %s: %s", out, strerror(-r));
		return EV_EXIT_USAGE;
	}
	struct ev_errlist errs = {0};
	if (x25519) {
		if (rotate)
			return ev_usage_error(&ev_cmd_keygen, "--x25519 has no rotation");
		char id[65];
		if (store_x25519_keygen(out, name, id, &errs) < 0) {
			ev_errlist_print(&errs, stderr);
			ev_errlist_clear(&errs);
			return EV_EXIT_USAGE;
		}
		if (json)
			printf("{\"key_id\":\"%s\",\"private\":\"%s/%s.x25519.key\",\"public\":"
			       "\"%s/%s.x25519.pub\"}\n",
			       id, out, name, out, name);
		else {
			printf("%s\n", id);
			fprintf(stderr,
			        "evident: wrote %s/%s.x25519.key (private, 0600) and "
			        "%s/%s.x25519.pub\n",
			        out, name, out, name);
		}
		return EV_EXIT_OK;
	}
	struct store_key *old = NULL;
	if (rotate && store_key_load_private(rotate, &old, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	struct store_key *k = store_key_generate();
	if (!k) {
		ev_log_error("cannot generate an Ed25519 key");
		store_key_free(old);
		return EV_EXIT_USAGE;
	}
	r = store_key_write(k, out, name, &errs);
	if (r == 0 && old) {
		json_t *a = ev_store_actor(actor);
		r = store_key_rotate(store, old, k, a, &errs);
		json_decref(a);
		if (r == 0)
			fprintf(stderr, "evident: key_rotated recorded in %s, signed by %s\n",
			        store, store_key_id(old));
	}
	store_key_free(old);
	if (r < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		store_key_free(k);
		return EV_EXIT_USAGE;
	}
	if (json)
		printf("{\"key_id\":\"%s\",\"private\":\"%s/%s.key\",\"public\":\"%s/%s.pub\"}\n",
		       store_key_id(k), out, name, out, name);
	else {
		printf("%s\n", store_key_id(k));
		fprintf(stderr, "evident: wrote %s/%s.key (private, 0600) and %s/%s.pub\n", out,
		        name, out, name);
	}
	store_key_free(k);
	return EV_EXIT_OK;
}

const struct ev_command ev_cmd_keygen = {
        .name = "keygen",
        .summary = "create an Ed25519 signing key pair for the evidence store",
        .run = keygen_run,
        .usage =
                "Usage: evident keygen [--out DIR] [--name NAME] [--x25519] [--json]\n"
                "       evident keygen --rotate-from OLD.key --store STORE [--out DIR] [--name "
                "NAME]\n"
                "\n"
                "Write DIR/NAME.key (Ed25519 private key, PEM PKCS#8, mode 0600) and DIR/NAME.pub\n"
                "(public key, PEM), refusing to overwrite either, and print the key id (SHA-256\n"
                "of the raw public key).\n"
                "\n"
                "  --out DIR   where to write (default: .); created with mode 0700 if missing\n"
                "  --name NAME file name stem (default: evident)\n"
                "  --rotate-from OLD.key --store STORE\n"
                "              key rotation: announce the new key in STORE's custody ledger\n"
                "              in a key_rotated entry signed by the old key\n"
                "  --actor NAME who rotates (recorded)\n"
                "  --x25519    an encryption recipient key pair instead: DIR/NAME.x25519.key\n"
                "              (X25519, PEM PKCS#8, 0600) and DIR/NAME.x25519.pub, for\n"
                "              store.encrypt.recipients and evident decrypt --key\n"
                "  --json      machine-readable output\n"
                "  -h, --help  show this help\n",
};
