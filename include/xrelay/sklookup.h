/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sklookup.h - what bpf/sk_lookup.bpf.c and daemon/fastpath/sklookup.c share:
 * the relay ranges the sk_lookup program steers to the shared media sockets.
 * Slot i of xr_sk_ranges names the socket in slot i of xr_sk_socks.  These
 * maps are never pinned: they live as long as the daemon's link.
 */
#ifndef XRELAY_SKLOOKUP_H
#define XRELAY_SKLOOKUP_H

#include <linux/types.h>

#define XR_SK_SLOTS		32	/* one per --media address (XR_MAX_MEDIA) */
#define XR_MAP_SK_RANGES	"xr_sk_ranges"	/* ARRAY slot -> xr_sk_range */
#define XR_MAP_SK_SOCKS		"xr_sk_socks"	/* SOCKMAP slot -> the shared UDP socket */
#define XR_MAP_SK_SKIP		"xr_sk_skip"	/* HASH port (__u32, host order) -> __u32 1:
						 * never steered (the daemon's own --sip) */
#define XR_SK_SKIP_MAX		64

/* One --media address and the --ports range on it; family 0: slot unused. */
struct xr_sk_range {
	__u32	addr[4];	/* network order: IPv4 in addr[0], IPv6 all four */
	__u16	lo;		/* first port of the range, host order */
	__u16	hi;		/* last port, host order, inclusive */
	__u32	family;		/* AF_INET (2) or AF_INET6 (10), 0: unused */
};

_Static_assert(sizeof(struct xr_sk_range) == 24, "xr_sk_range layout");

#endif /* XRELAY_SKLOOKUP_H */
