// SPDX-License-Identifier: GPL-2.0
/*
 * xrelay.bpf.c - the XDP entry of the RTP fast path (SEC("xdp") xr_xdp_rx).
 * Parses a frame (parse.h; the common case, untagged IPv4 to a latched flow
 * with its next hop cached, in one straight line: xr_fast4()), finds the
 * entry of the relay address and port in
 * the xr_flows array (xr_cfg gives the row of each address), reads it under
 * its sequence counter, checks the latched source, finds the next hop (this
 * CPU's cache in its slot of the flow, xr_flow_pc, or bpf_fib_lookup), rewrites
 * addresses, ports, TTL, MACs and the VLAN tag (and drops IPv4 options, as the
 * userspace relay's socket does), and sends the frame on
 * (XDP_TX or a DEVMAP redirect).  A packet from a wrong source on a latched
 * flow is dropped (XDP_DROP) but for a sampled share passed up for the daemon
 * to log.  Before anything else, a packet from a source in the xr_bans
 * blocklist (SIP, media, anything IP) is dropped (the lookup is skipped while
 * the daemon says the list is empty).  Everything else is
 * XDP_PASS, untouched.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xrelay/counters.h"
#include "xrelay/flow.h"
#include "csum.h"
#include "maps.bpf.h"
#include "parse.h"
#include "stats.bpf.h"

/* Not in the UAPI headers without libc; fixed by the socket ABI. */
#define XR_AF_INET	2
#define XR_AF_INET6	10

/*
 * fib_ifindex - device bpf_fib_lookup() looks routes up "from"; 0 = the
 * ingress device (ctx->ingress_ifindex).  Set by the loader before load.
 *
 * Why: bpf_fib_lookup() returns BPF_FIB_LKUP_RET_FWD_DISABLED unless
 * forwarding is on for the device params->ifindex names (IN_DEV_FORWARD for
 * IPv4, idev->cnf.forwarding for IPv6), and the relay host runs with
 * net.ipv4.ip_forward=0 so that nothing but xrelay carries packets between
 * its sides.  The loader therefore sets fib_ifindex = 1 (lo) and turns on
 * net.ipv4.conf.lo.forwarding=1 and net.ipv6.conf.lo.forwarding=1 only.
 *
 * Checked on kernel 6.18 in network namespaces, and kept as tests in
 * tests/bpf/test_xdp.c (the fib_disabled rows, every hit row, and
 * test_kernel_does_not_forward): with ip_forward=0, all.forwarding=0 and
 * lo.forwarding=1 (v4 and v6), a lookup on the ingress veth answers
 * FWD_DISABLED for both families, while the same lookup with ifindex 1
 * succeeds and returns the egress veth and the permanent neighbour's MAC.
 * In that state the kernel itself forwards nothing veth -> veth: pings
 * between two namespaces routed through the relay namespace are dropped
 * (IpInAddrErrors / Ip6InAddrErrors rise, IpForwDatagrams stays 0) and go
 * through once ip_forward=1.  Order matters: changing net.ipv4.ip_forward,
 * or writing net.ipv6.conf.all.forwarding at all (even the same 0), resets
 * every device, lo included; set lo's forwarding after the global knobs.  Side effect of looking up "from lo": ingress
 * policy rules matching iif see lo, not the real device.
 */
const volatile __u32 fib_ifindex = 0;

/*
 * wrong_src_sample - wrong-source packets per second and per CPU passed up to
 * the daemon (which counts, logs and drops them) before the rest of that
 * second's are dropped here; 0 drops them all.  Set by the loader
 * (xrelayd --wrong-source-sample).  A flood of them at line rate then costs
 * the daemon's relay thread a few packets a second, not the flood.
 */
const volatile __u32 wrong_src_sample = 10;	/* FP_WRONG_SRC_SAMPLE */

/*
 * media_max_pps - the most packets a second one flow is forwarded, whichever
 * CPUs its packets arrive on (the window lives in the flow's entry: a fixed
 * one-second window, its count bumped with an atomic add, so CPUs racing at
 * the window's start may let a few more through); the excess is dropped
 * (drop_rate_limit).  0: no cap.  At most XR_RL_COUNT_MAX.  Set by the
 * loader (xrelayd --media-max-pps).
 */
const volatile __u32 media_max_pps = 0;

/*
 * flow_pc_stride - xr_flows' size: CPU c's counter slots (xr_flow_pc) start
 * at c * flow_pc_stride.  Set by the loader (fp_size_maps()) with the sizes.
 */
const volatile __u32 flow_pc_stride = XR_FLOWS_DEFAULT;

/*
 * Memory ordering of the entry's sequence counter (seq, written by the
 * daemon).  A reader
 * loads the counter, the fields, the counter again; it must not see the
 * second load done before the field loads, nor the first after them.  On
 * x86 (TSO: loads are not reordered with other loads, stores not with other
 * stores) the JIT emits plain moves in program order, so only the compiler
 * must be stopped from moving them: an empty asm with a memory clobber.  On
 * weakly ordered CPUs (arm64, ...) BPF has no plain read barrier in this
 * clang; an atomic read-modify-write with fetch is fully ordered there (the
 * arm64 JIT emits LDADDAL, or an LL/SC loop with DMB), so xr_rmb() does one
 * on a stack slot: it orders the loads around it, at the price of a few ns.
 * The writer's side is in daemon/fastpath/maps.c (ent_begin()).
 */
#if defined(__TARGET_ARCH_x86)
#define xr_rmb()	asm volatile("" ::: "memory")
#else
static __always_inline void
xr_rmb(void)
{
	volatile __u64 fence = 0;

	__sync_fetch_and_add(&fence, 0);
}
#endif
#define XR_READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))

/* xr_flow_index(): no row found (no table has 2^32 entries). */
#define XR_ROW_NONE	0xffffffffu

/* What to do with the VLAN tag on the way out. */
enum xr_vlan_op {
	XR_VLAN_NONE,	/* untagged in, untagged out */
	XR_VLAN_KEEP,	/* tagged in, same tag out (same device) */
	XR_VLAN_SET,	/* tagged in, tagged out with another VLAN id */
	XR_VLAN_PUSH,	/* untagged in, tagged out */
	XR_VLAN_POP,	/* tagged in, untagged out */
};

/* Outcome of the egress decision, computed before the frame is touched. */
struct xr_egress {
	__u32	tx_ifindex;	/* device the frame is sent on */
	__u16	vid;		/* VLAN id for SET/PUSH */
	__u8	op;		/* enum xr_vlan_op */
	__u8	verdict;	/* XR_CNT_fwd_tx or XR_CNT_fwd_redirect */
};

