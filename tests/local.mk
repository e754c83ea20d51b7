# tests/: unit tests (CUnit), integration scripts, fuzz targets and corpora, benchmarks.

# ---- unit tests ----
UNIT_TEST_SOURCES += \
	tests/unit/util/test_ytree.c \
	tests/unit/util/test_strdist.c \
	tests/unit/util/test_timefmt.c \
	tests/unit/util/test_hex.c \
	tests/unit/agent/test_config.c
if HAVE_CUNIT
check_PROGRAMS += tests/unit/unit-tests
TESTS += tests/unit/unit-tests
endif
# The runner speaks TAP, so automake counts every unit test (a skipped one as SKIP). This
# driver applies to tests without a registered extension: only the unit-test runner (the
# scripts are .sh, see TEST_EXTENSIONS in Makefile.am).
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
tests_unit_unit_tests_SOURCES = tests/unit/main.c tests/unit/unit.h tests/unit/registry.h \
	$(UNIT_TEST_SOURCES)
nodist_tests_unit_unit_tests_SOURCES = tests/unit/registry.c
tests_unit_unit_tests_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_unit_tests_LDADD = agent/libagent.a $(EV_LIBS) $(DEP_LIBS) $(CUNIT_LIBS)
tests/unit/registry.c: $(UNIT_TEST_SOURCES:%=$(srcdir)/%) $(srcdir)/tests/unit/gen-registry.sh
	$(AM_V_GEN)$(MKDIR_P) tests/unit && \
	$(SHELL) $(srcdir)/tests/unit/gen-registry.sh $(srcdir) $(UNIT_TEST_SOURCES) > $@.tmp && mv $@.tmp $@
CLEANFILES += tests/unit/registry.c
EXTRA_DIST += tests/unit/gen-registry.sh

# ---- integration tests (black-box scripts against agent/evident) ----
TESTS += \
	tests/integration/cli.sh \
	tests/integration/dist-listed.sh \
	tests/integration/config.sh \
	tests/integration/demo.sh \
	tests/integration/agent-replay-live.sh \
	tests/integration/agent-replay-quiet.sh \
	tests/fuzz/run-corpora.sh \
	tests/fuzz/replay-clean.sh
EXTRA_DIST += tests/fuzz/replay-clean.sh tests/integration/dist-listed.sh
EXTRA_DIST += tests/integration/lib.sh tests/integration/cli.sh tests/integration/config.sh \
	tests/integration/demo.sh tests/integration/agent-replay-live.sh \
	tests/integration/agent-replay-quiet.sh \
	tests/integration/data tests/fuzz/run-corpora.sh tests/fuzz/corpus
# Times typed on the command line (one parser for --since, --until, --before, --now).
TESTS += tests/integration/cli-times.sh
EXTRA_DIST += tests/integration/cli-times.sh
# The build tree's binary finds the source tree's conf/.
TESTS += tests/integration/cli-datadir.sh
EXTRA_DIST += tests/integration/cli-datadir.sh

# ---- fuzz targets: libFuzzer with --enable-fuzzing, else a standalone corpus driver ----
FUZZ_TARGETS += tests/fuzz/fuzz-config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c
FUZZ_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
FUZZ_LDADD = agent/libagent.a $(EV_LIBS) $(DEP_LIBS)
tests_fuzz_fuzz_config_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_config_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_config_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
if ENABLE_FUZZING
FUZZ_DRIVER =
FUZZ_LINKFLAGS = -fsanitize=fuzzer
else
FUZZ_LINKFLAGS =
FUZZ_DRIVER = tests/fuzz/libfuzzdriver.a
check_LIBRARIES = tests/fuzz/libfuzzdriver.a
tests_fuzz_libfuzzdriver_a_SOURCES = tests/fuzz/driver.c
endif
check_PROGRAMS += $(FUZZ_TARGETS)

# control-socket request lines and the evidence excerpt cutter
FUZZ_TARGETS += tests/fuzz/fuzz-control tests/fuzz/fuzz-excerpt
tests_fuzz_fuzz_control_SOURCES = tests/fuzz/fuzz_control.c
tests_fuzz_fuzz_control_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_control_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_control_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_excerpt_SOURCES = tests/fuzz/fuzz_excerpt.c
tests_fuzz_fuzz_excerpt_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_excerpt_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_excerpt_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
EXTRA_DIST += tests/fuzz/campaign.sh

# The soak under faults, two minutes (make soak: 30 minutes, a random seed).
TESTS += tests/integration/soak-short.sh
EXTRA_DIST += tests/integration/soak-short.sh tests/soak/soak.py

# ---- benchmarks: `make bench` ----
EXTRA_DIST += tests/bench/run.sh
# Ctrl-C during replay: whole lines, the summary, exit 128 + the signal.
TESTS += tests/integration/replay-interrupt.sh
EXTRA_DIST += tests/integration/replay-interrupt.sh
