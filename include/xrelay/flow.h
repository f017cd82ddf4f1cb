/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flow.h - the forwarding table shared by bpf/xrelay.bpf.c and daemon/fastpath.
 *
 * One definition, included unchanged by both compilers: only <linux/types.h>
 * types, explicit padding, and _Static_asserts on every size and offset the
 * other side relies on.
 *
 * Byte order: addresses and ports are in network order everywhere in this
 * file unless a field says otherwise.  Addresses are 16 bytes: IPv6 as is,
 * IPv4 as the v4-mapped form ::ffff:a.b.c.d, so one entry carries either
 * family and a flow may later bridge IPv4 and IPv6 (XDP passes such flows to
 * userspace for now).
 *
 * The table (xr_flows) is an array indexed directly by where a packet was
 * sent to: every relay media port is one of the --media addresses and in the
 * --ports range (the sk_lookup program steers exactly these), so
 *	index = addr_index * nports + (port - port_lo)
 * with addr_index the address's position in struct xr_cfg.  No hashing, no
 * chain walk: one array access and the entry's one cache line a packet.
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
 * xr_flow.slot (one hash lookup a packet).  5: xr_flows an mmapable array of
 * struct xr_flow_ent indexed by (address, port) (xr_cfg), flow and counters
 * in one entry under a sequence counter; xr_flow_stats gone; pass_flow_busy;
 * --media-max-pps per flow, not per CPU.  6: 32 relay addresses (xr_cfg rows), the
 * IPv4 ones found through a hash (xr_cfg.h4, h4i) instead of a scan; an
 * entry's packets and bytes in one word (xr_flow_ent.pb, .hi: one atomic add
 * a packet).  7: the counters and last-seen time per CPU (xr_flow_pc, a
 * slot per CPU and entry, named by the entry's xr_flow_ent.gen), plain adds
 * instead of the shared atomic one; pb, hi and last_seen_ns leave the entry.
 * 8: the next-hop cache moves from the entry's line 1 into the CPU's slot
 * (xr_flow_pc: 64 bytes, no nh_tag), gen into line 0 (xr_flow_fwd.gen) with
 * the families as flag bits (peer_family, out_family gone): a packet reads
 * one line of its entry; xr_cfg.nh_epoch; xr_cfg.jiffy_ns, jiffy_base (the
 * packets' clock).  9: an entry is one line (xr_flow_ent: 64 bytes, half
 * the table's memory and memory traffic); its session id and rate window
 * move to the new xr_flow_side array (struct xr_flow_side; xr_abi.side_size).
 * 10: xr_cfg's IPv4 hash holds (address, row) pairs (struct xr_cfg_a4, one
 * load) and rows are first indexes (address index x nports: no multiply a
 * packet); h4i gone, i6 becomes r6.
 */
#define XR_ABI_VERSION		10

/* Address family tags used in entries (not AF_*: fixed on the wire). */
#define XR_FAM_IPV4		4
#define XR_FAM_IPV6		6

/* Most --media addresses (one relay address each in xr_cfg, one table row each). */
#define XR_CFG_ADDRS		32
/*
 * Slots of xr_cfg's IPv4 address hash: twice the addresses, so that a
 * linear probe from XR_CFG_H4_SLOT(addr) meets the address or an empty slot
 * (address 0) within XR_CFG_ADDRS + 1 steps, nearly always the first.
 */
#define XR_CFG_H4		64
#define XR_CFG_H4_SLOT(a)	(((__u32)(a) * 0x9e3779b1u) >> 26)	/* a: __be32 as loaded */
/* Largest --ports range: 1024-65535. */
#define XR_CFG_PORTS		64512

/*
 * Value of the single-entry, mmapable xr_cfg array: what the daemon tells
 * the program about itself, read on every packet (the first line and, for
 * IPv4, one slot of h4: two lines, always hot).  Written by
 * the daemon through its mapping.  An IPv4 relay address is found by hash
 * (a scan of 16 addresses, the packets' one in the middle, cost about as
 * much as the rest of the parse), an IPv6 one by a scan.
 */
/*
 * One slot of xr_cfg's IPv4 hash: an address and its row, read by the
 * program with one 8-byte load.  A row is the address's first index in
 * xr_flows, its --media position times nports, so that a packet's index is
 * row + port offset (no multiply on the way to its entry).
 */
struct xr_cfg_a4 {
	__be32	addr;			/* network order; 0: empty slot */
	__u32	row;			/* address index x nports */
};

struct xr_cfg {
	__u32	n4;			/* IPv4 relay addresses in h4[] */
	__u32	n6;			/* IPv6 relay addresses in a6[] */
	__u32	port_lo;		/* --ports low end, host order */
	__u32	nports;			/* --ports size: hi - lo + 1 (0: no table) */
	__u32	bans;			/* non-zero while xr_bans may hold an entry:
					 * the program skips the LPM lookup when 0 */
	__u32	nh_epoch;		/* raised by the daemon whenever a route, rule,
					 * address, link or neighbour the next hops
					 * depend on changes (fastpath/netlink.c): a
					 * next hop cached under another is asked afresh */
	/*
	 * The program's clock: now = jiffy_base + jiffies x jiffy_ns, an
	 * estimate of bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC_COARSE)
	 * within a tick, from the inlined bpf_jiffies64() (one load) instead
	 * of a helper call (~1 ns a packet).  Both advance at the timer tick,
	 * together.  Calibrated by the daemon at start (fastpath/maps.c
	 * fp_clock_calibrate(): the xr_clock program samples both); jiffy_ns
	 * 0 (not calibrated): the program calls the helper.
	 */
	__u32	jiffy_ns;		/* TICK_NSEC: 1e9 / CONFIG_HZ, rounded */
	__u32	pad;			/* zero */
	__u64	jiffy_base;		/* coarse ns - jiffies x jiffy_ns (mod 2^64) */
	struct xr_cfg_a4 h4[XR_CFG_H4];	/* IPv4 relay addresses at XR_CFG_H4_SLOT()
					 * or the next free slot after it
					 * (wrapping); addr 0: empty */
	__u8	a6[XR_CFG_ADDRS][16];	/* IPv6 relay addresses */
	__u32	r6[XR_CFG_ADDRS];	/* their rows (as xr_cfg_a4.row) */
};

/* xr_flow.flags and xr_flow_fwd.flags */
#define XR_FLOW_F_LATCHED	(1u << 0) /* peer_* is the latched source: only it is forwarded */
#define XR_FLOW_F_FORWARD	(1u << 1) /* dst_* is known and media may flow this way */
#define XR_FLOW_F_RTCP		(1u << 2) /* the RTCP leg of a pair (informational) */
/* xr_flow_fwd.flags only (set by fastpath from xr_flow's families): */
#define XR_FLOW_F_PEER4		(1u << 3) /* peer_addr is IPv4 (v4-mapped) */
#define XR_FLOW_F_PEER6		(1u << 4) /* peer_addr is IPv6 */
#define XR_FLOW_F_OUT4		(1u << 5) /* src_addr and dst_addr are IPv4 */
#define XR_FLOW_F_OUT6		(1u << 6) /* src_addr and dst_addr are IPv6 */
#define XR_FLOW_F_ACTIVE	(1u << 7) /* the entry holds a flow */

/*
 * One entry of xr_flows: one cache line, 64 bytes (the array's values are
 * 64-byte aligned: the mapping is page-aligned and 64 divides a page).
 *
 * The entry (struct xr_flow_fwd) is the flow, written only by the daemon,
 * read by every packet: the only line of flow state a packet reads besides
 * its CPU's slot.  Everything a packet writes is in that slot of
 * xr_flow_pc: the counters and the next-hop cache; what a packet does not
 * need (the owning session, the --media-max-pps window) is in the entry's
 * struct xr_flow_side.  So a packet touches two lines of flow state, its
 * entry and its own slot, and no line is written by two CPUs.  (Until ABI 9
 * the side's fields were the entry's second line: at a million flows the
 * entries came from memory, and the CPU's adjacent-line prefetch pulled that
 * unused line in with each.)
 *
 * seq is a sequence counter (seqlock): the daemon makes it odd, writes the
 * entry (and its side), makes it even (daemon/fastpath/maps.c
 * ent_begin()/ent_end()); the program reads seq, the entry, seq again, and
 * passes the packet up untouched (pass_flow_busy) when seq was odd or
 * changed.  seq only ever grows (a delete is a write), so a next hop cached
 * for one seq is never used for another write of the entry.
 */
struct xr_flow_fwd {
	__u32	seq;		/* odd: being written */
	__u8	flags;		/* XR_FLOW_F_*, the families included; no
				 * XR_FLOW_F_ACTIVE: no flow here */
	__u8	ttl;		/* TTL / hop limit set on the forwarded packet */
	__be16	peer_port;	/* source port the packets must come from */
	__be16	src_port;	/* relay port the forwarded packet leaves from */
	__be16	dst_port;	/* destination port of the forwarded packet */
	/*
	 * The flow's generation: the seq its entry got when the daemon made
	 * the flow (an entry not ACTIVE made ACTIVE; replacing a flow keeps
	 * it, deleting it too, until the next flow), never 0 for a flow.  The
	 * program counts a packet into this CPU's slot of xr_flow_pc for the
	 * entry, and first resets a slot whose gen differs (a previous flow's
	 * counts): creating a flow writes no counter.
	 */
	__u32	gen;
	__u8	peer_addr[16];	/* source the packets must come from, v4-mapped for IPv4 */
	__u8	src_addr[16];	/* relay address the forwarded packet leaves from */
	__u8	dst_addr[16];	/* where the forwarded packet goes */
};

struct xr_flow_ent {
	struct xr_flow_fwd fwd;	/* the flow (daemon) */
};

/*
 * Value of xr_flow_side, an mmapable array of xr_flows' size: entry i's
 * session and rate window at index i, 16 bytes, four entries a line.  The
 * daemon writes session_id under the entry's sequence counter (and reads it
 * so: a restarted daemon's adoption); the program reads and writes rl only
 * with --media-max-pps on.
 */
struct xr_flow_side {
	__u64	session_id;	/* media session owning this flow (daemon's id) */
	__u32	rl;		/* --media-max-pps window: bits 31..24 the second
				 * (coarse ns / 1e9, low 8 bits), 23..0 packets in it */
	__u32	pad;		/* zero */
};

/*
 * One CPU's state of one flow: the value of xr_flow_pc, an mmapable array of
 * ncpus x (xr_flows' entries) slots of one cache line, CPU c's slot of entry
 * i at c * entries + i (each CPU's slots apart from the others': no line is
 * written by two CPUs).  Only the program on CPU c writes CPU c's slots,
 * with plain stores (no atomic: a locked add drained the store buffer of
 * the frame just written, ~8 ns a packet at 1 flow).
 *
 * Counters: a packet whose flow's gen differs from the slot's sets packets,
 * bytes and last_seen_ns afresh and gen last; else it adds.  A reader sums
 * the slots of every CPU whose gen equals the entry's gen (read gen, the
 * counts, gen again: a slot reset meanwhile belongs to another flow) and
 * takes the latest last_seen_ns: daemon/fastpath/maps.c fp_ent_stats().
 *
 * Next-hop cache (nh_*, the program's own, never read by the daemon): what
 * bpf_fib_lookup() and xr_vlans said for this flow on this CPU, reused
 * while the entry's seq equals nh_seq (0: empty; a flow's seq is never 0),
 * xr_cfg.nh_epoch and the coarse clock's window (XR_NH_STAMP: 2^33 ns, 8.6
 * s) stay what nh_stamp says, for packets no longer than one the route took.
 * The daemon raises the epoch on every change the kernel announces
 * (routes, rules, addresses, links, a neighbour's MAC); the window bounds
 * what it cannot see (a path MTU learnt from ICMP) and how long a cache
 * outlives a daemon that is gone.  With it, the checksum deltas of the
 * flow's rewrite of addresses and ports (nh_dl3, nh_dl4): every packet of
 * the flow comes from the latched peer to the entry's address and port, so
 * they are the same for the same write of the entry.  Each CPU fills its own: no
 * compare-and-swap, no version to re-read.  It was good for one second:
 * with a million flows at 5 packets a second each, one packet in five asked
 * the fib (~46 ns more a packet that does).
 */
struct xr_flow_pc {
	__u32	gen;		/* xr_flow_fwd.gen these counts are of */
	__u32	nh_seq;		/* xr_flow_fwd.seq the next hop was found for; 0: none */
	__u32	nh_stamp;	/* XR_NH_STAMP() when it was */
	__u32	nh_tx;		/* the device the frame leaves by (the VLAN's lower one) */
	__u16	nh_vid;		/* XR_NH_VLAN | VLAN id, or 0 (untagged egress) */
	__u16	nh_ok_len;	/* longest IP packet the route took (MTU check) */
	__u32	nh_mac[3];	/* destination MAC (6 bytes) then source MAC (6 bytes),
				 * copied as words */
	__u64	packets;	/* packets forwarded by XDP on this CPU */
	__u64	bytes;		/* their UDP payload bytes */
	__u64	last_seen_ns;	/* bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC_COARSE) of
				 * the last one; compare with that clock */
	__u32	nh_dl3;		/* with the next hop: the IPv4 header checksum delta of
				 * the flow's address rewrite (bpf xr_deltas()) */
	__u32	nh_dl4;		/* and the UDP checksum's, addresses and ports */
};

#define XR_NH_VLAN		0x8000	/* nh_vid: the fib's egress device is a VLAN */

/*
 * xr_flow_pc.nh_stamp: the epoch (low 24 bits) and the coarse clock's
 * 2^33 ns window (low 8 bits) a cached next hop is good for.
 */
#define XR_NH_WINDOW_SHIFT	33
#define XR_NH_STAMP(epoch, now_ns) \
	(((__u32)(epoch) << 8) | ((__u32)((now_ns) >> XR_NH_WINDOW_SHIFT) & 0xffu))

#define XR_RL_COUNT_MAX		0x00ffffffu	/* --media-max-pps at most this */

/*
 * A flow as the daemon describes it (daemon/fastpath's API, in no map): the
 * line-0 fields of an entry plus its session.  fastpath writes it into the
 * entry its key names.
 */
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
};

