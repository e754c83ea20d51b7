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

static int prune_run(int argc, char **argv) {
	enum { OPT_PUB = 0x2000, OPT_BEFORE, OPT_REASON, OPT_KEY, OPT_ACTOR };
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"pub", required_argument, NULL, OPT_PUB},
	                                     {"before", required_argument, NULL, OPT_BEFORE},
	                                     {"reason", required_argument, NULL, OPT_REASON},
	                                     {"key", required_argument, NULL, OPT_KEY},
	                                     {"actor", required_argument, NULL, OPT_ACTOR},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {NULL, 0, NULL, 0}};
	char *pubs[64];
	size_t n_pubs = 0;
	const char *before = NULL, *reason = NULL, *keyp = NULL, *actor = NULL, *config = NULL;
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "hc:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_prune);
		case 'c':
			config = optarg;
			break;
		case EV_OPT_JSON:
			json = true;
			break;
		case OPT_PUB:
			if (n_pubs >= ELEMENTSOF(pubs))
				return ev_usage_error(&ev_cmd_prune, "too many --pub");
			pubs[n_pubs++] = optarg;
			break;
		case OPT_BEFORE:
			before = optarg;
			break;
		case OPT_REASON:
			reason = optarg;
			break;
		case OPT_KEY:
			keyp = optarg;
			break;
		case OPT_ACTOR:
			actor = optarg;
			break;
		default:
			return ev_option_error(&ev_cmd_prune, argv);
		}
	}
	if (argc - optind != 1 || !before || !reason || !*reason)
		return ev_usage_error(&ev_cmd_prune, "expected STORE --before DATE --reason TEXT");
	const char *store = argv[optind];
	int64_t now = (int64_t)time(NULL) * 1000000, b = 0;
	if (ev_parse_time(before, now, &b) < 0)
		return ev_usage_error(&ev_cmd_prune, "--before: want " EV_TIME_FORMS);
	char bs[32];
	ev_format_rfc3339(b, bs, sizeof(bs));
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	char *kp = NULL;
	json_t *uploaded = NULL; /* with uploads configured for this store: what may go */
	if (ev_config_load(config, &cfg, &errs) == 0) {
		if (!keyp)
			kp = strdup(cfg->store.key);
		uploaded = upload_guard(cfg, store);
	} else if (config) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		return EV_EXIT_USAGE;
	}
	ev_config_free(cfg);
	ev_errlist_clear(&errs);
	struct store_key *key = NULL;
	struct store_keyring kr = {0};
	int ret = EV_EXIT_USAGE;
	if (store_key_load_private(keyp ? keyp : kp, &key, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		goto out;
	}
	if ((ret = ev_store_keyring(pubs, n_pubs, store, &kr)))
		goto out;
	json_t *act = ev_store_actor(actor);
	int r = store_prune_only(store, key, &kr, bs, reason, act, uploaded, &errs);
	json_decref(act);
	ev_errlist_print(&errs, stderr);
	if (r < 0) {
		ev_log_error("prune failed: %s", strerror(-r));
		ret = EV_EXIT_USAGE;
		goto out;
	}
	if (json)
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
