/* evident custody STORE|LEDGER: list the custody ledger and verify every entry. */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "agent/cmd_store_common.h"
#include "agent/commands.h"

static int custody_run(int argc, char **argv) {
	enum { OPT_PUB = 0x2000 };
	static const struct option opts[] = {
	        EV_COMMON_LONGOPTS, {"pub", required_argument, NULL, OPT_PUB}, {NULL, 0, NULL, 0}};
	char *pubs[64];
	size_t n_pubs = 0;
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_custody);
		case EV_OPT_JSON:
			json = true;
			break;
		case OPT_PUB:
			if (n_pubs >= ELEMENTSOF(pubs))
				return ev_usage_error(&ev_cmd_custody, "too many --pub");
			pubs[n_pubs++] = optarg;
			break;
		default:
			return ev_option_error(&ev_cmd_custody, argv);
		}
	}
	if (argc - optind != 1)
		return ev_usage_error(&ev_cmd_custody, "expected one STORE (or ledger file)");
	const char *t = argv[optind];
	bool is_store = store_is_dir(t);
	char lp[4096];
	if (is_store)
		store_path_join(lp, sizeof(lp), t, "custody.jsonl");
	else
		snprintf(lp, sizeof(lp), "%s", t);
	struct store_keyring kr = {0};
	int ret = ev_store_keyring(pubs, n_pubs, is_store ? t : NULL, &kr);
	if (ret)
		return ret;
	char *buf = NULL;
	size_t len = 0;
	int r = store_read_file(lp, STORE_LEDGER_CAP, &buf, &len);
	if (r < 0) {
		ev_log_error("cannot read %s: %s", lp, strerror(-r));
		store_keyring_clear(&kr);
		return EV_EXIT_USAGE;
	}
	struct store_report rep = {0};
	json_t *entries = NULL;
	store_ledger_verify_mem(buf, len, lp, &kr, &rep, &entries);
	if (!kr.n)
		store_report_add(&rep, STORE_UNKNOWN_KEY, lp, "no key to verify with (use --pub)");
	if (!json)
		for (size_t i = 0; i < json_array_size(entries); i++) {
			json_t *e = json_array_get(entries, i), *a = json_object_get(e, "actor");
			const char *who = json_string_value(json_object_get(a, "name"));
			if (!who)
				who = json_string_value(json_object_get(a, "user"));
			printf("%5lld %s %-11s %s by %s (uid %lld)%s\n",
			       (long long)json_integer_value(json_object_get(e, "seq")),
			       json_string_value(json_object_get(e, "time")) ?: "?",
			       json_string_value(json_object_get(e, "action")) ?: "?",
			       json_string_value(json_object_get(e, "bundle")) ?: "-",
			       who ? who : "?",
			       (long long)json_integer_value(json_object_get(a, "uid")),
			       json_is_true(json_object_get(e, "_valid")) ? "" : "  [NOT VALID]");
		}
	json_t *extra = json_pack("{s:O}", "entries", entries);
	ret = ev_store_print_report(&rep, json, extra);
	json_decref(extra);
	json_decref(entries);
	free(buf);
	store_report_clear(&rep);
	store_keyring_clear(&kr);
	return ret;
}

const struct ev_command ev_cmd_custody = {
        .name = "custody",
        .summary = "list and verify a store's custody ledger",
        .run = custody_run,
        .usage = "Usage: evident custody [--pub KEY]... [--json] STORE|LEDGER\n"
                 "\n"
                 "List every custody entry (sequence, time, action, bundle, actor) and verify\n"
                 "the ledger: canonical lines, sequence numbers, previous-entry hashes and\n"
                 "signatures. Exit 1 when any entry does not hold (CUSTODY_BROKEN).\n"
                 "\n"
                 "  --pub KEY   trust only this public key (default: the store's keys)\n"
                 "  --json      machine-readable output\n"
                 "  -h, --help  show this help\n",
};