/* Where a packet was sent to (relay address and port): names a flow in the API. */
struct xr_flow_key {
	__u8	addr[16];	/* relay's own address (v4-mapped for IPv4), network order */
	__be16	port;		/* relay's own UDP port, network order */
	__u8	family;		/* XR_FAM_IPV4 or XR_FAM_IPV6: the packet's family */
	__u8	pad;		/* zero */
};

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

/*
 * What the xr_clock program writes into the frame the daemon runs it on
 * (BPF_PROG_TEST_RUN): both clocks of one moment.
 */
struct xr_clock {
	__u64	jiffies;	/* bpf_jiffies64() */
	__u64	coarse_ns;	/* bpf_ktime_get_coarse_ns() */
};

/* Value of the single-entry xr_abi array: checked against pinned maps at start. */
struct xr_abi {
	__u32	version;	/* XR_ABI_VERSION */
	__u16	cfg_size;	/* sizeof(struct xr_cfg) */
	__u16	ent_size;	/* sizeof(struct xr_flow_ent) */
	__u16	pc_size;	/* sizeof(struct xr_flow_pc) */
	__u16	ncounters;	/* XR_CNT__MAX */
	__u16	side_size;	/* sizeof(struct xr_flow_side) */
	__u16	pad;		/* zero */
};

