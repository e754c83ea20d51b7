/* Fuzz target: decoders (correlate/decoder.c). The input is records, one per line,
 * "PROGRAM MESSAGE" (the program up to the first space). Without a NUL byte they go
 * through the shipped decoders (conf/decoders/, loaded once) under a detection rule that
 * looks up decoded and mapped fields, so every record whose program has a decoder is
 * decoded. With a NUL byte, the bytes before it are a decoder file (YAML, loaded with
 * correlate_engine_add_decoders_buffer into a fresh engine with the same rule) and the
 * bytes after it the records. Nothing may crash, leak or read out of bounds, and the
 * shipped decoders must load without an error. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Lookups of the fields the shipped decoders add (named groups) and map (fields:). */
static const char rule[] = "title: fuzz decoded fields\n"
                           "id: 5d0c6f3e-2b1a-4c9d-8e7f-6a5b4c3d2e1f\n"
                           "logsource:\n    product: linux\n"
                           "detection:\n"
                           "    sel_user:\n        user|contains: root\n"
                           "    sel_ip:\n        src_ip|cidr: 10.0.0.0/8\n"
                           "    sel_port:\n        src_port: '22'\n"
                           "    sel_cmd:\n        command|contains: /bin/sh\n"
                           "    sel_map:\n        SourceIP|startswith: '203.'\n"
                           "    sel_target:\n        TargetUserName: admin\n"
                           "    sel_status:\n        sc-status|re: '^5\\d\\d$'\n"
                           "    sel_path:\n        path|endswith: .php\n"
                           "    sel_unit:\n        unit_name|contains: ssh\n"
                           "    condition: 1 of sel_*\n"
                           "level: low\n";

static void ignore(void *ctx, const struct correlate_alert *a) {
	(void)ctx;
	(void)a;
}

/* A compiled engine with the rule and the decoders (`dec` NULL: the shipped ones), or
 * NULL when the decoders did not load. */
static struct correlate_engine *engine(const char *dec, size_t len) {
	struct ev_errlist errs = {0}, warns = {0};
	struct correlate_engine *e = NULL;
	struct correlate_opts o = {.engine = "pcre2", .allowed_lateness_us = 1000000};
	int r = correlate_engine_new(&o, &e, &errs);
	if (r == 0)
		r = dec ? correlate_engine_add_decoders_buffer(e, "fuzz.yml", dec, len, &errs)
		        : correlate_engine_add_decoders(e, EV_ABS_SRCDIR "/conf/decoders", &errs);
	if (r > 0 &&
	    correlate_engine_add_rules_buffer(e, "rule.yml", rule, sizeof(rule) - 1, &errs) != 1)
		abort(); /* the rule itself is fixed: it must load */
	if (r > 0 && !dec && errs.n)
		abort(); /* a shipped decoder has an error */
	if (r > 0 && correlate_engine_compile(e, &errs, &warns) < 0)
		abort();
	ev_errlist_clear(&errs);
	ev_errlist_clear(&warns);
	if (r <= 0) {
		correlate_engine_free(e);
		return NULL;
	}
	correlate_engine_set_callback(e, ignore, NULL);
	return e;
}

static void feed(struct correlate_engine *e, const char *s, const char *end) {
	struct ev_record r;
	ev_record_init(&r);
	for (int i = 0; s <= end && i < 256; i++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		const char *sp = memchr(s, ' ', (size_t)(le - s));
		const char *pe = sp ? sp : le, *m = sp ? sp + 1 : le;
		ev_record_reset(&r);
		r.time_us = INT64_C(1764201600000000) + i * INT64_C(1000000);
		ev_record_set(&r, "host", "fuzz", 4);
		ev_record_set(&r, "program", s, (size_t)(pe - s));
		ev_record_set(&r, "message", m, (size_t)(le - m));
		correlate_engine_feed(e, &r);
		if (!nl)
			break;
		s = nl + 1;
	}
	ev_record_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static struct correlate_engine *shipped;
	if (!shipped && !(shipped = engine(NULL, 0))) {
		fprintf(stderr, "fuzz-decoders: cannot load %s/conf/decoders\n", EV_ABS_SRCDIR);
		abort();
	}
	const char *s = (const char *)data, *end = s + size;
	const char *nul = memchr(s, 0, size);
	if (!nul) {
		feed(shipped, s, end);
		return 0;
	}
	struct correlate_engine *e = engine(s, (size_t)(nul - s));
	if (e) {
		feed(e, nul + 1, end);
		correlate_engine_finish(e);
		correlate_engine_free(e);
	}
	return 0;
}
