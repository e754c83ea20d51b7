/* Fuzz target: the Sigma rule loader (YAML tree, detection/correlation parsing, modifier
 * and condition handling, compilation into the matchers) on arbitrary bytes, then a few
 * records through whatever loaded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ctx, const struct correlate_alert *a) {
	(void)ctx;
	(void)a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	struct ev_errlist errs = {0}, warns = {0};
	struct correlate_engine *e = NULL;
	struct correlate_opts o = {
	        .engine = "pcre2", .allowed_lateness_us = 1000000, .max_groups = 4};
	if (correlate_engine_new(&o, &e, &errs) < 0)
		return 0;
	correlate_engine_add_rules_buffer(e, "fuzz.yml", (const char *)data, size, &errs);
	if (correlate_engine_compile(e, &errs, &warns) == 0) {
		correlate_engine_set_callback(e, ignore, NULL);
		static const char *msgs[] = {"Failed password for root from 1.2.3.4 port 22 ssh2",
		                             "x", "", "backup started", "AAAA d2hvYW1p -f /tmp"};
		struct ev_record r;
		ev_record_init(&r);
		for (size_t i = 0; i < 12; i++) {
			ev_record_reset(&r);
			r.time_us = (int64_t)(i % 5) * 700000 + (int64_t)i * 300000;
			ev_record_set(&r, "program", "sshd", 4);
			ev_record_set(&r, "message", msgs[i % 5], strlen(msgs[i % 5]));
			ev_record_add_field(&r, "src_ip", 6, i & 1 ? "10.0.0.1" : "::1",
			                    i & 1 ? 8 : 3);
			ev_record_add_field(&r, "user", 4, msgs[(i + 1) % 5],
			                    strlen(msgs[(i + 1) % 5]));
			correlate_engine_feed(e, &r);
		}
		ev_record_free(&r);
		correlate_engine_finish(e);
	}
	correlate_engine_free(e);
	ev_errlist_clear(&errs);
	ev_errlist_clear(&warns);
	return 0;
}