/*
 * The packets' clock: CLOCK_MONOTONIC_COARSE as bpf_ktime_get_coarse_ns()
 * gives it, from jiffies (flow.h xr_cfg.jiffy_ns: bpf_jiffies64() is one
 * inlined load, the helper a call and a sequence-counter loop, ~1 ns a
 * packet); the helper itself until the daemon has calibrated.
 */
static __always_inline __u64
xr_now(const struct xr_cfg *cfg)
{
	__u32 jns = XR_READ_ONCE(cfg->jiffy_ns);

	if (!jns)
		return bpf_ktime_get_coarse_ns();
	return XR_READ_ONCE(cfg->jiffy_base) + bpf_jiffies64() * jns;
}

/*
 * The blocklist, first: an IPv4 or IPv6 packet whose source falls in an
 * unexpired xr_bans prefix is dropped (drop_banned), whatever it carries.
 * Only the fixed IP header is read; the full parse comes after.  Called
 * only while xr_cfg.bans is set (the daemon clears it when the trie is
 * empty): even an empty LPM trie costs a helper call and a lock-free walk
 * setup on every packet.
 */
static __always_inline int
xr_ban_check(void *data, void *data_end, const struct xr_cfg *cfg)
{
	struct xr_ban_key k;
	struct xr_pkt p;
	struct xr_ban *b;
	__be16 proto;
	__u32 l3;

	if (xr_parse_eth(data, data_end, &p, &proto) != XR_CONTINUE)
		return XR_CONTINUE;	/* the full parse says why */
	l3 = p.l3_off;
	if (l3 > XR_L3_MAX)
		return XR_CONTINUE;
	__builtin_memset(&k, 0, sizeof(k));
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + l3;

		if ((void *)(ip + 1) > data_end)
			return XR_CONTINUE;
		k.prefixlen = 128;
		k.addr[10] = 0xff;
		k.addr[11] = 0xff;
		__builtin_memcpy(&k.addr[12], &ip->saddr, 4);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + l3;

		if ((void *)(ip6 + 1) > data_end)
			return XR_CONTINUE;
		k.prefixlen = 128;
		__builtin_memcpy(k.addr, &ip6->saddr, 16);
	} else {
		return XR_CONTINUE;
	}
	b = bpf_map_lookup_elem(&xr_bans, &k);
	if (!b)
		return XR_CONTINUE;
	if (b->expires_ns && b->expires_ns <= xr_now(cfg))
		return XR_CONTINUE;	/* expired: the daemon's sweep deletes it */
	return XR_CNT_drop_banned;
}

/*
 * The index in xr_flows of where the packet was sent to: the row of its
 * destination address (its first index, flow.h struct xr_cfg_a4) plus the
 * port's offset in --ports.
 * The row of an IPv4 address comes from xr_cfg's hash (a linear probe from
 * its slot to the address or an empty slot: with at most XR_CFG_ADDRS
 * addresses in XR_CFG_H4 slots, within XR_CFG_ADDRS + 1 steps, nearly always
 * one; the address and its row are one 8-byte load), of an IPv6 one from a
 * scan of the IPv6 addresses.  An address or
 * port that is none of the relay's media ports (SIP, anything else) is
 * pass_unknown_port, as a missing flow.
 */
static __always_inline int
xr_flow_index(void *data, void *data_end, const struct xr_pkt *p, const struct xr_cfg *cfg,
	      __u32 *idx)
{
	__u32 l3 = p->l3_off, l4 = p->l4_off, off, row = XR_ROW_NONE, n;
	struct udphdr *udp;

	if (l3 > XR_L3_MAX || l4 > XR_L4_MAX)
		return XR_CNT_pass_truncated;
	udp = data + l4;
	if ((void *)(udp + 1) > data_end)
		return XR_CNT_pass_truncated;
	off = (__u32)bpf_ntohs(udp->dest) - cfg->port_lo;
	if (off >= cfg->nports)
		return XR_CNT_pass_unknown_port;
	if (p->family == XR_FAM_IPV4) {
		struct iphdr *ip = data + l3;
		__be32 d;

		if ((void *)(ip + 1) > data_end)
			return XR_CNT_pass_truncated;
		d = ip->daddr;
		n = XR_CFG_H4_SLOT(d);
		for (int i = 0; i <= XR_CFG_ADDRS; i++) {
			struct xr_cfg_a4 a = cfg->h4[n & (XR_CFG_H4 - 1)];

			if (!a.addr)	/* empty: not a relay address (0.0.0.0 either) */
				break;
			if (a.addr == d) {
				row = a.row;
				break;
			}
			n++;
		}
	} else {
		struct ipv6hdr *ip6 = data + l3;
		const __u32 *d;

		if ((void *)(ip6 + 1) > data_end)
			return XR_CNT_pass_truncated;
		d = ip6->daddr.in6_u.u6_addr32;
		n = cfg->n6;
		for (int i = 0; i < XR_CFG_ADDRS; i++) {
			const __u32 *a = (const __u32 *)cfg->a6[i];

			if (i >= n)
				break;
			if (a[0] == d[0] && a[1] == d[1] && a[2] == d[2] && a[3] == d[3]) {
				row = cfg->r6[i];
				break;
			}
		}
	}
	if (row == XR_ROW_NONE)
		return XR_CNT_pass_unknown_port;
	*idx = row + off;	/* a row past the table: the lookup's bounds check */
	return XR_CONTINUE;
}

/*
 * The data-path rules of DESIGN.md on a flow that was hit: latched, from the
 * latched peer (address and port: RTP Bleed), forwarding on, same family.
 */
static __always_inline int
xr_check_flow(void *data, void *data_end, const struct xr_pkt *p, const struct xr_flow_fwd *f)
{
	__u32 l3 = p->l3_off, l4 = p->l4_off;
	const __u32 *peer = (const __u32 *)f->peer_addr;
	struct udphdr *udp;

	if (!(f->flags & XR_FLOW_F_LATCHED))
		return XR_CNT_pass_not_latched;
	if (l3 > XR_L3_MAX || l4 > XR_L4_MAX)
		return XR_CNT_pass_truncated;
	udp = data + l4;
	if ((void *)(udp + 1) > data_end)
		return XR_CNT_pass_truncated;
	if (!(f->flags & (p->family == XR_FAM_IPV4 ? XR_FLOW_F_PEER4 : XR_FLOW_F_PEER6)) ||
	    f->peer_port != udp->source)
		return XR_CNT_pass_wrong_source;
	if (p->family == XR_FAM_IPV4) {
		struct iphdr *ip = data + l3;

		if ((void *)(ip + 1) > data_end)
			return XR_CNT_pass_truncated;
		if (peer[3] != ip->saddr)
			return XR_CNT_pass_wrong_source;
	} else {
		struct ipv6hdr *ip6 = data + l3;
		const __u32 *s;

		if ((void *)(ip6 + 1) > data_end)
			return XR_CNT_pass_truncated;
		s = ip6->saddr.in6_u.u6_addr32;
		if (peer[0] != s[0] || peer[1] != s[1] || peer[2] != s[2] || peer[3] != s[3])
			return XR_CNT_pass_wrong_source;
	}
	if (!(f->flags & XR_FLOW_F_FORWARD))
		return XR_CNT_pass_no_dest;
	if (!(f->flags & (p->family == XR_FAM_IPV4 ? XR_FLOW_F_OUT4 : XR_FLOW_F_OUT6)))
		return XR_CNT_pass_af_bridge;
	return XR_CONTINUE;
}

