/* The generated test registry (tests/unit/registry.c, made by gen-registry.sh). */
#pragma once
struct unit_case {
	const char *name;
	void (*fn)(void);
};
struct unit_suite {
	const char *name;
	const struct unit_case *cases;
};
extern const struct unit_suite unit_suites[];
