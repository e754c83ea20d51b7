# store/: bundles, manifest, Merkle root, signatures, chain, custody, verifier.
noinst_LIBRARIES += store/libstore.a
store_libstore_a_SOURCES = \
	store/store.c store/store.h
store_libstore_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