/*
 * Whether this wrong-source packet is one of the share passed up: a fixed
 * one-second window per CPU (xr_sample), at most wrong_src_sample in it.
 * Per-CPU state, no atomics; the window restarts on the first packet after
 * it ends.
 */
static __always_inline int
xr_sampled(__u64 now)
{
	struct xr_budget *b;
	__u32 k = 0;

	if (!wrong_src_sample)
		return 0;
	b = bpf_map_lookup_elem(&xr_sample, &k);
	if (!b)
		return 0;
	if (now - b->window_ns >= 1000000000ull) {
		b->window_ns = now;
		b->used = 0;
	}
	if (b->used >= wrong_src_sample)
		return 0;
	b->used++;
	return 1;
}

/*
 * The outcome of a packet from other than a flow's latched peer (RTP Bleed):
 * dropped in XDP (drop_wrong_source), but for the sampled share passed up
 * for the daemon to log and drop (pass_wrong_source).
 */
static __always_inline int
xr_wrong_source(const struct xr_cfg *cfg)
{
	return xr_sampled(xr_now(cfg)) ? XR_CNT_pass_wrong_source : XR_CNT_drop_wrong_source;
}

/*
 * The next hop as a cache miss finds it: what bpf_fib_lookup() and xr_vlans
 * said, with the rewrite's checksum deltas, before xr_nh_store() puts it in
 * the CPU's slot (from which every packet then reads it).  The MACs come
 * first, as three 32-bit words (destination then source, the Ethernet
 * header's order): clang copies a 6-byte array of unknown alignment byte by
 * byte, and the cache and the frame then cost 24 byte loads, 24 byte stores
 * and their shifts a packet.
 */
struct xr_nh {
	__u32	mac[3];		/* h_dest (6 bytes) then h_source (6 bytes) */
	__u32	out;		/* the fib's egress device */
	__u32	tx;		/* the device the frame leaves by */
	__u16	vid;		/* VLAN id when vlan */
	__u8	vlan;		/* out is a VLAN device of xr_vlans */
	__u8	pad;
	__u32	dl3;		/* IPv4 header checksum delta of the addresses (xr_deltas()) */
	__u32	dl4;		/* UDP checksum delta of the addresses and ports */
};

/*
 * Next hop of the rewritten packet, looked up before anything is written so
 * that a passed packet reaches the stack unmodified.  On success fib holds
 * the egress ifindex and both MACs.
 */
static __always_inline int
xr_fib(struct xdp_md *ctx, void *data, void *data_end, const struct xr_pkt *p,
       const struct xr_flow_fwd *f, struct bpf_fib_lookup *fib)
{
	__u32 l3 = p->l3_off;
	long rc;

	__builtin_memset(fib, 0, sizeof(*fib));
	fib->ifindex = fib_ifindex ? fib_ifindex : ctx->ingress_ifindex;
	fib->l4_protocol = IPPROTO_UDP;
	fib->sport = f->src_port;
	fib->dport = f->dst_port;
	fib->tot_len = p->l3_len;
	if (l3 > XR_L3_MAX)
		return XR_CNT_pass_truncated;
	if (p->family == XR_FAM_IPV4) {
		struct iphdr *ip = data + l3;

		if ((void *)(ip + 1) > data_end)
			return XR_CNT_pass_truncated;
		fib->family = XR_AF_INET;
		fib->tos = ip->tos;
		__builtin_memcpy(&fib->ipv4_src, &f->src_addr[12], 4);
		__builtin_memcpy(&fib->ipv4_dst, &f->dst_addr[12], 4);
	} else {
		struct ipv6hdr *ip6 = data + l3;

		if ((void *)(ip6 + 1) > data_end)
			return XR_CNT_pass_truncated;
		fib->family = XR_AF_INET6;
		fib->flowinfo = *(__be32 *)ip6 & bpf_htonl(0x0fffffff);
		__builtin_memcpy(fib->ipv6_src, f->src_addr, 16);
		__builtin_memcpy(fib->ipv6_dst, f->dst_addr, 16);
	}
	rc = bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		return XR_CONTINUE;
	case BPF_FIB_LKUP_RET_NO_NEIGH:
		return XR_CNT_pass_no_neigh;
	case BPF_FIB_LKUP_RET_FRAG_NEEDED:
		return XR_CNT_pass_frag_needed;
	case BPF_FIB_LKUP_RET_FWD_DISABLED:
		return XR_CNT_pass_fib_disabled;
	default:	/* blackhole, unreachable, prohibit, local, LWT, errors */
		return XR_CNT_pass_no_route;
	}
}

/*
 * Where the frame leaves and with which tag, still without touching it.
 * The fib's egress device may be a VLAN device known in xr_vlans: the frame
 * then leaves by its lower device tagged with its VLAN id (the id replaced
 * in a tagged frame, PCP/DEI kept; a tag pushed on an untagged one).  An
 * untagged egress device pops the tag of a tagged frame, except when it is
 * the ingress device itself: a frame leaving by the device it came in on
 * keeps its tag (no VLAN netdev models that segment).  The frame is sent by
 * XDP_TX when that device is the ingress one, else redirected through
 * xr_tx_ports, which must hold it.  Native XDP sees tags only with the
 * NIC's VLAN stripping off (ethtool -K IF rxvlan off).
 */
static __always_inline void
xr_vlan_of(struct xr_nh *nh)
{
	__u32 out = nh->out;
	struct xr_vlan *vl;

	vl = bpf_map_lookup_elem(&xr_vlans, &out);
	if (vl) {
		nh->tx = vl->lower_ifindex;
		nh->vid = vl->vlan_id & XR_VLAN_VID_MASK;
		nh->vlan = 1;
	} else {
		nh->tx = out;
		nh->vid = 0;
		nh->vlan = 0;
	}
}