_Static_assert(sizeof(struct xr_cfg) == 40 + 64 * 8 + 32 * 16 + 32 * 4, "xr_cfg layout");
_Static_assert(sizeof(struct xr_cfg_a4) == 8, "xr_cfg_a4 layout");
_Static_assert(__builtin_offsetof(struct xr_cfg, jiffy_base) == 32, "xr_cfg.jiffy_base");
_Static_assert(XR_CFG_H4 >= 2 * XR_CFG_ADDRS && XR_CFG_H4 == 64, "xr_cfg.h4: 6 bits of hash");
_Static_assert(sizeof(struct xr_flow_ent) == 64, "xr_flow_ent: one cache line");
_Static_assert(sizeof(struct xr_flow_side) == 16, "xr_flow_side layout");
_Static_assert(sizeof(struct xr_flow_fwd) == 64, "xr_flow_fwd: one cache line");
_Static_assert(__builtin_offsetof(struct xr_flow_fwd, peer_addr) == 16, "xr_flow_fwd.peer_addr");
_Static_assert(__builtin_offsetof(struct xr_flow_fwd, gen) == 12, "xr_flow_fwd.gen");
_Static_assert(__builtin_offsetof(struct xr_flow_fwd, dst_addr) == 48, "xr_flow_fwd.dst_addr");
_Static_assert(sizeof(struct xr_flow_pc) == 64, "xr_flow_pc: one cache line");
_Static_assert(__builtin_offsetof(struct xr_flow_pc, nh_mac) == 20, "xr_flow_pc.nh_mac");
_Static_assert(__builtin_offsetof(struct xr_flow_pc, packets) == 32, "xr_flow_pc.packets");
_Static_assert(sizeof(struct xr_flow) == 72, "xr_flow layout");
_Static_assert(sizeof(struct xr_flow_key) == 20, "xr_flow_key layout");
_Static_assert(__builtin_offsetof(struct xr_flow_key, port) == 16, "xr_flow_key.port");
_Static_assert(sizeof(struct xr_vlan) == 8, "xr_vlan layout");
_Static_assert(sizeof(struct xr_abi) == 16, "xr_abi layout");
_Static_assert(sizeof(struct xr_budget) == 16, "xr_budget layout");
_Static_assert(sizeof(struct xr_ban_key) == 20, "xr_ban_key layout");
_Static_assert(sizeof(struct xr_ban) == 16, "xr_ban layout");

#endif /* XRELAY_FLOW_H */
