/* A fast non-cryptographic hash for in-memory tables (correlation groups, sample
 * templates): eight bytes a step, then the tail a byte at a time. Not for anything an
 * attacker must not collide on purpose beyond costing a compare: every table that uses
 * it compares the keys whole. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EV_HASH_SEED 0xcbf29ce484222325ull

/* h with the bytes p[0..n) mixed in. */
static inline uint64_t ev_hash_mix(uint64_t h, const char *p, size_t n) {
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	for (; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
	return h;
}

/* 32 bits of the final mix of h. */
static inline uint32_t ev_hash_fold(uint64_t h) {
	return (uint32_t)(h ^ (h >> 29));
}
