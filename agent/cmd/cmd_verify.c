/* evident verify: check a bundle or a whole store (or an inclusion proof) and report
 * every finding with its stable code. Exit 0 all good, 1 any finding, 2 usage/I/O. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "agent/cmd/cmd_prove.h"
#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "agent/fleet/fleet_cmd.h"
#include "agent/incident/incident.h"

/* A bundle inside a store: its file must be the one the ledger says was sealed. */
static void check_sealed(const char *store, const char *bundle, struct store_keyring *kr,
                         const struct store_bundle_info *info, struct store_report *rep) {
	char lp[4096], *buf = NULL;
	size_t len = 0;
	if (store_path_join(lp, sizeof(lp), store, "custody.jsonl") < 0 ||
	    store_read_file(lp, STORE_LEDGER_CAP, &buf, &len) < 0)
		return;
	struct store_report lrep = {0};
	struct store_keyring work = {0};
	json_t *entries = NULL;
	store_keyring_copy(&work, kr);
	store_ledger_verify_mem(buf, len, "custody.jsonl", &work, &lrep, &entries);
	const char *name = strrchr(bundle, '/') ? strrchr(bundle, '/') + 1 : bundle;
	char hex[STORE_HEX_LEN + 1];
	store_hex(info->file_sha256, STORE_HASH_LEN, hex);
	bool found = false, same = false;
	for (size_t i = 0; i < json_array_size(entries); i++) {
		json_t *e = json_array_get(entries, i);
		if (!json_is_true(json_object_get(e, "_valid")) ||
		    strcmp(json_string_value(json_object_get(e, "action")) ?: "", "sealed") ||
		    strcmp(json_string_value(json_object_get(e, "bundle")) ?: "", name))
			continue;
		found = true;
		same = !strcmp(json_string_value(json_object_get(json_object_get(e, "details"),
		                                                 "bundle_sha256"))
		                       ?: "",
		               hex);
	}
	if (found && !same)
		store_report_add(rep, STORE_BUNDLE_MODIFIED, name,
		                 "bundle file differs from the one sealed (SHA-256 %s)", hex);
	else if (!found)
		store_report_warn(
		        rep, "no valid 'sealed' entry for %s in the store's custody ledger", name);
	json_decref(entries);
	store_report_clear(&lrep);
	store_keyring_clear(&work);
	free(buf);
}

/* Verify a store (or a bundle, against its store's ledger when it sits in one). 0, or
 * -errno after saying why. */
static int verify_target(const char *target, bool is_store, const char *store, const char *pin,
                         struct store_keyring *kr, struct store_report *rep, size_t *n) {
	int r;
	if (is_store) {
		struct store_verify_opts o = {.kr = kr, .pin_head = pin};
		r = store_verify_dir(target, &o, rep, n);
		if (r == -EMEDIUMTYPE)
			ev_log_error(
			        "%s is not an evidence store: it has no bundles/, HEAD or "
			        "custody.jsonl (expected a STORE directory written by 'evident "
			        "seal', or a bundle file SSSSSSSSSS-ID.tar.gz)",
			        target);
		else if (r < 0)
			ev_log_error("cannot read store %s: %s", target, store_strerror(r));
		return r;
	}
	struct store_bundle_info info = {0};
	r = ev_store_verify_bundle(target, kr, rep, &info);
	if (r == 0 && store)
		check_sealed(store, target, kr, &info, rep);
	store_bundle_info_clear(&info);
	return r;
}

/* The last line: verified, or how many findings of which codes. */
static void print_summary(const char *target, const struct store_report *rep, size_t n, bool ok) {
	if (ok) {
		fprintf(stderr, "evident: %s: verified (%zu bundle%s)\n", target, n,
		        n == 1 ? "" : "s");
		return;
	}
	char per[512];
	ev_store_summary(rep, per, sizeof(per));
	fprintf(stderr, "evident: %s: %zu finding%s (%s) in %zu bundle%s\n", target,
	        rep->n + rep->dropped, rep->n + rep->dropped == 1 ? "" : "s", per, n,
	        n == 1 ? "" : "s");
}

