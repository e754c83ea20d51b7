/* evident upload: ship the store to S3 without the agent (agent/fleet/upload.h), or show
 * the upload queue. Exit 0 nothing left pending, 1 something is still pending (a failed
 * upload, retried later with backoff), 2 usage, configuration or I/O error. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "agent/cmd/commands.h"
#include "agent/fleet/fleet_cmd.h"
#include "agent/fleet/upload.h"
#include "agent/settings.h"
#include "util/timefmt.h"

static void print_json(json_t *o) {
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	printf("%s\n", s ? s : "{}");
	free(s);
}

static void print_queue(json_t *q) {
	json_t *p = json_object_get(q, "pending");
	printf("upload queue: %zu pending, %" JSON_INTEGER_FORMAT " bundles uploaded\n",
	       json_array_size(p), json_integer_value(json_object_get(q, "uploaded_bundles")));
	size_t i;
	json_t *it;
	json_array_foreach(p, i, it) {
		char next[EV_RFC3339_MAX] = "now";
		json_int_t t = json_integer_value(json_object_get(it, "next_try"));
		if (t > 0)
			ev_format_rfc3339(t, next, sizeof(next));
		printf("  %s  attempts %" JSON_INTEGER_FORMAT "  next %s%s%s\n",
		       json_string_value(json_object_get(it, "file")),
		       json_integer_value(json_object_get(it, "attempts")), next,
		       json_object_get(it, "last_error") ? "  last error: " : "",
		       json_string_value(json_object_get(it, "last_error")) ?: "");
	}
}

static void print_report(json_t *rep) {
	static const char *const kinds[] = {"uploaded", "adopted"};
	for (size_t k = 0; k < 2; k++) {
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(rep, kinds[k]), i, it)
		        printf("%s %s version %s (%s until %s)\n", kinds[k],
		               json_string_value(json_object_get(it, "key")),
		               json_string_value(json_object_get(it, "version_id")),
		               json_string_value(json_object_get(it, "retention_mode")),
		               json_string_value(json_object_get(it, "retain_until")));
	}
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(rep, "failed"), i, it) ev_log_error(
	        "upload of %s failed: %s", json_string_value(json_object_get(it, "file")),
	        json_string_value(json_object_get(it, "error")));
	fprintf(stderr,
	        "evident: %zu uploaded, %zu already there, %" JSON_INTEGER_FORMAT " pending\n",
	        json_array_size(json_object_get(rep, "uploaded")),
	        json_array_size(json_object_get(rep, "adopted")),
	        json_integer_value(json_object_get(rep, "pending")));
}

static int upload_run(int argc, char **argv) {
	enum { O_STATUS = 0x2000 };
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"status", no_argument, NULL, O_STATUS},
	                                     {"once", no_argument, NULL, 'o'},
	                                     {NULL, 0, NULL, 0}};
	bool json = false, status = false;
	const char *config = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "hc:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return ev_print_help(&ev_cmd_upload);
		case EV_OPT_JSON:
			json = true;
			break;
		case 'c':
			config = optarg;
			break;
		case O_STATUS:
			status = true;
			break;
		case 'o':
			break; /* one pass is what the command does */
		default:
			return ev_option_error(&ev_cmd_upload, argv);
		}
	}
	if (optind != argc)
		return ev_usage_error(&ev_cmd_upload, "no arguments expected");
	struct ev_config *cfg = ev_fleet_load_config(config);
	if (!cfg)
		return EV_EXIT_USAGE;
	int ret = EV_EXIT_USAGE;
	if (status) {
		json_t *q = ev_upload_queue_json(cfg, NULL);
		if (json)
			print_json(q);
		else if (!json_is_true(json_object_get(q, "configured")))
			printf("upload: not configured (store.upload.endpoint)\n");
		else
			print_queue(q);
		ret = json_array_size(json_object_get(q, "pending")) ? EV_EXIT_FINDING : EV_EXIT_OK;
		json_decref(q);
		ev_config_free(cfg);
		return ret;
	}
	char err[1024] = "";
	struct ev_upload *u = NULL;
	int r = ev_upload_open(cfg, &u, err, sizeof(err));
	json_t *rep = NULL;
	if (r == 0)
		r = ev_upload_pass(u, true, &rep, err, sizeof(err));
	if (r < 0)
		ev_log_error("%s", err);
	else {
		if (json)
			print_json(rep);
		else
			print_report(rep);
		ret = r ? EV_EXIT_FINDING : EV_EXIT_OK;
	}
	json_decref(rep);
	ev_upload_free(u);
	ev_config_free(cfg);
	return ret;
}

const struct ev_command ev_cmd_upload = {
        .name = "upload",
        .summary = "ship the store's bundles and ledgers to S3 under Object Lock",
        .run = upload_run,
        .usage = "Usage: evident upload [-c FILE] [--once] [--json]\n"
                 "       evident upload --status [-c FILE] [--json]\n"
                 "\n"
                 "One pass over the upload queue (store.upload): every bundle not yet\n"
                 "uploaded, oldest first, then the public keys, the chain head, the custody\n"
                 "ledger and the incident ledgers that changed, as new versions. Each object\n"
                 "goes up with x-amz-content-sha256, Content-MD5 and the object-lock mode and\n"
                 "retain-until date, is read back with HEAD (size, SHA-256, retention), and\n"
                 "each bundle's upload is recorded in the custody ledger ('uploaded'). A\n"
                 "bundle already in the bucket with the same bytes is recorded, not sent\n"
                 "again; one with other bytes is an error. Failed items stay queued (retried\n"
                 "by the agent with backoff). The agent does the same every\n"
                 "store.upload.interval.\n"
                 "Exit status: 0 nothing pending, 1 something still pending, 2 usage,\n"
                 "configuration or I/O error.\n"
                 "\n"
                 "  -c, --config FILE  the configuration (store, store.upload, agent.state_dir)\n"
                 "  --once             one pass, every pending item tried now (the default)\n"
                 "  --status           show the queue (attempts, next try, last error)\n"
                 "  --json             machine-readable output\n"
                 "  -h, --help         show this help\n",
};
