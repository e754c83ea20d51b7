# util/: helpers every module may use (error lists, YAML tree with positions, cleanup macros,
# clocks, RFC 3339 times, string lists, I/O).
noinst_LIBRARIES += util/libutil.a
util_libutil_a_SOURCES = \
	util/macro.h \
	util/clock.h \
	util/err.c util/err.h \
	util/ytree.c util/ytree.h \
	util/mkdir.c util/mkdir.h \
	util/strdist.c util/strdist.h \
	util/timefmt.c util/timefmt.h \
	util/strv.c util/strv.h \
	util/io.c util/io.h \
	util/hex.c util/hex.h \
	util/hash.h \
	util/dlload.c util/dlload.h
util_libutil_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(LIBCRYPTO_CFLAGS)