static __always_inline int
xr_egress(struct xdp_md *ctx, const struct xr_pkt *p, const struct xr_flow_pc *pc,
	  struct xr_egress *eg)
{
	__u16 vid = pc->nh_vid;

	eg->tx_ifindex = pc->nh_tx;
	eg->vid = vid & XR_VLAN_VID_MASK;
	if (vid & XR_NH_VLAN)
		eg->op = p->tagged ? XR_VLAN_SET : XR_VLAN_PUSH;
	else if (!p->tagged)
		eg->op = XR_VLAN_NONE;
	else if (eg->tx_ifindex == ctx->ingress_ifindex)	/* untagged: the fib's device */
		eg->op = XR_VLAN_KEEP;
	else
		eg->op = XR_VLAN_POP;
	/*
	 * A pushed tag needs 4 bytes of headroom: probe it now (moving the
	 * head and back writes no byte of the frame), so that the write below
	 * cannot fail and a frame that must be passed is passed untouched.
	 */
	if (eg->op == XR_VLAN_PUSH) {
		if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct xr_vlan_hdr)))
			return XR_CNT_pass_no_headroom;
		if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct xr_vlan_hdr)))
			return XR_CNT_pass_truncated;	/* cannot happen: undoes the above */
	}
	if (eg->tx_ifindex == ctx->ingress_ifindex) {
		eg->verdict = XR_CNT_fwd_tx;
		return XR_CONTINUE;
	}
	/*
	 * bpf_redirect_map() only records the target (acted on when the
	 * program returns XDP_REDIRECT), so it doubles as the membership test,
	 * one hash lookup instead of two: a device missing from the map gives
	 * the XDP_PASS fallback while the frame is still untouched.
	 */
	if (bpf_redirect_map(&xr_tx_ports, eg->tx_ifindex, XDP_PASS) != XDP_REDIRECT)
		return XR_CNT_pass_no_tx_port;
	eg->verdict = XR_CNT_fwd_redirect;
	return XR_CONTINUE;
}

/*
 * Both MACs of the Ethernet header at eth from this CPU's next-hop cache, as
 * three word stores (unaligned packet access is allowed where the CPU does
 * it cheaply; the frame starts at least 2-aligned anyway).  The caller has
 * checked 12 bytes at eth.
 */
static __always_inline void
xr_write_macs(void *eth, const struct xr_flow_pc *pc)
{
	__u32 *w = eth;

	w[0] = pc->nh_mac[0];
	w[1] = pc->nh_mac[1];
	w[2] = pc->nh_mac[2];
}

/*
 * Set the Ethernet header (MACs from the fib, VLAN tag per eg->op).  The
 * only step that can fail (no headroom for a pushed tag) runs first, so a
 * failure leaves the frame untouched.  Returns the new L3 offset or < 0.
 */
static __always_inline int
xr_write_l2(struct xdp_md *ctx, const struct xr_pkt *p, const struct xr_flow_pc *pc,
	    const struct xr_egress *eg)
{
	void *data, *data_end;
	struct xr_vlan_hdr *vh;
	struct ethhdr *eth;
	int l3 = p->tagged ? XR_L3_MAX : ETH_HLEN;

	if (eg->op == XR_VLAN_PUSH) {
		if (bpf_xdp_adjust_head(ctx, -(int)sizeof(*vh)))
			return -1;
		l3 = XR_L3_MAX;
	} else if (eg->op == XR_VLAN_POP) {
		if (bpf_xdp_adjust_head(ctx, (int)sizeof(*vh)))
			return -1;
		l3 = ETH_HLEN;
	}
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return -1;
	/* After a pop the EtherType is already in place (the tag's encap_proto). */
	xr_write_macs(eth, pc);
	if (eg->op == XR_VLAN_PUSH || eg->op == XR_VLAN_SET) {
		vh = (void *)(eth + 1);
		if ((void *)(vh + 1) > data_end)
			return -1;
		if (eg->op == XR_VLAN_PUSH) {
			/* The old EtherType now sits where encap_proto belongs. */
			eth->h_proto = bpf_htons(ETH_P_8021Q);
			vh->tci = bpf_htons(eg->vid);
		} else {
			vh->tci = (vh->tci & bpf_htons(~XR_VLAN_VID_MASK)) | bpf_htons(eg->vid);
		}
	}
	return l3;
}

/*
 * The checksum deltas of the flow's rewrite of addresses and ports (RFC 1624
 * terms, unfolded): dl3 for the IPv4 header (the addresses), dl4 for the UDP
 * checksum (the addresses, which its pseudo-header covers, and the ports).
 * The old values are the packet's, but every packet of a flow that passes
 * xr_check_flow() carries the same: its source is the latched peer, its
 * destination the entry's relay address and port.  So they are worked out
 * on a next-hop miss and kept with the next hop in this CPU's slot, for the
 * same write of the entry and epoch (a new --media layout raises it); a hit
 * only adds the TTL and length terms.  0, or -1 on bounds (cannot happen:
 * the parsers checked them).
 */
static __always_inline int
xr_deltas(void *data, void *data_end, const struct xr_pkt *p, const struct xr_flow_fwd *f,
	  struct xr_nh *nh)
{
	__u32 l3 = p->l3_off, l4 = p->l4_off, d;
	struct udphdr *udp;

	if (l3 > XR_L3_MAX || l4 > XR_L4_MAX)
		return -1;
	udp = data + l4;
	if ((void *)(udp + 1) > data_end)
		return -1;
	if (p->family == XR_FAM_IPV4) {
		struct iphdr *ip = data + l3;
		__u32 s, t;

		if ((void *)(ip + 1) > data_end)
			return -1;
		__builtin_memcpy(&s, &f->src_addr[12], 4);
		__builtin_memcpy(&t, &f->dst_addr[12], 4);
		d = xr_csum_delta32(0, ip->saddr, s);
		d = xr_csum_delta32(d, ip->daddr, t);
	} else {
		struct ipv6hdr *ip6 = data + l3;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		d = xr_csum_delta128(0, ip6->saddr.in6_u.u6_addr32, (const __u32 *)f->src_addr);
		d = xr_csum_delta128(d, ip6->daddr.in6_u.u6_addr32, (const __u32 *)f->dst_addr);
	}
	nh->dl3 = d;
	d = xr_csum_delta16(d, udp->source, f->src_port);
	nh->dl4 = xr_csum_delta16(d, udp->dest, f->dst_port);
	return 0;
}

