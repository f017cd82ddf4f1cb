/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flow.h - the forwarding table shared by bpf/xrelay.bpf.c and daemon/fastpath.
 *
 * One definition, included unchanged by both compilers: only <linux/types.h>
 * types, explicit padding, and _Static_asserts on every size and offset the
 * other side relies on.  Keys are zeroed before they are filled: hash maps
 * compare every byte, padding included.
 *
 * Byte order: addresses and ports are in network order everywhere in this
 * file.  Addresses are 16 bytes: IPv6 as is, IPv4 as the v4-mapped form
 * ::ffff:a.b.c.d, so one key and one value carry either family and a flow may
 * later bridge IPv4 and IPv6 (XDP passes such flows to userspace for now).
 */
#ifndef XRELAY_FLOW_H
#define XRELAY_FLOW_H

#include <linux/types.h>

/*
 * Raise on any change to a struct below, to a map's type, key or value, or to
 * the meaning of a counter.  3: drop_wrong_source and the xr_sample budget;
 * index 17 of counters.def is pass_no_headroom (see there); the xr_bans
 * blocklist and drop_banned; the per-flow rate cap (xr_flow_stats.rl_*,
 * drop_rate_limit).  4: xr_flows sized by the loader (--max-sessions);
 * xr_flow_stats a per-CPU array of the same size indexed by the new
 * xr_flow.slot (one hash lookup a packet).
 */
#define XR_ABI_VERSION		4

/* Address family tags used in keys and values (not AF_*: fixed on the wire). */
#define XR_FAM_IPV4		4
#define XR_FAM_IPV6		6

/* Key of xr_flows and xr_flow_stats: where the packet was sent to. */
struct xr_flow_key {
	__u8	addr[16];	/* relay's own address (v4-mapped for IPv4), network order */
	__be16	port;		/* relay's own UDP port, network order */
	__u8	family;		/* XR_FAM_IPV4 or XR_FAM_IPV6: the packet's family */
	__u8	pad;		/* zero */
};

/* xr_flow.flags */
#define XR_FLOW_F_LATCHED	(1u << 0) /* peer_* is the latched source: only it is forwarded */
#define XR_FLOW_F_FORWARD	(1u << 1) /* dst_* is known and media may flow this way */
#define XR_FLOW_F_RTCP		(1u << 2) /* the RTCP leg of a pair (informational) */

/* Value of xr_flows: what to do with a packet that hit the key. */
struct xr_flow {
	__u64	session_id;	/* media session owning this flow (daemon's id) */
	__u8	peer_addr[16];	/* source the packets must come from, v4-mapped for IPv4 */
	__be16	peer_port;	/* source port the packets must come from */
	__u8	peer_family;	/* XR_FAM_*: family of peer_addr */
	__u8	flags;		/* XR_FLOW_F_* */
	__u8	src_addr[16];	/* relay address the forwarded packet leaves from */
	__be16	src_port;	/* relay port the forwarded packet leaves from */
	__u8	out_family;	/* XR_FAM_*: family of src_addr and dst_addr */
	__u8	ttl;		/* TTL / hop limit set on the forwarded packet */
	__u8	dst_addr[16];	/* where the forwarded packet goes */
	__be16	dst_port;	/* destination port of the forwarded packet */
	__u16	pad0;		/* zero */
	__u32	gen;		/* set anew by the daemon on every write of the entry:
				 * the XDP program's next-hop cache is only good
				 * for the generation it was filled for */
	__u32	slot;		/* index of this flow's entry in xr_flow_stats (the
				 * daemon allocates it, zeroed, with the flow) */
	__u32	pad1;		/* zero */
};

/*
 * Value of xr_flow_stats (a per-CPU array indexed by xr_flow.slot, so a
 * forwarded packet costs one hash lookup, xr_flows): summed (packets, bytes) and maxed
 * (last_seen) by the daemon.  The nh_* fields are the XDP program's own
 * per-CPU next-hop cache for the flow (the daemon zeroes them when it
 * creates the entry and never reads them): what bpf_fib_lookup() and
 * xr_vlans said for this flow's generation, reused for XR_NH_CACHE_NS for
 * packets no longer than one the route already accepted.  The rl_* fields
 * are the program's own too: --media-max-pps's window on this CPU.
 */
