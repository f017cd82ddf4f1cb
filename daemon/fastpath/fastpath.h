/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastpath.h - the daemon's handle on the XDP fast path: the loaded skeleton,
 * its (pinned) maps, and the interfaces it is attached to.
 *   loader.c   open/load/pin the skeleton, ABI check, attach/detach (owner of struct fp)
 *   maps.c     the flow table: key -> index, entries written and read through
 *              its mapping (no system call); counters; the blocklist
 *   netlink.c  libmnl link dump + notifications -> xr_tx_ports / xr_vlans, and
 *              the next-hop epoch raised on every change a cached next hop
 *              depends on (nhwatch.c says which)
 *   nhwatch.c  the verdict on one routing message, with its neighbour table
 *   sklookup.c the sk_lookup program steering the --ports range to shared sockets
 * Flow writes are memory writes under each entry's sequence counter, other
 * map updates plain bpf syscalls: safe from any thread.
 */
#ifndef XR_FASTPATH_H
#define XR_FASTPATH_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/addr.h"
#include "config.h"
#include "xrelay/counters.h"
#include "xrelay/flow.h"
#include "xrelay/sklookup.h"

#define FP_MAX_LINKS	XR_MAX_ADDRS

/* Every --media address has its row in the table and its sk_lookup slot. */
_Static_assert(XR_MAX_MEDIA <= XR_CFG_ADDRS && XR_MAX_MEDIA <= XR_SK_SLOTS,
	       "a --media address without a table row or a shared-socket slot");

struct xrelay;		/* build/xrelay.skel.h (bpftool gen skeleton ... name xrelay) */

struct fp_link {
	int		ifindex;
	char		name[IF_NAMESIZE];
	int		link_fd;	/* bpf_link: the program goes when the daemon dies */
	unsigned	xdp_flags;	/* XDP_FLAGS_DRV_MODE / XDP_FLAGS_SKB_MODE actually used */
	bool		pinned;		/* pinned as <pin_dir>/link_<name> (adopt mode) */
};

/* A flow's counters as fp_flow_stats() reads them (the sum of its CPUs' slots). */
struct xr_flow_stats {
	uint64_t	packets;	/* packets forwarded by XDP */
	uint64_t	bytes;		/* UDP payload bytes forwarded by XDP */
	uint64_t	last_seen_ns;	/* CLOCK_MONOTONIC_COARSE of the last one; 0: none */
};

struct fp {
	struct xrelay	*skel;	/* NULL when the maps were opened some other way (tests) */
	int		flows_fd;	/* xr_flows (the table, mmapped at tab) */
	int		side_fd;	/* xr_flow_side (sessions, rate windows; mmapped at side) */
	int		pc_fd;		/* xr_flow_pc (its per-CPU counters, mmapped at pc) */
	int		cfg_fd;		/* xr_cfg (mmapped at cfgm) */
	int		counters_fd;	/* xr_counters */
	int		tx_ports_fd;	/* xr_tx_ports */
	int		vlans_fd;	/* xr_vlans */
	int		abi_fd;		/* xr_abi */
	int		bans_fd;	/* xr_bans (blocklist) */
	int		prog_fd;	/* the XDP program */
	int		ncpus;		/* libbpf_num_possible_cpus() */
	char		pin_dir[256];	/* "" when not pinned */
	int		lock_fd;	/* pin_dir opened and flock()ed: one daemon per directory */
	struct fp_link	links[FP_MAX_LINKS];
	int		nlinks;
	bool		adopt;		/* fp_opts.adopt: flows and XDP links outlive us */
	/* The table (fp_table_init()): row i is addr[i]/fam[i], nports ports from port_lo. */
	struct xr_flow_ent *tab;	/* xr_flows' mapping; NULL: none */
	size_t		tab_bytes;	/* its length */
	struct xr_flow_side *side;	/* xr_flow_side's mapping (as many as tab) */
	size_t		side_bytes;	/* its length */
	struct xr_flow_pc *pc;		/* xr_flow_pc's mapping (ncpus x pc_stride slots) */
	size_t		pc_bytes;	/* its length */
	size_t		pc_stride;	/* xr_flows' size: CPU c's slots start at c x this */
	struct xr_cfg	*cfgm;		/* xr_cfg's mapping */
	uint32_t	jiffy_ns;	/* the packets' clock (xr_cfg.jiffy_ns), 0: not calibrated */
	uint64_t	jiffy_base;	/* and its base (fp_clock_calibrate()) */
	unsigned	nents;		/* entries in use: naddrs x nports */
	int		naddrs;
	unsigned	port_lo, nports;
	uint8_t		addr[XR_CFG_ADDRS][16];	/* v4-mapped for IPv4 */
	uint8_t		fam[XR_CFG_ADDRS];	/* XR_FAM_* */
};