/*
 * Rewrite addresses, ports, TTL and tot_len (the IP packet ends with the UDP
 * datagram) of the IPv4/UDP packet at l3/l4, checksums incrementally: the
 * addresses' and ports' terms from the slot (xr_deltas()), the TTL's and
 * tot_len's from the packet.
 */
static __always_inline int
xr_write_ipv4(void *data, void *data_end, __u32 l3, __u32 l4, const struct xr_flow_fwd *f,
	      __u16 tot_len, const struct xr_flow_pc *pc)
{
	struct iphdr *ip = data + l3;
	struct udphdr *udp;
	__u32 d_ip, s, d;
	__be16 new_tot = bpf_htons(tot_len), old_tot, old_tp, new_tp, ucheck;

	if (l3 > XR_L3_MAX || l4 > XR_L4_MAX)
		return -1;
	udp = data + l4;
	if ((void *)(ip + 1) > data_end || (void *)(udp + 1) > data_end)
		return -1;
	/*
	 * Every old field is loaded before anything is stored: a load of a
	 * word a store just wrote in part (the TTL byte, then the (ttl,
	 * protocol) word) cannot be forwarded from the store buffer and
	 * stalls (measured: the rewrite cost 7-8 of a 41 ns hit).
	 */
	__builtin_memcpy(&s, &f->src_addr[12], 4);
	__builtin_memcpy(&d, &f->dst_addr[12], 4);
	old_tp = *(__be16 *)&ip->ttl;		/* the word (ttl, protocol) */
	old_tot = ip->tot_len;
	ucheck = udp->check;
	/* the TTL byte comes first in memory: set it in the word as stored */
	new_tp = old_tp;
	*(__u8 *)&new_tp = f->ttl;
	d_ip = xr_csum_delta16(pc->nh_dl3, old_tp, new_tp);
	d_ip = xr_csum_delta16(d_ip, old_tot, new_tot);
	ip->check = xr_csum_apply(ip->check, d_ip);
	ip->saddr = s;
	ip->daddr = d;
	*(__be16 *)&ip->ttl = new_tp;
	ip->tot_len = new_tot;
	udp->source = f->src_port;
	udp->dest = f->dst_port;
	udp->check = xr_csum_apply_udp(ucheck, pc->nh_dl4, 1);
	return 0;
}

/*
 * The same for IPv6 (no header checksum; the UDP one covers the addresses:
 * the slot's nh_dl4).  A zero UDP checksum is invalid in IPv6 (RFC 8200 8.1) and is
 * not special here: the update leaves it wrong and the receiver drops the
 * packet, as the relay's own socket would have in the userspace path.
 */
static __always_inline int
xr_write_ipv6(void *data, void *data_end, __u32 l3, __u32 l4, const struct xr_flow_fwd *f,
	      __u16 payload_len, const struct xr_flow_pc *pc)
{
	struct ipv6hdr *ip6 = data + l3;
	struct udphdr *udp;

	if (l3 > XR_L3_MAX || l4 > XR_L4_MAX)
		return -1;
	udp = data + l4;
	if ((void *)(ip6 + 1) > data_end || (void *)(udp + 1) > data_end)
		return -1;
	__builtin_memcpy(&ip6->saddr, f->src_addr, 16);
	__builtin_memcpy(&ip6->daddr, f->dst_addr, 16);
	ip6->hop_limit = f->ttl;
	/*
	 * Flow label 0, traffic class kept: the relay's sockets send no label
	 * (IPV6_AUTOFLOWLABEL off in daemon/media/ports.c), and the sender's
	 * label belongs to its own flow, not to the relay's.
	 */
	ip6->flow_lbl[0] &= 0xf0;
	ip6->flow_lbl[1] = 0;
	ip6->flow_lbl[2] = 0;
	ip6->payload_len = bpf_htons(payload_len);	/* not in the pseudo-header: UDP's length is */
	udp->source = f->src_port;
	udp->dest = f->dst_port;
	udp->check = xr_csum_apply_udp(udp->check, pc->nh_dl4, 0);
	return 0;
}

/*
 * Drop the options of an IPv4 packet, as the userspace relay's socket does
 * (what it sends carries none): the frame's first bytes (Ethernet, the tag,
 * the fixed IPv4 header) move forward over the options, the head shrinks by
 * their length, and the header gets IHL 5, the shorter tot_len and its
 * checksum computed afresh (20 bytes; the options leave no delta to apply).
 * The UDP header and payload stay where they are; the UDP checksum does not
 * cover options.  Runs after every decision, so it cannot fail on a frame
 * the parsers accepted; p's offsets and l3_len are updated.  0 or -1.
 */
static __always_inline int
xr_strip_ipv4_options(struct xdp_md *ctx, struct xr_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 optlen = p->l4_off - p->l3_off - sizeof(struct iphdr);
	__u8 l2[XR_L3_MAX];
	struct iphdr ip, *nip;
	__u16 *w = (__u16 *)&ip;
	__u32 sum = 0;

	if (optlen == 0)
		return 0;
	if (optlen > 40)
		return -1;
	if (p->tagged) {
		if (data + XR_L3_MAX + sizeof(ip) > data_end)
			return -1;
		__builtin_memcpy(l2, data, XR_L3_MAX);
		__builtin_memcpy(&ip, data + XR_L3_MAX, sizeof(ip));
	} else {
		if (data + ETH_HLEN + sizeof(ip) > data_end)
			return -1;
		__builtin_memcpy(l2, data, ETH_HLEN);
		__builtin_memcpy(&ip, data + ETH_HLEN, sizeof(ip));
	}
	if (bpf_xdp_adjust_head(ctx, (int)optlen))
		return -1;
	ip.ihl = 5;
	ip.tot_len = bpf_htons(bpf_ntohs(ip.tot_len) - optlen);
	ip.check = 0;
#pragma unroll
	for (int i = 0; i < (int)(sizeof(ip) / 2); i++)
		sum += w[i];
	ip.check = (__u16)~xr_csum_fold(sum);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (p->tagged) {
		if (data + XR_L3_MAX + sizeof(ip) > data_end)
			return -1;
		__builtin_memcpy(data, l2, XR_L3_MAX);
		nip = data + XR_L3_MAX;
	} else {
		if (data + ETH_HLEN + sizeof(ip) > data_end)
			return -1;
		__builtin_memcpy(data, l2, ETH_HLEN);
		nip = data + ETH_HLEN;
	}
	__builtin_memcpy(nip, &ip, sizeof(ip));
	p->l4_off -= optlen;
	p->l3_len -= optlen;
	return 0;
}

