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

/* Clock id in ns; in ms (rounded down). */
static inline uint64_t
xr_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
xr_clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint64_t xr_mono_ns(void)   { return xr_clock_ns(CLOCK_MONOTONIC); }
static inline uint64_t xr_mono_us(void)   { return xr_mono_ns() / 1000; }
static inline uint64_t xr_mono_ms(void)   { return xr_clock_ms(CLOCK_MONOTONIC); }
static inline uint64_t xr_coarse_ns(void) { return xr_clock_ns(CLOCK_MONOTONIC_COARSE); }
static inline uint64_t xr_coarse_ms(void) { return xr_clock_ms(CLOCK_MONOTONIC_COARSE); }
/* Whole seconds of the coarse clock (rate limits). */
static inline time_t   xr_coarse_s(void)  { return (time_t)(xr_coarse_ms() / 1000); }

#endif /* XR_CLOCK_H */