/* Load-time knobs of the XDP program (its const volatile globals). */
struct fp_opts {
	unsigned	wrong_src_sample;	/* wrong-source packets/s per CPU passed up */
	unsigned	media_max_pps;		/* packets/s a flow is forwarded; 0 no cap */
	/*
	 * Calls outlive the process (--redis): flows left by an earlier daemon
	 * are kept (its state is restored and reconciled, daemon/ha/), and the
	 * XDP links are pinned next to the maps (<pin_dir>/link_<ifname>) so
	 * the kernel keeps forwarding while no daemon runs; an attach finding
	 * such a pin moves that link to the new program (bpf_link_update: no
	 * gap).  Without it, leftovers are flushed and stale link pins removed.
	 */
	bool		adopt;
	/*
	 * The flow table's rows and columns: the --media addresses (port
	 * ignored) and the --ports range.  naddrs 0: no table (tests).
	 */
	const union xr_sa *addrs;
	int		naddrs;
	uint16_t	port_lo, port_hi;
};

/* Their defaults (fp_open()), and xrelayd's. */
#define FP_WRONG_SRC_SAMPLE	10

/* ---- loader.c ---- */
/*
 * Open and load the skeleton, reusing maps pinned under pin_dir when their
 * ABI matches (refusing with a clear message when it does not), pinning them
 * otherwise (pin_dir NULL or "": no pinning, for tests).  Flushes any flow
 * left by an earlier daemon: a restart forwards nothing it does not know.
 * The pin directory is held with an exclusive flock() for as long as fp is
 * open (released by fp_close() or the process's death, kill -9 included):
 * -EBUSY, with a log line, when another live daemon holds it, whose flows
 * are then left alone.  Forwarding on lo is enabled only once the program
 * has loaded.  Returns 0 or -errno.
 */
int	fp_open(struct fp *fp, const char *pin_dir);
/* The same with the program's knobs set from o (NULL: the defaults). */
int	fp_open_opts(struct fp *fp, const char *pin_dir, const struct fp_opts *o);
/*
 * Size an opened, not yet loaded skeleton: xr_flows to nents entries (0:
 * as compiled), xr_flow_pc to its entries x the possible CPUs, and tell the
 * program the stride (flow_pc_stride).  0 or -errno.
 */
int	fp_size_maps(struct xrelay *skel, __u32 nents);
/* Attach the program to ifname in mode; 0 or -errno (logged). */
int	fp_attach(struct fp *fp, const char *ifname, enum xr_xdp_mode mode);
/*
 * Give the pin directory and every pin to uid/gid, so that a daemon that
 * dropped root (--user) can still unpin at exit.  0 or the first -errno.
 */
int	fp_chown(struct fp *fp, uid_t uid, gid_t gid);
/* Detach from every interface, delete every flow, close; unpin when unpin. */
void	fp_close(struct fp *fp, bool unpin);

/* ---- maps.c ---- */
/* Entries of a table for naddrs addresses and ports lo..hi; 0 when invalid. */
size_t	fp_table_entries(int naddrs, uint16_t lo, uint16_t hi);
/*
 * Every next hop the program cached is asked afresh (xr_cfg.nh_epoch + 1):
 * called by netlink.c when a route, rule, address, link or neighbour
 * changes.  fp_nh_epoch() reads it (0 without a table).
 */
void	fp_nh_epoch_bump(struct fp *fp);
/*
 * Calibrate the packets' clock (flow.h xr_cfg.jiffy_ns, jiffy_base) with
 * the xr_clock program clock_fd: the tick from two samples at least two
 * ticks apart (waits up to ~100 ms), the base from the median of five.
 * Kept in fp (fp_table_init() writes it into xr_cfg) and written into a
 * mapped xr_cfg at once.  0 or -errno (the program then keeps calling the
 * clock helper).
 */
int	fp_clock_calibrate(struct fp *fp, int clock_fd);
uint32_t fp_nh_epoch(const struct fp *fp);

/*
 * The struct xr_cfg of that table (bans 0); whether two say the same but for
 * what changes while it runs (bans, nh_epoch, the packets' clock).
 */
void	fp_cfg_make(struct xr_cfg *c, const union xr_sa *addrs, int n, uint16_t lo,
		    uint16_t hi);
bool	fp_cfg_same(const struct xr_cfg *a, const struct xr_cfg *b);
/*
 * Map the table and xr_cfg (flows_fd and cfg_fd open) for the n addresses
 * addrs and ports lo..hi, and write xr_cfg; fp_open() does it, tests that
 * load the program themselves call it.  0 or -errno (-EINVAL: the table is
 * too small or not mmapable).
 */
int	fp_table_init(struct fp *fp, const union xr_sa *addrs, int n, uint16_t lo, uint16_t hi);
/*
 * Only the key -> index half of it (no mapping: fp->tab stays as it is;
 * unit tests point it at memory of their own).  0 or -EINVAL.
 */
