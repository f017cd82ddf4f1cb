/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * maps.bpf.h - BTF definitions of the fast-path maps (BPF side only).
 * Names, sizes and layouts come from include/xrelay/{maps,flow,counters}.h.
 * No pinning attribute: the loader (daemon/fastpath/loader.c) sets pin paths
 * and reuses pinned maps; tests load the same object unpinned.
 */
#ifndef XR_MAPS_BPF_H
#define XR_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xrelay/counters.h"
#include "xrelay/flow.h"
#include "xrelay/maps.h"

/*
 * Forwarding table: (relay address, port, family) -> what to do.  Written by
 * the daemon.  The loader sizes it (and xr_flow_stats) from --max-sessions.
 * Preallocated: with its elements scattered (BPF_F_NO_PREALLOC) 32,200
 * flows went from 0.41x to 0.25x of the host's XDP limit (one run).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XR_FLOWS_MAX);
	__type(key, struct xr_flow_key);
	__type(value, struct xr_flow);
} xr_flows SEC(".maps");

/*
 * Per-flow, per-CPU packets/bytes/last-seen and the next-hop cache, at the
 * index the flow names (xr_flow.slot): no second hash lookup.  The daemon
 * zeroes a slot when it gives it to a flow; the program only adds.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XR_FLOWS_MAX);
	__type(key, __u32);
	__type(value, struct xr_flow_stats);
} xr_flow_stats SEC(".maps");

/* Per-CPU packet count of every outcome, indexed by enum xr_cnt. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XR_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} xr_counters SEC(".maps");

/* Interfaces frames may be redirected to: ifindex -> ifindex (daemon's netlink.c). */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, XR_TX_PORTS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xr_tx_ports SEC(".maps");

/* VLAN devices: ifindex of the VLAN device -> lower device and VLAN id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XR_VLANS_MAX);
	__type(key, __u32);
	__type(value, struct xr_vlan);
} xr_vlans SEC(".maps");

/* This CPU's budget of wrong-source packets passed up (xrelay.bpf.c xr_sampled()). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xr_budget);
} xr_sample SEC(".maps");

/*
 * Blocklist: banned source prefixes (v4-mapped for IPv4), written by the
 * daemon (daemon/guard/ban.c), checked first for every IP packet.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XR_BANS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xr_ban_key);
	__type(value, struct xr_ban);
} xr_bans SEC(".maps");

/* One entry written by the loader: the layout the maps were created with. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xr_abi);
} xr_abi SEC(".maps");

#endif /* XR_MAPS_BPF_H */
