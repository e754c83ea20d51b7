/* Test-only LD_PRELOAD shim (agent-clock.sh): CLOCK_REALTIME (clock_gettime, gettimeofday,
 * time) shifted by the number of seconds in the file named by EV_CLOCKSHIFT_FILE, read
 * again at most every 50 ms of the monotonic clock, so a test can step the wall clock of
 * a running process. The monotonic clock and every timer are left alone (libfaketime
 * also rewrites the deadlines of timerfd timers, which stalls sd-event's monotonic
 * timers while a negative offset is set). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static int (*real_cg)(clockid_t, struct timespec *);
static long long offset_s, read_at_ns = -1;

static long long offset(void) {
	struct timespec m;
	real_cg(CLOCK_MONOTONIC, &m);
	long long now = (long long)m.tv_sec * 1000000000LL + m.tv_nsec;
	if (read_at_ns >= 0 && now - read_at_ns < 50000000LL)
		return offset_s;
	read_at_ns = now;
	const char *p = getenv("EV_CLOCKSHIFT_FILE");
	FILE *f = p ? fopen(p, "re") : NULL;
	if (f) {
		long long v;
		if (fscanf(f, "%lld", &v) == 1)
			offset_s = v;
		fclose(f);
	}
	return offset_s;
}

int clock_gettime(clockid_t id, struct timespec *ts) {
	if (!real_cg)
		real_cg = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	int r = real_cg(id, ts);
	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += offset();
	return r;
}

int gettimeofday(struct timeval *tv, void *tz) {
	struct timespec ts;
	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t time(time_t *t) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
