/* The fleet's small parsers: s3:// URLs, S3's ListVersionsResult XML (untrusted: entities,
 * delete markers, truncation, malformed pages), and the nested store.upload section of
 * the configuration (defaults, a misspelt key named with its section). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/fleet/s3.h"
#include "agent/settings.h"
#include "tests/unit/unit.h"

TEST(test_agent_fleet_url) {
	char *b = NULL, *p = NULL;
	CU_ASSERT_EQUAL_FATAL(ev_s3_url_parse("s3://bucket/host/chain", &b, &p), 0);
	CU_ASSERT_STRING_EQUAL(b, "bucket");
	CU_ASSERT_STRING_EQUAL(p, "host/chain/");
	free(b);
	free(p);
	CU_ASSERT_EQUAL_FATAL(ev_s3_url_parse("s3://bucket", &b, &p), 0);
	CU_ASSERT_STRING_EQUAL(b, "bucket");
	CU_ASSERT_STRING_EQUAL(p, "");
	free(b);
	free(p);
	CU_ASSERT_EQUAL_FATAL(ev_s3_url_parse("s3://bucket/a/", &b, &p), 0);
	CU_ASSERT_STRING_EQUAL(p, "a/");
	free(b);
	free(p);
	CU_ASSERT_EQUAL(ev_s3_url_parse("s3:///x", &b, &p), -EINVAL);
	CU_ASSERT_EQUAL(ev_s3_url_parse("s3://", &b, &p), -EINVAL);
	CU_ASSERT_EQUAL(ev_s3_url_parse("https://bucket/x", &b, &p), -EINVAL);
}

static const char page[] =
        "<?xml version=\"1.0\"?><ListVersionsResult><Name>b</Name><Prefix>h/</Prefix>"
        "<IsTruncated>true</IsTruncated><NextKeyMarker>h/b&amp;2</NextKeyMarker>"
        "<NextVersionIdMarker>v9</NextVersionIdMarker>"
        "<Version><Key>h/a&lt;1&gt;</Key><VersionId>v2</VersionId><IsLatest>true</IsLatest>"
        "<LastModified>2026-11-30T04:00:00.000Z</LastModified><Size>10</Size></Version>"
        "<DeleteMarker><Key>h/b</Key><VersionId>v4</VersionId><IsLatest>true</IsLatest>"
        "</DeleteMarker>"
        "<Version><Key>h/b</Key><VersionId>v3</VersionId><IsLatest>false</IsLatest>"
        "<Size>7</Size></Version></ListVersionsResult>";

TEST(test_agent_fleet_versions) {
	json_t *out = json_array();
	bool more = false;
	char *km = NULL, *vm = NULL;
	CU_ASSERT_EQUAL_FATAL(ev_s3_parse_versions(page, out, &more, &km, &vm), 0);
	CU_ASSERT_EQUAL_FATAL(json_array_size(out), 3);
	json_t *a = json_array_get(out, 0), *m = json_array_get(out, 1),
	       *c = json_array_get(out, 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "key")), "h/a<1>");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "size")), 10);
	CU_ASSERT(json_is_true(json_object_get(a, "latest")));
	CU_ASSERT(json_is_false(json_object_get(a, "delete_marker")));
	CU_ASSERT(json_is_true(json_object_get(m, "delete_marker")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "version_id")), "v4");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "version_id")), "v3");
	CU_ASSERT(more);
	CU_ASSERT_STRING_EQUAL(km ?: "", "h/b&2");
	CU_ASSERT_STRING_EQUAL(vm ?: "", "v9");
	free(km);
	free(vm);
	json_decref(out);

	/* an unterminated entry, an entry without a key: refused, never read past the end */
	out = json_array();
	CU_ASSERT_EQUAL(ev_s3_parse_versions("<Version><Key>x</Key>", out, &more, &km, &vm),
	                -EBADMSG);
	CU_ASSERT_EQUAL(
	        ev_s3_parse_versions("<Version><Size>1</Size></Version>", out, &more, &km, &vm),
	        -EBADMSG);
	CU_ASSERT_EQUAL(ev_s3_parse_versions("", out, &more, &km, &vm), 0);
	CU_ASSERT(!more);
	CU_ASSERT_PTR_NULL(km);
	json_decref(out);
}

TEST(test_agent_fleet_config) {
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	CU_ASSERT_EQUAL_FATAL(ev_config_load(EV_CONFIG_EMBEDDED, &cfg, &errs), 0);
	CU_ASSERT_PTR_NULL(cfg->store.upload.endpoint);
	CU_ASSERT_STRING_EQUAL(cfg->store.upload.retention_mode, "COMPLIANCE");
	CU_ASSERT_STRING_EQUAL(cfg->store.upload.prefix, "{host}/{chain}/");
	CU_ASSERT(cfg->store.upload.tls_verify);
	CU_ASSERT_EQUAL(cfg->store.upload.multipart_threshold, 64u << 20);
	ev_config_free(cfg);

	char path[4096];
	snprintf(path, sizeof(path), "%s/upload.yaml", unit_tmpdir());
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("store:\n  upload:\n    endpoint: http://127.0.0.1:1\n    retention_mode: "
	      "GOVERNANCE\n"
	      "    retention: 2d\n    multipart_threshold: 8MiB\n",
	      f);
	fclose(f);
	cfg = NULL;
	CU_ASSERT_EQUAL_FATAL(ev_config_load(path, &cfg, &errs), 0);
	CU_ASSERT_STRING_EQUAL(cfg->store.upload.endpoint, "http://127.0.0.1:1");
	CU_ASSERT_STRING_EQUAL(cfg->store.upload.retention_mode, "GOVERNANCE");
	CU_ASSERT_EQUAL(cfg->store.upload.retention, 2ULL * 86400 * 1000000);
	CU_ASSERT_EQUAL(cfg->store.upload.multipart_threshold, 8u << 20);
	ev_config_free(cfg);

	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("store:\n  upload:\n    endpont: x\n    multipart_threshold: 1KiB\n", f);
	fclose(f);
	cfg = NULL;
	CU_ASSERT_EQUAL(ev_config_load(path, &cfg, &errs), -EINVAL);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(errs.n, 2);
	CU_ASSERT_PTR_NOT_NULL(
	        errs.n ? strstr(errs.v[0].msg, "in store.upload (did you mean 'endpoint'") : NULL);
	ev_errlist_clear(&errs);
}
