# collector/: sources, rotation, positions, parsers, event time, time index.
noinst_LIBRARIES += collector/libcollector.a
collector_libcollector_a_SOURCES = \
	collector/record.c collector/record.h
collector_libcollector_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)

UNIT_TEST_SOURCES += \
	tests/unit/collector/test_record.c
