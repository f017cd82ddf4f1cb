/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastpath.h - the daemon's handle on the XDP fast path: the loaded skeleton,
 * its (pinned) maps, and the interfaces it is attached to.
 *   loader.c   open/load/pin the skeleton, ABI check, attach/detach (owner of struct fp)
 *   maps.c     encode and write flows, read per-flow stats and counters
 *   netlink.c  libmnl link dump + notifications -> xr_tx_ports / xr_vlans
 *   sklookup.c the sk_lookup program steering the --ports range to shared sockets
 * Map updates are plain bpf syscalls: safe from any thread.
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

struct xrelay;		/* build/xrelay.skel.h (bpftool gen skeleton ... name xrelay) */

struct fp_link {
	int		ifindex;
	char		name[IF_NAMESIZE];
	int		link_fd;	/* bpf_link: the program goes when the daemon dies */
	unsigned	xdp_flags;	/* XDP_FLAGS_DRV_MODE / XDP_FLAGS_SKB_MODE actually used */
	bool		pinned;		/* pinned as <pin_dir>/link_<name> (adopt mode) */
};

struct fp_slots;	/* maps.c: the xr_flow_stats slot of each flow key */

struct fp {
	struct xrelay	*skel;	/* NULL when the maps were opened some other way (tests) */
	int		flows_fd;	/* xr_flows */
	int		stats_fd;	/* xr_flow_stats (per-CPU array, indexed by xr_flow.slot) */
	struct fp_slots	*slots;		/* fp_slots_init() */
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
	unsigned	max_flows;	/* entries of xr_flows (and of xr_flow_stats) */
};

/* Load-time knobs of the XDP program (its const volatile globals). */
struct fp_opts {
	unsigned	wrong_src_sample;	/* wrong-source packets/s per CPU passed up */
	unsigned	media_max_pps;		/* packets/s a flow is forwarded (per CPU); 0 no cap */
	/*
	 * Calls outlive the process (--redis): flows left by an earlier daemon
	 * are kept (its state is restored and reconciled, daemon/ha/), and the
	 * XDP links are pinned next to the maps (<pin_dir>/link_<ifname>) so
	 * the kernel keeps forwarding while no daemon runs; an attach finding
	 * such a pin moves that link to the new program (bpf_link_update: no
	 * gap).  Without it, leftovers are flushed and stale link pins removed.
	 */
	bool		adopt;
	unsigned	max_flows;		/* entries of xr_flows and xr_flow_stats;
						 * 0: XR_FLOWS_MAX */
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
/*
 * The allocator of xr_flow_stats slots (nslots: that map's size) and the
 * table of which flow key holds which; fp_open() sets it up, tests that open
 * the maps themselves call it.  0 or -ENOMEM.
 */
int	fp_slots_init(struct fp *fp, unsigned nslots);
void	fp_slots_free(struct fp *fp);
/* The xr_flow_stats slot of the flow k (>= 0), or -ENOENT. */
int	fp_flow_slot(struct fp *fp, const struct xr_flow_key *k);
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
 * Insert or replace a flow; a new one gets a free, zeroed stats slot
 * (v's slot is set here), a replaced one keeps its slot.  -E2BIG when no
 * slot is free.
 */
int	fp_flow_put(struct fp *fp, const struct xr_flow_key *k, const struct xr_flow *v);
/* Most flows fp_flows_put() and fp_flows_del() take at once (a session has 4). */
#define FP_BATCH_MAX	8
/*
 * fp_flow_put() for n (1..FP_BATCH_MAX) flows k[i] -> v[i] in one system
 * call (BPF_MAP_UPDATE_BATCH; free stats slots are zeroed ahead, 256 in
 * one call); res[i] gets each flow's result.  0, or the first flow's error.
 */
int	fp_flows_put(struct fp *fp, const struct xr_flow_key *k, const struct xr_flow *v,
		     int n, int *res);
/*
 * Delete a flow and give its stats slot back; -ENOENT when it was not there.
 * A packet the program was forwarding meanwhile may still count into the
 * slot after the next flow took it (one packet at most per CPU); its
 * next-hop cache is not used again (generation).
 */
int	fp_flow_del(struct fp *fp, const struct xr_flow_key *k);
/* fp_flow_del() for n (1..FP_BATCH_MAX) flows, one BPF_MAP_DELETE_BATCH. */
int	fp_flows_del(struct fp *fp, const struct xr_flow_key *k, int n, int *res);
int	fp_flow_get(struct fp *fp, const struct xr_flow_key *k, struct xr_flow *v);
/* Per-flow stats summed over CPUs (last_seen_ns: the max). */
int	fp_flow_stats(struct fp *fp, const struct xr_flow_key *k, struct xr_flow_stats *sum);
/* All counters summed over CPUs, indexed by enum xr_cnt. */
int	fp_counters(struct fp *fp, uint64_t out[XR_CNT__MAX]);
/* Delete every flow and stats entry; returns how many flows were deleted. */
int	fp_flows_flush(struct fp *fp);
int	fp_slots_adopt(struct fp *fp);	/* adopt mode: the kept flows' slots */
/* Every key of xr_flows, malloc'd into *keys (the caller frees); the count or -errno. */
int	fp_flows_keys(struct fp *fp, struct xr_flow_key **keys);
/* Number of entries in xr_flows (for tests: "maps are empty afterwards"). */
int	fp_flows_count(struct fp *fp);
/*
 * Blocklist key for prefix/plen (plen in the address's own family: 0..32
 * for IPv4, 0..128 for IPv6); bits past the prefix are cleared.  -EINVAL for
 * a bad family or length.
 */
int	fp_ban_key_make(struct xr_ban_key *k, const union xr_sa *prefix, int plen);
/* Insert or replace a ban; delete one (-ENOENT when absent). */
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
 * then keep them current from RTNLGRP_LINK notifications on loop.
 */
int	fp_netlink_start(struct fp *fp, struct ev_loop *loop);
void	fp_netlink_stop(void);
/* Add (on) or remove (!on; absent is not an error) ifindex in xr_tx_ports. 0 or -errno. */
int	fp_tx_port_set(struct fp *fp, int ifindex, bool on);

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
