# correlate/: Sigma rules, matching, correlation windows.
noinst_LIBRARIES += correlate/libcorrelate.a
correlate_libcorrelate_a_SOURCES = \
	correlate/engine.c correlate/engine.h
correlate_libcorrelate_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