int	fp_table_layout(struct fp *fp, const union xr_sa *addrs, int n, uint16_t lo,
			uint16_t hi);
void	fp_table_free(struct fp *fp);
/* Index of flow k's entry: its address's row x nports + port - port_lo; or -ERANGE. */
long	fp_flow_index(const struct fp *fp, const struct xr_flow_key *k);
/* Key for packets sent to local (relay address and port). Zeroes padding. */
void	fp_key_make(struct xr_flow_key *k, const union xr_sa *local);
/*
 * Value for a flow: packets from peer (checked only with XR_FLOW_F_LATCHED)
 * leave from src towards dst (dst may be NULL without XR_FLOW_F_FORWARD).
 */
void	fp_flow_make(struct xr_flow *v, uint64_t session_id, const union xr_sa *peer,
		     unsigned flags, const union xr_sa *src, const union xr_sa *dst,
		     uint8_t ttl);
/*
 * Insert or replace a flow: memory writes into its entry, under the entry's
 * sequence counter (no system call).  A new flow starts with zero counters,
 * a replaced one keeps them.  -ERANGE when k is outside the table.
 */
int	fp_flow_put(struct fp *fp, const struct xr_flow_key *k, const struct xr_flow *v);
/*
 * Delete a flow; -ENOENT when it was not there.  A packet the program was
 * forwarding meanwhile may still count into its CPU's slot (one per CPU at
 * most); the next flow there starts from zero.
 */
int	fp_flow_del(struct fp *fp, const struct xr_flow_key *k);
int	fp_flow_get(struct fp *fp, const struct xr_flow_key *k, struct xr_flow *v);
/* A flow's counters, summed over its CPUs' slots (mapped); -ENOENT: no flow. */
int	fp_flow_stats(struct fp *fp, const struct xr_flow_key *k, struct xr_flow_stats *sum);
/* Entry idx's counters: its generation's slots summed (flow.h struct xr_flow_pc). */
void	fp_ent_stats(const struct fp *fp, size_t idx, struct xr_flow_stats *st);
/* Set CPU cpu's slot of entry idx to st, of the entry's generation (tests). */
void	fp_ent_set_stats(struct fp *fp, size_t idx, int cpu, const struct xr_flow_stats *st);
/* All counters summed over CPUs, indexed by enum xr_cnt. */
int	fp_counters(struct fp *fp, uint64_t out[XR_CNT__MAX]);
/* Clear every entry (flows and counters); returns how many flows were deleted. */
int	fp_flows_flush(struct fp *fp);
/* The key of every flow in the table, malloc'd into *keys (the caller frees); the count or -errno. */
int	fp_flows_keys(struct fp *fp, struct xr_flow_key **keys);
/* Number of flows in the table (for tests: "maps are empty afterwards"). */
int	fp_flows_count(struct fp *fp);
/*
 * Blocklist key for prefix/plen (plen in the address's own family: 0..32
 * for IPv4, 0..128 for IPv6); bits past the prefix are cleared.  -EINVAL for
 * a bad family or length.
 */
int	fp_ban_key_make(struct xr_ban_key *k, const union xr_sa *prefix, int plen);
/*
 * Insert or replace a ban; delete one (-ENOENT when absent).  Both keep
 * xr_cfg.bans (the program's "any ban?" switch) right; fp_bans_sync() sets
 * it from the trie (start-up: adopted bans).
 */
void	fp_bans_sync(struct fp *fp);
int	fp_ban_put(struct fp *fp, const struct xr_ban_key *k, const struct xr_ban *v);
int	fp_ban_del(struct fp *fp, const struct xr_ban_key *k);
/*
 * Walk every ban: cb(key, value, arg) for each, in no order; the walk takes
 * a copy of the keys first, so cb may delete.  Returns the count or -errno.
 */
int	fp_bans_walk(struct fp *fp, void (*cb)(const struct xr_ban_key *k,
					       const struct xr_ban *v, void *arg), void *arg);

/* ---- netlink.c ---- */
struct ev_loop;
/*
 * Fill xr_tx_ports (every interface the program is attached to, and every
 * other one that can take redirected frames) and xr_vlans from a link dump,
 * then keep them current from RTNLGRP_LINK notifications on loop; on the
 * same socket, every link, address, route, rule, nexthop object or
 * neighbour change a cached next hop depends on (fp_nh_classify()) raises
 * the next-hop epoch (fp_nh_epoch_bump()), as does a resync (start, lost
 * notifications).
 */
int	fp_netlink_start(struct fp *fp, struct ev_loop *loop);
void	fp_netlink_stop(void);
/*
 * The epoch raises since start, by cause: out[FP_NH_x] (a raise for a
 * batch of messages with several causes counts under each); *total, when
 * not NULL, gets the raises themselves.  Any thread.
 */
