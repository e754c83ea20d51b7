/* Durations and sizes of the configuration: parsed from and printed to the syntax
 * agent/settings.h describes (500ms, 1h30m; 512, 64KiB). A duration prints as a sum of
 * units (1h30m), a size in the largest binary unit that divides it, so what is printed
 * parses back to the same number. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/settings.h"
#include "util/macro.h"

struct duration_unit {
	const char *suffix;
	uint64_t mult;
};
static const struct duration_unit duration_units[] = {
        {"us", 1},
        {"ms", 1000},
        {"s", 1000000},
        {"m", 60000000ULL},
        {"h", 3600000000ULL},
        {"d", 86400000000ULL},
        {"w", 604800000000ULL},
};

/* Other spellings accepted on input (systemd.time's), never printed. */
static const struct duration_unit duration_aliases[] = {
        {"usec", 1},
        {"msec", 1000},
        {"sec", 1000000},
        {"second", 1000000},
        {"seconds", 1000000},
        {"min", 60000000ULL},
        {"minute", 60000000ULL},
        {"minutes", 60000000ULL},
        {"hr", 3600000000ULL},
        {"hour", 3600000000ULL},
        {"hours", 3600000000ULL},
        {"day", 86400000000ULL},
        {"days", 86400000000ULL},
        {"week", 604800000000ULL},
        {"weeks", 604800000000ULL},
};

static uint64_t unit_mult(const struct duration_unit *t, size_t n, const char *s, size_t len) {
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].suffix) == len && strncmp(s, t[i].suffix, len) == 0)
			return t[i].mult;
	return 0;
}

/* The decimal number at *sp (at least one digit), *sp moved past it. -EINVAL without a
 * digit, -ERANGE when it grows too large. */
static int leading_number(const char **sp, uint64_t *ret) {
	const char *s = *sp;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	uint64_t v = 0;
	while (isdigit((unsigned char)*s)) {
		if (v > UINT64_MAX / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s++ - '0');
	}
	*sp = s;
	*ret = v;
	return 0;
}

int ev_parse_duration(const char *s, uint64_t *ret_usec) {
	uint64_t total = 0;
	if (!*s)
		return -EINVAL;
	while (*s) {
		uint64_t v;
		int r = leading_number(&s, &v);
		if (r < 0)
			return r;
		size_t ul = 0;
		while (isalpha((unsigned char)s[ul]))
			ul++;
		if (ul == 0)
			return -EINVAL; /* a unit is required */
		uint64_t mult = unit_mult(duration_units, ELEMENTSOF(duration_units), s, ul);
		if (!mult)
			mult = unit_mult(duration_aliases, ELEMENTSOF(duration_aliases), s, ul);
		if (!mult)
			return -EINVAL;
		if (v > (UINT64_MAX - total) / mult)
			return -ERANGE;
		total += v * mult;
		s += ul;
	}
	*ret_usec = total;
	return 0;
}

void ev_format_duration(uint64_t usec, char *buf, size_t len) {
	size_t o = 0;
	buf[0] = '\0';
	if (usec == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (size_t i = ELEMENTSOF(duration_units); i-- > 0 && o < len;) {
		uint64_t m = duration_units[i].mult;
		if (usec >= m && (i != 6 || usec % m == 0)) {
			int k = snprintf(buf + o, len - o, "%" PRIu64 "%s", usec / m,
			                 duration_units[i].suffix);
			if (k < 0)
				return;
			o += (size_t)k;
			usec %= m;
		}
	}
}

int ev_parse_size(const char *s, uint64_t *ret_bytes) {
	uint64_t v;
	int r = leading_number(&s, &v);
	if (r < 0)
		return r;
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {{"", 1},
	             {"B", 1},
	             {"K", 1024},
	             {"KB", 1024},
	             {"KiB", 1024},
	             {"M", 1024 * 1024},
	             {"MB", 1024 * 1024},
	             {"MiB", 1024 * 1024},
	             {"G", 1024ULL * 1024 * 1024},
	             {"GB", 1024ULL * 1024 * 1024},
	             {"GiB", 1024ULL * 1024 * 1024},
	             {"T", 1024ULL * 1024 * 1024 * 1024},
	             {"TiB", 1024ULL * 1024 * 1024 * 1024}};
	for (size_t i = 0; i < ELEMENTSOF(units); i++)
		if (strcmp(s, units[i].suffix) == 0) {
			if (v > UINT64_MAX / units[i].mult)
				return -ERANGE;
			*ret_bytes = v * units[i].mult;
			return 0;
		}
	return -EINVAL;
}

void ev_format_size(uint64_t b, char *buf, size_t len) {
	static const char *u[] = {"TiB", "GiB", "MiB", "KiB"};
	for (int i = 0; i < 4; i++) {
		uint64_t m = 1ULL << (10 * (4 - i));
		if (b >= m && b % m == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", b / m, u[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, b);
}
