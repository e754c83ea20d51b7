/* A small S3 client over libcurl (path-style URLs, SigV4 signing by CURLOPT_AWS_SIGV4):
 * the requests evident needs to ship evidence under Object Lock and read it back. Every
 * request carries x-amz-content-sha256 set to the real payload hash (the SHA-256 of the
 * empty string for bodiless requests); uploads also carry Content-MD5 and the object-lock
 * mode and retain-until date. Only http and https are allowed, TLS verification is on
 * unless the configuration turns it off, and every response body read into memory is
 * capped. Nothing here prints: a failed call returns -errno and leaves one line saying
 * what failed in ev_s3_error(). */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_s3_conf {
	const char *endpoint; /* http(s)://HOST[:PORT], no trailing slash needed */
	const char *region;
	const char *bucket;
	const char *access_key, *secret_key, *session_token; /* session_token may be NULL */
	bool tls_verify;
	uint64_t multipart_threshold; /* files larger than this go up in parts of this size */
};

/* What the server says about one object version (fields empty when not returned). */
struct ev_s3_object {
	char version_id[160];
	char etag[96];
	uint64_t size;
	char lock_mode[16];    /* COMPLIANCE | GOVERNANCE | "" */
	char retain_until[40]; /* as returned, e.g. 2026-12-01T03:52:10.000Z */
	char sha256[65];       /* x-amz-meta-sha256 that evident sets on upload */
};

/* Object-lock headers of an upload; NULL fields (or a NULL lock) send none. */
struct ev_s3_lock {
	const char *mode;         /* COMPLIANCE | GOVERNANCE */
	const char *retain_until; /* YYYY-MM-DDTHH:MM:SSZ */
};

struct ev_s3;
/* A client for the bucket of `c` (strings copied). NULL only when out of memory. */
struct ev_s3 *ev_s3_new(const struct ev_s3_conf *c);
/* Frees s (secret wiped); NULL-safe; returns NULL. */
struct ev_s3 *ev_s3_free(struct ev_s3 *s);
/* A transfer in progress is abandoned (-ECANCELED) once stop(userdata) returns true
 * (checked about once a second; the agent's worker passes ev_queue_stopping_cb). */
void ev_s3_set_stop(struct ev_s3 *s, bool (*stop)(void *), void *userdata);
/* The last failure, one line ("PUT KEY: HTTP 403 AccessDenied: ..."). */
const char *ev_s3_error(const struct ev_s3 *s);

/* Upload the file at `path` as `key` (a single PUT up to the multipart threshold, else a
 * multipart upload, every part with its own Content-MD5 and payload hash), with the lock
 * and x-amz-meta-sha256 = the file's SHA-256. On success *ret holds the new version (from
 * the response: version id, ETag, size). 0 or -errno: -EACCES (403), -ENOENT (404, no such
 * bucket), -EIO (another HTTP status), -EHOSTUNREACH (the server could not be reached). */
int ev_s3_put_file(struct ev_s3 *s, const char *key, const char *path,
                   const struct ev_s3_lock *lock, struct ev_s3_object *ret);
/* HEAD of `key` (its version `version_id`, or the latest when NULL). -ENOENT when absent. */
int ev_s3_head(struct ev_s3 *s, const char *key, const char *version_id, struct ev_s3_object *ret);
/* Download a version to `path` (created O_EXCL, 0600), at most `cap` bytes (-EFBIG). */
int ev_s3_get_file(struct ev_s3 *s, const char *key, const char *version_id, const char *path,
                   uint64_t cap);
/* Every version and delete marker under `prefix` (all pages), as a new JSON array of
 * {key, version_id, size, latest, delete_marker, last_modified}, in the server's order
 * (keys ascending, newest version first). At most 1,000,000 entries (-E2BIG beyond). */
int ev_s3_list_versions(struct ev_s3 *s, const char *prefix, json_t **ret);
/* Set the retention of a version (PutObjectRetention). A server refuses (403) to shorten
 * a COMPLIANCE retention. 0 or -errno. */
int ev_s3_put_retention(struct ev_s3 *s, const char *key, const char *version_id,
                        const struct ev_s3_lock *lock);
/* Parse one ListVersionsResult page (untrusted XML) into `out` (entries as
 * ev_s3_list_versions gives them; the five XML entities decoded). *ret_more: the page is
 * truncated, with the next key and version markers in *ret_km and *ret_vm (new strings,
 * NULL when absent). 0, -EBADMSG (an unterminated entry or one without a Key), -E2BIG
 * (more than the cap of entries), -ENOMEM. Exposed for the unit tests. */
int ev_s3_parse_versions(const char *xml, json_t *out, bool *ret_more, char **ret_km,
                         char **ret_vm);
/* DELETE a version (tests and checks of the lock: 403 -EACCES when it holds). */
int ev_s3_delete_version(struct ev_s3 *s, const char *key, const char *version_id);

/* SHA-256 (hex) of the first `size` bytes of fd (read with pread). 0 or -errno. */
int ev_s3_file_sha256(int fd, uint64_t size, char out[65]);

/* Split "s3://BUCKET/PREFIX" into its bucket and prefix (new strings; prefix "" when
 * absent, else ending in '/'). 0 or -EINVAL. */
int ev_s3_url_parse(const char *url, char **ret_bucket, char **ret_prefix);
