# store/: bundles, manifest, Merkle root, signatures, chain, custody, verifier.
noinst_LIBRARIES += store/libstore.a
store_libstore_a_SOURCES = \
	store/store.c store/store.h \
	store/crypto.c store/crypto.h \
	store/encrypt.c store/encrypt.h \
	store/merkle.c store/merkle.h \
	store/bundle.h store/archive_load.c store/archive_load.h store/bundle_write.c store/bundle_read.c store/bundle_report.c \
	store/ledger.c store/ledger.h \
	store/store_verify.c store/store_prune.c \
	store/store_recover.c store/store_recover.h
store_libstore_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)

# The store commands (agent/): keygen seal verify show custody extract prove prune.
agent_libagent_a_SOURCES += \
	agent/cmd/cmd_store_common.c agent/cmd/cmd_store_common.h \
	agent/cmd/cmd_keygen.c agent/cmd/cmd_seal.c agent/cmd/cmd_verify.c agent/cmd/cmd_show.c \
	agent/cmd/cmd_custody.c agent/cmd/cmd_extract.c agent/cmd/cmd_prove.c agent/cmd/cmd_prove.h \
	agent/cmd/cmd_prune.c agent/cmd/cmd_decrypt.c

UNIT_TEST_SOURCES += tests/unit/store/test_store.c tests/unit/store/test_store_chain.c tests/unit/store/test_encrypt.c
EXTRA_DIST += tests/unit/store/helpers.h

TESTS += tests/integration/store-basic.sh tests/integration/store-journal.sh \
	tests/integration/store-full-disk.sh tests/integration/store-attack.sh \
	tests/integration/store-interrupt.sh tests/integration/store-agent-reset.sh \
	tests/integration/store-agent-perms.sh
EXTRA_DIST += tests/integration/store-basic.sh tests/integration/store-journal.sh \
	tests/integration/store-full-disk.sh tests/integration/store-attack.sh \
	tests/integration/store-interrupt.sh tests/integration/store-agent-reset.sh packaging/verify-bundle.sh \
	tests/integration/store-agent-perms.sh
TESTS += tests/integration/store-investigator.sh
EXTRA_DIST += tests/integration/store-investigator.sh
TESTS += tests/integration/store-encrypt.sh
EXTRA_DIST += tests/integration/store-encrypt.sh

# Fuzz targets for hostile input: the bundle reader and the ledger parser.
FUZZ_TARGETS += tests/fuzz/fuzz-bundle tests/fuzz/fuzz-ledger
tests_fuzz_fuzz_bundle_SOURCES = tests/fuzz/fuzz_bundle.c tests/fuzz/fuzz_key.h
tests_fuzz_fuzz_bundle_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_bundle_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_bundle_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_ledger_SOURCES = tests/fuzz/fuzz_ledger.c tests/fuzz/fuzz_key.h
tests_fuzz_fuzz_ledger_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_ledger_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_ledger_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
EXTRA_DIST += docs/FORMAT.md tests/bench/bench-store.sh
TESTS += tests/integration/store-key-file.sh
EXTRA_DIST += tests/integration/store-key-file.sh
TESTS += tests/integration/store-archive-load.sh
EXTRA_DIST += tests/integration/store-archive-load.sh