struct xr_flow_stats {
	__u64	packets;	/* packets forwarded by XDP */
	__u64	bytes;		/* UDP payload bytes forwarded by XDP */
	__u64	last_seen_ns;	/* bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC_COARSE, one-tick
				 * resolution) of the last one; compare with that clock */
	__u64	nh_expires_ns;	/* same clock; 0: empty */
	__u32	nh_gen;		/* xr_flow.gen it was found for */
	__u32	nh_out;		/* the fib's egress device */
	__u32	nh_tx;		/* the device the frame leaves by (the VLAN's lower one) */
	__u16	nh_ok_len;	/* longest IP packet the route took (MTU check) */
	__u16	nh_vid;		/* VLAN id when nh_vlan */
	__u8	nh_dmac[6];
	__u8	nh_smac[6];
	__u8	nh_vlan;	/* nh_out is a VLAN device of xr_vlans */
	__u8	pad[3];		/* zero */
	__u32	rl_sec;		/* --media-max-pps: the second (coarse clock / 1e9) ... */
	__u32	rl_count;	/* ... and the packets forwarded in it, on this CPU */
};

/* How long the XDP program trusts a cached next hop (route or neighbour changes). */
#define XR_NH_CACHE_NS		(1000ull * 1000 * 1000)

/* Value of xr_vlans, keyed by a VLAN device's ifindex (__u32). */
struct xr_vlan {
	__u32	lower_ifindex;	/* the device the VLAN device sits on */
	__u16	vlan_id;	/* VLAN id, host order */
	__u16	pad;		/* zero */
};

/*
 * Value of the single-entry per-CPU xr_sample array: the XDP program's own
 * budget of wrong-source packets it may still pass up to the daemon in the
 * current one-second window on this CPU (the rest are dropped).  The daemon
 * never reads it.
 */
struct xr_budget {
	__u64	window_ns;	/* bpf_ktime_get_coarse_ns() the window began */
	__u32	used;		/* packets passed up in it */
	__u32	pad;		/* zero */
};

/*
 * Key of the xr_bans LPM trie: a banned source prefix.  One trie for both
 * families: IPv4 is the v4-mapped form, its prefix length + 96.
 */
struct xr_ban_key {
	__u32	prefixlen;	/* bits of addr that count, 0..128 (LPM trie: first) */
	__u8	addr[16];	/* network order, v4-mapped for IPv4, zero past prefixlen */
};

/* xr_ban.reason */
#define XR_BAN_MANUAL		1	/* xrelayctl ban add */
#define XR_BAN_PIKE		2	/* over the per-source SIP request rate */
#define XR_BAN_AUTH		3	/* failed digest authentication too often */

/* Value of xr_bans. */
struct xr_ban {
	__u64	expires_ns;	/* bpf_ktime_get_coarse_ns() clock (CLOCK_MONOTONIC):
				 * from then on the entry no longer drops, until the
				 * daemon's sweep deletes it; 0: never expires */
	__u32	reason;		/* XR_BAN_* */
	__u32	pad;		/* zero */
};

/* Value of the single-entry xr_abi array: checked against pinned maps at start. */
struct xr_abi {
	__u32	version;	/* XR_ABI_VERSION */
	__u16	key_size;	/* sizeof(struct xr_flow_key) */
	__u16	flow_size;	/* sizeof(struct xr_flow) */
	__u16	stats_size;	/* sizeof(struct xr_flow_stats) */
	__u16	ncounters;	/* XR_CNT__MAX */
	__u32	pad;		/* zero */
};

_Static_assert(sizeof(struct xr_flow_key) == 20, "xr_flow_key layout");
_Static_assert(__builtin_offsetof(struct xr_flow_key, port) == 16, "xr_flow_key.port");
_Static_assert(sizeof(struct xr_flow) == 80, "xr_flow layout");
_Static_assert(__builtin_offsetof(struct xr_flow, slot) == 72, "xr_flow.slot");
_Static_assert(__builtin_offsetof(struct xr_flow, peer_addr) == 8, "xr_flow.peer_addr");
_Static_assert(__builtin_offsetof(struct xr_flow, src_addr) == 28, "xr_flow.src_addr");
_Static_assert(__builtin_offsetof(struct xr_flow, dst_addr) == 48, "xr_flow.dst_addr");
_Static_assert(sizeof(struct xr_flow_stats) == 72, "xr_flow_stats layout");
_Static_assert(__builtin_offsetof(struct xr_flow_stats, nh_expires_ns) == 24,
	       "xr_flow_stats.nh_expires_ns");
_Static_assert(__builtin_offsetof(struct xr_flow_stats, rl_sec) == 64, "xr_flow_stats.rl_sec");
_Static_assert(sizeof(struct xr_vlan) == 8, "xr_vlan layout");
_Static_assert(sizeof(struct xr_abi) == 16, "xr_abi layout");
_Static_assert(sizeof(struct xr_budget) == 16, "xr_budget layout");
_Static_assert(sizeof(struct xr_ban_key) == 20, "xr_ban_key layout");
_Static_assert(sizeof(struct xr_ban) == 16, "xr_ban layout");

#endif /* XRELAY_FLOW_H */
