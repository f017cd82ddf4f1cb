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
 * Add one forwarded packet of payload bytes to this CPU's slot pc of its
 * flow, whose generation is gen (flow.h struct xr_flow_pc).  Plain stores:
 * only this CPU writes the slot, and the program runs to its end on it.  A
 * slot of another generation (a previous flow of the entry, or never
 * written) starts afresh, its gen stored last, so that a reader that sees
 * the new gen reads the new counts (x86 keeps stores in order; elsewhere a
 * fully ordered atomic on the stack orders them, on this rare path only).
 * The shared atomic add this replaces (lock xadd: it drains the store
 * buffer, which holds the frame's rewritten headers) cost ~8 ns a packet.
 * now is the coarse clock (xr_now(): bpf_ktime_get_coarse_ns()'s, from
 * jiffies once calibrated), the last tick's CLOCK_MONOTONIC, no clocksource
 * read.  bpf_ktime_get_ns() cost
 * ~10 % of the program; last-seen only feeds the media timeout and "ms
 * ago", where a tick (1-10 ms) does not matter.
 */
static __always_inline void
xr_flow_account(struct xr_flow_pc *pc, __u32 gen, __u32 payload, __u64 now)
{
	if (pc->gen == gen) {
		pc->packets += 1;
		pc->bytes += payload;
		pc->last_seen_ns = now;
		return;
	}
	pc->packets = 1;
	pc->bytes = payload;
	pc->last_seen_ns = now;
#if defined(__TARGET_ARCH_x86)
	asm volatile("" ::: "memory");
#else
	{
		volatile __u64 fence = 0;

		__sync_fetch_and_add(&fence, 0);
	}
#endif
	*(volatile __u32 *)&pc->gen = gen;
}

#endif /* XR_STATS_BPF_H */