/* Incident ledgers (agent/incident/incident.h): one, an incident's, or a directory of
 * them. Broken lines are INCIDENT_BROKEN. */
static int verify_incidents(const char *target, struct ev_store_read_opts *so) {
	struct store_keyring kr = {0};
	struct store_report rep = {0};
	size_t n = 0;
	int ret = ev_store_keyring(so->pubs, so->n_pubs, NULL, &kr);
	if (ret == 0) {
		int r = ev_incident_verify(target, &kr, &rep, &n);
		if (r < 0) {
			ev_log_error("cannot read incident ledgers %s: %s", target, strerror(-r));
			ret = EV_EXIT_USAGE;
		} else {
			json_t *extra = json_pack("{s:s, s:I}", "target", target, "incidents",
			                          (json_int_t)n);
			ret = ev_store_print_report(&rep, so->json, extra);
			json_decref(extra);
			if (!so->json && ret == EV_EXIT_OK)
				fprintf(stderr, "evident: %s: verified (%zu incident ledger%s)\n",
				        target, n, n == 1 ? "" : "s");
			else if (!so->json) {
				char per[512];
				ev_store_summary(&rep, per, sizeof(per));
				fprintf(stderr,
				        "evident: %s: %zu finding%s (%s) in %zu incident "
				        "ledger%s\n",
				        target, rep.n + rep.dropped,
				        rep.n + rep.dropped == 1 ? "" : "s", per, n,
				        n == 1 ? "" : "s");
			}
		}
	}
	store_report_clear(&rep);
	store_keyring_clear(&kr);
	return ret;
}

struct verify_opts {
	struct ev_store_read_opts so;
	const char *pin, *proof, *config;
};

/* The options; -1 to go on, else the exit status (--help, a usage error). */
static int verify_parse(int argc, char **argv, struct verify_opts *o) {
	enum { OPT_PIN = EV_SOPT_OWN, OPT_PROOF };
	static const struct option opts[] = {EV_STORE_READ_LONGOPTS,
	                                     {"pin-head", required_argument, NULL, OPT_PIN},
	                                     {"proof", required_argument, NULL, OPT_PROOF},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "hc:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case OPT_PIN:
			o->pin = optarg;
			break;
		case OPT_PROOF:
			o->proof = optarg;
			break;
		default: {
			int r = ev_store_read_opt(&ev_cmd_verify, c, argv, &o->so);
			if (r >= 0)
				return r;
		}
		}
	}
	return ev_store_read_check(&ev_cmd_verify, &o->so);
}

/* A bundle or a store on this host: the keys (pinned, or those the store trusts), the
 * verification, the report, and the custody record of it. */
static int verify_local(const char *target, struct ev_store_read_opts *so, const char *pin) {
	bool is_store = store_is_dir(target);
	if (pin && !is_store)
		return ev_usage_error(&ev_cmd_verify, "--pin-head needs a STORE");
	char *store = is_store ? strdup(target) : ev_store_of_bundle(target);
	struct store_keyring kr = {0};
	struct store_report rep = {0};
	int ret = so->n_pubs || !store ? ev_store_keyring(so->pubs, so->n_pubs, store, &kr)
	                               : store_trusted_keys(store, &kr, &rep) < 0; /* says why */
	size_t n = 1;
	if (ret)
		ret = EV_EXIT_USAGE;
	else if (verify_target(target, is_store, store, pin, &kr, &rep, &n) < 0)
		ret = EV_EXIT_USAGE;
	else {
		if (!kr.n && !rep.n)
			store_report_add(&rep, STORE_UNKNOWN_KEY, target,
			                 "no key to verify with (use --pub)");
		json_t *extra = json_pack("{s:s, s:I}", "target", target, "bundles", (json_int_t)n);
		ret = ev_store_print_report(&rep, so->json, extra);
		json_decref(extra);
		if (!so->json)
			print_summary(target, &rep, n, ret == EV_EXIT_OK);
		if (store || so->log) {
			json_t *d = json_pack("{s:s, s:b, s:I}", "target", target, "ok",
			                      ret == EV_EXIT_OK, "findings",
			                      (json_int_t)(rep.n + rep.dropped));
			ev_store_read_record(so, store, "verified", is_store ? NULL : target, d);
		}
	}
	store_report_clear(&rep);
	store_keyring_clear(&kr);
	free(store);
	return ret;
}

