/* evident extract BUNDLE [MEMBER...] --to DIR: write verified members under DIR.
 * Safety: the bundle must verify first; member paths are the store's safe form (no
 * absolute path, no "..", only regular files); every directory is created and opened
 * relative to DIR with O_NOFOLLOW, files are created O_EXCL|O_NOFOLLOW, and each file's
 * SHA-256 is checked again as it is written (a mismatch removes it). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "util/io.h"

struct ex {
	int dirfd;
	char **want;
	size_t n_want;
	json_t *manifest;
	int fd;
	int parent;
	char leaf[300];
	size_t written;
	int err;
	size_t bad;
	struct store_report *rep; /* a member that changed after verification is a finding */
	json_t *done;             /* --json: the paths written, else NULL (printed as written) */
};

static int ex_begin(void *ud, const char *path, uint64_t size) {
	struct ex *x = ud;
	(void)size;
	bool sel = x->n_want == 0;
	for (size_t i = 0; !sel && i < x->n_want; i++)
		sel = !strcmp(x->want[i], path);
	if (!sel || !store_member_path_valid(path))
		return 1;
	x->fd = ev_store_member_create(x->dirfd, path, &x->parent, x->leaf, sizeof(x->leaf));
	if (x->fd < 0) {
		x->err = x->fd;
		x->fd = -1;
		return -EIO;
	}
	return 0;
}

static int ex_data(void *ud, const void *buf, size_t len) {
	struct ex *x = ud;
	int r = ev_write_all(x->fd, buf, len);
	if (r < 0) {
		x->err = r;
		return -EIO;
	}
	return 0;
}

static int ex_end(void *ud, const char *path, const uint8_t sha[STORE_HASH_LEN]) {
	struct ex *x = ud;
	char hex[STORE_HEX_LEN + 1];
	store_hex(sha, STORE_HASH_LEN, hex);
	const char *want = json_string_value(
	        json_object_get(ev_store_manifest_member(x->manifest, path), "sha256"));
	int r = fsync(x->fd) < 0 ? -errno : 0;
	close(x->fd);
	x->fd = -1;
	if (!want || strcmp(want, hex)) {
		unlinkat(x->parent, x->leaf, 0);
		store_report_add(x->rep, STORE_MEMBER_MODIFIED, path,
		                 "changed between verification and extraction; removed");
		x->bad++;
	} else if (x->done)
		json_array_append_new(x->done, json_string(path));
	else
		printf("%s\n", path);
	close(x->parent);
	x->parent = -1;
	x->written++;
	return r;
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
	const char *bundle = argv[optind];
	char *store = ev_store_of_bundle(bundle);
	struct store_keyring kr = {0};
	struct store_report rep = {0};
	struct store_bundle_info info = {0};
	struct ex x = {.dirfd = -1, .fd = -1, .parent = -1, .rep = &rep};
	json_t *extra = json_pack("{s:s, s:s}", "bundle", bundle, "to", to);
	ret = ev_store_read_bundle(&so, store, bundle, extra, "nothing extracted", &kr, &rep,
	                           &info);
	if (ret >= 0)
		goto out;
	ret = EV_EXIT_USAGE;
	x.want = argv + optind + 1;
	x.n_want = (size_t)(argc - optind - 1);
	x.manifest = info.manifest;
	for (size_t i = 0; i < x.n_want; i++)
		if (!ev_store_manifest_member(info.manifest, x.want[i])) {
			ret = ev_usage_error(&ev_cmd_extract, "no member '%s' in %s", x.want[i],
			                     bundle);
			goto out;
		}
	if (mkdir(to, 0750) < 0 && errno != EEXIST) {
		ev_log_error("cannot create %s: %s", to, strerror(errno));
		goto out;
	}
	x.dirfd = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x.dirfd < 0) {
		ev_log_error("cannot open %s: %s", to, strerror(errno));
		goto out;
	}
	struct store_member_sink sink = {ex_begin, ex_data, ex_end, &x};
	store_report_clear(&rep);
	if (so.json)
		x.done = json_array();
	int r = ev_store_member_pass(bundle, &kr, &sink, &rep, &x.fd, &x.parent, x.leaf);
	if (r < 0) {
		ev_log_error("extraction stopped: %s", strerror(x.err ? -x.err : -r));
		goto out;
	}
	if (x.done)
		json_object_set(extra, "members", x.done);
	if (rep.n || x.done)
		ret = ev_store_print_report(&rep, so.json, extra);
	else
		ret = EV_EXIT_OK;
	json_t *d = json_pack("{s:s, s:I}", "to", to, "members", (json_int_t)x.written);
	ev_store_read_record(&so, store, "extracted", bundle, d);
out:
	json_decref(x.done);
	json_decref(extra);
	if (x.dirfd >= 0)
		close(x.dirfd);
	store_bundle_info_clear(&info);
	store_report_clear(&rep);
	store_keyring_clear(&kr);
	free(store);
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