void	fp_netlink_nh_counts(uint64_t out[], uint64_t *total);
/* Add (on) or remove (!on; absent is not an error) ifindex in xr_tx_ports. 0 or -errno. */
int	fp_tx_port_set(struct fp *fp, int ifindex, bool on);

/* ---- nhwatch.c ---- */
struct nlmsghdr;
/* What a routing message changed that a cached next hop depends on. */
enum fp_nh_why {
	FP_NH_NONE = -1,	/* nothing */
	FP_NH_LINK,		/* a link (MTU, up/down, MAC, gone) */
	FP_NH_ADDR,		/* an address (the fib's source, local routes) */
	FP_NH_ROUTE,
	FP_NH_RULE,		/* a policy routing rule */
	FP_NH_NEXTHOP,		/* a nexthop object or group bucket */
	FP_NH_NEIGH,		/* a neighbour's lladdr: new, changed, gone */
	FP_NH_RESYNC,		/* not a message: start, or notifications lost */
	FP_NH__MAX
};
/* "link", "address", ... by enum fp_nh_why. */
extern const char *const fp_nh_why_names[FP_NH__MAX];

/* Neighbours fp_netlink_start() tracks at most (beyond: every change counts). */
#define FP_NEIGH_MAX	65536

/*
 * The neighbours in a NUD_VALID state by (family, ifindex, address), with
 * their lladdr, holding max at most: what fp_nh_classify() compares a
 * neighbour message with.  new: NULL on ENOMEM.  Not thread-safe.
 */
struct fp_neigh_tab;
struct fp_neigh_tab *fp_neigh_tab_new(size_t max);
void	fp_neigh_tab_free(struct fp_neigh_tab *t);
/*
 * Forget every neighbour (before a fresh dump); the table is then not
 * seeded until fp_neigh_tab_seeded() says a dump filled it.
 */
void	fp_neigh_tab_clear(struct fp_neigh_tab *t);
void	fp_neigh_tab_seeded(struct fp_neigh_tab *t);
size_t	fp_neigh_tab_count(const struct fp_neigh_tab *t);
/* Whether a neighbour was turned away (full) since the last clear. */
bool	fp_neigh_tab_overflowed(const struct fp_neigh_tab *t);
/*
 * The verdict on one routing netlink message (nlmsg_type RTM_*): which
 * FP_NH_x it changes, or FP_NH_NONE.  Links (not a bridge's AF_BRIDGE
 * port messages), addresses, routes, rules and nexthop objects always count.
 * A neighbour (IPv4, IPv6; never the bridge FDB nor proxy entries) counts
 * when its lladdr changes, or it leaves the valid states or is deleted; not
 * when only its state moves between valid ones (REACHABLE, STALE, DELAY,
 * PROBE, ...), nor when first seen in a valid state while the table is
 * seeded (a dump filled it: a neighbour new to it was not valid before, so
 * no next hop was cached through it); unseeded, a first sight counts (it
 * may be a known neighbour whose lladdr changed unseen).  Once the table was
 * full, every message about a neighbour it does not hold counts.  t is
 * updated; fed a dump, it learns (the verdicts are then ignored).
 */
enum fp_nh_why fp_nh_classify(struct fp_neigh_tab *t, const struct nlmsghdr *nlh);

/* ---- sklookup.c ---- */
struct sk_lookup;	/* build/sk_lookup.skel.h */

/* The sk_lookup program and its link; independent of struct fp (no --xdp needed). */
struct fp_sk {
	struct sk_lookup	*skel;
	int			 link_fd;	/* -1: not attached */
	int			 nslots;	/* ranges written */
};

/* A closed handle (nothing to undo). */
void	fp_sk_reset(struct fp_sk *sk);
/* Load the program (not attached).  0 or -errno (logged). */
int	fp_sk_open(struct fp_sk *sk);
/*
 * Steer UDP packets for addr (port ignored), ports lo..hi, to the socket
 * sock_fd (bound, unconnected UDP).  Call before fp_sk_attach().  0,
 * -ENOSPC past XR_SK_SLOTS, or -errno (logged).
 */
int	fp_sk_add(struct fp_sk *sk, const union xr_sa *addr, uint16_t lo, uint16_t hi,
		  int sock_fd);
/* Leave UDP port (host order) to the kernel's lookup on every address.  0 or -errno. */
int	fp_sk_skip(struct fp_sk *sk, uint16_t port);
/* Attach to the calling thread's network namespace.  0 or -errno (logged). */
int	fp_sk_attach(struct fp_sk *sk);
/* Detach and unload; the shared sockets stay the caller's. */
void	fp_sk_close(struct fp_sk *sk);

#endif /* XR_FASTPATH_H */
