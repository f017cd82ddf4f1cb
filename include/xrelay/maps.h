/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * maps.h - names, sizes and the pin location of the fast-path maps.
 * The BTF definitions live in bpf/maps.bpf.h; the daemon opens them through
 * the skeleton (skel->maps.xr_flows, ...) and pins them under XR_PIN_DIR.
 * Kernel object names are limited to 15 characters.
 */
#ifndef XRELAY_MAPS_H
#define XRELAY_MAPS_H

#define XR_PIN_DIR		"/sys/fs/bpf/xrelay"	/* default; xrelayd --pin-dir overrides */

#define XR_MAP_FLOWS		"xr_flows"	/* ARRAY (mmapable) index -> xr_flow_ent (flow.h) */
#define XR_MAP_FLOW_PC		"xr_flow_pc"	/* ARRAY (mmapable) cpu x entries + index ->
						 * xr_flow_pc: per-CPU counters (flow.h) */
#define XR_MAP_FLOW_SIDE	"xr_flow_side"	/* ARRAY (mmapable) index -> xr_flow_side:
						 * session id, rate window (flow.h) */
#define XR_MAP_CFG		"xr_cfg"	/* ARRAY[1] (mmapable) -> xr_cfg: addresses, ports */
#define XR_MAP_COUNTERS		"xr_counters"	/* PERCPU_ARRAY enum xr_cnt -> __u64 packets */
#define XR_MAP_TX_PORTS		"xr_tx_ports"	/* DEVMAP_HASH ifindex -> ifindex */
#define XR_MAP_VLANS		"xr_vlans"	/* HASH ifindex of a VLAN device -> xr_vlan */
#define XR_MAP_ABI		"xr_abi"	/* ARRAY[1] -> xr_abi */
#define XR_MAP_SAMPLE		"xr_sample"	/* PERCPU_ARRAY[1] -> xr_budget (BPF's own) */
#define XR_MAP_BANS		"xr_bans"	/* LPM_TRIE xr_ban_key -> xr_ban */

#define XR_FLOWS_MAX		2064384	/* entries at most: XR_CFG_ADDRS x XR_CFG_PORTS */
#define XR_FLOWS_DEFAULT	10000	/* the compiled size (one address, 30000-39999);
					 * the loader sets --media x --ports */
#define XR_TX_PORTS_MAX		256	/* interfaces the program may redirect to */
#define XR_VLANS_MAX		1024	/* VLAN devices known */
#define XR_BANS_MAX		65536	/* banned prefixes */

#endif /* XRELAY_MAPS_H */
