/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * csum.h - incremental Internet checksum updates (RFC 1071, RFC 1624 eqn. 3)
 * for the rewrite in xrelay.bpf.c.  Works on 16-bit words exactly as they
 * sit in the packet: the one's-complement sum does not care about byte order.
 * No helper calls; everything inlines.
 */
#ifndef XR_CSUM_H
#define XR_CSUM_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

/* Fold a 32-bit accumulator of 16-bit terms to 16 bits (end-around carry). */
static __always_inline __u16
xr_csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* Add ~old + new for one 16-bit word to the delta accumulator. */
static __always_inline __u32
xr_csum_delta16(__u32 acc, __u16 old, __u16 new)
{
	return acc + (__u16)~old + new;
}

/* Same for one 32-bit word (an IPv4 address, two ports). */
static __always_inline __u32
xr_csum_delta32(__u32 acc, __u32 old, __u32 new)
{
	acc = xr_csum_delta16(acc, (__u16)old, (__u16)new);
	return xr_csum_delta16(acc, (__u16)(old >> 16), (__u16)(new >> 16));
}

/* Same for a 16-byte IPv6 address given as four 32-bit words. */
static __always_inline __u32
xr_csum_delta128(__u32 acc, const __u32 *old, const __u32 *new)
{
	acc = xr_csum_delta32(acc, old[0], new[0]);
	acc = xr_csum_delta32(acc, old[1], new[1]);
	acc = xr_csum_delta32(acc, old[2], new[2]);
	return xr_csum_delta32(acc, old[3], new[3]);
}

/*
 * Apply a delta to a checksum field: HC' = ~(~HC + sum(~m + m')).
 * Each delta term is < 2^17, so a 32-bit accumulator holds far more than
 * the ~40 terms a rewrite produces.
 */
static __always_inline __u16
xr_csum_apply(__u16 check, __u32 delta)
{
	return (__u16)~xr_csum_fold((__u16)~check + delta);
}

/*
 * The same for a UDP checksum: 0 in IPv4 means "no checksum" and stays 0
 * (RFC 768); a result of 0 is sent as 0xffff (RFC 768, RFC 8200 8.1).
 */
static __always_inline __u16
xr_csum_apply_udp(__u16 check, __u32 delta, int v4)
{
	__u16 c;

	if (v4 && check == 0)
		return 0;
	c = xr_csum_apply(check, delta);
	return c ? c : 0xffff;
}

#endif /* XR_CSUM_H */
