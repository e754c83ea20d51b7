/* evident prune STORE --before DATE --reason TEXT: remove old bundles, recorded. */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "agent/cmd/timeparse.h"
#include "agent/fleet/upload.h"
#include "agent/settings.h"
#include "util/timefmt.h"

/* With store.upload configured for this very store, the bundles whose upload is
 * confirmed (the only ones prune may remove); NULL otherwise. */
static json_t *upload_guard(const struct ev_config *cfg, const char *store) {
	if (!cfg->store.upload.endpoint || !*cfg->store.upload.endpoint)
		return NULL;
	char a[PATH_MAX], b[PATH_MAX];
	if (!realpath(store, a) || !realpath(cfg->store.path, b) || strcmp(a, b))
		return NULL;
	return ev_upload_confirmed(store) ?: json_object();
}

struct prune_args {
	char *pubs[64];
	size_t n_pubs;
	const char *before, *reason, *keyp, *actor, *config, *store;
	bool json;
};

/* The command line. Returns -1 to go on, or the exit code. */
static int prune_options(int argc, char **argv, struct prune_args *a) {
	enum { OPT_PUB = 0x2000, OPT_BEFORE, OPT_REASON, OPT_KEY, OPT_ACTOR };
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"pub", required_argument, NULL, OPT_PUB},
	                                     {"before", required_argument, NULL, OPT_BEFORE},
	                                     {"reason", required_argument, NULL, OPT_REASON},
	                                     {"key", required_argument, NULL, OPT_KEY},
	                                     {"actor", required_argument, NULL, OPT_ACTOR},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "hc:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_prune);
		case 'c':
			a->config = optarg;
			break;
		case EV_OPT_JSON:
			a->json = true;
			break;
		case OPT_PUB:
			if (a->n_pubs >= ELEMENTSOF(a->pubs))
				return ev_usage_error(&ev_cmd_prune, "too many --pub");
			a->pubs[a->n_pubs++] = optarg;
			break;
		case OPT_BEFORE:
			a->before = optarg;
			break;
		case OPT_REASON:
			a->reason = optarg;
			break;
		case OPT_KEY:
			a->keyp = optarg;
			break;
		case OPT_ACTOR:
			a->actor = optarg;
			break;
		default:
			return ev_option_error(&ev_cmd_prune, argv);
		}
	}
	if (argc - optind != 1 || !a->before || !a->reason || !*a->reason)
		return ev_usage_error(&ev_cmd_prune, "expected STORE --before DATE --reason TEXT");
	a->store = argv[optind];
	return -1;
}

/* From the configuration (when it loads; an explicit -c must): the store key unless --key
 * names one, and with uploads configured for this store what may go. Returns -1 to go
 * on, or the exit code. */
static int prune_config(const struct prune_args *a, char **ret_kp, json_t **ret_uploaded) {
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	if (ev_config_load(a->config, &cfg, &errs) == 0) {
		if (!a->keyp)
			*ret_kp = strdup(cfg->store.key);
		*ret_uploaded = upload_guard(cfg, a->store);
	} else if (a->config) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	ev_config_free(cfg);
	ev_errlist_clear(&errs);
	return -1;
}

/* Remove the bundles created before `bs`, signed and recorded with the key. */
static int prune_store(struct prune_args *a, const char *keypath, const char *bs,
                       json_t *uploaded) {
	struct ev_errlist errs = {0};
	struct store_key *key = NULL;
	struct store_keyring kr = {0};
	int ret = EV_EXIT_USAGE;
	if (store_key_load_private(keypath, &key, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		goto out;
	}
	if ((ret = ev_store_keyring(a->pubs, a->n_pubs, a->store, &kr)))
		goto out;
	json_t *act = ev_store_actor(a->actor);
	int r = store_prune_only(a->store, key, &kr, bs, a->reason, act, uploaded, &errs);
	json_decref(act);
	ev_errlist_print(&errs, stderr);
	if (r < 0) {
		ev_log_error("prune failed: %s", strerror(-r));
		ret = EV_EXIT_USAGE;
		goto out;
	}
	if (a->json)
		printf("{\"pruned\":%d,\"before\":\"%s\",\"upload_required\":%s}\n", r, bs,
		       uploaded ? "true" : "false");
	else
		printf("pruned %d bundle%s created before %s (recorded)%s\n", r, r == 1 ? "" : "s",
		       bs, uploaded ? "; bundles whose upload is not confirmed are kept" : "");
	ret = EV_EXIT_OK;
out:
	ev_errlist_clear(&errs);
	store_key_free(key);
	store_keyring_clear(&kr);
	return ret;
}

static int prune_run(int argc, char **argv) {
	struct prune_args a = {0};
	int ret = prune_options(argc, argv, &a);
	if (ret >= 0)
		return ret;
	int64_t now = (int64_t)time(NULL) * 1000000, b = 0;
	if (ev_parse_time(a.before, now, &b) < 0)
		return ev_usage_error(&ev_cmd_prune, "--before: want " EV_TIME_FORMS);
	char bs[32];
	ev_format_rfc3339(b, bs, sizeof(bs));
	char *kp = NULL;
	json_t *uploaded = NULL; /* with uploads configured for this store: what may go */
	ret = prune_config(&a, &kp, &uploaded);
	if (ret < 0)
		ret = prune_store(&a, a.keyp ? a.keyp : kp, bs, uploaded);
	free(kp);
	json_decref(uploaded);
	return ret;
}

const struct ev_command ev_cmd_prune = {
        .name = "prune",
        .summary = "remove old bundles from a store (recorded in the custody ledger)",
        .run = prune_run,
        .usage = "Usage: evident prune --before DATE --reason TEXT [--key FILE] [-c FILE] [--json] "
                 "STORE\n"
                 "\n"
                 "Remove the verified bundles created before DATE, except the chain head's.\n"
                 "A signed 'pruned' custody entry listing each bundle's sequence and hashes is\n"
                 "written first, so the chain remains verifiable across the gap. When the\n"
                 "configuration uploads this store (store.upload), only bundles whose upload\n"
                 "is recorded ('uploaded' in the custody ledger) are removed.\n"
                 "\n"
                 "  --before DATE  2026-11-29 (local midnight), '2026-11-29 14:00' (local),\n"
                 "                 RFC 3339 with a zone, yesterday, -30d, '4w ago', @EPOCH\n"
                 "  --reason TEXT  why (recorded)\n"
                 "  --key FILE     signing key (default: store.key)\n"
                 "  --pub KEY      trust only this public key when selecting bundles\n"
                 "  --actor NAME   who is pruning (recorded)\n"
                 "  -c, --config FILE  the configuration (store.key, store.upload)\n"
                 "  --json         one JSON document: pruned, before\n"
                 "  -h, --help     show this help\n",
};