/*
 * The flow (struct xr_flow_fwd, its generation included: the entry's
 * line) copied out of entry e under its sequence counter: XR_CONTINUE with
 * *f a consistent snapshot of one write of the daemon, or pass_flow_busy
 * when the daemon was writing it (seq odd before, or changed after: the
 * packet goes up untouched and the userspace relay, which reads the session
 * under its lock, handles it), or pass_unknown_port when the entry holds no
 * flow.
 * Only the packet's family's part of the addresses is copied (IPv4: their
 * last 4 bytes, 28 bytes in all instead of 64): a flow of the other family
 * is refused on its family flags before an address is read.
 */
static __always_inline int
xr_flow_read(const struct xr_flow_ent *e, __u8 family, struct xr_flow_fwd *f)
{
	__u32 seq = XR_READ_ONCE(e->fwd.seq);

	xr_rmb();
	__builtin_memcpy(f, &e->fwd, __builtin_offsetof(struct xr_flow_fwd, peer_addr));
	if (family == XR_FAM_IPV4) {
		__builtin_memcpy(&f->peer_addr[12], &e->fwd.peer_addr[12], 4);
		__builtin_memcpy(&f->src_addr[12], &e->fwd.src_addr[12], 4);
		__builtin_memcpy(&f->dst_addr[12], &e->fwd.dst_addr[12], 4);
	} else {
		__builtin_memcpy(f->peer_addr, e->fwd.peer_addr, 48);
	}
	xr_rmb();
	if ((seq & 1) || XR_READ_ONCE(e->fwd.seq) != seq)
		return XR_CNT_pass_flow_busy;
	if (!(f->flags & XR_FLOW_F_ACTIVE))
		return XR_CNT_pass_unknown_port;
	f->seq = seq;
	return XR_CONTINUE;
}

/*
 * Whether this CPU's next-hop cache in its slot of the flow (flow.h struct
 * xr_flow_pc: the next hop and the rewrite's checksum deltas, xr_deltas())
 * is good for this packet: filled for this write of the entry (seq), under
 * this stamp (the daemon's next-hop epoch and the clock's window:
 * XR_NH_STAMP), for a packet no longer than one the route took.  Only this
 * CPU writes the slot, so what follows (xr_egress(), the writes) reads the
 * next hop from it with plain loads, no copy: on a miss xr_nh_store() has
 * filled it first.
 */
static __always_inline int
xr_nh_good(const struct xr_flow_pc *pc, __u32 seq, __u32 stamp, __u32 l3_len)
{
	return pc->nh_seq == seq && pc->nh_stamp == stamp && l3_len <= pc->nh_ok_len;
}

/*
 * Fill this CPU's next-hop cache of the flow with nh, the checksum deltas
 * included (plain stores: the slot is this CPU's).  ok_len grows while the write, the stamp and the
 * egress stay the same.
 */
static __always_inline void
xr_nh_store(struct xr_flow_pc *pc, __u32 seq, __u32 stamp, __u32 l3_len, const struct xr_nh *nh)
{
	__u16 vid = nh->vlan ? (XR_NH_VLAN | nh->vid) : 0;
	int same;

	same = pc->nh_seq == seq && pc->nh_stamp == stamp && pc->nh_tx == nh->tx &&
	       pc->nh_vid == vid;
	pc->nh_ok_len = same && pc->nh_ok_len > l3_len ? pc->nh_ok_len : (__u16)l3_len;
	pc->nh_seq = seq;
	pc->nh_stamp = stamp;
	pc->nh_tx = nh->tx;
	pc->nh_vid = vid;
	pc->nh_mac[0] = nh->mac[0];
	pc->nh_mac[1] = nh->mac[1];
	pc->nh_mac[2] = nh->mac[2];
	pc->nh_dl3 = nh->dl3;
	pc->nh_dl4 = nh->dl4;
}

/*
 * --media-max-pps on the window of entry idx (flow.h xr_flow_side.rl): 1
 * when the packet is over the cap.  The first packet of a new second resets
 * the window with a plain store; two CPUs doing so at once lose a count or
 * two.
 */
static __always_inline int
xr_rate_over(__u32 idx, __u64 now)
{
	__u32 sec8 = (__u32)(now / 1000000000ull) & 0xff;
	struct xr_flow_side *sd = bpf_map_lookup_elem(&xr_flow_side, &idx);
	__u32 rl;

	if (!sd)
		return 0;	/* cannot happen: the loader sized it as xr_flows */
	rl = XR_READ_ONCE(sd->rl);
	if ((rl >> 24) != sec8) {
		sd->rl = (sec8 << 24) | 1;
		return 0;
	}
	if ((rl & XR_RL_COUNT_MAX) >= media_max_pps)
		return 1;
	__sync_fetch_and_add(&sd->rl, 1);
	return 0;
}

/*
 * Every step after the parse, for the frame p describes; returns the enum
 * xr_cnt outcome of the frame.  Inlined twice by xr_process(): p is passed
 * by value so that the copy for the common frame has constant offsets.
 */
