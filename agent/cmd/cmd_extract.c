/* evident extract BUNDLE [MEMBER...] --to DIR: write verified members under DIR.
 * Safety: the bundle must verify first; member paths are the store's safe form (no
 * absolute path, no "..", only regular files); every directory is created and opened
 * relative to DIR with O_NOFOLLOW, files are created O_EXCL|O_NOFOLLOW, and each file's
 * SHA-256 is checked again as it is written (a mismatch removes it). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "util/io.h"

static int ex_begin(void *ud, const char *path, uint64_t size) {
	(void)size;
	return ev_store_out_begin(ud, path);
}

static int ex_data(void *ud, const void *buf, size_t len) {
	struct ev_store_out *x = ud;
	int r = ev_write_all(x->fd, buf, len);
	if (r < 0)
		x->err = r;
	return r;
}

static int ex_end(void *ud, const char *path, const uint8_t sha[STORE_HASH_LEN]) {
	struct ev_store_out *x = ud;
	return ev_store_out_end(x, path,
	                        ev_store_out_unchanged(x, path, sha)
	                                ? NULL
	                                : "changed between verification and extraction");
}

static int extract_run(int argc, char **argv) {
	enum { OPT_TO = EV_SOPT_OWN };
	static const struct option opts[] = {EV_STORE_READ_LONGOPTS,
	                                     {"to", required_argument, NULL, OPT_TO},
	                                     {NULL, 0, NULL, 0}};
	struct ev_store_read_opts so = {0};
	const char *to = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_TO:
			to = optarg;
			break;
		default: {
			int r = ev_store_read_opt(&ev_cmd_extract, c, argv, &so);
			if (r >= 0)
				return r;
		}
		}
	}
	int ret = ev_store_read_check(&ev_cmd_extract, &so);
	if (ret >= 0)
		return ret;
	if (!to)
		return ev_usage_error(&ev_cmd_extract, "--to DIR is required");
	if (argc - optind < 1)
		return ev_usage_error(&ev_cmd_extract, "expected BUNDLE [MEMBER...]");
	struct ev_store_out x;
	ret = ev_store_out_open(&x, &ev_cmd_extract, &so, argc, argv, to, "nothing extracted");
	struct store_member_sink sink = {ex_begin, ex_data, ex_end, &x};
	if (ret < 0)
		ret = ev_store_out_write(&x, so.json, &sink, "extraction") < 0
		              ? EV_EXIT_USAGE
		              : ev_store_out_finish(&x, &so, "extracted",
		                                    json_pack("{s:s, s:I}", "to", to, "members",
		                                              (json_int_t)x.written));
	ev_store_out_done(&x);
	return ret;
}

const struct ev_command ev_cmd_extract = {
        .name = "extract",
        .summary = "extract verified members of a bundle into a directory",
        .run = extract_run,
        .usage = "Usage: evident extract [--pub KEY]... [--json] [--no-record] --to DIR\n"
                 "                       BUNDLE [MEMBER...]\n"
                 "\n"
                 "Verify BUNDLE, then write MEMBER (default: every evidence member) under DIR,\n"
                 "never outside it: absolute paths, '..', links and devices are refused, no\n"
                 "existing file is overwritten, and each file is hashed again as it is written.\n"
                 "\n"
                 "  --to DIR         destination directory (created if missing)\n"
                 "  --pub KEY        trust only this public key (default: the store's "
                 "keys)\n" EV_STORE_READ_HELP "  --actor NAME     who is extracting (recorded)\n"
                 "  --json           one JSON document: ok, findings, bundle, to, members\n"
                 "                   (the paths written)\n"
                 "  -h, --help       show this help\n",
};