static int verify_run(int argc, char **argv) {
	struct verify_opts o = {0};
	int ret = verify_parse(argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (o.proof) {
		if (optind != argc)
			return ev_usage_error(&ev_cmd_verify,
			                      "--proof FILE takes no other argument");
		return ev_proof_verify_file(o.proof, o.so.pubs, o.so.n_pubs, o.so.json);
	}
	if (argc - optind != 1)
		return ev_usage_error(&ev_cmd_verify, "expected one BUNDLE or STORE");
	const char *target = argv[optind];
	if (ev_fleet_is_url(target))
		return ev_fleet_verify(target, o.config, &o.so, o.pin);
	if (ev_incident_is_target(target))
		return verify_incidents(target, &o.so);
	return verify_local(target, &o.so, o.pin);
}

const struct ev_command ev_cmd_verify = {
        .name = "verify",
        .summary = "verify a bundle, a store (chain, head, custody) or an inclusion proof",
        .run = verify_run,
        .usage = "Usage: evident verify [--pub KEY]... [--pin-head FILE] [--json] BUNDLE|STORE\n"
                 "       evident verify [--pub KEY]... [--json] INCIDENT-LEDGER|INCIDENT-DIR\n"
                 "       evident verify --proof FILE [--pub KEY]... [--json]\n"
                 "       evident verify [-c FILE] [--pub KEY]... [--json] s3://BUCKET/PREFIX\n"
                 "\n"
                 "Check every member against the manifest and SHA256SUMS, the signature and the\n"
                 "key, and for a store the chain (gaps, reordering, forks, duplicates, resets,\n"
                 "rollback against a pinned head) and the custody ledger. Each finding has a\n"
                 "stable code: MEMBER_MODIFIED MEMBER_MISSING MEMBER_EXTRA SIGNATURE_INVALID\n"
                 "UNKNOWN_KEY CHAIN_GAP CHAIN_REORDER CHAIN_FORK CHAIN_ROLLBACK CHAIN_RESET\n"
                 "CUSTODY_BROKEN FORMAT_INVALID BUNDLE_MODIFIED CHAIN_UNTRUSTED\n"
                 "STRAY_TEMPORARY INCIDENT_BROKEN OBJECT_REPLACED RETENTION_MISSING.\n"
                 "s3://BUCKET/PREFIX: the chain a host uploaded (evident upload): a second\n"
                 "version or a delete marker of a bundle is OBJECT_REPLACED (the original\n"
                 "is verified), a version without a running object lock RETENTION_MISSING;\n"
                 "then the bundles, chain, head and ledger are verified as a store. Incident "
                 "ledgers (STATE/incidents, one\n"
                 "incident's directory, or its ledger.jsonl) are checked like the custody\n"
                 "ledger: an edited, deleted or reordered line is INCIDENT_BROKEN; without\n"
                 "--pub the key their first entry announces is trusted (unpinned). Findings with "
                 "the same code and message are grouped on\n"
                 "one line (CODE xN: FIRST ... LAST: message); --json lists every one.\n"
                 "Exit status: 0 all good, 1 any finding, 2 usage or I/O error.\n"
                 "\n"
                 "  --pub KEY         trust only this public key (repeatable); without it the\n"
                 "                    key the store began with (its ledger's first entry)\n"
                 "                    and the keys it announced by key_rotated entries are\n"
                 "                    trusted, reported as unpinned, each with the reason\n"
                 "  --pin-head FILE   a copy of STORE/HEAD kept earlier: detect rollback\n"
                 "  -c, --config FILE the configuration whose store.upload names the S3\n"
                 "                    endpoint and credentials (s3:// targets)\n"
                 "  --proof FILE      verify an inclusion proof made by `evident "
                 "prove`\n" EV_STORE_READ_HELP "  --actor NAME     who is verifying (recorded)\n"
                 "  --json            machine-readable output\n"
                 "  -h, --help        show this help\n",
};