static __always_inline int
xr_forward(struct xdp_md *ctx, const struct xr_cfg *cfg, struct xr_pkt p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bpf_fib_lookup fib;
	struct xr_flow_ent *e;
	struct xr_flow_pc *pc;
	struct xr_flow_fwd f;
	struct xr_egress eg;
	struct xr_nh nh;
	__u64 now;
	int rc, l3;
	__u32 l4, want, have, idx, stamp, pci;

	rc = xr_flow_index(data, data_end, &p, cfg, &idx);
	if (rc != XR_CONTINUE)
		return rc;
	e = bpf_map_lookup_elem(&xr_flows, &idx);	/* inlined: base + idx * 64 */
	if (!e)
		return XR_CNT_pass_unknown_port;	/* xr_cfg larger than the table */
	/* One snapshot: the daemon may rewrite the entry while we run. */
	rc = xr_flow_read(e, p.family, &f);
	if (rc != XR_CONTINUE)
		return rc;
	rc = xr_check_flow(data, data_end, &p, &f);
	/* RTP Bleed: dropped here, but for the share the daemon logs. */
	if (rc == XR_CNT_pass_wrong_source)
		return xr_wrong_source(cfg);
	if (rc != XR_CONTINUE)
		return rc;
	now = xr_now(cfg);
	if (media_max_pps && xr_rate_over(idx, now))
		return XR_CNT_drop_rate_limit;
	/*
	 * This CPU's slot of the flow (flow.h xr_flow_pc): its next-hop cache
	 * and counters, found before any write.
	 */
	pci = bpf_get_smp_processor_id() * flow_pc_stride + idx;
	pc = bpf_map_lookup_elem(&xr_flow_pc, &pci);	/* inlined: base + pci * 64 */
	if (!pc)
		return XR_CNT_pass_unknown_port;	/* cannot happen: the loader sized it */
	/*
	 * The next hop: from the cache when it is good, else asked afresh.
	 * Measured: the fib lookup and the VLAN lookup were ~105 of ~300 ns;
	 * a miss still costs ~46 ns more than a hit (test_xdp --bench).
	 */
	stamp = XR_NH_STAMP(XR_READ_ONCE(cfg->nh_epoch), now);
	if (!xr_nh_good(pc, f.seq, stamp, p.l3_len)) {
		rc = xr_fib(ctx, data, data_end, &p, &f, &fib);
		if (rc != XR_CONTINUE)
			return rc;
		nh.out = fib.ifindex;
		__builtin_memcpy(nh.mac, fib.dmac, ETH_ALEN);
		__builtin_memcpy((__u8 *)nh.mac + ETH_ALEN, fib.smac, ETH_ALEN);
		xr_vlan_of(&nh);
		if (xr_deltas(data, data_end, &p, &f, &nh) < 0)
			return XR_CNT_pass_truncated;	/* cannot happen: the parsers checked these bounds */
		xr_nh_store(pc, f.seq, stamp, p.l3_len, &nh);
	}
	rc = xr_egress(ctx, &p, pc, &eg);
	if (rc != XR_CONTINUE)
		return rc;

	/* From here on the frame is written. */
	if (p.family == XR_FAM_IPV4 && xr_strip_ipv4_options(ctx, &p) < 0)
		return XR_CNT_pass_truncated;	/* cannot happen: the parsers checked these bounds */
	l3 = xr_write_l2(ctx, &p, pc, &eg);
	if (l3 < 0)
		return XR_CNT_pass_no_headroom;	/* cannot happen: xr_egress() probed it */
	l4 = l3 + (p.l4_off - p.l3_off);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	/*
	 * The IP packet ends with the UDP datagram, and the frame with the IP
	 * packet: bytes after udp->len (inside the IP packet, or Ethernet
	 * padding and trailers) are dropped, as the userspace relay, which
	 * sends udp->len - 8 bytes of payload, drops them.
	 */
	want = (p.l4_off - p.l3_off) + p.udp_len;
	if (p.family == XR_FAM_IPV4)
		rc = xr_write_ipv4(data, data_end, l3, l4, &f, (__u16)want, pc);
	else
		rc = xr_write_ipv6(data, data_end, l3, l4, &f, p.udp_len, pc);
	if (rc < 0)
		return XR_CNT_pass_truncated;	/* cannot happen: the parsers checked these bounds */
	want += l3;
	have = (__u32)(ctx->data_end - ctx->data);
	if (have > want && bpf_xdp_adjust_tail(ctx, -(int)(have - want)))
		return XR_CNT_pass_truncated;	/* cannot happen: the frame only shrinks */

	xr_flow_account(pc, f.gen, p.udp_len - sizeof(struct udphdr), now);
	return eg.verdict;
}

/*
 * XR_STAGE(n): where bench/stages.sh cuts the program to time it part by
 * part.  Built with -DXR_STAGE_STOP=n, the program ends at XR_STAGE(n) as
 * if the frame had been forwarded (fwd_redirect, counted), so that the time
 * of stage n less that of stage n - 1 is what the code between them costs
 * on a hit (test_xdp --bench).  In every other build it is nothing.
 */
#ifdef XR_STAGE_STOP
#define XR_STAGE(n)							\
	do {								\
		if ((n) == XR_STAGE_STOP)				\
			return XR_CNT_fwd_redirect;			\
	} while (0)
#else
#define XR_STAGE(n)	do { } while (0)
#endif

/*
 * xr_fast4() could not finish the frame: nothing was written, and
 * xr_forward() takes it from the start.
 */
#define XR_SLOW		(-2)

/*
 * The common case in one straight line: an untagged IPv4 frame without
 * options (the caller saw the EtherType and 0x45) that is exactly its IP
 * packet, the packet exactly its UDP datagram, for a relay port whose flow
 * is latched to this source and forwards IPv4 to IPv4, whose next hop this
 * CPU has cached for this write of the entry, and which leaves untagged.
 * It takes xr_forward()'s decisions in the same order (but for the
 * --media-max-pps cap, see below), on the same fields, through the same
 * helpers, and writes the same bytes, but only their success and a
 * wrong source (dropped or sampled as xr_forward() does): anything else
 * (first packets, next-hop misses, VLAN egress, Ethernet padding, no flow,
 * SIP) returns XR_SLOW before a byte is written, and the general path
 * redoes the frame.  What it saves is
 * the general path's bookkeeping of every case at once: the frame's layout,
 * the VLAN operation and the headroom it needs, the tail to cut, the
 * outcome of each step held in a register (a hit: ~282 instructions instead
 * of ~373; test_xdp --bench 21.1 -> 18.4 ns, medians of 15 alternated runs).
 */
