/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clock.h - the daemon's monotonic clocks, in one place: CLOCK_MONOTONIC for
 * timers, expiry and durations (xr_mono_*), CLOCK_MONOTONIC_COARSE where a
 * tick of a few ms is fine and the call is on a per-packet or per-message
 * path (xr_coarse_*).  The kernel's bpf_ktime_get_coarse_ns() reads the
 * coarse clock too, so xr_coarse_ns() compares with the XDP program's times.
 */
#ifndef XR_CLOCK_H
#define XR_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
xr_ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

static inline uint64_t
xr_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return xr_ts_ns(&ts);
}

static inline uint64_t
xr_mono_us(void)
{
	return xr_mono_ns() / 1000;
}

static inline uint64_t
xr_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint64_t
xr_coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return xr_ts_ns(&ts);
}

static inline uint64_t
xr_coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Whole seconds of the coarse clock (rate limits). */
static inline time_t
xr_coarse_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

#endif /* XR_CLOCK_H */
