/* evident custody STORE|LEDGER: list the custody ledger and verify every entry. Each
 * line names the actor (the --actor name, the user, or the process for requests on the
 * agent's control socket) and what the entry is about (the request and its incident,
 * rule or note; a refusal's reason; a verification's result). */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "agent/term.h"

static const char *jstr(const json_t *o, const char *k) {
	return json_string_value(json_object_get(o, k));
}

/* Ledger text is untrusted: printed through ev_term_put_text (no control characters). */
static void put(const char *s) {
	ev_term_put_text(stdout, s);
}

/* "alice (uid 1000)", "evident pid 42 (uid 0, via control socket)". */
static void print_actor(const json_t *a) {
	const char *who = jstr(a, "name") ?: jstr(a, "user");
	const char *exe = jstr(a, "exe") ?: jstr(a, "executable");
	if (who)
		put(who);
	else if (exe) {
		put(strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe);
		printf(" pid %lld", (long long)json_integer_value(json_object_get(a, "pid")));
	} else
		put(NULL);
	printf(" (uid %lld", (long long)json_integer_value(json_object_get(a, "uid")));
	if (jstr(a, "via")) {
		printf(", via ");
		put(jstr(a, "via"));
	}
	putchar(')');
}

/* What the entry is about, after a colon; nothing for the plain actions. */
static void print_about(const char *action, const json_t *d) {
	static const char *const keys[] = {"incident", "rule", "impact", "urgency", "note"};
	if (!strcmp(action, "control_request")) {
		const json_t *args = json_object_get(d, "args");
		printf(": ");
		put(jstr(d, "request"));
		for (size_t i = 0; i < ELEMENTSOF(keys); i++)
			if (jstr(args, keys[i])) {
				printf(" %s=", keys[i]);
				put(jstr(args, keys[i]));
			}
		if (json_is_integer(json_object_get(d, "bytes")))
			printf(" (%lld bytes)",
			       (long long)json_integer_value(json_object_get(d, "bytes")));
	} else if (!strcmp(action, "control_refused")) {
		printf(": ");
		put(jstr(d, "code"));
		if (jstr(d, "reason")) {
			printf(", ");
			put(jstr(d, "reason"));
		}
	} else if (!strcmp(action, "verified"))
		printf(": %s%lld finding%s", json_is_true(json_object_get(d, "ok")) ? "ok, " : "",
		       (long long)json_integer_value(json_object_get(d, "findings")),
		       json_integer_value(json_object_get(d, "findings")) == 1 ? "" : "s");
	else if (!strcmp(action, "pruned") && jstr(d, "reason")) {
		printf(": ");
		put(jstr(d, "reason"));
	}
}

static void print_entry(const json_t *e) {
	const char *action = jstr(e, "action") ?: "?";
	printf("%5lld ", (long long)json_integer_value(json_object_get(e, "seq")));
	put(jstr(e, "time"));
	putchar(' ');
	put(action);
	printf("%*s ", strlen(action) < 15 ? (int)(15 - strlen(action)) : 0, "");
	put(jstr(e, "bundle") ?: "-");
	printf(" by ");
	print_actor(json_object_get(e, "actor"));
	print_about(action, json_object_get(e, "details"));
	if (!json_is_true(json_object_get(e, "_valid")))
		printf("  %s[NOT VALID]%s", ev_term_on(stdout, EV_COLOR_RED), ev_term_off(stdout));
	putchar('\n');
}

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
		for (size_t i = 0; i < json_array_size(entries); i++)
			print_entry(json_array_get(entries, i));
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
