/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * stats.bpf.h - the one exit-accounting path of the XDP program (BPF side
 * only): an enum xr_cnt outcome becomes one per-CPU counter increment and
 * the XDP action that goes with it; per-flow counters for forwarded packets.
 */
#ifndef XR_STATS_BPF_H
#define XR_STATS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "maps.bpf.h"

/*
 * Count outcome cnt (an enum xr_cnt) once and return its XDP action:
 * fwd_redirect -> XDP_REDIRECT, fwd_tx -> XDP_TX, drop_* -> XDP_DROP,
 * every pass_* -> XDP_PASS.
 */
static __always_inline int
xr_account(int cnt)
{
	__u32 idx = cnt;
	__u64 *c;

	c = bpf_map_lookup_elem(&xr_counters, &idx);
	if (c)
		*c += 1;		/* per-CPU slot: no atomics needed */
	if (idx == XR_CNT_fwd_redirect)
		return XDP_REDIRECT;
	if (idx == XR_CNT_fwd_tx)
		return XDP_TX;
	if (idx == XR_CNT_drop_wrong_source || idx == XR_CNT_drop_banned ||
	    idx == XR_CNT_drop_rate_limit)
		return XDP_DROP;
	return XDP_PASS;
}

/*
 * Add one forwarded packet of payload bytes to the flow's entry e.  The
 * counters are shared by every CPU the flow's packets arrive on: one atomic
 * fetch-and-add of both into pb (lock xadd on x86: it drains the store
 * buffer, ~6 ns here; two such adds, packets and bytes apart, were 38 % of
 * the program's perf samples at 1 flow), and, once every 2^23 packets or
 * 2^39 bytes, the carry into hi by the one CPU whose add reached it (hi
 * first, then pb: a reader that sees neither a change of hi nor a part of
 * pb at its carry has a consistent pair; flow.h).  now is
 * bpf_ktime_get_coarse_ns(): the coarse clock (kernel >= 5.11), the last
 * tick's CLOCK_MONOTONIC, no clocksource read.  bpf_ktime_get_ns() cost
 * ~10 % of the program; last-seen only feeds the media timeout and "ms
 * ago", where a tick (1-10 ms) does not matter.
 */
static __always_inline void
xr_flow_account(struct xr_flow_ent *e, __u32 payload, __u64 now)
{
	__u64 old = __sync_fetch_and_add(&e->pb, (1ull << XR_PB_SHIFT) + payload);
	__u64 ob = old & XR_PB_BMASK, dhi = 0, dpb = 0;

	if ((old >> XR_PB_SHIFT) == XR_PB_PCARRY - 1) {
		dhi = 1;
		dpb = XR_PB_PCARRY << XR_PB_SHIFT;
	}
	if (ob < XR_PB_BCARRY && ob + payload >= XR_PB_BCARRY) {
		dhi += 1ull << 32;
		dpb += XR_PB_BCARRY;
	}
	if (dhi) {
		__sync_fetch_and_add(&e->hi, dhi);
		__sync_fetch_and_add(&e->pb, -dpb);
	}
	e->last_seen_ns = now;
}

#endif /* XR_STATS_BPF_H */
