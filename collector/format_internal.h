/* The inside of a format definition, shared by format.c (matching) and format_load.c
 * (loading). Nothing outside those two files includes this. */
#pragma once
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>

enum { FMT_G_TIME, FMT_G_HOST, FMT_G_PROGRAM, FMT_G_PID, FMT_G_LEVEL, FMT_G_MESSAGE, FMT_G_N };

enum fmt_time_kind {
	FMT_TIME_LAYOUT, /* time_layout: %Y %y %m %d %e %b %a %H %M %S %f %L %l %z */
	FMT_TIME_ISO,    /* RFC 3339 / ISO 8601 */
	FMT_TIME_EPOCH,  /* seconds since the epoch, optional fraction */
	FMT_TIME_BOOT,   /* seconds since boot: no wall-clock time (the field boot_time) */
};

struct fmt_re {
	pcre2_code *code;
	int g[FMT_G_N]; /* group numbers of the standard captures, 0 = absent */
	struct {
		char *name;
		int g;
	} * extra; /* the other named captures, become fields */
	size_t n_extra;
};

struct collector_fmtdef {
	char *name;
	char *description;
	struct fmt_re *re; /* tried in order */
	size_t n_re;
	pcre2_code *cont; /* continuation lines, or NULL */
	enum fmt_time_kind time_kind;
	char *time_layout;
	bool utc; /* zone rule: times without an offset are UTC (else the source's zone) */
	bool auto_detect;
	bool shadowed; /* a later definition in its library has the same name */
	char *program; /* when the line has none */
	struct {
		char word[16];
		int priority;
	} * levels;
	size_t n_levels;
};
