/* The clocks in µs: one definition for every module (deadlines and rates on the
 * monotonic clock, timestamps on the wall clock). Header-only. */
#pragma once
#include <stdint.h>
#include <time.h>

/* `id`'s reading in µs since its epoch (CLOCK_REALTIME: since 1970 UTC). */
static inline uint64_t ev_clock_us(clockid_t id) {
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* CLOCK_MONOTONIC in µs: for deadlines, intervals and rates. */
static inline uint64_t ev_now_monotonic_us(void) {
	return ev_clock_us(CLOCK_MONOTONIC);
}

/* The wall clock (CLOCK_REALTIME) in µs since 1970 UTC: for timestamps. */
static inline int64_t ev_now_realtime_us(void) {
	return (int64_t)ev_clock_us(CLOCK_REALTIME);
}
