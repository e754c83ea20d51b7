/* evident keygen [--out DIR] [--name NAME]: a new Ed25519 signing key pair, or with
 * --x25519 an encryption recipient key pair (store.encrypt.recipients, evident decrypt). */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "util/mkdir.h"

struct keygen_args {
	const char *out, *name, *rotate, *store, *actor;
	bool json, x25519;
};

/* The command line. Returns -1 to go on, or the exit code. */
static int keygen_options(int argc, char **argv, struct keygen_args *a) {
	enum { OPT_OUT = 0x2000, OPT_NAME, OPT_ROTATE, OPT_STORE, OPT_ACTOR, OPT_X25519 };
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"out", required_argument, NULL, OPT_OUT},
	                                     {"name", required_argument, NULL, OPT_NAME},
	                                     {"rotate-from", required_argument, NULL, OPT_ROTATE},
	                                     {"store", required_argument, NULL, OPT_STORE},
	                                     {"actor", required_argument, NULL, OPT_ACTOR},
	                                     {"x25519", no_argument, NULL, OPT_X25519},
	                                     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_keygen);
		case EV_OPT_JSON:
			a->json = true;
			break;
		case OPT_OUT:
			a->out = optarg;
			break;
		case OPT_NAME:
			a->name = optarg;
			break;
		case OPT_ROTATE:
			a->rotate = optarg;
			break;
		case OPT_STORE:
			a->store = optarg;
			break;
		case OPT_ACTOR:
			a->actor = optarg;
			break;
		case OPT_X25519:
			a->x25519 = true;
			break;
		default:
			return ev_option_error(&ev_cmd_keygen, argv);
		}
	}
	if (optind < argc)
		return ev_usage_error(&ev_cmd_keygen, "unexpected argument '%s'", argv[optind]);
	if (!*a->name || strchr(a->name, '/'))
		return ev_usage_error(&ev_cmd_keygen, "--name must be a plain file name");
	if (!a->rotate != !a->store)
		return ev_usage_error(&ev_cmd_keygen, "--rotate-from and --store go together");
	return -1;
}

/* --x25519: an encryption recipient key pair. */
/* The --json answer: the key id and the two files, serialised by jansson (a directory or
 * name holding '"' or '\\' stays valid JSON). */
static int print_key_json(const char *id, const char *out, const char *name, const char *ext) {
	char priv[PATH_MAX], pub[PATH_MAX];
	snprintf(priv, sizeof(priv), "%s/%s%s.key", out, name, ext);
	snprintf(pub, sizeof(pub), "%s/%s%s.pub", out, name, ext);
	json_t *j = json_pack("{s:s, s:s, s:s}", "key_id", id, "private", priv, "public", pub);
	int r = j && json_dumpf(j, stdout, JSON_COMPACT) == 0 ? 0 : -1;
	json_decref(j);
	if (r == 0)
		putchar('\n');
	return r;
}

static int keygen_x25519(const struct keygen_args *a) {
	struct ev_errlist errs = {0};
	if (a->rotate)
		return ev_usage_error(&ev_cmd_keygen, "--x25519 has no rotation");
	char id[65];
	if (store_x25519_keygen(a->out, a->name, id, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	if (a->json) {
		if (print_key_json(id, a->out, a->name, ".x25519") < 0)
			return EV_EXIT_USAGE;
	} else {
		printf("%s\n", id);
		fprintf(stderr,
		        "evident: wrote %s/%s.x25519.key (private, 0600) and "
		        "%s/%s.x25519.pub\n",
		        a->out, a->name, a->out, a->name);
	}
	return EV_EXIT_OK;
}

/* An Ed25519 signing key pair; with --rotate-from, the rotation recorded in the store. */
static int keygen_ed25519(const struct keygen_args *a) {
	struct ev_errlist errs = {0};
	struct store_key *old = NULL;
	if (a->rotate && store_key_load_private(a->rotate, &old, &errs) < 0) {
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
	int r = store_key_write(k, a->out, a->name, &errs);
	if (r == 0 && old) {
		json_t *actor = ev_store_actor(a->actor);
		r = store_key_rotate(a->store, old, k, actor, &errs);
		json_decref(actor);
		if (r == 0)
			fprintf(stderr, "evident: key_rotated recorded in %s, signed by %s\n",
			        a->store, store_key_id(old));
	}
	store_key_free(old);
	if (r < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		store_key_free(k);
		return EV_EXIT_USAGE;
	}
	if (a->json) {
		if (print_key_json(store_key_id(k), a->out, a->name, "") < 0) {
			store_key_free(k);
			return EV_EXIT_USAGE;
		}
	} else {
		printf("%s\n", store_key_id(k));
		fprintf(stderr, "evident: wrote %s/%s.key (private, 0600) and %s/%s.pub\n", a->out,
		        a->name, a->out, a->name);
	}
	store_key_free(k);
	return EV_EXIT_OK;
}

static int keygen_run(int argc, char **argv) {
	struct keygen_args a = {.out = ".", .name = "evident"};
	int rc = keygen_options(argc, argv, &a);
	if (rc >= 0)
		return rc;
	int r = ev_mkdir_p(a.out, 0700, 0755);
	if (r < 0) {
		ev_log_error("cannot create %s: %s", a.out, strerror(-r));
		return EV_EXIT_USAGE;
	}
	return a.x25519 ? keygen_x25519(&a) : keygen_ed25519(&a);
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
