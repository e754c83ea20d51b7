/* Evidence read back from S3 (see fetch.h). The version list comes from ListObjectVersions
 * (newest first per key), so a key's original version is its last non-marker entry. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/fleet/fetch.h"
#include "agent/fleet/s3.h"
#include "util/clock.h"
#include "util/macro.h"
#include "util/timefmt.h"

#define BUNDLE_CAP ((uint64_t)64 << 30)
#define META_CAP   ((uint64_t)STORE_LEDGER_CAP)

/* versions grouped by key, in list order: {KEY: [version...]} (new) */
static json_t *group(json_t *list) {
	json_t *g = json_object();
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		const char *k = json_string_value(json_object_get(v, "key"));
		json_t *a = json_object_get(g, k);
		if (!a)
			json_object_set_new(g, k, a = json_array());
		json_array_append(a, v);
	}
	return g;
}

/* The original (oldest) and latest non-marker versions, and the counts. */
static void versions_of(json_t *a, json_t **orig, json_t **latest, size_t *n, size_t *markers) {
	*orig = *latest = NULL;
	*n = *markers = 0;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) {
		if (json_is_true(json_object_get(v, "delete_marker"))) {
			(*markers)++;
			continue;
		}
		(*n)++;
		if (!*latest)
			*latest = v;
		*orig = v;
	}
}

static bool is_key_name(const char *rel) {
	if (strncmp(rel, "keys/", 5))
		return false;
	const char *n = rel + 5;
	size_t l = strspn(n, "0123456789abcdef");
	return l > 0 && !strcmp(n + l, ".pub");
}

/* Bucket findings of one bundle key; HEAD of its original version for the retention. */
static void bundle_findings(struct ev_s3 *s3, const char *key, const char *name, json_t *orig,
                            size_t n, size_t markers, struct store_report *rep) {
	if (n > 1)
		store_report_add(rep, STORE_OBJECT_REPLACED, name,
		                 "%zu versions of %s in the bucket: written again after the "
		                 "original (%s, %s), which is the one verified",
		                 n, key, json_string_value(json_object_get(orig, "version_id")),
		                 json_string_value(json_object_get(orig, "last_modified")));
	if (markers)
		store_report_add(rep, STORE_OBJECT_REPLACED, name,
		                 "%s has %zu delete marker%s: deleted as far as a plain GET "
		                 "sees; the original version is the one verified",
		                 key, markers, markers == 1 ? "" : "s");
	struct ev_s3_object h = {0};
	char now[EV_RFC3339_MAX];
	ev_format_rfc3339(ev_now_realtime_us(), now, sizeof(now));
	if (ev_s3_head(s3, key, json_string_value(json_object_get(orig, "version_id")), &h) < 0)
		store_report_add(rep, STORE_RETENTION_MISSING, name,
		                 "cannot read its retention: %s", ev_s3_error(s3));
	else if (!h.lock_mode[0] || !h.retain_until[0])
		store_report_add(rep, STORE_RETENTION_MISSING, name,
		                 "version %s of %s has no object-lock retention: it can be deleted",
		                 json_string_value(json_object_get(orig, "version_id")), key);
	else if (strncmp(h.retain_until, now, 19) <= 0)
		store_report_add(rep, STORE_RETENTION_MISSING, name,
		                 "the %s retention of %s ended %s: it can be deleted", h.lock_mode,
		                 key, h.retain_until);
}

int ev_fleet_fetch_store(struct ev_s3 *s3, const char *prefix, const char *dir,
                         struct store_report *rep, size_t *ret_bundles, char *err, size_t errlen) {
	json_t *list = NULL;
	int r = ev_s3_list_versions(s3, prefix, &list);
	if (r < 0) {
		snprintf(err, errlen, "%s", ev_s3_error(s3));
		return r;
	}
	char p[4096];
	snprintf(p, sizeof(p), "%s/bundles", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/keys", dir);
	mkdir(p, 0700);
	json_t *g = group(list);
	size_t nb = 0;
	const char *key;
	json_t *a;
	json_object_foreach(g, key, a) {
		const char *rel = key + strlen(prefix);
		uint64_t seq;
		bool bundle =
		        !strncmp(rel, "bundles/", 8) && store_bundle_name_parse(rel + 8, &seq);
		if (!bundle && strcmp(rel, "HEAD") && strcmp(rel, "custody.jsonl") &&
		    !is_key_name(rel))
			continue;
		json_t *orig, *latest;
		size_t n, markers;
		versions_of(a, &orig, &latest, &n, &markers);
		if (bundle)
			bundle_findings(s3, key, rel + 8, orig, n, markers, rep);
		json_t *v = bundle ? orig : latest;
		if (!v)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, rel);
		r = ev_s3_get_file(s3, key, json_string_value(json_object_get(v, "version_id")), p,
		                   bundle ? BUNDLE_CAP : META_CAP);
		if (r < 0) {
			snprintf(err, errlen, "%s", ev_s3_error(s3));
			break;
		}
		nb += bundle;
	}
	json_decref(g);
	json_decref(list);
	if (r < 0)
		return r;
	*ret_bundles = nb;
	return 0;
}

int ev_fleet_list_bundles(struct ev_s3 *s3, const char *prefix, json_t **ret, char *err,
                          size_t errlen) {
	json_t *list = NULL;
	int r = ev_s3_list_versions(s3, prefix, &list);
	if (r < 0) {
		snprintf(err, errlen, "%s", ev_s3_error(s3));
		return r;
	}
	json_t *g = group(list), *out = json_array();
	const char *key;
	json_t *a;
	json_object_foreach(g, key, a) {
		const char *rel = key + strlen(prefix), *b = strstr(rel, "bundles/"), *sl;
		uint64_t seq;
		if (!b || (b != rel && b[-1] != '/') || strchr(b + 8, '/') ||
		    !store_bundle_name_parse(b + 8, &seq))
			continue;
		json_t *orig, *latest;
		size_t n, markers;
		versions_of(a, &orig, &latest, &n, &markers);
		if (!orig)
			continue;
		sl = strchr(rel, '/');
		json_array_append_new(
		        out, json_pack("{s:s, s:O, s:s%, s:s%, s:s, s:I}", "key", key, "version_id",
		                       json_object_get(orig, "version_id"), "host", rel,
		                       sl && sl < b ? (size_t)(sl - rel) : (size_t)0,
		                       "store_prefix", key, (size_t)(b - key), "name", b + 8,
		                       "versions", (json_int_t)n));
	}
	json_decref(g);
	json_decref(list);
	*ret = out;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

int ev_fleet_rmtree(const char *dir) {
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}
