# correlate/: Sigma rules, matching, correlation windows.
noinst_LIBRARIES += correlate/libcorrelate.a
correlate_libcorrelate_a_SOURCES = \
	correlate/engine.c correlate/engine.h \
	correlate/compile.c \
	correlate/decoder.c \
	correlate/logsource.c \
	correlate/internal.h \
	correlate/leaf.c correlate/leaf.h \
	correlate/cond.c correlate/cond.h \
	correlate/rule.h \
	correlate/sigma.c correlate/sigma.h correlate/sigma_internal.h \
	correlate/sigma_corr.c \
	correlate/sigma_det.c \
	correlate/sigma_value.c \
	correlate/prefilter.c correlate/prefilter_block.c \
	correlate/dbcache.c correlate/dbcache.h \
	correlate/window.c \
	correlate/pending.c \
	correlate/sample.c \
	correlate/group.c \
	correlate/timeguard.c \
	correlate/alert.c correlate/alert.h correlate/alert_json.c \
	correlate/miner.c correlate/miner.h
correlate_libcorrelate_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)

agent_libagent_a_SOURCES += agent/cmd/cmd_rules.c

UNIT_TEST_SOURCES += \
	tests/unit/correlate/test_detection.c \
	tests/unit/correlate/test_correlation.c \
	tests/unit/correlate/test_sigmahq.c \
	tests/unit/correlate/test_sigma_more.c \
	tests/unit/correlate/test_alert.c \
	tests/unit/correlate/test_category.c \
	tests/unit/correlate/test_miner.c \
	tests/unit/correlate/test_block.c
EXTRA_DIST += tests/unit/correlate/helpers.h docs/rules.md

TESTS += tests/integration/correlate-rules.sh tests/integration/correlate-replay.sh \
	tests/integration/correlate-config.sh tests/integration/correlate-builds.sh \
	tests/integration/correlate-time.sh tests/integration/correlate-reload.sh
TESTS += tests/integration/correlate-prefilter.sh tests/integration/correlate-sigma.sh tests/integration/correlate-lazy.sh \
	tests/integration/correlate-quiet.sh
TESTS += tests/integration/correlate-dbcache.sh
EXTRA_DIST += tests/integration/correlate-dbcache.sh
EXTRA_DIST += tests/integration/correlate-sigma.sh
EXTRA_DIST += tests/integration/correlate-time.sh tests/integration/correlate-reload.sh
EXTRA_DIST += tests/integration/correlate-prefilter.sh tests/integration/correlate-lazy.sh \
	tests/integration/correlate-quiet.sh
EXTRA_DIST += tests/integration/correlate-rules.sh tests/integration/correlate-replay.sh \
	tests/integration/correlate-config.sh tests/integration/correlate-builds.sh

# fuzz targets (see tests/local.mk): rule loader and condition parser
FUZZ_TARGETS += tests/fuzz/fuzz-rules tests/fuzz/fuzz-condition
tests_fuzz_fuzz_rules_SOURCES = tests/fuzz/fuzz_rules.c
tests_fuzz_fuzz_rules_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_rules_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_rules_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_condition_SOURCES = tests/fuzz/fuzz_condition.c
tests_fuzz_fuzz_condition_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_condition_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_condition_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
# decoders: the shipped set on fuzzed records, and the decoder-file loader
FUZZ_TARGETS += tests/fuzz/fuzz-decoders
tests_fuzz_fuzz_decoders_SOURCES = tests/fuzz/fuzz_decoders.c
tests_fuzz_fuzz_decoders_CPPFLAGS = $(AM_CPPFLAGS) -DEV_ABS_SRCDIR=\"$(abs_top_srcdir)\"
tests_fuzz_fuzz_decoders_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_decoders_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_decoders_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)

# benchmark (make bench): tests/bench/bench-correlate.sh and its inputs
EXTRA_DIST += tests/bench/bench-correlate.sh tests/bench/gen-rare-rules.py tests/bench/rules-sec/sec10.yml \
	tests/bench/bench-match.sh tests/bench/corpus-setup.sh
