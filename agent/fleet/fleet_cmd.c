/* evident verify s3://... and the download half of evident incident import s3://...
 * (see fleet_cmd.h). Temporary copies live in a mkdtemp directory removed afterwards;
 * imported bundles are kept where the caller says (they are the incident's evidence). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/fleet/fetch.h"
#include "agent/fleet/fleet_cmd.h"
#include "agent/fleet/s3.h"
#include "agent/fleet/upload.h"
#include "agent/settings.h"
#include "util/macro.h"
#include "util/mkdir.h"

bool ev_fleet_is_url(const char *target) {
	return !strncmp(target, "s3://", 5);
}

struct ev_config *ev_fleet_load_config(const char *path) {
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	if (ev_config_load(path, &cfg, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++) {
			char *m = ev_error_format(&errs.v[i]);
			ev_log_error("%s", m ?: errs.v[i].msg);
			free(m);
		}
		cfg = NULL;
	}
	ev_errlist_clear(&errs);
	return cfg;
}

/* The client for the URL's bucket, and its prefix; NULL after saying why. */
static struct ev_s3 *open_url(const struct ev_config *cfg, const char *url, char **ret_prefix) {
	_cleanup_free_ char *bucket = NULL;
	if (ev_s3_url_parse(url, &bucket, ret_prefix) < 0) {
		ev_log_error("%s: expected s3://BUCKET/PREFIX", url);
		return NULL;
	}
	char err[1024];
	struct ev_s3 *s3 = NULL;
	if (ev_fleet_client(cfg, bucket, &s3, err, sizeof(err)) < 0) {
		ev_log_error("%s: %s", url, err);
		free(*ret_prefix);
		*ret_prefix = NULL;
	}
	return s3;
}

static int verify_fetched(const char *url, const char *dir, const struct ev_store_read_opts *so,
                          const char *pin, struct store_report *rep, size_t n) {
	struct store_keyring kr = {0};
	int ret = so->n_pubs ? ev_store_keyring((char **)so->pubs, so->n_pubs, NULL, &kr)
	                     : store_trusted_keys(dir, &kr, rep) < 0;
	if (ret) {
		store_keyring_clear(&kr);
		return EV_EXIT_USAGE;
	}
	struct store_verify_opts o = {.kr = &kr, .pin_head = pin};
	size_t nv = 0;
	int r = store_verify_dir(dir, &o, rep, &nv);
	store_keyring_clear(&kr);
	if (r == -EMEDIUMTYPE) {
		ev_log_error("%s holds no evidence store (no bundles, HEAD or custody.jsonl)", url);
		return EV_EXIT_USAGE;
	}
	if (r < 0) {
		ev_log_error("cannot verify the copy of %s: %s", url, store_strerror(r));
		return EV_EXIT_USAGE;
	}
	json_t *extra = json_pack("{s:s, s:I}", "target", url, "bundles", (json_int_t)n);
	ret = ev_store_print_report(rep, so->json, extra);
	json_decref(extra);
	if (!so->json && ret == EV_EXIT_OK)
		fprintf(stderr, "evident: %s: verified (%zu bundle%s)\n", url, n,
		        n == 1 ? "" : "s");
	else if (!so->json) {
		char per[512];
		ev_store_summary(rep, per, sizeof(per));
		fprintf(stderr, "evident: %s: %zu finding%s (%s) in %zu bundle%s\n", url,
		        rep->n + rep->dropped, rep->n + rep->dropped == 1 ? "" : "s", per, n,
		        n == 1 ? "" : "s");
	}
	return ret;
}

int ev_fleet_verify(const char *url, const char *config, const struct ev_store_read_opts *so,
                    const char *pin) {
	struct ev_config *cfg = ev_fleet_load_config(config);
	if (!cfg)
		return EV_EXIT_USAGE;
	_cleanup_free_ char *prefix = NULL;
	struct ev_s3 *s3 = open_url(cfg, url, &prefix);
	ev_config_free(cfg);
	if (!s3)
		return EV_EXIT_USAGE;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/evident-s3-XXXXXX", getenv("TMPDIR") ?: "/tmp");
	if (!mkdtemp(dir)) {
		ev_log_error("cannot make a temporary directory %s: %m", dir);
		ev_s3_free(s3);
		return EV_EXIT_USAGE;
	}
	struct store_report rep = {0};
	size_t n = 0;
	char err[1024];
	int ret;
	if (ev_fleet_fetch_store(s3, prefix, dir, &rep, &n, err, sizeof(err)) < 0) {
		ev_log_error("%s: %s", url, err);
		ret = EV_EXIT_USAGE;
	} else
		ret = verify_fetched(url, dir, so, pin, &rep, n);
	if (so->log && ret != EV_EXIT_USAGE) {
		json_t *d = json_pack("{s:s, s:b, s:I}", "target", url, "ok", ret == EV_EXIT_OK,
		                      "findings", (json_int_t)(rep.n + rep.dropped));
		ev_store_read_record(so, NULL, "verified", NULL, d);
	}
	store_report_clear(&rep);
	ev_fleet_rmtree(dir);
	ev_s3_free(s3);
	return ret;
}

static bool host_wanted(const char *host, char **hosts, size_t n) {
	for (size_t i = 0; i < n; i++)
		if (!strcmp(hosts[i], host))
			return true;
	return n == 0;
}

json_t *ev_fleet_download_bundles(const struct ev_config *cfg, const char *url, char **hosts,
                                  size_t n_hosts, const char *dir) {
	_cleanup_free_ char *prefix = NULL;
	struct ev_s3 *s3 = open_url(cfg, url, &prefix);
	if (!s3)
		return NULL;
	json_t *list = NULL, *out = json_array();
	char err[1024];
	int r = ev_fleet_list_bundles(s3, prefix, &list, err, sizeof(err));
	if (r < 0)
		ev_log_error("%s: %s", url, err);
	size_t i;
	json_t *b;
	json_array_foreach(list, i, b) {
		const char *host = json_string_value(json_object_get(b, "host"));
		if (r < 0 || !host_wanted(host, hosts, n_hosts))
			continue;
		char d[4096], p[4400];
		/* the store's prefix names the copy: two chains of one host do not collide */
		_cleanup_free_ char *sp =
		        strdup(json_string_value(json_object_get(b, "store_prefix")));
		for (char *c = sp; c && *c; c++)
			if (*c == '/' || *c == '.')
				*c = '_';
		snprintf(d, sizeof(d), "%s/%s", dir, sp ?: "_");
		snprintf(p, sizeof(p), "%s/%s", d, json_string_value(json_object_get(b, "name")));
		if ((r = ev_mkdir_p(d, 0700, 0700)) < 0) {
			ev_log_error("cannot create %s: %s", d, strerror(-r));
			break;
		}
		if (access(p, F_OK) != 0 &&
		    (r = ev_s3_get_file(s3, json_string_value(json_object_get(b, "key")),
		                        json_string_value(json_object_get(b, "version_id")), p,
		                        (uint64_t)64 << 30)) < 0) {
			ev_log_error("%s", ev_s3_error(s3));
			break;
		}
		json_t *e = json_deep_copy(b);
		json_object_set_new(e, "path", json_string(p));
		json_array_append_new(out, e);
	}
	json_decref(list);
	ev_s3_free(s3);
	if (r < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}
