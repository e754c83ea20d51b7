/* evident show BUNDLE: print a bundle's manifest, only after it verified (authenticated
 * content only), and record it in the custody ledger. */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"

static const char *js(const json_t *o, const char *k) {
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "-";
}

/* The manifest for a person: the bundle, its chain, host, trigger and window, then every
 * member with its hash, and the errors, notes and warnings. */
static void print_manifest(const json_t *m, const struct store_bundle_info *info,
                           const struct store_report *rep) {
	json_t *h = json_object_get(m, "host"), *t = json_object_get(m, "trigger"),
	       *w = json_object_get(m, "window");
	printf("bundle      %s\nchain       %s #%lld\ncreated     %s\nhost        %s "
	       "(machine %s, boot %s)\n"
	       "tool        %s\nkey         %s%s\ntrigger     %s, incident %s\nwindow      "
	       "%s .. %s\n",
	       js(m, "bundle_id"), js(m, "chain_id"),
	       (long long)json_integer_value(json_object_get(m, "chain_sequence")),
	       js(m, "created"), js(h, "hostname"), js(h, "machine_id"), js(h, "boot_id"),
	       js(m, "tool_version"), js(m, "key_id"), info->key_pinned ? "" : " (unpinned)",
	       js(t, "kind"), js(t, "incident"), js(w, "since"), js(w, "until"));
	if (json_is_string(json_object_get(m, "note")))
		printf("note        %s\n", js(m, "note"));
	json_t *mem = json_object_get(m, "members");
	printf("members     %zu (merkle root %s)\n", json_array_size(mem), js(m, "merkle_root"));
	for (size_t i = 0; i < json_array_size(mem); i++) {
		json_t *e = json_array_get(mem, i), *s = json_object_get(e, "source");
		printf("  %s  %10lld  %s  [%s %s]%s%s\n", js(e, "sha256"),
		       (long long)json_integer_value(json_object_get(e, "size")), js(e, "path"),
		       js(s, "kind"), js(s, "asked"),
		       json_object_get(e, "error") ? "  error: " : "",
		       json_object_get(e, "error") ? js(e, "error") : "");
	}
	json_t *errs = json_object_get(m, "errors");
	for (size_t i = 0; i < json_array_size(errs); i++) {
		json_t *e = json_array_get(errs, i), *s = json_object_get(e, "source");
		printf("  error: [%s %s] %s\n", js(s, "kind"), js(s, "asked"), js(e, "error"));
	}
	json_t *notes = json_object_get(m, "notes"); /* sources with nothing in the window */
	for (size_t i = 0; i < json_array_size(notes); i++) {
		json_t *e = json_array_get(notes, i), *s = json_object_get(e, "source");
		printf("  note: [%s %s] %s\n", js(s, "kind"), js(s, "asked"), js(e, "note"));
	}
	for (size_t i = 0; i < rep->n_warnings; i++)
		printf("warning: %s\n", rep->warnings[i]);
}

static int show_run(int argc, char **argv) {
	static const struct option opts[] = {EV_STORE_READ_LONGOPTS, {NULL, 0, NULL, 0}};
	struct ev_store_read_opts so = {0};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		default: {
			int r = ev_store_read_opt(&ev_cmd_show, c, argv, &so);
			if (r >= 0)
				return r;
		}
		}
	}
	int ret = ev_store_read_check(&ev_cmd_show, &so);
	if (ret >= 0)
		return ret;
	if (argc - optind != 1)
		return ev_usage_error(&ev_cmd_show, "expected one BUNDLE");
	const char *bundle = argv[optind];
	char *store = ev_store_of_bundle(bundle);
	struct store_keyring kr = {0};
	struct store_report rep = {0};
	struct store_bundle_info info = {0};
	ret = ev_store_read_bundle(&so, store, bundle, NULL, "nothing shown", &kr, &rep, &info);
	if (ret >= 0)
		goto out;
	json_t *m = info.manifest;
	if (so.json) {
		char *t = json_dumps(m, JSON_SORT_KEYS | JSON_INDENT(2));
		printf("%s\n", t ? t : "{}");
		free(t);
	} else
		print_manifest(m, &info, &rep);
	ret = EV_EXIT_OK;
	ev_store_read_record(&so, store, "shown", bundle, json_object());
out:
	store_bundle_info_clear(&info);
	store_report_clear(&rep);
	store_keyring_clear(&kr);
	free(store);
	return ret;
}

const struct ev_command ev_cmd_show = {
        .name = "show",
        .summary = "show a bundle's authenticated manifest",
        .run = show_run,
        .usage = "Usage: evident show [--pub KEY]... [--json] [--no-record] BUNDLE\n"
                 "\n"
                 "Verify BUNDLE first; when it holds, print its manifest (host, trigger, window,\n"
                 "members with sizes, hashes and sources, collection errors). Nothing is shown\n"
                 "from a bundle that does not verify. The display is recorded in the custody\n"
                 "ledger.\n"
                 "\n"
                 "  --pub KEY        trust only this public key (default: the store's "
                 "keys)\n" EV_STORE_READ_HELP "  --actor NAME     who is looking (recorded)\n"
                 "  --json           the manifest as one JSON document\n"
                 "  -h, --help       show this help\n",
};
