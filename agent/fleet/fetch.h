/* Reading evidence back from S3: a chain's objects downloaded into a store layout so that
 * the local verifier (store_verify_dir) checks it, with the bucket's own findings first.
 *
 * Bucket findings: a bundle name with a second version (an overwrite) or a delete marker
 * is OBJECT_REPLACED, and the ORIGINAL (oldest) version is the one fetched and verified;
 * a bundle version without object-lock retention, or whose retain-until date has passed,
 * is RETENTION_MISSING. Only known names are fetched (bundles/SSSSSSSSSS-ID.tar.gz,
 * HEAD, custody.jsonl, keys/HEX.pub): a key can never write outside the directory. */
#pragma once
#include <jansson.h>
#include <stddef.h>

#include "store/store.h"

struct ev_s3;

/* Fetch the chain under `prefix` into `dir` (an empty directory; bundles/ and keys/ are
 * made): bundles as their original versions, HEAD, custody.jsonl and keys as their latest.
 * Findings into rep. *ret_bundles: bundles fetched. 0, or -errno with one line in err. */
int ev_fleet_fetch_store(struct ev_s3 *s3, const char *prefix, const char *dir,
                         struct store_report *rep, size_t *ret_bundles, char *err, size_t errlen);

/* The bundles under `prefix` in every store below it: a new array of {key, version_id
 * (the original version), host (the first path component after prefix), store_prefix
 * (the key up to "bundles/"), name, versions (how many)}. 0 or -errno with err. */
int ev_fleet_list_bundles(struct ev_s3 *s3, const char *prefix, json_t **ret, char *err,
                          size_t errlen);

/* Remove a directory tree made by the caller (no symlink is followed). 0 or -errno. */
int ev_fleet_rmtree(const char *dir);
