/* The command ends of the fleet: `evident verify s3://BUCKET/PREFIX` and the S3 source of
 * `evident incident import`. They print (agent/cmd conventions) and return exit codes. */
#pragma once
#include <jansson.h>
#include <stdbool.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/settings.h"

/* Load a configuration (NULL: the default), or print every error and return NULL. */
struct ev_config *ev_fleet_load_config(const char *path);

/* Whether a command-line target names a bucket ("s3://..."). */
bool ev_fleet_is_url(const char *target);

/* verify s3://BUCKET/PREFIX: fetch the chain (agent/fleet/fetch.h) into a temporary
 * directory, report the bucket's findings and verify it as a local store (keys: --pub,
 * else those the fetched store trusts; `pin`: a HEAD kept earlier). `config` NULL: the
 * default configuration (store.upload: endpoint, region, credentials). Exit 0/1/2. */
int ev_fleet_verify(const char *url, const char *config, const struct ev_store_read_opts *so,
                    const char *pin);

/* The bundles of every host under s3://BUCKET/PREFIX (only `hosts` when not empty), each
 * as its original version, downloaded into `dir` (dir/HOST/NAME) for an import. Returns a
 * new array of {path, key, version_id, host, versions}, or NULL after printing why. */
json_t *ev_fleet_download_bundles(const struct ev_config *cfg, const char *url, char **hosts,
                                  size_t n_hosts, const char *dir);