static __always_inline int
xr_fast4(struct xdp_md *ctx, const struct xr_cfg *cfg, void *data, void *data_end)
{
	const struct xr_pkt p = {
		.l3_off = ETH_HLEN, .l4_off = ETH_HLEN + sizeof(struct iphdr),
		.family = XR_FAM_IPV4,
	};
	struct iphdr *ip = data + ETH_HLEN;
	struct udphdr *udp = (void *)(ip + 1);
	struct xr_flow_ent *e;
	struct xr_flow_pc *pc;
	struct xr_flow_fwd f;
	__u32 tot, ulen, idx, pci, tx;
	__u64 now;
	int verdict;

	XR_STAGE(2);
	if ((void *)(udp + 1) > data_end)
		return XR_SLOW;
	tot = bpf_ntohs(ip->tot_len);
	ulen = bpf_ntohs(udp->len);
	/* frame = packet = datagram (so tot >= 28 and ulen >= 8) */
	if ((void *)ip + tot != data_end || ulen != tot - sizeof(struct iphdr))
		return XR_SLOW;
	if ((ip->frag_off & bpf_htons(XR_IP_MF | XR_IP_OFFSET)) || ip->protocol != IPPROTO_UDP)
		return XR_SLOW;
	XR_STAGE(3);
	if (xr_flow_index(data, data_end, &p, cfg, &idx) != XR_CONTINUE)
		return XR_SLOW;
	XR_STAGE(4);
	e = bpf_map_lookup_elem(&xr_flows, &idx);
	if (!e)
		return XR_SLOW;
	if (xr_flow_read(e, XR_FAM_IPV4, &f) != XR_CONTINUE)
		return XR_SLOW;
	XR_STAGE(5);
	if ((f.flags & (XR_FLOW_F_LATCHED | XR_FLOW_F_PEER4 | XR_FLOW_F_FORWARD | XR_FLOW_F_OUT4)) !=
		    (XR_FLOW_F_LATCHED | XR_FLOW_F_PEER4 | XR_FLOW_F_FORWARD | XR_FLOW_F_OUT4) ||
	    f.peer_port != udp->source || *(__u32 *)&f.peer_addr[12] != ip->saddr) {
		/*
		 * A wrong source is decided here, as xr_check_flow() decides
		 * it (latched, then the peer's family, port and address,
		 * before the flow's own state): a flood from other sources
		 * then costs this prefix, not the general path's parse and
		 * entry read over again.  A hit never comes this way.  The
		 * peer test is written again here rather than held in a
		 * variable: with it held, clang allocates the hit's registers
		 * differently (more stack traffic; test_xdp --bench 18.95 ->
		 * 19.22 ns).
		 */
		if ((f.flags & XR_FLOW_F_LATCHED) &&
		    (!(f.flags & XR_FLOW_F_PEER4) || f.peer_port != udp->source ||
		     *(__u32 *)&f.peer_addr[12] != ip->saddr))
			return xr_wrong_source(cfg);
		return XR_SLOW;
	}
	XR_STAGE(6);
	now = xr_now(cfg);
	XR_STAGE(7);
	pci = bpf_get_smp_processor_id() * flow_pc_stride + idx;
	pc = bpf_map_lookup_elem(&xr_flow_pc, &pci);
	if (!pc || !xr_nh_good(pc, f.seq, XR_NH_STAMP(XR_READ_ONCE(cfg->nh_epoch), now), tot) ||
	    pc->nh_vid)
		return XR_SLOW;
	XR_STAGE(8);
	tx = pc->nh_tx;
	if (tx == ctx->ingress_ifindex) {
		verdict = XR_CNT_fwd_tx;
	} else {
		if (bpf_redirect_map(&xr_tx_ports, tx, XDP_PASS) != XDP_REDIRECT)
			return XR_SLOW;
		verdict = XR_CNT_fwd_redirect;
	}
	XR_STAGE(9);
	/*
	 * The cap after the last XR_SLOW: a window counts a packet once (the
	 * general path would count it again).  xr_forward() caps before the
	 * next hop; the outcome is the same, as every step between succeeded.
	 */
	if (media_max_pps && xr_rate_over(idx, now))
		return XR_CNT_drop_rate_limit;

	/* From here on the frame is written. */
	xr_write_macs(data, pc);
	if (xr_write_ipv4(data, data_end, ETH_HLEN, ETH_HLEN + sizeof(struct iphdr), &f, (__u16)tot,
			  pc) < 0)
		return XR_CNT_pass_truncated;	/* cannot happen: bounds checked above */
	XR_STAGE(10);
	xr_flow_account(pc, f.gen, ulen - sizeof(struct udphdr), now);
	return verdict;
}

/* Blocklist, parse, then xr_forward(); returns the enum xr_cnt outcome of the frame. */
static __always_inline int
xr_process(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct xr_cfg *cfg;
	struct xr_pkt p;
	__u32 k0 = 0;
	int rc;

	XR_STAGE(1);
	cfg = bpf_map_lookup_elem(&xr_cfg, &k0);	/* an inlined array access */
	if (!cfg)
		return XR_CNT_pass_unknown_port;	/* cannot happen: one entry */
	if (XR_READ_ONCE(cfg->bans)) {
		rc = xr_ban_check(data, data_end, cfg);
		if (rc != XR_CONTINUE)
			return rc;
	}
	__builtin_memset(&p, 0, sizeof(p));
	/*
	 * The common frame, untagged IPv4 without options (IHL 5), goes first
	 * to xr_fast4(), which forwards it when every step is the common one;
	 * if not, it is parsed and forwarded by its own copy of the code, in
	 * which the offsets, the family and the tag are constants: the bounds checks, the family
	 * branches, the option stripping and the VLAN cases fold away
	 * (test_xdp --bench: 30 -> 27 ns a hit).  Same functions, same checks,
	 * same packets: only the compiler's constants differ (what
	 * xr_parse_eth() would have found is what the test below saw).
	 */
	if (data + ETH_HLEN + sizeof(struct iphdr) <= data_end &&
	    *(__be16 *)(data + 12) == bpf_htons(ETH_P_IP) &&	/* h_proto, one load */
	    *(__u8 *)(data + ETH_HLEN) == 0x45) {
		rc = xr_fast4(ctx, cfg, data, data_end);
		if (rc != XR_SLOW)
			return rc;
		p.l3_off = ETH_HLEN;
		rc = xr_parse_ipv4(data, data_end, &p);
		if (rc == XR_CONTINUE)
			rc = xr_parse_udp(data, data_end, &p);
		if (rc != XR_CONTINUE)
			return rc;
		{
			struct xr_pkt q = {
				.l3_off = ETH_HLEN, .l4_off = ETH_HLEN + sizeof(struct iphdr),
				.l3_len = p.l3_len, .udp_len = p.udp_len, .family = XR_FAM_IPV4,
			};

			return xr_forward(ctx, cfg, q);
		}
	}
	rc = xr_parse(data, data_end, &p);
	if (rc != XR_CONTINUE)
		return rc;
	return xr_forward(ctx, cfg, p);
}

/*
 * The clocks of one moment, for the daemon's calibration of the packets'
 * clock (flow.h struct xr_clock, xr_cfg.jiffy_ns): run through
 * BPF_PROG_TEST_RUN on a frame of at least 16 bytes, into which it writes
 * them; never attached.  An XDP program because that type may call both
 * helpers (a syscall program may not read the coarse clock).
 */
SEC("xdp")
int
xr_clock(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xr_clock *c = data;

	if ((void *)(c + 1) > data_end)
		return XDP_ABORTED;
	c->jiffies = bpf_jiffies64();
	c->coarse_ns = bpf_ktime_get_coarse_ns();
	return XDP_PASS;
}

/*
 * Entry point: the single exit.  Every frame raises exactly one counter of
 * counters.def, and the counter decides the action (stats.bpf.h).
 */
SEC("xdp")
int
xr_xdp_rx(struct xdp_md *ctx)
{
#if defined(XR_STAGE_STOP) && XR_STAGE_STOP == 0
	return XDP_REDIRECT;	/* bench/stages.sh: the test run's own cost */
#endif
	return xr_account(xr_process(ctx));
}

char LICENSE[] SEC("license") = "GPL";
