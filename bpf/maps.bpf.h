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
 * Forwarding table: one struct xr_flow_ent per (relay address, port), at
 * index addr_index * nports + (port - port_lo) (flow.h, xr_cfg).  Written by
 * the daemon through its mapping (BPF_F_MMAPABLE: a session set up or torn
 * down is memory writes, no system call); the loader sizes it to --media x
 * --ports.  An array lookup is inlined by the verifier: no hashing, no chain
 * walk, the entry's one line a packet.  The hash table it replaces
 * cost 353 of 605 ns a packet at 100,000 streams (bucket miss, element miss,
 * TLB misses) plus 200-350 ns for the per-CPU stats slot when flows moved
 * between CPUs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XR_FLOWS_DEFAULT);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xr_flow_ent);
} xr_flows SEC(".maps");

/*
 * The entries' session ids and --media-max-pps windows (flow.h struct
 * xr_flow_side), at the entry's index: what a packet does not read, out of
 * the entry's line.  Mmapable, sized by the loader as xr_flows.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XR_FLOWS_DEFAULT);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xr_flow_side);
} xr_flow_side SEC(".maps");

/*
 * The flows' counters and next-hop caches, one 64-byte slot per CPU and
 * entry (flow.h struct xr_flow_pc): CPU c's slot of entry i at c * flow_pc_stride + i, where
 * flow_pc_stride (xrelay.bpf.c) is xr_flows' size.  Mmapable, as the table,
 * so that the daemon reads a flow's counters without a system call (a
 * PERCPU_ARRAY is read only through one); the loader sizes it to xr_flows'
 * entries x the possible CPUs (a lookup past it finds nothing).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XR_FLOWS_DEFAULT);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xr_flow_pc);
} xr_flow_pc SEC(".maps");

/* The relay addresses, the port range and the blocklist switch (daemon's mapping). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xr_cfg);
} xr_cfg SEC(".maps");

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
 * daemon (daemon/guard/ban.c), checked first for every IP packet while
 * xr_cfg.bans says it may hold an entry.
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
